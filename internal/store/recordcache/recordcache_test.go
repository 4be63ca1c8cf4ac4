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

type sharedRec struct {
	N      int
	shared bool
}

func (r *sharedRec) Share() { r.shared = true }

// A Hot transaction answers what the cache holds and reports anything
// else: a record not cached (whatever the caller made of the error), a
// write, a scan. A record View caches was prepared with Share.
func TestHot(t *testing.T) {
	ctx := context.Background()
	st := store.WithFeed(memstore.New())
	c := New(st, "r/")
	st.Update(ctx, func(tx store.Tx) error { return store.PutJSON(tx, "r/a", sharedRec{N: 1}) })

	tx := c.Hot()
	if _, err := Get[sharedRec](tx, "r/a"); err == nil {
		t.Fatal("Hot served a record never read")
	}
	if Done(tx) {
		t.Fatal("Done after a miss = true, want false")
	}
	var viewed *sharedRec
	if err := c.View(ctx, st, func(tx store.Tx) (err error) { viewed, err = Get[sharedRec](tx, "r/a"); return err }); err != nil {
		t.Fatal(err)
	}
	if !viewed.shared {
		t.Error("a record the cache shares was not prepared (Share)")
	}
	tx = c.Hot()
	got, err := Get[sharedRec](tx, "r/a")
	if err != nil || got != viewed || !Done(tx) {
		t.Fatalf("Hot read of a cached record = %v, %v; want the cached %p and Done", got, err, viewed)
	}
	for name, touch := range map[string]func(store.Tx){
		"swallowed miss": func(tx store.Tx) { Get[sharedRec](tx, "r/b") },
		"put":            func(tx store.Tx) { tx.Put("r/a", nil) },
		"delete":         func(tx store.Tx) { tx.Delete("r/a") },
		"scan":           func(tx store.Tx) { tx.Scan("r/", "", func(string, []byte) error { return nil }) },
		"get":            func(tx store.Tx) { tx.Get("r/a") },
		"decode":         func(tx store.Tx) { Decode[sharedRec](tx, "r/c", []byte(`{"N":3}`)) },
	} {
		tx := c.Hot()
		touch(tx)
		if Done(tx) {
			t.Errorf("Done after a %s = true, want false", name)
		}
	}
	if _, ok := c.lookup("r/c"); ok {
		t.Error("a Hot transaction filled the cache")
	}
	if (*Cache)(nil).Hot() != nil {
		t.Error("a nil Cache's Hot is not nil")
	}
	// The hit path allocates nothing.
	if n := testing.AllocsPerRun(100, func() {
		tx := c.Hot()
		Get[sharedRec](tx, "r/a")
		Done(tx)
	}); n != 0 && !raceEnabled {
		t.Errorf("a Hot hit allocates %v times, want none", n)
	}
}
