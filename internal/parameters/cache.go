package parameters

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/sealbox/sealbox/internal/store"
)

// recordCache keeps decoded parameter records for the read path
// (GetParameter, GetParameters, GetParametersByPath), so a hot parameter is
// not read and decoded on every call. The store's change feed invalidates an
// entry the moment its record changes, on this server or another. A
// generation counter closes the race between a read that began before a
// commit and the invalidation that follows it: a read may only fill the
// cache if no invalidation happened since it began.
//
// Cached records are shared: callers must not modify them. Write
// transactions never use the cache. Safe for concurrent use.
type recordCache struct {
	mu  sync.RWMutex
	gen uint64
	m   map[string]*paramRecord
}

func newRecordCache(feed store.Feed) *recordCache {
	c := &recordCache{m: map[string]*paramRecord{}}
	feed.Watch("ssm/", func(ch store.Change) { c.invalidate(ch.Key) })
	return c
}

func (c *recordCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

func (c *recordCache) get(key string) (*paramRecord, bool) {
	c.mu.RLock()
	v, ok := c.m[key]
	c.mu.RUnlock()
	return v, ok
}

// put fills the cache unless the cache changed since generation gen.
func (c *recordCache) put(key string, v *paramRecord, gen uint64) {
	c.mu.Lock()
	if c.gen == gen {
		c.m[key] = v
	}
	c.mu.Unlock()
}

func (c *recordCache) invalidate(key string) {
	c.mu.Lock()
	c.gen++
	delete(c.m, key)
	c.mu.Unlock()
}

// readTx marks a read-only transaction whose reads may use the cache, and
// carries the cache generation taken before it began.
type readTx struct {
	store.Tx
	gen uint64
}

// cachedGet decodes the parameter record at key through the cache when tx
// is a cacheable read, or straight from tx otherwise.
func cachedGet(s *Service, tx store.Tx, key string) (*paramRecord, error) {
	rt, ok := tx.(*readTx)
	if ok && s.cache != nil {
		if v, hit := s.cache.get(key); hit {
			return v, nil
		}
	}
	v := new(paramRecord)
	if err := store.GetJSON(tx, key, v); err != nil {
		return nil, err
	}
	if ok && s.cache != nil {
		s.cache.put(key, v, rt.gen)
	}
	return v, nil
}

// decodeScanned decodes a record met in a scan, through the cache when tx
// is a cacheable read: a by-path read of hot parameters decodes no JSON.
func decodeScanned(s *Service, tx store.Tx, key string, raw []byte) (*paramRecord, error) {
	rt, ok := tx.(*readTx)
	if ok && s.cache != nil {
		if v, hit := s.cache.get(key); hit {
			return v, nil
		}
	}
	v := new(paramRecord)
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, err
	}
	if ok && s.cache != nil {
		s.cache.put(key, v, rt.gen)
	}
	return v, nil
}

func sortStrings(s []string) { sort.Strings(s) }
