// Package memstore is a map-backed store.Store for unit tests: no files, no
// fsync, the same semantics as the real backends (it passes the storetest
// conformance suite).
//
// It is deliberately strict where the contract is easy to break unnoticed:
// values handed out by Get and Scan are copies that are scrubbed (overwritten
// with 0xA5) when the transaction (for Scan: the callback) ends. Code that
// keeps such a slice without copying it works by luck on bbolt, whose values
// live in an mmap that stays readable until it is remapped; here it fails at
// once, in a unit test.
package memstore

import (
	"context"
	"slices"
	"strings"
	"sync"

	"github.com/sealbox/sealbox/internal/store"
)

// Store keeps everything in memory; it is lost when the process ends.
//
// The zero value is an empty, open store ready for use. Safe for concurrent
// use: one Update runs at a time and excludes every View (a sync.RWMutex held
// for the transaction), so a View always sees committed data only.
type Store struct {
	mu     sync.RWMutex
	closed bool
	data   map[string][]byte
	keys   []string // the keys of data, sorted bytewise, for Scan
}

var _ store.Store = (*Store)(nil)

// New returns an empty store. It is the same as new(Store).
func New() *Store { return new(Store) }

// View runs fn in a read-only transaction. A ctx already done when View is
// called (or when its turn comes) means fn is not run and ctx.Err() is
// returned.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &tx{s: s, readOnly: true}
	defer t.end()
	return fn(t)
}

// Update runs fn in a read-write transaction. fn's writes are applied to the
// map as they happen (readers are locked out meanwhile) and undone from a
// log if fn returns an error or panics.
// Batch is Update: a memory store has no commit to share.
func (s *Store) Batch(ctx context.Context, fn func(store.Tx) error) error { return s.Update(ctx, fn) }

func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return store.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	t := &tx{s: s, undo: make(map[string]undoEntry)}
	committed := false
	defer func() {
		if !committed {
			t.rollback()
		}
		t.end()
	}()
	if err := fn(t); err != nil {
		return err
	}
	committed = true
	return nil
}

// Close marks the store closed once the transactions in flight have ended;
// later View and Update calls return store.ErrClosed. Closing twice is not
// an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// set stores v (which the caller no longer touches) under key.
func (s *Store) set(key string, v []byte) {
	if s.data == nil {
		s.data = make(map[string][]byte)
	}
	if _, ok := s.data[key]; !ok {
		i, _ := slices.BinarySearch(s.keys, key)
		s.keys = slices.Insert(s.keys, i, key)
	}
	s.data[key] = v
}

func (s *Store) remove(key string) {
	if _, ok := s.data[key]; !ok {
		return
	}
	delete(s.data, key)
	if i, ok := slices.BinarySearch(s.keys, key); ok {
		s.keys = slices.Delete(s.keys, i, i+1)
	}
}

// firstAfter returns the index in s.keys of the first key that starts with
// prefix and sorts strictly after after, or -1 when there is none.
func (s *Store) firstAfter(prefix, after string) int {
	i, _ := slices.BinarySearch(s.keys, prefix)
	if after >= prefix {
		j, found := slices.BinarySearch(s.keys, after)
		if found {
			j++
		}
		i = max(i, j)
	}
	if i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix) {
		return i
	}
	return -1
}
