// Package cache is the server's one cache: a bounded map of values read
// from the store, which the store's change feed invalidates the moment what
// a value was made from changes. Every cache in the server is one of these,
// and each registers by name where it is made (see Registry), so that a
// test can list them and /metrics can count their hits, misses, evictions
// and invalidations.
//
// A generation guard closes the race between a read of the store and the
// invalidation of what it read: the reader takes a Ticket before it opens
// its transaction and offers the value with it; Put refuses the value if an
// invalidation that could concern it happened since. Without the guard, a
// value read just before a commit and put just after the commit's
// invalidation would stay cached, stale, until the next change.
//
// Reads take no exclusive lock: the hot path (every signature check, every
// Decrypt and GetSecretValue) goes through Get, which reads a plain map
// under a read lock. The recency order is kept by hashicorp/golang-lru's
// simplelru, touched only under the write lock; a Get marks its entry used
// (a write only the first time), and eviction gives a used entry a second
// chance (moves it to the front) instead of evicting it: CLOCK over an LRU
// list. BenchmarkGet compares this with golang-lru's Cache (whose Get takes
// the exclusive lock), a mutex around simplelru and sync.Map; a sync.Map
// for the read path measured no faster here and boxes its keys.
package cache

import (
	"hash/maphash"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/sealbox/sealbox/internal/store"
)

// Scope is what a change makes stale in a cache.
type Scope uint8

const (
	// Keep: nothing the cache holds is made from the change.
	Keep Scope = iota
	// DropKey: the one value under the key named with it.
	DropKey
	// DropAll: anything; the cache starts over.
	DropAll
)

// stripes is how many generation counters guard fills against
// invalidations of single keys (see TicketFor).
const stripes = 64

// Cache is a bounded, feed-invalidated cache from K to V. Values are shared:
// callers must not modify them. Safe for concurrent use; the zero value is
// not usable: see New.
type Cache[K comparable, V any] struct {
	name string
	size int
	feed store.Feed
	seed maphash.Seed

	// read is what Get reads, under a read lock only.
	rmu  sync.RWMutex
	read map[K]*entry[V]

	// mu serialises writers; it is taken before rmu. order is the
	// recency list; it holds the same entries as read.
	mu      sync.Mutex
	order   *simplelru.LRU[K, *entry[V]]
	purges  atomic.Uint64          // bumped by DropAll
	drops   atomic.Uint64          // bumped by every invalidation
	striped [stripes]atomic.Uint64 // bumped by a DropKey of a key of the stripe

	hits, misses, evictions, invalidations atomic.Uint64

	// bypass is the registry's (Registry.Suspend), or never.
	bypass *atomic.Bool

	prefix string // the feed prefix it follows
	local  string // why it follows none
}

type entry[V any] struct {
	v    V
	used atomic.Bool // read since it was last put or given a second chance
}

// New returns an empty cache of at most size values, named name, that
// registers in the Registry that feed carries (see Registry.Feed); feed may
// be nil (a unit test's cache, registered nowhere). The cache follows
// nothing until Follow is called, or Local says why it need not.
func New[K comparable, V any](feed store.Feed, name string, size int) *Cache[K, V] {
	if size <= 0 {
		panic("cache: " + name + ": size must be positive")
	}
	c := &Cache[K, V]{name: name, size: size, feed: feed, seed: maphash.MakeSeed(), read: make(map[K]*entry[V])}
	c.order, _ = simplelru.NewLRU[K, *entry[V]](size, nil)
	c.bypass = &never
	if r := registryOf(feed); r != nil {
		c.bypass = &r.bypass
		r.add(c)
	}
	return c
}

// never is the bypass flag of a cache in no registry.
var never atomic.Bool

// Follow has the feed invalidate the cache: for each committed change
// under prefix, stale says what it makes stale. stale runs on the
// committing goroutine and must be quick. Call it once, right after New,
// in the order the feed must call the watchers (see store.Feed.Watch).
func (c *Cache[K, V]) Follow(prefix string, stale func(store.Change) (K, Scope)) {
	c.prefix = prefix
	if c.feed == nil {
		return
	}
	c.feed.Watch(prefix, func(ch store.Change) {
		switch k, s := stale(ch); s {
		case DropKey:
			c.Drop(k)
		case DropAll:
			c.Purge()
		}
	})
}

// ByKey is the stale function of a cache keyed by storage key: a change
// drops the value read from the key it changed.
func ByKey(ch store.Change) (string, Scope) { return ch.Key, DropKey }

// Local marks a cache that need not follow the feed, and says why (its
// values are a function of their keys, or are the server's own state).
func (c *Cache[K, V]) Local(why string) { c.local = why }

// Get returns the value cached under k.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	if c.bypass.Load() {
		c.misses.Add(1)
		var zero V
		return zero, false
	}
	c.rmu.RLock()
	e, ok := c.read[k]
	c.rmu.RUnlock()
	if !ok {
		c.misses.Add(1)
		var zero V
		return zero, false
	}
	if !e.used.Load() { // most Gets of a hot entry write nothing shared
		e.used.Store(true)
	}
	c.hits.Add(1)
	return e.v, true
}

// Ticket is a cache's generation, taken before a read of the store: Put
// refuses a value read under a ticket that an invalidation has outdated.
type Ticket struct {
	purges, drops uint64
	stripe        int // -1: any invalidation outdates the ticket
	striped       uint64
}

// Ticket returns a ticket that any invalidation outdates: for a reader
// that does not know beforehand which keys it will read.
func (c *Cache[K, V]) Ticket() Ticket {
	return Ticket{purges: c.purges.Load(), drops: c.drops.Load(), stripe: -1}
}

// TicketFor returns a ticket for a fill of k alone: only a DropAll or a
// DropKey of a key that shares k's stripe outdates it, so that a storm of
// invalidations of other keys does not keep k from being cached.
func (c *Cache[K, V]) TicketFor(k K) Ticket {
	s := c.stripe(k)
	return Ticket{purges: c.purges.Load(), stripe: s, striped: c.striped[s].Load()}
}

func (c *Cache[K, V]) stripe(k K) int { return int(maphash.Comparable(c.seed, k) % stripes) }

// current reports whether t is still current for a fill of k; c.mu held.
func (c *Cache[K, V]) current(k K, t Ticket) bool {
	if t.purges != c.purges.Load() {
		return false
	}
	if t.stripe < 0 {
		return t.drops == c.drops.Load()
	}
	return t.stripe == c.stripe(k) && t.striped == c.striped[t.stripe].Load()
}

// Put caches v under k, unless t is outdated: v may have been read before
// a change that the cache has since been told of. It reports whether v was
// cached. It refuses every value while the cache's registry is suspended
// (Registry.Suspend). A full cache evicts the least recently used value that has not
// been read since it was last considered.
func (c *Cache[K, V]) Put(k K, v V, t Ticket) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bypass.Load() || !c.current(k, t) {
		return false
	}
	e := &entry[V]{v: v}
	var evicted K
	evict := false
	if !c.order.Contains(k) && c.order.Len() >= c.size {
		evicted, evict = c.victim(), true
	}
	c.order.Add(k, e)
	c.rmu.Lock()
	if evict {
		delete(c.read, evicted)
	}
	c.read[k] = e
	c.rmu.Unlock()
	return true
}

// victim removes the value to evict from the recency list and returns its
// key: the oldest not read since it was last considered. Each read value
// passed over is moved to the front, once, so the scan ends. c.mu held.
func (c *Cache[K, V]) victim() K {
	for range c.order.Len() {
		k, e, _ := c.order.GetOldest()
		if !e.used.Swap(false) {
			break
		}
		c.order.Get(k) // to the front: a second chance
	}
	k, _, _ := c.order.RemoveOldest()
	c.evictions.Add(1)
	return k
}

// Drop invalidates the value under k, and outdates the tickets of fills
// that could concern k.
func (c *Cache[K, V]) Drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.drops.Add(1)
	c.striped[c.stripe(k)].Add(1)
	if c.order.Remove(k) {
		c.rmu.Lock()
		delete(c.read, k)
		c.rmu.Unlock()
		c.invalidations.Add(1)
	}
}

// Purge invalidates every value and outdates every ticket.
func (c *Cache[K, V]) Purge() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.purges.Add(1)
	c.drops.Add(1)
	n := c.order.Len()
	c.order.Purge()
	c.rmu.Lock()
	clear(c.read)
	c.rmu.Unlock()
	c.invalidations.Add(uint64(n))
}

// Len is how many values the cache holds.
func (c *Cache[K, V]) Len() int {
	c.rmu.RLock()
	defer c.rmu.RUnlock()
	return len(c.read)
}

// Stats are a cache's counters.
type Stats struct {
	// Hits and Misses count Gets.
	Hits, Misses uint64
	// Evictions counts values dropped because the cache was full;
	// Invalidations, values dropped because the feed said they were stale.
	Evictions, Invalidations uint64
	// Len is how many values it holds, Size how many it may.
	Len, Size int
}

// Stats returns the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	return Stats{Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Invalidations: c.invalidations.Load(), Len: c.Len(), Size: c.size}
}

// Info describes a registered cache.
func (c *Cache[K, V]) Info() Info {
	return Info{Name: c.name, Size: c.size, Prefix: c.prefix, Local: c.local, Stats: c.Stats()}
}
