package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
)

// scanKeySet shares prefixes on purpose ("a" is a prefix of all but three)
// and includes keys whose order differs between bytewise and
// locale-aware collation ("B" < "a" < "é" bytewise), so a backend that
// sorts any other way fails.
var scanKeySet = []string{"b", "a/b", "ab", "a", "a/", "B", "é", "a/b/c"}

var scanCases = []testCase{
	{"ScanOrder", func(t *testing.T, s store.Store) {
		for _, k := range scanKeySet {
			put(t, s, k, []byte("value of "+k))
		}
		tests := []struct {
			prefix, after string
			want          []string
		}{
			{"", "", []string{"B", "a", "a/", "a/b", "a/b/c", "ab", "b", "é"}},
			{"a", "", []string{"a", "a/", "a/b", "a/b/c", "ab"}},
			{"a/", "", []string{"a/", "a/b", "a/b/c"}},
			{"a/b", "", []string{"a/b", "a/b/c"}},
			{"ab", "", []string{"ab"}},
			{"c", "", []string{}},
			{"", "a/", []string{"a/b", "a/b/c", "ab", "b", "é"}},
			{"a", "a", []string{"a/", "a/b", "a/b/c", "ab"}},
			{"a", "a/a", []string{"a/b", "a/b/c", "ab"}}, // after need not exist
			{"a/", "a", []string{"a/", "a/b", "a/b/c"}},  // after sorts before prefix
			{"a/", "a/b/c", []string{}},                  // after is the last match
			{"a", "zz", []string{}},                      // after sorts past every match
			{"", "é", []string{}},
		}
		for _, tt := range tests {
			if got := scanKeys(t, s, tt.prefix, tt.after); !slices.Equal(got, tt.want) {
				t.Errorf("Scan(%q, %q) = %q, want %q", tt.prefix, tt.after, got, tt.want)
			}
		}
	}},
	{"ScanValues", func(t *testing.T, s store.Store) {
		for _, k := range scanKeySet {
			put(t, s, k, []byte("value of "+k))
		}
		err := s.View(context.Background(), func(tx store.Tx) error {
			return tx.Scan("", "", func(k string, v []byte) error {
				if want := "value of " + k; string(v) != want {
					t.Errorf("Scan callback value for %q = %q, want %q", k, v, want)
				}
				return nil
			})
		})
		if err != nil {
			t.Fatalf("Scan = %v, want nil", err)
		}
	}},
	{"ScanStop", func(t *testing.T, s store.Store) {
		for _, k := range scanKeySet {
			put(t, s, k, nil)
		}
		var seen []string
		err := s.View(context.Background(), func(tx store.Tx) error {
			return tx.Scan("a", "", func(k string, _ []byte) error {
				seen = append(seen, k)
				if len(seen) == 2 {
					return store.ErrStop
				}
				return nil
			})
		})
		if err != nil {
			t.Errorf("Scan whose callback returns ErrStop = %v, want nil", err)
		}
		if want := []string{"a", "a/"}; !slices.Equal(seen, want) {
			t.Errorf("Scan visited %q before ErrStop, want %q", seen, want)
		}
	}},
	{"ScanCallbackError", func(t *testing.T, s store.Store) {
		for _, k := range scanKeySet {
			put(t, s, k, nil)
		}
		calls := 0
		err := s.View(context.Background(), func(tx store.Tx) error {
			return tx.Scan("", "", func(string, []byte) error {
				calls++
				return fmt.Errorf("wrapped: %w", errBoom)
			})
		})
		if !errors.Is(err, errBoom) {
			t.Errorf("Scan whose callback fails = %v, want the callback's error", err)
		}
		if calls != 1 {
			t.Errorf("callback ran %d times after failing, want 1", calls)
		}
	}},
	{"ScanDeleteAsYouGo", func(t *testing.T, s store.Store) {
		// Deleting a prefix by scanning it is the common way to drop a
		// resource; no key may be skipped.
		for i := range 50 {
			put(t, s, fmt.Sprintf("del/%02d", i), []byte("x"))
		}
		put(t, s, "keep", []byte("x"))
		visited := 0
		err := s.Update(context.Background(), func(tx store.Tx) error {
			// A write first, so the scan runs over pages this tx already
			// changed (bbolt's cursor behaves differently there).
			if err := tx.Put("del/25x", []byte("x")); err != nil {
				return err
			}
			return tx.Scan("del/", "", func(k string, _ []byte) error {
				visited++
				return tx.Delete(k)
			})
		})
		if err != nil {
			t.Fatalf("Update(Scan+Delete) = %v, want nil", err)
		}
		if visited != 51 {
			t.Errorf("Scan visited %d keys while deleting them, want 51", visited)
		}
		if got := scanKeys(t, s, "", ""); !slices.Equal(got, []string{"keep"}) {
			t.Errorf("keys left after deleting prefix %q = %q, want %q", "del/", got, []string{"keep"})
		}
	}},
	{"ScanPutAsYouGo", func(t *testing.T, s store.Store) {
		// Rewriting every value under a prefix visits each key once.
		for i := range 20 {
			put(t, s, fmt.Sprintf("p/%02d", i), []byte("old"))
		}
		var seen []string
		err := s.Update(context.Background(), func(tx store.Tx) error {
			return tx.Scan("p/", "", func(k string, _ []byte) error {
				seen = append(seen, k)
				return tx.Put(k, []byte("new"))
			})
		})
		if err != nil {
			t.Fatalf("Update(Scan+Put) = %v, want nil", err)
		}
		if len(seen) != 20 || !slices.IsSorted(seen) || len(slices.Compact(slices.Clone(seen))) != 20 {
			t.Errorf("Scan while overwriting visited %q, want each of the 20 keys once, in order", seen)
		}
		for _, k := range seen {
			if got := mustGet(t, s, k); string(got) != "new" {
				t.Errorf("Get(%q) = %q, want %q", k, got, "new")
			}
		}
	}},
}
