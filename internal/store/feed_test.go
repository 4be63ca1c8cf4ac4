package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

func TestFeedStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.WithFeed(memstore.New()) })
}

func TestFeedReportsCommittedChanges(t *testing.T) {
	ctx := context.Background()
	f := store.WithFeed(memstore.New())
	var mu sync.Mutex
	var got []store.Change
	cancel := f.Watch("kms/", func(c store.Change) {
		mu.Lock()
		got = append(got, c)
		mu.Unlock()
	})
	f.Update(ctx, func(tx store.Tx) error {
		tx.Put("kms/a", []byte("1"))
		tx.Put("iam/x", []byte("1"))
		return tx.Delete("kms/b")
	})
	f.Update(ctx, func(tx store.Tx) error {
		tx.Put("kms/rolled-back", []byte("1"))
		return errors.New("abort")
	})
	want := []store.Change{{Key: "kms/a"}, {Key: "kms/b", Deleted: true}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("changes = %+v, want %+v", got, want)
	}
	cancel()
	f.Update(ctx, func(tx store.Tx) error { return tx.Put("kms/after-cancel", nil) })
	if len(got) != 2 {
		t.Fatalf("a cancelled watcher was called: %+v", got)
	}
}

// TestFeedCallsWatchersInOrder: every commit reaches the watchers in the
// order they were registered, Watch and WatchCommits alike, and a
// cancelled watcher leaves the others' order alone. A cache built on
// another (the authorizer's on the identity store's) relies on it.
func TestFeedCallsWatchersInOrder(t *testing.T) {
	ctx := context.Background()
	f := store.WithFeed(memstore.New())
	var got []int
	var cancels []func()
	for i := range 8 {
		if i%2 == 0 {
			cancels = append(cancels, f.Watch("iam/", func(store.Change) { got = append(got, i) }))
		} else {
			cancels = append(cancels, f.WatchCommits("iam/", func([]store.Change) { got = append(got, i) }))
		}
	}
	cancels[3]()
	for round := range 50 {
		got = got[:0]
		f.Update(ctx, func(tx store.Tx) error { return tx.Put("iam/user/alice", nil) })
		if want := []int{0, 1, 2, 4, 5, 6, 7}; !slices.Equal(got, want) {
			t.Fatalf("round %d: watchers called in the order %v, want %v", round, got, want)
		}
	}
}

// TestWatchCommits: a commit's changes under the prefix come in one call,
// a rolled-back transaction's and other prefixes' not at all.
func TestWatchCommits(t *testing.T) {
	ctx := context.Background()
	f := store.WithFeed(memstore.New())
	var commits [][]store.Change
	cancel := f.WatchCommits("sm/", func(cs []store.Change) { commits = append(commits, cs) })
	defer cancel()
	f.Update(ctx, func(tx store.Tx) error {
		tx.Put("sm/r/secret/a", []byte("1"))
		tx.Put("kms/k", []byte("1"))
		return tx.Put("sm/r/value/a:1", []byte("1"))
	})
	f.Update(ctx, func(tx store.Tx) error { return tx.Put("kms/only", []byte("1")) })
	f.Update(ctx, func(tx store.Tx) error {
		tx.Put("sm/r/secret/b", []byte("1"))
		return errors.New("abort")
	})
	if len(commits) != 1 || len(commits[0]) != 2 || commits[0][0].Key != "sm/r/secret/a" || commits[0][1].Key != "sm/r/value/a:1" {
		t.Fatalf("commits = %+v, want one of the two sm/ changes", commits)
	}
}
