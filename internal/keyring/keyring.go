// Package keyring is the only holder of KMS key material. A KMS key has one
// or more versions of material (rotation adds one; none is ever changed);
// each is stored in the store, which the barrier seals: 32 random bytes for
// a symmetric key, a spec-tagged private key or HMAC key otherwise
// (asym.go). The
// keyring turns plaintexts into self-describing ciphertext blobs and back,
// binding the encryption context as additional authenticated data.
//
// Blob layout (version 1), all of it authenticated:
//
//	0      version (1; 2 when the key is multi-Region, mrk.go)
//	1:17   key id (the UUID's 16 bytes)
//	17:49  key material id (32 bytes; hex is the KeyMaterialId AWS shows)
//	49:65  salt: a fresh per-blob key is HKDF-SHA256(material, salt)
//	65:    AES-256-GCM nonce (12) || ciphertext || tag (16)
//
// AAD = blob[0:65] || canonical(encryption context). Deriving a key per blob
// keeps AES-GCM far inside its random-nonce limits however often a key is
// used, as AWS KMS does with its derived data keys.
package keyring

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	blobVersion  = 1
	headerSize   = 65
	minBlobSize  = headerSize + primitive.Overhead
	materialSize = 32
	saltSize     = 16
	deriveInfo   = "sealbox kms blob v1"
)

var (
	// ErrInvalidCiphertext is the one error a bad blob gets: malformed,
	// truncated, altered, foreign, or opened under the wrong context.
	ErrInvalidCiphertext = errors.New("keyring: invalid ciphertext")
	// ErrNoMaterial is returned when the material a blob names is gone.
	ErrNoMaterial = errors.New("keyring: key material not found")
)

// Ring encrypts and decrypts under stored key material. Opened material is
// cached in memory (MaterialCacheSize versions): a version's material never
// changes, so only its deletion invalidates it. Safe for concurrent use.
type Ring struct {
	cache *cache.Cache[string, primitive.Secret] // storage key → material
	blobs *blobKeys                              // blobs' derived keys
}

// MaterialCacheSize is how many versions of key material a Ring keeps
// opened in memory.
const MaterialCacheSize = 4096

// New returns an empty Ring whose cache feed invalidates (nil: only
// Delete does).
func New(feed store.Feed) *Ring {
	r := &Ring{cache: cache.New[string, primitive.Secret](feed, "keyring/material", MaterialCacheSize)}
	r.cache.Follow("keyring/", cache.ByKey)
	r.blobs = newBlobKeys(feed, BlobKeyCacheSize)
	return r
}

func materialKey(region, keyID, materialID string) string {
	return "keyring/" + region + "/" + keyID + "/" + materialID
}

// Create makes a new version of material for keyID in region inside tx and
// returns its KeyMaterialId (64 hex characters).
func (r *Ring) Create(tx store.Tx, region, keyID string) (string, error) {
	if err := checkKeyID(keyID); err != nil {
		return "", err
	}
	id := hex.EncodeToString(primitive.Random(materialSize))
	mat := primitive.Random(primitive.KeySize)
	if err := tx.Put(materialKey(region, keyID, id), mat); err != nil {
		return "", fmt.Errorf("failed to store key material: %w", err)
	}
	return id, nil
}

// Delete removes every version of keyID's material in region.
func (r *Ring) Delete(tx store.Tx, region, keyID string) error {
	prefix := "keyring/" + region + "/" + keyID + "/"
	var keys []string
	if err := tx.Scan(prefix, "", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
		r.cache.Drop(k) // the feed drops it too, once committed
		r.blobs.dropMaterial(k)
	}
	return nil
}

// materialName is a material version's names, the key of keys.
type materialName struct{ region, keyID, materialID string }

// keys remembers the storage keys of material versions that exist, so
// that a hot version's lookup builds no string.
var keys = cache.NewMemo[materialName, string](MaterialCacheSize)

func (r *Ring) material(tx store.Tx, region, keyID, materialID string) ([]byte, error) {
	_, mat, err := r.materialAt(tx, region, keyID, materialID)
	return mat, err
}

// materialAt is material, with the storage key it was read under.
func (r *Ring) materialAt(tx store.Tx, region, keyID, materialID string) (string, []byte, error) {
	name := materialName{region, keyID, materialID}
	k, known := keys.Get(name)
	if !known {
		k = materialKey(region, keyID, materialID)
	}
	if s, ok := r.cache.Get(k); ok {
		if !known {
			keys.Put(name, k)
		}
		return k, s.Bytes(), nil
	}
	// The ticket is taken inside tx, after its snapshot: material read
	// from a snapshot older than its deletion can still be cached. It is
	// material no key names any more (kms refuses a deleted key before it
	// asks the keyring) and it ages out of the bounded cache; a version
	// that exists never changes, so nothing stale is ever served.
	ticket := r.cache.TicketFor(k)
	v, err := tx.Get(k)
	if errors.Is(err, store.ErrNotFound) {
		return k, nil, ErrNoMaterial
	}
	if err != nil {
		return k, nil, err
	}
	mat := append([]byte(nil), v...)
	r.cache.Put(k, primitive.NewSecret(mat), ticket)
	return k, mat, nil
}

// symmetric reads a version of symmetric material: asymmetric or HMAC
// material never encrypts a blob.
func (r *Ring) symmetric(tx store.Tx, region, keyID, materialID string) ([]byte, error) {
	_, mat, err := r.symmetricAt(tx, region, keyID, materialID)
	return mat, err
}

// symmetricAt is symmetric, with the version's storage key.
func (r *Ring) symmetricAt(tx store.Tx, region, keyID, materialID string) (string, []byte, error) {
	k, v, err := r.materialAt(tx, region, keyID, materialID)
	if err != nil {
		return k, nil, err
	}
	spec, mat, err := decodeMaterial(v)
	if err != nil {
		return k, nil, err
	}
	if spec != SymmetricDefault {
		return k, nil, ErrWrongKind
	}
	return k, mat, nil
}

// Encrypt seals plaintext under keyID's material materialID, bound to the
// encryption context ec.
func (r *Ring) Encrypt(tx store.Tx, region, keyID, materialID string, plaintext []byte, ec map[string]string) ([]byte, error) {
	version, kid, ok := parseKeyID(keyID)
	if !ok {
		return nil, fmt.Errorf("keyring: key id %q is not a UUID", keyID)
	}
	var mid [materialSize]byte
	if len(materialID) != 2*materialSize {
		return nil, fmt.Errorf("keyring: bad material id")
	}
	if _, err := hex.Decode(mid[:], []byte(materialID)); err != nil {
		return nil, fmt.Errorf("keyring: bad material id")
	}
	mat, err := r.symmetric(tx, region, keyID, materialID)
	if err != nil {
		return nil, err
	}
	blob := make([]byte, headerSize, headerSize+primitive.Overhead+len(plaintext))
	blob[0] = version
	copy(blob[1:17], kid[:])
	copy(blob[17:49], mid[:])
	primitive.RandomInto(blob[49:65])
	var key [primitive.KeySize]byte
	primitive.DeriveKeyInto(&key, mat, blob[49:65], deriveInfo)
	defer clear(key[:])
	sc := getScratch()
	defer sc.put()
	return primitive.SealTo(blob, key[:], plaintext, sc.aad(blob[:headerSize], ec))
}

// Header is what a blob says about itself before it is opened.
type Header struct {
	KeyID      string
	MaterialID string
	// prefix is the blob's first 49 bytes (version, key id, material
	// id), the names' source.
	prefix [49]byte
}

// HeaderMemoSize is how many blob headers' names ParseBlob remembers.
const HeaderMemoSize = 4096

// names remembers the names of the headers of blobs opened: the names are
// a function of the bytes, and a hot key's blobs share a few headers.
// Only a header a blob proved authentic is kept, so that forged blobs
// cannot fill it.
var names = cache.NewMemo[[49]byte, Header](HeaderMemoSize)

// ParseBlob reads a blob's header. It checks the shape only; Decrypt proves
// the blob authentic.
func ParseBlob(blob []byte) (Header, error) {
	if len(blob) < minBlobSize || blob[0] != blobVersion && blob[0] != blobVersionMRK {
		return Header{}, ErrInvalidCiphertext
	}
	prefix := [49]byte(blob[:49])
	if h, ok := names.Get(prefix); ok {
		return h, nil
	}
	return Header{KeyID: formatKeyID(blob[0], [16]byte(blob[1:17])), MaterialID: hex.EncodeToString(blob[17:49]), prefix: prefix}, nil
}

// Decrypt opens blob under the encryption context ec. Every failure to
// authenticate is ErrInvalidCiphertext.
func (r *Ring) Decrypt(tx store.Tx, region string, blob []byte, ec map[string]string) ([]byte, error) {
	h, err := ParseBlob(blob)
	if err != nil {
		return nil, err
	}
	return r.DecryptAs(tx, region, h, blob, ec)
}

// DecryptAs is Decrypt for a blob whose header the caller read already
// with ParseBlob.
func (r *Ring) DecryptAs(tx store.Tx, region string, h Header, blob []byte, ec map[string]string) ([]byte, error) {
	if len(blob) < minBlobSize || [49]byte(blob[:49]) != h.prefix {
		return nil, ErrInvalidCiphertext
	}
	// The material is read (and so its version proved to exist) whether or
	// not the blob's key is held: see blobKeys.
	ticket := r.blobs.ticket()
	k, mat, err := r.symmetricAt(tx, region, h.KeyID, h.MaterialID)
	if errors.Is(err, ErrNoMaterial) || errors.Is(err, ErrWrongKind) {
		return nil, ErrInvalidCiphertext
	}
	if err != nil {
		return nil, err
	}
	// The key is the blob's, derived from the material and the blob's
	// salt, on the stack and wiped; blobKeys keeps a copy of the key of a
	// blob that opens.
	name := blobName{material: k, salt: [saltSize]byte(blob[49:65])}
	var key [primitive.KeySize]byte
	held := r.blobs.get(&name, &key)
	if !held {
		primitive.DeriveKeyInto(&key, mat, blob[49:65], deriveInfo)
	}
	defer clear(key[:])
	sc := getScratch()
	defer sc.put()
	pt, err := primitive.Open(key[:], blob[headerSize:], sc.aad(blob[:headerSize], ec))
	if err != nil {
		return nil, ErrInvalidCiphertext
	}
	if !held {
		r.blobs.put(&name, &key, ticket)
		names.Put(h.prefix, h)
	}
	return pt, nil
}

// Random returns n random bytes (GenerateRandom, data keys).
func Random(n int) []byte { return primitive.Random(n) }

// scratch is a call's reusable buffers: the AAD and the context's sorted
// names, pooled so that a blob's opening allocates neither.
type scratch struct {
	buf   []byte
	names []string
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratches.Get().(*scratch) }

func (sc *scratch) put() {
	if cap(sc.buf) > 64<<10 {
		return // a huge context's buffer is not kept
	}
	clear(sc.names)
	sc.names = sc.names[:0]
	scratches.Put(sc)
}

// aad is the header followed by the encryption context in a canonical form:
// pairs sorted by name, each name and value length-prefixed, so that no two
// different contexts encode alike and order on the wire does not matter.
// It is built in sc's buffer, valid until sc is put back.
func (sc *scratch) aad(header []byte, ec map[string]string) []byte {
	names := sc.names[:0]
	size := len(header) + binary.MaxVarintLen64
	for k, v := range ec {
		names = append(names, k)
		size += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(names)
	sc.names = names
	out := sc.buf[:0]
	if cap(out) < size {
		out = make([]byte, 0, size)
	}
	out = append(out, header...)
	out = binary.AppendUvarint(out, uint64(len(names)))
	for _, k := range names {
		out = binary.AppendUvarint(out, uint64(len(k)))
		out = append(out, k...)
		v := ec[k]
		out = binary.AppendUvarint(out, uint64(len(v)))
		out = append(out, v...)
	}
	sc.buf = out
	return out
}
