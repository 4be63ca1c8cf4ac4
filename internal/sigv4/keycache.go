package sigv4

import (
	"crypto/sha256"
	"hash/maphash"
	"strings"
	"sync"

	"github.com/sealbox/sealbox/internal/primitive"
)

// A signing key is four HMACs away from the secret, and the same for every
// request of one access key, day, region and service, so it is derived once
// and kept. An entry is used again only for the secret it was derived from:
// it holds the SHA-256 of that secret, compared in constant time with the
// SHA-256 of the secret the identity store hands over for this request. A
// key deleted and minted again under the same id, or a store that changed
// a secret in place, thus never verifies with the old material; the store
// is still asked on every request, so revocation and expiry do not wait
// for the cache.
//
// The cache holds hashes of secrets and day-scoped keys, never a secret.

const (
	keyCacheShards = 16
	// keyCacheShardSize bounds each shard: 16 × 256 entries of ~150 bytes.
	keyCacheShardSize = 256
)

type keyCache struct {
	seed   maphash.Seed
	shards [keyCacheShards]keyShard
}

type keyShard struct {
	mu sync.RWMutex
	m  map[scopeKey]derivedKey
}

// scopeKey names a signing key: the access key and the credential scope.
type scopeKey struct {
	accessKeyID     string
	date            [8]byte
	region, service string
}

type derivedKey struct {
	secretSum [sha256.Size]byte // SHA-256 of the secret the key came from
	key       [sha256.Size]byte
}

func (v *Verifier) cache() *keyCache {
	v.once.Do(func() { v.keys = &keyCache{seed: maphash.MakeSeed()} })
	return v.keys
}

// signingKey writes into dst the signing key for in's secret and scope
// (date is YYYYMMDD), from the cache or newly derived.
func (v *Verifier) signingKey(in *signingInput, date *[8]byte, dst *[sha256.Size]byte) {
	c := v.cache()
	secret := in.secret.Bytes()
	sum := sha256.Sum256(secret)
	k := scopeKey{accessKeyID: in.accessKeyID, date: *date, region: in.region, service: in.service}
	sh := &c.shards[maphash.String(c.seed, in.accessKeyID)%keyCacheShards]

	sh.mu.RLock()
	e, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok && primitive.Equal(e.secretSum[:], sum[:]) {
		*dst = e.key
		return
	}

	e = derivedKey{secretSum: sum, key: deriveSigningKey(secret, date[:], in.region, in.service)}
	// The strings are slices of the request's headers or query: copies
	// keep the cache from pinning whole requests.
	k.accessKeyID, k.region, k.service = strings.Clone(k.accessKeyID), strings.Clone(k.region), strings.Clone(k.service)
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = make(map[scopeKey]derivedKey)
	}
	if _, ok := sh.m[k]; !ok && len(sh.m) >= keyCacheShardSize {
		for old := range sh.m { // an entry chosen by the map's random order
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = e
	sh.mu.Unlock()
	*dst = e.key
}

// deriveSigningKey is SigV4's key derivation:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, date), region), service), "aws4_request").
func deriveSigningKey(secret, date []byte, region, service string) (key [sha256.Size]byte) {
	k := make([]byte, 0, len("AWS4")+len(secret))
	k = append(append(k, "AWS4"...), secret...)
	h := primitive.HMAC(k, date)
	clear(k)
	h = primitive.HMAC(h, []byte(region))
	h = primitive.HMAC(h, []byte(service))
	h = primitive.HMAC(h, []byte("aws4_request"))
	copy(key[:], h)
	return key
}
