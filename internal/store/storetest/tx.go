package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

var txCases = []testCase{
	{"ReadYourWrites", func(t *testing.T, s store.Store) {
		put(t, s, "gone", []byte("x"))
		err := s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("new", []byte("n")); err != nil {
				return err
			}
			if err := tx.Delete("gone"); err != nil {
				return err
			}
			if v, err := tx.Get("new"); err != nil || string(v) != "n" {
				t.Errorf("Get(%q) in the tx that put it = %q, %v; want %q, nil", "new", v, err, "n")
			}
			if _, err := tx.Get("gone"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Get(%q) in the tx that deleted it err = %v, want ErrNotFound", "gone", err)
			}
			var keys []string
			err := tx.Scan("", "", func(k string, _ []byte) error { keys = append(keys, k); return nil })
			if err != nil || !slices.Equal(keys, []string{"new"}) {
				t.Errorf("Scan in the tx = %q, %v; want %q, nil", keys, err, []string{"new"})
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Update = %v, want nil", err)
		}
	}},
	{"UpdateErrorRollsBack", func(t *testing.T, s store.Store) {
		put(t, s, "kept", []byte("before"))
		put(t, s, "deleted", []byte("before"))
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for _, op := range []error{
				tx.Put("kept", []byte("after")),
				tx.Put("kept", []byte("after again")),
				tx.Delete("deleted"),
				tx.Put("added", []byte("after")),
				tx.Put("added-then-deleted", []byte("x")),
				tx.Delete("added-then-deleted"),
			} {
				if op != nil {
					t.Errorf("write in tx = %v, want nil", op)
				}
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("Update whose fn fails = %v, want fn's error", err)
		}
		if got := mustGet(t, s, "kept"); string(got) != "before" {
			t.Errorf("Get(%q) after a failed Update = %q, want %q", "kept", got, "before")
		}
		if got := mustGet(t, s, "deleted"); string(got) != "before" {
			t.Errorf("Get(%q) after a failed Update that deleted it = %q, want %q", "deleted", got, "before")
		}
		wantMissing(t, s, "added")
		wantMissing(t, s, "added-then-deleted")
		if got := scanKeys(t, s, "", ""); !slices.Equal(got, []string{"deleted", "kept"}) {
			t.Errorf("Scan after a failed Update = %q, want %q", got, []string{"deleted", "kept"})
		}
	}},
	{"UpdatePanicRollsBack", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("before"))
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Update whose fn panics did not re-panic")
				}
			}()
			s.Update(context.Background(), func(tx store.Tx) error {
				tx.Put("k", []byte("after"))
				panic("boom")
			})
		}()
		if got := mustGet(t, s, "k"); string(got) != "before" {
			t.Errorf("Get(%q) after an Update that panicked = %q, want %q", "k", got, "before")
		}
		put(t, s, "k", []byte("usable")) // the store is not left locked
	}},
	{"ViewIsReadOnly", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("v"))
		err := s.View(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("k", []byte("x")); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Put in View = %v, want ErrReadOnly", err)
			}
			if err := tx.Put("new", []byte("x")); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Put(new key) in View = %v, want ErrReadOnly", err)
			}
			if err := tx.Delete("k"); !errors.Is(err, store.ErrReadOnly) {
				t.Errorf("Delete in View = %v, want ErrReadOnly", err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("View = %v, want nil", err)
		}
		if got := mustGet(t, s, "k"); string(got) != "v" {
			t.Errorf("Get(%q) after a View tried to write = %q, want %q", "k", got, "v")
		}
		wantMissing(t, s, "new")
	}},
	{"TxUnusableAfterFn", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("v"))
		var kept store.Tx
		s.Update(context.Background(), func(tx store.Tx) error { kept = tx; return nil })
		if _, err := kept.Get("k"); err == nil {
			t.Errorf("Get on a Tx after its Update returned: err = nil, want an error")
		}
		if err := kept.Put("k", []byte("late")); err == nil {
			t.Errorf("Put on a Tx after its Update returned = nil, want an error")
		}
		if err := kept.Scan("", "", func(string, []byte) error { return nil }); err == nil {
			t.Errorf("Scan on a Tx after its Update returned = nil, want an error")
		}
		if got := mustGet(t, s, "k"); string(got) != "v" {
			t.Errorf("Get(%q) = %q, want %q", "k", got, "v")
		}
	}},
}
