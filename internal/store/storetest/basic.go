package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

var basicCases = []testCase{
	{"GetMissing", func(t *testing.T, s store.Store) {
		wantMissing(t, s, "nope")
	}},
	{"PutGet", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("v1"))
		if got := mustGet(t, s, "k"); string(got) != "v1" {
			t.Errorf("Get(%q) = %q, want %q", "k", got, "v1")
		}
	}},
	{"Overwrite", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("first value, longer"))
		put(t, s, "k", []byte("second"))
		if got := mustGet(t, s, "k"); string(got) != "second" {
			t.Errorf("Get(%q) after two Puts = %q, want %q", "k", got, "second")
		}
	}},
	{"Delete", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("v"))
		put(t, s, "other", []byte("o"))
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("k") })
		if err != nil {
			t.Fatalf("Update(Delete(%q)) = %v, want nil", "k", err)
		}
		wantMissing(t, s, "k")
		if got := mustGet(t, s, "other"); string(got) != "o" {
			t.Errorf("Get(%q) after deleting another key = %q, want %q", "other", got, "o")
		}
	}},
	{"DeleteMissing", func(t *testing.T, s store.Store) {
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("nope") })
		if err != nil {
			t.Errorf("Update(Delete(missing)) = %v, want nil", err)
		}
	}},
	{"EmptyValue", func(t *testing.T, s store.Store) {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for _, v := range [][]byte{{}, nil} {
				if err := tx.Put("in-tx", v); err != nil {
					return err
				}
				if got, err := tx.Get("in-tx"); err != nil || len(got) != 0 {
					t.Errorf("Get(%q) in the tx that put %#v = %q, %v; want empty value, nil", "in-tx", v, got, err)
				}
			}
			return tx.Delete("in-tx")
		})
		if err != nil {
			t.Fatalf("Update = %v, want nil", err)
		}
		put(t, s, "empty", []byte{})
		put(t, s, "nil", nil)
		for _, k := range []string{"empty", "nil"} {
			got, err := get(t, s, k)
			if err != nil || len(got) != 0 {
				t.Errorf("Get(%q) = %q, %v; want empty value, nil", k, got, err)
			}
		}
		if got := scanKeys(t, s, "", ""); len(got) != 2 {
			t.Errorf("Scan over empty values = %q, want both keys", got)
		}
	}},
	{"EmptyKeyRejected", func(t *testing.T, s store.Store) {
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put("", []byte("v")) })
		if err == nil {
			t.Errorf("Update(Put(\"\")) = nil, want an error")
		}
	}},
	{"LargeValue", func(t *testing.T, s store.Store) {
		big := make([]byte, 1<<20)
		rand.Read(big)
		put(t, s, "big", big)
		if got := mustGet(t, s, "big"); !bytes.Equal(got, big) {
			t.Errorf("Get(%q) of a 1 MiB value: got %d bytes that differ, want the value put", "big", len(got))
		}
	}},
	{"PutCopiesValue", func(t *testing.T, s store.Store) {
		v := []byte("original")
		err := s.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.Put("k", v); err != nil {
				return err
			}
			copy(v, "MUTATED!")
			got, err := tx.Get("k")
			if err != nil {
				return err
			}
			if string(got) != "original" {
				t.Errorf("Get(%q) in the same tx after the caller mutated the Put slice = %q, want %q", "k", got, "original")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Update = %v, want nil", err)
		}
		copy(v, "AGAIN!!!")
		if got := mustGet(t, s, "k"); string(got) != "original" {
			t.Errorf("Get(%q) after commit = %q, want %q", "k", got, "original")
		}
	}},
	{"Closed", func(t *testing.T, s store.Store) {
		put(t, s, "k", []byte("v"))
		if err := s.Close(); err != nil {
			t.Fatalf("Close() = %v, want nil", err)
		}
		called := false
		fn := func(store.Tx) error { called = true; return nil }
		if err := s.View(context.Background(), fn); !errors.Is(err, store.ErrClosed) {
			t.Errorf("View after Close = %v, want ErrClosed", err)
		}
		if err := s.Update(context.Background(), fn); !errors.Is(err, store.ErrClosed) {
			t.Errorf("Update after Close = %v, want ErrClosed", err)
		}
		if called {
			t.Errorf("fn ran after Close, want it not run")
		}
		if err := s.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
	}},
	{"CanceledContext", func(t *testing.T, s store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		called := false
		fn := func(tx store.Tx) error { called = true; return tx.Put("k", []byte("v")) }
		if err := s.View(ctx, func(store.Tx) error { called = true; return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("View(canceled ctx) = %v, want context.Canceled", err)
		}
		if err := s.Update(ctx, fn); !errors.Is(err, context.Canceled) {
			t.Errorf("Update(canceled ctx) = %v, want context.Canceled", err)
		}
		if called {
			t.Errorf("fn ran under a canceled ctx, want it not run")
		}
		wantMissing(t, s, "k")
	}},
}
