package agent

import (
	"strings"
	"sync"
	"time"
)

// entry is one cached answer: the exact bytes served, and what it is an
// answer about (the resolved secret or parameter), so a change names the
// entries it makes stale.
type entry struct {
	key     string
	req     request // the request that fetched it, to fetch it again
	body    []byte  // the 200 answer, as served
	fetched time.Time
	ttl     time.Duration
	// ids are the identities a change matches: "s\x00<secret name>",
	// "p\x00<parameter name without leading slash>", "a\x00<ARN>".
	ids []string
	// secure is true for a SecureString parameter (its answer depends on
	// withDecryption) and for any secret.
	secure bool
	// prefetched entries are fetched again when a change evicts them.
	prefetched bool

	prev, next *entry // LRU list, most recent after the sentinel
}

func secretID(name string) string { return "s\x00" + name }
func paramID(name string) string  { return "p\x00" + strings.TrimPrefix(name, "/") }
func arnID(arn string) string     { return "a\x00" + arn }

// invalidation is one change, remembered a while so that an answer fetched
// before it and stored after it is not kept.
type invalidation struct {
	seq uint64
	ids []string
}

// recentInvalidations is how many invalidations are remembered; a fetch
// that started before the oldest one remembered is not cached.
const recentInvalidations = 512

// cache is an LRU of answers with a TTL, invalidated by identity. Safe for
// concurrent use.
type cache struct {
	mu      sync.Mutex
	size    int
	entries map[string]*entry
	byID    map[string]map[*entry]struct{}
	lru     entry // sentinel: lru.next is the most recently used

	seq      uint64 // bumped by every invalidation and reset
	resetSeq uint64 // seq of the last reset
	recent   []invalidation
	m        *metrics
}

func newCache(size int, m *metrics) *cache {
	c := &cache{size: size, entries: map[string]*entry{}, byID: map[string]map[*entry]struct{}{}, m: m}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	return c
}

// get returns the entry under key and whether it is within its TTL at
// now. An entry more than maxStale past its TTL is dropped.
func (c *cache) get(key string, now time.Time, maxStale time.Duration) (e *entry, fresh bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e = c.entries[key]
	if e == nil {
		return nil, false
	}
	age := now.Sub(e.fetched)
	if age >= e.ttl+maxStale {
		c.remove(e)
		c.m.evictions.add(evictExpired, 1)
		return nil, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e, age < e.ttl
}

// start returns the sequence number a fetch starting now passes to put.
func (c *cache) start() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seq
}

// put stores e unless something it is about changed since the fetch began
// (startSeq): then its answer may predate the change, and the next request
// asks again. It reports whether e was stored.
func (c *cache) put(e *entry, startSeq uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.invalidatedSince(e, startSeq) {
		return false
	}
	if old := c.entries[e.key]; old != nil {
		c.remove(old)
	}
	c.entries[e.key] = e
	for _, id := range e.ids {
		set := c.byID[id]
		if set == nil {
			set = map[*entry]struct{}{}
			c.byID[id] = set
		}
		set[e] = struct{}{}
	}
	c.pushFront(e)
	for len(c.entries) > c.size {
		c.remove(c.lru.prev)
		c.m.evictions.add(evictSize, 1)
	}
	return true
}

func (c *cache) invalidatedSince(e *entry, startSeq uint64) bool {
	if startSeq == c.seq {
		return false
	}
	if startSeq < c.resetSeq {
		return true
	}
	if len(c.recent) == 0 || startSeq+1 < c.recent[0].seq {
		return true // older than what is remembered: assume the worst
	}
	for i := len(c.recent) - 1; i >= 0 && c.recent[i].seq > startSeq; i-- {
		for _, id := range c.recent[i].ids {
			for _, mine := range e.ids {
				if id == mine {
					return true
				}
			}
		}
	}
	return false
}

// invalidate drops every entry that any of ids names and returns the
// dropped entries.
func (c *cache) invalidate(ids []string) []*entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.recent = append(c.recent, invalidation{seq: c.seq, ids: ids})
	if len(c.recent) > recentInvalidations {
		c.recent = append(c.recent[:0:0], c.recent[len(c.recent)-recentInvalidations:]...)
	}
	var out []*entry
	for _, id := range ids {
		for e := range c.byID[id] {
			c.remove(e)
			out = append(out, e)
		}
	}
	c.m.evictions.add(evictChange, uint64(len(out)))
	return out
}

// drop removes the entry under key, if any (after an answer that says it
// is gone or no longer readable).
func (c *cache) drop(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil {
		c.remove(e)
		c.m.evictions.add(evictError, 1)
	}
}

// reset drops everything: the feed may have missed changes.
func (c *cache) reset() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.resetSeq = c.seq
	c.recent = c.recent[:0]
	n := len(c.entries)
	c.entries = map[string]*entry{}
	c.byID = map[string]map[*entry]struct{}{}
	c.lru.next, c.lru.prev = &c.lru, &c.lru
	c.m.evictions.add(evictReset, uint64(n))
	return n
}

func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *cache) remove(e *entry) {
	delete(c.entries, e.key)
	for _, id := range e.ids {
		if set := c.byID[id]; set != nil {
			delete(set, e)
			if len(set) == 0 {
				delete(c.byID, id)
			}
		}
	}
	c.unlink(e)
}

func (c *cache) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next, e.next.prev = e.next, e.prev
		e.prev, e.next = nil, nil
	}
}

func (c *cache) pushFront(e *entry) {
	e.prev, e.next = &c.lru, c.lru.next
	c.lru.next.prev = e
	c.lru.next = e
}
