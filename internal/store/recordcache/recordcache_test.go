package recordcache

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

type rec struct{ N int }

func TestCacheServesAndInvalidates(t *testing.T) {
	ctx := context.Background()
	st := store.WithFeed(memstore.New())
	c := New(st, "r/")
	st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, "r/a", rec{1}) })
	read := func() *rec {
		var got *rec
		if err := c.View(ctx, st, func(tx store.Tx) (err error) { got, err = Get[rec](tx, "r/a"); return err }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := read()
	if second := read(); second != first || first.N != 1 {
		t.Fatalf("second read = %p (%v), want the cached %p", second, second, first)
	}
	st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, "r/a", rec{2}) })
	if got := read(); got.N != 2 {
		t.Fatalf("read after a change = %v, want N=2", got)
	}
}

func TestAReadThatRacedACommitDoesNotFill(t *testing.T) {
	ctx := context.Background()
	st := store.WithFeed(memstore.New())
	c := New(st, "r/")
	st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, "r/a", rec{1}) })
	err := c.View(ctx, st, func(tx store.Tx) error {
		c.invalidate("r/a") // a commit lands while this read is under way
		_, err := Get[rec](tx, "r/a")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.lookup("r/a"); ok {
		t.Fatalf("a read that began before an invalidation filled the cache")
	}
}

func TestNilCacheAndWrites(t *testing.T) {
	ctx := context.Background()
	st := store.WithFeed(memstore.New())
	var c *Cache
	st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, "r/a", rec{1}) })
	if err := c.View(ctx, st, func(tx store.Tx) error { _, err := Get[rec](tx, "r/a"); return err }); err != nil {
		t.Fatalf("nil cache: %v", err)
	}
	// A View whose fn must write runs again as an Update.
	runs := 0
	err := New(st, "r/").View(ctx, st, func(tx store.Tx) error {
		runs++
		return tx.Put("r/b", []byte(`{"N":3}`))
	})
	if err != nil || runs != 2 {
		t.Fatalf("View with a write = %v after %d runs, want nil after 2", err, runs)
	}
}
