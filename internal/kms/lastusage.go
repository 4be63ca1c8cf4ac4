package kms

// GetKeyLastUsage: the last successful cryptographic use of a key. A use is
// noted in memory (a map write under a mutex, no allocation for a key
// already noted); the sweeper (RunDue) writes what was noted since its last
// run to the store, one record a key, and forgets it. The cryptographic
// operations' hot path never writes to the store.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// usageRecord is a key's last use as stored, under kms/<region>/usage/<id>.
type usageRecord struct {
	At        time.Time `json:"at"`
	Operation string    `json:"operation"`
	RequestID string    `json:"requestId,omitempty"`
}

func usageStoreKey(region, id string) string { return "kms/" + region + "/usage/" + id }

// usageLog holds the uses noted since the last flush, by key ARN.
type usageLog struct {
	mu sync.Mutex
	m  map[string]usageRecord
}

func (l *usageLog) note(arn string, u usageRecord) {
	l.mu.Lock()
	if l.m == nil {
		l.m = make(map[string]usageRecord)
	}
	if old, ok := l.m[arn]; !ok || !u.At.Before(old.At) {
		l.m[arn] = u
	}
	l.mu.Unlock()
}

func (l *usageLog) get(arn string) (usageRecord, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u, ok := l.m[arn]
	return u, ok
}

func (l *usageLog) forget(arn string) {
	l.mu.Lock()
	delete(l.m, arn)
	l.mu.Unlock()
}

// take returns the uses noted and empties the log.
func (l *usageLog) take() map[string]usageRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.m
	l.m = nil
	return m
}

// Tracked wraps the cryptographic operation op so that its success notes
// a use of each key it named (GetKeyLastUsage).
func Tracked[I, O any](s *Service, op string, fn func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		out, err := fn(ctx, in)
		s.NoteUse(ctx, op, err)
		return out, err
	}
}

// NoteUse notes, when err is nil, a use by op of each key the call named:
// for a call made on a caller's behalf, which no Tracked route wraps.
func (s *Service) NoteUse(ctx context.Context, op string, err error) {
	if err == nil {
		s.noteUse(ctx, op)
	}
}

func (s *Service) noteUse(ctx context.Context, op string) {
	r := sealbox.RequestFromContext(ctx)
	if r == nil {
		return
	}
	var now time.Time
	for _, res := range r.Resources {
		if res.Type != resourceTypeKey {
			continue
		}
		if now.IsZero() {
			now = s.clock.Now().UTC()
		}
		s.usage.note(res.ARN, usageRecord{At: now, Operation: op, RequestID: r.ID})
	}
}

// FlushUsage writes the key uses this server noted since the last flush
// to the store (GetKeyLastUsage). Every server calls it periodically,
// leader or not: the uses are noted in each server's memory. RunDue calls
// it too.
func (s *Service) FlushUsage(ctx context.Context) error { return s.flushUsage(ctx) }

// flushUsage writes the uses noted to the store, keeping the later of a
// stored use and a noted one (several servers may note uses of one key).
// A use of a key since deleted is dropped.
func (s *Service) flushUsage(ctx context.Context) error {
	var failed error
	for arn, u := range s.usage.take() {
		a, err := sealbox.ParseARN(arn)
		if err != nil {
			continue
		}
		id := strings.TrimPrefix(a.Resource, "key/")
		err = s.store.Update(ctx, func(tx store.Tx) error {
			if _, err := loadKey(tx, a.Region, id); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return nil
				}
				return err
			}
			var old usageRecord
			if err := store.GetJSON(tx, usageStoreKey(a.Region, id), &old); err == nil && old.At.After(u.At) {
				return nil
			}
			return store.PutJSON(tx, usageStoreKey(a.Region, id), u)
		})
		if err != nil {
			s.usage.note(arn, u) // kept for the next flush
			failed = err
		}
	}
	return failed
}

// GetKeyLastUsage answers when and by which operation a key was last used
// cryptographically. Tracking starts when the key is created.
func (s *Service) GetKeyLastUsage(ctx context.Context, in *GetKeyLastUsageRequest) (*GetKeyLastUsageResponse, error) {
	k, err := s.read(ctx, in.KeyId, "kms:GetKeyLastUsage", false)
	if err != nil {
		return nil, err
	}
	var u usageRecord
	err = s.store.View(ctx, func(tx store.Tx) error {
		err := store.GetJSON(tx, usageStoreKey(k.Region, k.ID), &u)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m, ok := s.usage.get(k.arn()); ok && m.At.After(u.At) {
		u = m
	}
	out := &GetKeyLastUsageResponse{KeyId: k.ID, TrackingStartDate: sealbox.At(k.Created), KeyCreationDate: sealbox.At(k.Created)}
	if !u.At.IsZero() {
		out.KeyLastUsage = &KeyLastUsageData{Operation: u.Operation, Timestamp: sealbox.At(u.At), KmsRequestId: u.RequestID}
	}
	return out, nil
}
