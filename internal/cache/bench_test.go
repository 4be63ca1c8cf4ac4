package cache

import (
	"strconv"
	"sync"
	"testing"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// BenchmarkGet measures a cache hit from every P at once, the hot path of
// each request (the caller's access key, its policy set, the key record),
// against what the caches used before this package: golang-lru's
// thread-safe Cache (the authorizer's compiled documents), a mutex around
// simplelru (the identity store's caches) and sync.Map (the authorizer's
// documents before golang-lru). Run with -cpu 1,2,...: what matters is
// that a hit does not slow down as Ps are added.
func BenchmarkGet(b *testing.B) {
	const n = 64 // a few hot keys, as a busy server has
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "iam/accesskey/AKIAEXAMPLE" + strconv.Itoa(i)
	}
	run := func(b *testing.B, get func(string) bool) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if !get(keys[i%n]) {
					b.Fatal("miss")
				}
				i++
			}
		})
	}
	b.Run("cache", func(b *testing.B) {
		c := New[string, int](nil, "bench", 4096)
		for i, k := range keys {
			c.Put(k, i, c.Ticket())
		}
		run(b, func(k string) bool { _, ok := c.Get(k); return ok })
	})
	b.Run("golang-lru", func(b *testing.B) {
		c, _ := lru.New[string, int](4096)
		for i, k := range keys {
			c.Add(k, i)
		}
		run(b, func(k string) bool { _, ok := c.Get(k); return ok })
	})
	b.Run("mutex+simplelru", func(b *testing.B) {
		var mu sync.Mutex
		c, _ := simplelru.NewLRU[string, int](4096, nil)
		for i, k := range keys {
			c.Add(k, i)
		}
		run(b, func(k string) bool {
			mu.Lock()
			_, ok := c.Get(k)
			mu.Unlock()
			return ok
		})
	})
	b.Run("sync.Map", func(b *testing.B) {
		var m sync.Map
		for i, k := range keys {
			m.Store(k, i)
		}
		run(b, func(k string) bool { _, ok := m.Load(k); return ok })
	})
}
