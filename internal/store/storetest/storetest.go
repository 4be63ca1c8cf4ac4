// Package storetest is the conformance suite every store.Store runs: the
// backends (memstore, boltstore, pgstore) and the barrier over each of
// them. A behaviour the services rely on belongs here, tested once, against
// the real thing.
//
// Use it from a backend's _test.go:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
//	}
package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

// errBoom is what test callbacks fail with; tests look for it with errors.Is.
var errBoom = errors.New("storetest: boom")

type testCase struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs every case as a subtest, each against a fresh, empty store from
// open. Run closes each store when its subtest ends (so a store that open
// also closes through t.Cleanup must accept a second Close).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	cases := slices.Concat(basicCases, scanCases, txCases, concurrencyCases, batchCases)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close() = %v, want nil", err)
				}
			})
			c.fn(t, s)
		})
	}
}

// put commits key=value in its own Update or fails the test.
func put(t *testing.T, s store.Store, key string, value []byte) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		return tx.Put(key, value)
	})
	if err != nil {
		t.Fatalf("Update(Put(%q)) = %v, want nil", key, err)
	}
}

// get reads key in its own View, copying the value out of the transaction.
func get(t *testing.T, s store.Store, key string) ([]byte, error) {
	t.Helper()
	var out []byte
	err := s.View(context.Background(), func(tx store.Tx) error {
		v, err := tx.Get(key)
		if err != nil {
			return err
		}
		out = slices.Clone(v)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	return out, err
}

// mustGet is get that fails the test on any error.
func mustGet(t *testing.T, s store.Store, key string) []byte {
	t.Helper()
	v, err := get(t, s, key)
	if err != nil {
		t.Fatalf("Get(%q) err = %v, want nil", key, err)
	}
	return v
}

// wantMissing fails the test unless key is absent.
func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	if v, err := get(t, s, key); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%q) = %q, %v; want ErrNotFound", key, v, err)
	}
}

// scanKeys returns the keys Scan(prefix, after) visits in a View.
func scanKeys(t *testing.T, s store.Store, prefix, after string) []string {
	t.Helper()
	keys := []string{}
	err := s.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan(prefix, after, func(k string, _ []byte) error {
			keys = append(keys, k)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("Scan(%q, %q) err = %v, want nil", prefix, after, err)
	}
	return keys
}
