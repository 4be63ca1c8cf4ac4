package identity

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/store"
)

// KeyUsedRecord is when a long-term access key was last used, with which
// service and in which region: GetAccessKeyLastUsed's answer. It is kept
// apart from the key (iam/keyused/<AKIA…>) and written as bookkeeping, so
// that recording a use drops no cached lookup or policy set.
type KeyUsedRecord struct {
	Date    time.Time `json:"date"`
	Service string    `json:"service"`
	Region  string    `json:"region"`
}

func KeyUsedKey(id string) string { return "iam/keyused/" + id }

// keyUses remembers when this server last recorded each key's use, so that
// a key in steady use costs one bookkeeping write a lastUsedGranularity,
// not one a request. Its size bounds the memory; a key it forgets is
// recorded again on its next use, one write more. mu makes due's read and
// write one step, so that one write is due per key and period.
type keyUses struct {
	mu   sync.Mutex
	last *cache.Cache[string, time.Time]
}

func (u *keyUses) due(id string, t time.Time) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if prev, ok := u.last.Get(id); ok && t.Sub(prev) < LastUsedGranularity && t.Sub(prev) >= 0 {
		return false
	}
	u.last.Put(id, t, u.last.Ticket())
	return true
}

// NoteKeyUse records that the long-term access key (AKIA…) that signed the
// request in ctx was used, now, with the request's service and region: at
// most once a lastUsedGranularity per key on each server, as bookkeeping
// written apart from the key (AWS's last-used information is also late by
// minutes). Session keys (ASIA…) are not recorded, as in AWS. A failure to
// record it does not fail the call. The router calls it for every call.
func (s *Store) NoteKeyUse(ctx context.Context) {
	r := sealbox.RequestFromContext(ctx)
	if r == nil || !strings.HasPrefix(r.Principal.AccessKeyID, "AKIA") {
		return
	}
	id, t := r.Principal.AccessKeyID, now(r.Time)
	if r.Time.IsZero() {
		t = now(s.clock.Now())
	}
	if !s.keyUses.due(id, t) {
		return
	}
	service := r.Service
	if service == "" {
		service = "N/A"
	}
	_ = s.store.Batch(store.Bookkeeping(ctx), func(tx store.Tx) error {
		if _, err := tx.Get(AccessKeyKey(id)); err != nil {
			return err // deleted meanwhile: nothing to record
		}
		return store.PutJSON(tx, KeyUsedKey(id), KeyUsedRecord{Date: t, Service: service, Region: r.Region})
	})
}

// LastUsedGranularity is how stale a role's RoleLastUsed may be before
// AssumeRole records it again (AWS's is also reported late).
const LastUsedGranularity = time.Minute
