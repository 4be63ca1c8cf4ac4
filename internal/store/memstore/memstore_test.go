package memstore_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestZeroValue(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		var s memstore.Store // no constructor: the zero value must work
		return &s
	})
}

// A value kept past its transaction is scrubbed, so the bug shows in tests.
func TestLentValuesScrubbed(t *testing.T) {
	s := memstore.New()
	ctx := context.Background()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", []byte("secret")) }); err != nil {
		t.Fatalf("Update = %v", err)
	}
	var kept, scanned []byte
	err := s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("k")
		kept = v
		if err != nil {
			return err
		}
		return tx.Scan("", "", func(_ string, v []byte) error { scanned = v; return nil })
	})
	if err != nil {
		t.Fatalf("View = %v", err)
	}
	for name, v := range map[string][]byte{"Get": kept, "Scan": scanned} {
		if string(v) == "secret" {
			t.Errorf("value from %s still readable after its lifetime: %q, want it scrubbed", name, v)
		}
	}
	// The store's own copy is untouched.
	err = s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("k")
		if err == nil && string(v) != "secret" {
			t.Errorf("Get(%q) = %q, want %q", "k", v, "secret")
		}
		return err
	})
	if err != nil {
		t.Fatalf("View = %v", err)
	}
}
