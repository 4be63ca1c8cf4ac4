package cache

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/sealbox/sealbox/internal/store"
)

// Registry lists the caches of one server. It travels with the change feed
// the caches follow: the server wraps its feed with Registry.Feed and hands
// the result to everything that makes a cache, and New registers each cache
// in the registry of the feed it is made over. Safe for concurrent use.
type Registry struct {
	mu     sync.Mutex
	caches []registeredCache

	// bypass is read by every Get of every cache in the registry: while
	// it is set they serve and keep nothing (Suspend).
	bypass atomic.Bool
}

type registeredCache = Registered

// Registered is what a registry needs of a cache: its description and a
// way to empty it. A Cache is one; a package whose cache must be of
// another kind (keyring's derived keys, wiped in place) registers it with
// Register, so that it is listed, counted and purged with the others.
type Registered interface {
	Info() Info
	Purge()
}

// Register adds c to the Registry feed carries, if any (see Feed).
func Register(feed store.Feed, c Registered) {
	if r := registryOf(feed); r != nil {
		r.add(c)
	}
}

// Info describes a cache: its name, bound, what it follows and its
// counters.
type Info struct {
	Name string
	// Size is the most values it holds.
	Size int
	// Prefix is the part of the store whose changes invalidate it; ""
	// when it follows no feed, and Local says why.
	Prefix string
	Local  string
	Stats  Stats
}

// NewRegistry returns an empty Registry.
func NewRegistry() *Registry { return &Registry{} }

func (r *Registry) add(c registeredCache) {
	r.mu.Lock()
	r.caches = append(r.caches, c)
	r.mu.Unlock()
}

// Caches describes the registered caches, by name.
func (r *Registry) Caches() []Info {
	r.mu.Lock()
	out := make([]Info, 0, len(r.caches))
	for _, c := range r.caches {
		out = append(out, c.Info())
	}
	r.mu.Unlock()
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Suspend has every cache in r serve and keep nothing until Resume: a Get
// misses, a Put refuses. It is for a server whose change feed is down: it
// cannot prove what its caches hold current, so it reads the store. What
// the caches held is dropped, and with it every ticket taken before
// Suspend, so that a fill that began before cannot land after Resume (the
// changes missed while the feed was down were never delivered to outdate
// it). While r is not suspended, it costs a Get one atomic load.
func (r *Registry) Suspend() {
	r.bypass.Store(true) // first: a Put that saw it unset holds the cache's lock, and Purge waits for it
	r.Purge()
}

// Resume ends Suspend: call it once the feed has delivered every change
// committed while it was down (or Purge, if it cannot).
func (r *Registry) Resume() { r.bypass.Store(false) }

// Suspended reports whether r is suspended.
func (r *Registry) Suspended() bool { return r.bypass.Load() }

// Purge empties every cache in r and outdates every ticket.
func (r *Registry) Purge() {
	r.mu.Lock()
	caches := slices.Clone(r.caches)
	r.mu.Unlock()
	for _, c := range caches {
		c.Purge()
	}
}

// Feed returns f carrying r: caches made over it register in r.
func (r *Registry) Feed(f store.Feed) store.Feed { return registered{f, r} }

type registered struct {
	store.Feed
	r *Registry
}

func registryOf(f store.Feed) *Registry {
	if rf, ok := f.(registered); ok {
		return rf.r
	}
	return nil
}

// WriteMetrics writes every cache's counters in Prometheus' text format,
// labelled by cache name.
func (r *Registry) WriteMetrics(w io.Writer) {
	caches := r.Caches()
	family := func(name, typ, help string, v func(Info) uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
		for _, c := range caches {
			fmt.Fprintf(w, "%s{cache=%q} %d\n", name, c.Name, v(c))
		}
	}
	family("sealbox_cache_hits_total", "counter", "Lookups the cache answered.", func(c Info) uint64 { return c.Stats.Hits })
	family("sealbox_cache_misses_total", "counter", "Lookups the cache could not answer.", func(c Info) uint64 { return c.Stats.Misses })
	family("sealbox_cache_evictions_total", "counter", "Values dropped because the cache was full.", func(c Info) uint64 { return c.Stats.Evictions })
	family("sealbox_cache_invalidations_total", "counter", "Values dropped because the change feed said they were stale.", func(c Info) uint64 { return c.Stats.Invalidations })
	family("sealbox_cache_entries", "gauge", "Values the cache holds.", func(c Info) uint64 { return uint64(c.Stats.Len) })
	family("sealbox_cache_capacity", "gauge", "Values the cache may hold.", func(c Info) uint64 { return uint64(c.Stats.Size) })
}
