package cache

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func write(t testing.TB, st *store.FeedStore, key, value string) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte(value)) }); err != nil {
		t.Fatal(err)
	}
}

// readThrough is the read path every cache user follows: the ticket
// before the read, the fill after it.
func readThrough(t testing.TB, c *Cache[string, string], st store.Store, key string, ticket func() Ticket, between func()) string {
	t.Helper()
	if v, ok := c.Get(key); ok {
		return v
	}
	tk := ticket()
	var v string
	err := st.View(context.Background(), func(tx store.Tx) error {
		b, err := tx.Get(key)
		v = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	between() // a commit lands, and its invalidation runs, before the fill
	c.Put(key, v, tk)
	return v
}

// The classic race: a read of the store at generation N, a change that
// commits and invalidates, then the fill of what was read. The fill must be
// refused, or the stale value stays cached until the next change.
func TestAFillRacingAnInvalidationIsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ticket func(c *Cache[string, string], key string) Ticket
		other  bool // the change is to another key of the same cache
		cached bool // whether the fill may still be cached
	}{
		{name: "Ticket/same key", ticket: func(c *Cache[string, string], _ string) Ticket { return c.Ticket() }},
		{name: "Ticket/other key", ticket: func(c *Cache[string, string], _ string) Ticket { return c.Ticket() }, other: true},
		{name: "TicketFor/same key", ticket: func(c *Cache[string, string], k string) Ticket { return c.TicketFor(k) }},
		{name: "TicketFor/other key", ticket: func(c *Cache[string, string], k string) Ticket { return c.TicketFor(k) }, other: true, cached: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := store.WithFeed(memstore.New())
			c := New[string, string](st, "test", 16)
			c.Follow("r/", ByKey)
			write(t, st, "r/a", "old")
			changed := "r/a"
			if tc.other {
				// A key of another stripe: a stripe shared by chance would
				// refuse the fill, which is safe but not what is tested.
				for i := 0; ; i++ {
					changed = fmt.Sprintf("r/b%d", i)
					if c.stripe(changed) != c.stripe("r/a") {
						break
					}
				}
			}
			got := readThrough(t, c, st, "r/a", func() Ticket { return tc.ticket(c, "r/a") }, func() { write(t, st, changed, "new") })
			if got != "old" {
				t.Fatalf("read = %q, want the value before the change", got)
			}
			v, ok := c.Get("r/a")
			if tc.other {
				if ok != tc.cached {
					t.Fatalf("after a change to %s, Get(r/a) cached = %v, want %v", changed, ok, tc.cached)
				}
				return
			}
			if ok {
				t.Fatalf("Get(r/a) = %q after the change: a fill read before the change was cached after its invalidation", v)
			}
			if got := readThrough(t, c, st, "r/a", c.Ticket, func() {}); got != "new" {
				t.Fatalf("read after the change = %q, want new", got)
			}
		})
	}
}

// A Purge outdates every ticket, key or not.
func TestPurgeOutdatesEveryTicket(t *testing.T) {
	c := New[string, int](nil, "test", 4)
	t1, t2 := c.Ticket(), c.TicketFor("a")
	c.Purge()
	if c.Put("a", 1, t1) || c.Put("a", 1, t2) {
		t.Fatalf("Put with a ticket taken before Purge succeeded")
	}
	if !c.Put("a", 1, c.TicketFor("a")) {
		t.Fatalf("Put with a fresh ticket refused")
	}
	if c.Put("b", 1, c.TicketFor("a")) && c.stripe("a") != c.stripe("b") {
		t.Fatalf("Put(b) with a ticket for a's stripe succeeded")
	}
}

// A write through the store drops what the cache held of it, by key or
// whole, as the cache's stale function says.
func TestFeedInvalidates(t *testing.T) {
	st := store.WithFeed(memstore.New())
	byKey := New[string, string](st, "bykey", 16)
	byKey.Follow("r/", ByKey)
	whole := New[string, string](st, "whole", 16)
	whole.Follow("r/", func(ch store.Change) (string, Scope) {
		if strings.HasPrefix(ch.Key, "r/index/") {
			return "", Keep
		}
		return "", DropAll
	})
	for _, c := range []*Cache[string, string]{byKey, whole} {
		c.Put("r/a", "a", c.Ticket())
		c.Put("r/b", "b", c.Ticket())
	}
	write(t, st, "r/index/x", "")
	write(t, st, "q/a", "") // not under the prefix
	if byKey.Len() != 2 || whole.Len() != 2 {
		t.Fatalf("after unrelated writes: %d and %d values cached, want 2 and 2", byKey.Len(), whole.Len())
	}
	write(t, st, "r/a", "A")
	if _, ok := byKey.Get("r/a"); ok {
		t.Errorf("bykey: r/a still cached after a write to it")
	}
	if _, ok := byKey.Get("r/b"); !ok {
		t.Errorf("bykey: r/b dropped by a write to r/a")
	}
	if whole.Len() != 0 {
		t.Errorf("whole: %d values cached after a write, want 0", whole.Len())
	}
	if s := byKey.Stats(); s.Invalidations != 1 || s.Hits != 1 || s.Misses != 1 {
		t.Errorf("bykey stats = %+v, want 1 invalidation, 1 hit, 1 miss", s)
	}
	if s := whole.Stats(); s.Invalidations != 2 {
		t.Errorf("whole stats = %+v, want 2 invalidations", s)
	}
}

// The cache never holds more than its size; what is read stays.
func TestBoundedWithSecondChance(t *testing.T) {
	c := New[int, int](nil, "test", 8)
	for i := range 8 {
		c.Put(i, i, c.Ticket())
	}
	c.Get(0) // hot
	for i := 8; i < 100; i++ {
		c.Put(i, i, c.Ticket())
		c.Get(0)
		if c.Len() > 8 {
			t.Fatalf("after %d puts the cache holds %d values, want at most 8", i+1, c.Len())
		}
	}
	if _, ok := c.Get(0); !ok {
		t.Errorf("the value read between every put was evicted")
	}
	if s := c.Stats(); s.Evictions != 92 || s.Len != 8 || s.Size != 8 {
		t.Errorf("stats = %+v, want 92 evictions, 8 of 8 held", s)
	}
	// Replacing a value evicts nothing.
	c.Put(0, 1, c.Ticket())
	if v, _ := c.Get(0); v != 1 || c.Stats().Evictions != 92 {
		t.Errorf("replace: Get(0) = %d, evictions %d; want 1, 92", v, c.Stats().Evictions)
	}
}

// Caches made over a registry's feed are listed and counted at /metrics.
func TestRegistry(t *testing.T) {
	st := store.WithFeed(memstore.New())
	r := NewRegistry()
	feed := r.Feed(st)
	a := New[string, string](feed, "b.follows", 4)
	a.Follow("r/", ByKey)
	New[string, string](feed, "a.local", 2).Local("content-addressed")
	New[string, string](st, "unregistered", 2)
	got := r.Caches()
	if len(got) != 2 || got[0].Name != "a.local" || got[0].Local != "content-addressed" || got[1].Name != "b.follows" || got[1].Prefix != "r/" || got[1].Size != 4 {
		t.Fatalf("Caches() = %+v", got)
	}
	a.Put("r/a", "x", a.Ticket())
	write(t, st, "r/a", "y") // through the feed the registry wraps
	var b bytes.Buffer
	r.WriteMetrics(&b)
	for _, want := range []string{
		"# TYPE sealbox_cache_hits_total counter\n",
		`sealbox_cache_invalidations_total{cache="b.follows"} 1` + "\n",
		`sealbox_cache_capacity{cache="a.local"} 2` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}

// Gets, puts and invalidations from many goroutines, for the race detector.
func TestConcurrentUse(t *testing.T) {
	st := store.WithFeed(memstore.New())
	c := New[string, int](st, "test", 32)
	c.Follow("r/", ByKey)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprintf("r/%d", (i*7+g)%64)
				if _, ok := c.Get(k); !ok {
					c.Put(k, i, c.TicketFor(k))
				}
				if i%50 == 0 {
					write(t, st, k, "")
				}
				if i%200 == 0 {
					c.Purge()
				}
			}
		})
	}
	wg.Wait()
	if c.Len() > 32 {
		t.Fatalf("Len() = %d, want at most 32", c.Len())
	}
}

// While its registry is suspended (the feed is down) a cache serves and
// keeps nothing, and a fill whose ticket was taken before Suspend is
// refused after Resume too: changes missed meanwhile may concern it.
func TestSuspendBypasses(t *testing.T) {
	st := store.WithFeed(memstore.New())
	r := NewRegistry()
	c := New[string, string](r.Feed(st), "c", 4)
	c.Follow("r/", ByKey)
	c.Put("r/a", "x", c.Ticket())
	before := c.TicketFor("r/b")
	r.Suspend()
	if !r.Suspended() {
		t.Fatal("Suspended() = false after Suspend")
	}
	if v, ok := c.Get("r/a"); ok {
		t.Fatalf("Get while suspended = %q, true; want a miss", v)
	}
	if c.Put("r/a", "y", c.Ticket()) {
		t.Fatal("Put while suspended = true; want refused")
	}
	r.Resume()
	if v, ok := c.Get("r/a"); ok {
		t.Fatalf("Get after Resume = %q: what the cache held before Suspend must be gone", v)
	}
	if c.Put("r/b", "old", before) {
		t.Fatal("Put after Resume with a ticket taken before Suspend = true; want refused")
	}
	if !c.Put("r/a", "z", c.Ticket()) {
		t.Fatal("Put after Resume = false")
	}
	if v, ok := c.Get("r/a"); !ok || v != "z" {
		t.Fatalf("Get after Resume = %q, %v; want z", v, ok)
	}
}
