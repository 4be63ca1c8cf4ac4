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
// The cache holds hashes of secrets and day-scoped keys, never a secret,
// and only keys that have verified a signature: a request that fails costs
// a derivation but evicts nothing.

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
	mac       *primitive.MACKey // key, with its HMAC states kept for reuse
}

func (v *Verifier) cache() *keyCache {
	v.once.Do(func() { v.keys = &keyCache{seed: maphash.MakeSeed()} })
	return v.keys
}

// signingKey writes into dst the signing key for in's secret and scope
// (date is YYYYMMDD); when it came from the cache, mac is that key ready to
// sign (nil otherwise). It returns the secret's SHA-256, for keepSigningKey.
func (v *Verifier) signingKey(in *signingInput, date *[8]byte, dst *[sha256.Size]byte) (secretSum [sha256.Size]byte, mac *primitive.MACKey) {
	c := v.cache()
	secret := in.secret.Bytes()
	secretSum = sha256.Sum256(secret)
	k := scopeKey{accessKeyID: in.accessKeyID, date: *date, region: in.region, service: in.service}
	sh := c.shard(in.accessKeyID)
	sh.mu.RLock()
	e, ok := sh.m[k]
	sh.mu.RUnlock()
	if ok && primitive.Equal(e.secretSum[:], secretSum[:]) {
		*dst = e.key
		return secretSum, e.mac
	}
	*dst = deriveSigningKey(secret, date[:], in.region, in.service)
	return secretSum, nil
}

// keepSigningKey caches key, derived from the secret whose SHA-256 is
// secretSum, for in's access key and scope.
func (v *Verifier) keepSigningKey(in *signingInput, date *[8]byte, secretSum, key *[sha256.Size]byte) {
	// The strings are slices of the request's headers or query: copies
	// keep the cache from pinning whole requests.
	k := scopeKey{accessKeyID: strings.Clone(in.accessKeyID), date: *date, region: strings.Clone(in.region), service: strings.Clone(in.service)}
	sh := v.cache().shard(in.accessKeyID)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if sh.m == nil {
		sh.m = make(map[scopeKey]derivedKey)
	}
	if _, ok := sh.m[k]; !ok && len(sh.m) >= keyCacheShardSize {
		for old := range sh.m { // an entry chosen by the map's random order
			delete(sh.m, old)
			break
		}
	}
	sh.m[k] = derivedKey{secretSum: *secretSum, key: *key, mac: primitive.NewMACKey(key[:])}
}

func (c *keyCache) shard(accessKeyID string) *keyShard {
	return &c.shards[maphash.String(c.seed, accessKeyID)%keyCacheShards]
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
