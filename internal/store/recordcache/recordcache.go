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
	"sync"

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
// generation taken before it began. A readTx of Hot has no store
// transaction under it (Tx is nil): it answers from the cache alone and
// notes, in missed, any read or write that needed the store.
type readTx struct {
	store.Tx
	c      *Cache
	ticket cache.Ticket
	missed bool
}

// errMissed is what a Hot transaction answers a read the cache cannot
// serve; Done reports it whatever the caller made of the error.
var errMissed = errors.New("recordcache: not cached")

func (rt *readTx) Get(key string) ([]byte, error) {
	if rt.Tx == nil {
		rt.missed = true
		return nil, errMissed
	}
	return rt.Tx.Get(key)
}

func (rt *readTx) Put(key string, value []byte) error {
	if rt.Tx == nil {
		rt.missed = true
		return errMissed
	}
	return rt.Tx.Put(key, value)
}

func (rt *readTx) Delete(key string) error {
	if rt.Tx == nil {
		rt.missed = true
		return errMissed
	}
	return rt.Tx.Delete(key)
}

func (rt *readTx) Scan(prefix, after string, fn func(string, []byte) error) error {
	if rt.Tx == nil {
		rt.missed = true
		return errMissed
	}
	return rt.Tx.Scan(prefix, after, fn)
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

// Hot is a read path's first try, without a store transaction: a
// transaction that serves what the cache holds (records through Get and
// Decode, and what other caches the caller consults hold) and refuses
// anything else. The caller runs its read with it, then asks Done: false
// means the read needed the store, and the caller must drop what it made
// and run the read again in View. A read of hot records thus opens no
// store transaction (a bbolt read transaction takes the database's locks,
// and allocates), and allocates nothing here. It returns nil for a nil
// Cache; a Hot transaction is for one goroutine, until Done.
//
// A read that Done accepts saw only cached records, each current when
// read, as a read through View sees its cached records. It must have no
// effects that a second run, after a miss, would repeat: the rule of
// View's functions, which may run again in an Update.
func (c *Cache) Hot() store.Tx {
	if c == nil {
		return nil
	}
	rt := hotTxs.Get().(*readTx)
	rt.c = c
	return rt
}

var hotTxs = sync.Pool{New: func() any { return new(readTx) }}

// Read runs fn from the cache alone when it holds all fn reads (Hot), else
// in View: fn must be safe to run twice, as View's functions are.
func (c *Cache) Read(ctx context.Context, st store.Store, fn func(store.Tx) error) error {
	if tx := c.Hot(); tx != nil {
		err := fn(tx)
		if Done(tx) {
			return err
		}
	}
	return c.View(ctx, st, fn)
}

// Done ends a transaction of Hot and reports whether the read it served
// needed nothing the cache did not hold.
func Done(tx store.Tx) bool {
	rt := tx.(*readTx)
	ok := !rt.missed
	*rt = readTx{}
	hotTxs.Put(rt)
	return ok
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
	if cacheable && rt.Tx == nil {
		// A Hot transaction caches nothing: it has no ticket, and no
		// store read made raw.
		rt.missed = true
		return nil, errMissed
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	if cacheable && rt.c != nil {
		if sh, ok := any(v).(Shared); ok {
			sh.Share()
		}
		rt.c.c.Put(key, v, rt.ticket)
	}
	return v, nil
}

// Shared is implemented by a record type that derives, once, what its
// readers would otherwise compute on every read (an ARN, a condition
// key's values). Get and Decode call Share on a record read through View
// before the cache shares it; a record read otherwise is not prepared, so
// the derived values must be optional to the record's methods.
type Shared interface{ Share() }

func (c *Cache) lookup(key string) (any, bool) { return c.c.Get(key) }
