// Package recordcache keeps decoded JSON records for a service's read path,
// so that a hot record (a key, a parameter, a secret's metadata) is not read
// and decoded on every call. The store's change feed invalidates an entry
// the moment a write through the same feed commits. The feed is in-process
// today (store.FeedStore) and hears only this server's writes; no backend
// yet shares a store between servers (the embedded one admits one process),
// and one that does must carry the feed across them.
//
// A generation counter closes the race between a read that began before a
// commit and the invalidation that follows it: a read may fill the cache
// only if no invalidation happened since its transaction began. Reads go
// through the cache only inside View; write transactions always read the
// store.
//
// Cached records are shared: callers must not modify them. A nil *Cache is
// valid and caches nothing. Safe for concurrent use.
package recordcache

import (
	"context"
	"encoding/json"
	"errors"
	"sync"

	"github.com/sealbox/sealbox/internal/store"
)

// Cache is a feed-invalidated cache of decoded records.
type Cache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]any
}

// New returns a Cache for the records under prefix, invalidated by feed.
func New(feed store.Feed, prefix string) *Cache {
	c := &Cache{m: map[string]any{}}
	feed.Watch(prefix, func(ch store.Change) { c.invalidate(ch.Key) })
	return c
}

func (c *Cache) invalidate(key string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, key)
	c.mu.Unlock()
}

// readTx marks a read transaction whose reads may use the cache, with the
// generation taken before it began.
type readTx struct {
	store.Tx
	c   *Cache
	gen uint64
}

// View runs fn in a read transaction of st whose Get and Decode calls may
// use the cache. If fn must write after all (something made on first use),
// it returns store.ErrReadOnly from a Put and View runs it again in an
// Update, where nothing is cached.
func (c *Cache) View(ctx context.Context, st store.Store, fn func(store.Tx) error) error {
	var gen uint64
	if c != nil {
		c.mu.RLock()
		gen = c.gen // before the snapshot is taken
		c.mu.RUnlock()
	}
	err := st.View(ctx, func(tx store.Tx) error { return fn(&readTx{Tx: tx, c: c, gen: gen}) })
	if errors.Is(err, store.ErrReadOnly) {
		return st.Update(ctx, fn)
	}
	return err
}

// Get decodes the JSON record at key, through the cache when tx came from
// View. It returns store.ErrNotFound for a missing record.
func Get[T any](tx store.Tx, key string) (*T, error) {
	rt, cacheable := tx.(*readTx)
	if cacheable && rt.c != nil {
		if v, ok := rt.c.lookup(key); ok {
			return v.(*T), nil
		}
	}
	raw, err := tx.Get(key)
	if err != nil {
		return nil, err
	}
	return decode[T](rt, cacheable, key, raw)
}

// Decode is Get for a record already read, as by a Scan.
func Decode[T any](tx store.Tx, key string, raw []byte) (*T, error) {
	rt, cacheable := tx.(*readTx)
	if cacheable && rt.c != nil {
		if v, ok := rt.c.lookup(key); ok {
			return v.(*T), nil
		}
	}
	return decode[T](rt, cacheable, key, raw)
}

func decode[T any](rt *readTx, cacheable bool, key string, raw []byte) (*T, error) {
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	if cacheable && rt.c != nil {
		rt.c.fill(key, v, rt.gen)
	}
	return v, nil
}

func (c *Cache) lookup(key string) (any, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

func (c *Cache) fill(key string, v any, gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.m[key] = v
	}
	c.mu.Unlock()
}
