package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

// RunPersistent checks that committed data, and only committed data,
// survives closing and reopening a store. open opens the store kept in dir
// (the same dir for both opens); RunPersistent closes what it opens.
func RunPersistent(t *testing.T, open func(t *testing.T, dir string) store.Store) {
	t.Helper()
	t.Run("Reopen", func(t *testing.T) {
		dir := t.TempDir()
		s := open(t, dir)
		put(t, s, "a/1", []byte("one"))
		put(t, s, "a/2", []byte("two"))
		put(t, s, "gone", []byte("x"))
		err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Delete("gone") })
		if err != nil {
			t.Fatalf("Update(Delete) = %v, want nil", err)
		}
		err = s.Update(context.Background(), func(tx store.Tx) error {
			tx.Put("a/3", []byte("never committed"))
			return errBoom
		})
		if err == nil {
			t.Fatalf("Update whose fn fails = nil, want its error")
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close() = %v, want nil", err)
		}

		s = open(t, dir)
		defer s.Close()
		if got := mustGet(t, s, "a/2"); string(got) != "two" {
			t.Errorf("Get(%q) after reopen = %q, want %q", "a/2", got, "two")
		}
		wantMissing(t, s, "gone")
		wantMissing(t, s, "a/3")
		if got, want := scanKeys(t, s, "", ""), []string{"a/1", "a/2"}; !slices.Equal(got, want) {
			t.Errorf("Scan after reopen = %q, want %q", got, want)
		}
	})
}
