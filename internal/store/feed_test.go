package store_test

import (
	"context"
	"errors"
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
