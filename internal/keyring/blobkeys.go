package keyring

import (
	"sync"
	"sync/atomic"

	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// BlobKeyCacheSize is how many blobs' derived keys a Ring keeps.
const BlobKeyCacheSize = 4096

// blobKeys remembers the keys derived for blobs opened recently, so that a
// blob opened again (a secret's data key at every GetSecretValue, a
// SecureString at every GetParameter, an application's data key at every
// Decrypt) costs its AES-GCM opening and not a fresh HKDF: the derivation
// was a third of a warm Decrypt's allocations and about a twelfth of its
// CPU.
//
// What it holds, and why that is no more than was held before: a blob's
// key is HKDF(material, salt), and the material it is derived from is
// cached already (Ring.cache), under the same bound; a blob's key opens
// that one blob, the material every blob of the version. A key is used
// only after its material was read again through that cache, so a
// version deleted (or a server sealed, or its feed lost: the registry
// purges both) is refused as before, whatever this holds. The name is the
// material's storage key and the blob's salt: a version's material never
// changes (a generated one has a random id, an imported one's id is a MAC
// of its bytes), so a name always derives the same key.
//
// A blob not held costs a miss and a fill (about 2,000 instructions, 6% of
// a fresh blob's opening, BenchmarkDecryptFresh); one held saves the
// derivation's 16 allocations and about 2 µs (BenchmarkDecrypt).
//
// Unlike the material cache, it wipes: the keys sit in a fixed array and
// never move (the index maps names to slots, and holds no key bytes), and
// a slot is zeroed when its key is evicted, when its version is deleted
// (the change feed, as for the material), and when
// the cache is purged (a seal). Safe for concurrent use.
type blobKeys struct {
	mu    sync.RWMutex
	index map[blobName]int32 // name → slot
	slots []blobKeySlot
	hand  int
	// drops is bumped by every invalidation: a key derived from
	// material read before one is not kept (see ticket).
	drops atomic.Uint64

	hits, misses, evictions, invalidations atomic.Uint64
}

// blobName names a blob's key: its version's storage key and its salt.
type blobName struct {
	material string
	salt     [saltSize]byte
}

type blobKeySlot struct {
	name blobName
	key  [primitive.KeySize]byte
	full bool
	used atomic.Bool // read since it was put or last passed by the hand
}

func newBlobKeys(feed store.Feed, size int) *blobKeys {
	b := &blobKeys{index: make(map[blobName]int32, size), slots: make([]blobKeySlot, size)}
	if feed != nil {
		// Only a deletion concerns it: a version written again (imported
		// again, replicated) holds the bytes it held, since its id names
		// them.
		feed.Watch("keyring/", func(ch store.Change) {
			if ch.Deleted {
				b.dropMaterial(ch.Key)
			}
		})
	}
	cache.Register(feed, b)
	return b
}

// get copies the key of name into key.
func (b *blobKeys) get(name *blobName, key *[primitive.KeySize]byte) bool {
	b.mu.RLock()
	i, ok := b.index[*name]
	if ok {
		s := &b.slots[i]
		*key = s.key
		if !s.used.Load() {
			s.used.Store(true)
		}
	}
	b.mu.RUnlock()
	if ok {
		b.hits.Add(1)
	} else {
		b.misses.Add(1)
	}
	return ok
}

// ticket is taken before the material a key is derived from is read: put
// refuses the key if an invalidation came since, so that a key derived
// from material deleted meanwhile is not kept.
func (b *blobKeys) ticket() uint64 { return b.drops.Load() }

// put keeps key under name (a copy: the caller wipes its own), in the slot
// the CLOCK hand finds: the first not read since the hand last passed it.
func (b *blobKeys) put(name *blobName, key *[primitive.KeySize]byte, ticket uint64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.drops.Load() != ticket {
		return
	}
	if _, ok := b.index[*name]; ok {
		return
	}
	var i int
	for {
		i = b.hand
		b.hand = (b.hand + 1) % len(b.slots)
		s := &b.slots[i]
		if !s.full || !s.used.Swap(false) {
			break
		}
	}
	s := &b.slots[i]
	if s.full {
		b.wipe(i)
		b.evictions.Add(1)
	}
	s.name, s.key, s.full = *name, *key, true
	b.index[*name] = int32(i)
}

// wipe zeroes slot i and forgets its name; b.mu held.
func (b *blobKeys) wipe(i int) {
	s := &b.slots[i]
	delete(b.index, s.name)
	clear(s.key[:])
	s.name, s.full = blobName{}, false
	s.used.Store(false)
}

// dropMaterial wipes the keys of the blobs of the version stored under k,
// deleted. It looks at every slot: a version's deletion is rare (a key's
// at the end of its waiting period, imported material's), a blob's
// opening is not, and a count per version would cost every fill.
func (b *blobKeys) dropMaterial(k string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drops.Add(1)
	for i := range b.slots {
		if s := &b.slots[i]; s.full && s.name.material == k {
			b.wipe(i)
			b.invalidations.Add(1)
		}
	}
}

// Purge wipes every key.
func (b *blobKeys) Purge() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.drops.Add(1)
	for i := range b.slots {
		if b.slots[i].full {
			b.wipe(i)
			b.invalidations.Add(1)
		}
	}
}

func (b *blobKeys) len() int {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return len(b.index)
}

// Info describes the cache for the server's registry.
func (b *blobKeys) Info() cache.Info {
	return cache.Info{Name: "keyring/blobkeys", Size: len(b.slots), Prefix: "keyring/", Stats: cache.Stats{
		Hits: b.hits.Load(), Misses: b.misses.Load(), Evictions: b.evictions.Load(),
		Invalidations: b.invalidations.Load(), Len: b.len(), Size: len(b.slots)}}
}
