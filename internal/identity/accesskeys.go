// Package identity keeps the principals and their access keys. For now it
// holds the administrator's key pair (the account's root-equivalent
// principal, made on first start); IAM users, roles and STS come with the
// identity issue and land here. Secrets are stored only through the barrier.
package identity

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
)

// Store serves access-key lookups for request verification and manages the
// administrator key. Lookups are cached in memory; the store's change feed
// drops an entry the moment its key changes. Safe for concurrent use.
type Store struct {
	store   store.Store
	account string
	clock   clock.Clock
	cache   sync.Map // access key id → sigv4.Key
}

// New returns a Store over st for the account; feed invalidates its cache.
func New(st store.Store, feed store.Feed, account string, c clock.Clock) *Store {
	if c == nil {
		c = clock.Real{}
	}
	s := &Store{store: st, account: account, clock: c}
	feed.Watch("iam/accesskey/", func(ch store.Change) {
		s.cache.Delete(strings.TrimPrefix(ch.Key, "iam/accesskey/"))
	})
	return s
}

type accessKeyRecord struct {
	ID      string    `json:"id"`
	Secret  string    `json:"secret"`
	Status  string    `json:"status"`
	Owner   string    `json:"owner"` // "root" for the administrator
	Created time.Time `json:"created"`
}

const adminPointer = "iam/admin-access-key"

func accessKeyKey(id string) string { return "iam/accesskey/" + id }

// RootPrincipal is the account's root-equivalent principal.
func (s *Store) RootPrincipal(accessKeyID string) sealbox.Principal {
	return sealbox.Principal{
		Type:        "Root",
		ARN:         "arn:aws:iam::" + s.account + ":root",
		AccountID:   s.account,
		PrincipalID: s.account,
		AccessKeyID: accessKeyID,
	}
}

// EnsureAdmin makes sure the administrator has an access key. With a preset
// pair (both non-empty) that pair becomes the administrator's; otherwise an
// existing pair is kept, or a new one made. created reports a new or
// changed pair, which the caller writes to the credentials file.
func (s *Store) EnsureAdmin(ctx context.Context, presetID, presetSecret string) (id, secret string, created bool, err error) {
	if (presetID == "") != (presetSecret == "") {
		return "", "", false, errors.New("both the admin access key id and its secret must be set, or neither")
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var cur accessKeyRecord
		ptr, err := tx.Get(adminPointer)
		switch {
		case err == nil:
			if err := store.GetJSON(tx, accessKeyKey(string(ptr)), &cur); err != nil {
				return fmt.Errorf("failed to read the admin access key: %w", err)
			}
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if presetID == "" && cur.ID != "" {
			id, secret = cur.ID, cur.Secret
			return nil
		}
		if presetID != "" && cur.ID == presetID && cur.Secret == presetSecret {
			id, secret = cur.ID, cur.Secret
			return nil
		}
		if presetID != "" {
			id, secret = presetID, presetSecret
		} else {
			id, secret = ids.AccessKeyID("AKIA"), newSecret()
		}
		if cur.ID != "" && cur.ID != id {
			if err := tx.Delete(accessKeyKey(cur.ID)); err != nil {
				return err
			}
		}
		rec := accessKeyRecord{ID: id, Secret: secret, Status: "Active", Owner: "root", Created: s.clock.Now().UTC()}
		if err := store.PutJSON(tx, accessKeyKey(id), rec); err != nil {
			return err
		}
		created = true
		return tx.Put(adminPointer, []byte(id))
	})
	return id, secret, created, err
}

// LookupAccessKey implements sigv4.Credentials.
func (s *Store) LookupAccessKey(ctx context.Context, accessKeyID string) (sigv4.Key, error) {
	if k, ok := s.cache.Load(accessKeyID); ok {
		return k.(sigv4.Key), nil
	}
	var rec accessKeyRecord
	err := s.store.View(ctx, func(tx store.Tx) error { return store.GetJSON(tx, accessKeyKey(accessKeyID), &rec) })
	if errors.Is(err, store.ErrNotFound) || (err == nil && rec.Status != "Active") {
		return sigv4.Key{}, sigv4.ErrUnknownAccessKey
	}
	if err != nil {
		return sigv4.Key{}, err
	}
	k := sigv4.Key{Secret: rec.Secret, Principal: s.RootPrincipal(rec.ID)}
	s.cache.Store(accessKeyID, k)
	return k, nil
}

// newSecret returns a 40-character secret access key in AWS's alphabet.
func newSecret() string {
	b := make([]byte, 30)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}
