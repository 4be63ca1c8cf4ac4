// Package recordcache keeps decoded JSON records for a service's read path,
// so that a hot record (a key, a parameter, a secret's metadata) is not read
// and decoded on every call. It is a cache.Cache of RecordCacheSize records
// keyed by storage key: the store's change feed invalidates an entry the
// moment a write through the same feed commits: this server's writes on
// the committing goroutine, other servers' (on PostgreSQL) when the
// follower of the change log delivers them (store/follow), and while that
// follower is not current the cache, as every cache in the registry, is
// bypassed.
//
// The cache's generation guard closes the race between a read that began
// before a commit and the invalidation that follows it: a read may fill the
// cache only if no invalidation happened since its transaction began. Reads go
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
	"strings"

	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/store"
)

// RecordCacheSize is how many decoded records each service's cache keeps.
const RecordCacheSize = 4096

// Cache is a feed-invalidated cache of decoded records.
type Cache struct {
	c *cache.Cache[string, any]
}

// New returns a Cache for the records under prefix, invalidated by feed.
// It registers as "records/<prefix without its slash>".
func New(feed store.Feed, prefix string) *Cache {
	c := cache.New[string, any](feed, "records/"+strings.TrimSuffix(prefix, "/"), RecordCacheSize)
	c.Follow(prefix, cache.ByKey)
	return &Cache{c: c}
}

func (c *Cache) invalidate(key string) { c.c.Drop(key) }

// readTx marks a read transaction whose reads may use the cache, with the
// generation taken before it began.
type readTx struct {
	store.Tx
	c      *Cache
	ticket cache.Ticket
}

// View runs fn in a read transaction of st whose Get and Decode calls may
// use the cache. If fn must write after all (something made on first use),
// it returns store.ErrReadOnly from a Put and View runs it again in an
// Update, where nothing is cached.
func (c *Cache) View(ctx context.Context, st store.Store, fn func(store.Tx) error) error {
	var ticket cache.Ticket
	if c != nil {
		ticket = c.c.Ticket() // before the snapshot is taken
	}
	err := st.View(ctx, func(tx store.Tx) error { return fn(&readTx{Tx: tx, c: c, ticket: ticket}) })
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
		rt.c.c.Put(key, v, rt.ticket)
	}
	return v, nil
}

func (c *Cache) lookup(key string) (any, bool) { return c.c.Get(key) }
