// Package primitive is sealbox's one corner for cryptographic primitives: it
// is the only package that imports crypto/aes, crypto/cipher, crypto/hmac and
// golang.org/x/crypto, and the ML-DSA, secp256k1 and AES-KWP libraries
// (deps_test.go keeps it that way). Every choice is made here once: AES-256-GCM with random
// 96-bit nonces, HKDF-SHA256, Argon2id, HMAC-SHA256, and the asymmetric and
// HMAC operations of KMS keys (asym.go).
package primitive

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"

	"golang.org/x/crypto/argon2"
)

const (
	// KeySize is the size of every symmetric key: AES-256.
	KeySize = 32
	// NonceSize is the AES-GCM nonce size.
	NonceSize = 12
	// Overhead is what Seal adds to a plaintext: the nonce and the GCM tag.
	Overhead = NonceSize + 16
)

// ErrOpen is the one error Open returns: the cause (wrong key, altered
// bytes, wrong additional data) is deliberately not told.
var ErrOpen = errors.New("primitive: message authentication failed")

// Random returns n bytes from the system's CSPRNG.
func Random(n int) []byte {
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		panic("primitive: system random source failed: " + err.Error())
	}
	return b
}

// RandomInto fills b from the system's CSPRNG: Random without a buffer of
// its own.
func RandomInto(b []byte) {
	if _, err := rand.Read(b); err != nil {
		panic("primitive: system random source failed: " + err.Error())
	}
}

// AEAD is an AES-256-GCM key ready for use. Safe for concurrent use.
type AEAD struct{ gcm cipher.AEAD }

// NewAEAD returns an AEAD for a 32-byte key.
func NewAEAD(key []byte) (*AEAD, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return &AEAD{gcm: gcm}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, errors.New("primitive: key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts and authenticates plaintext and authenticates aad, appending
// nonce || ciphertext || tag to dst. A fresh random nonce is drawn each time.
func (a *AEAD) Seal(dst, plaintext, aad []byte) []byte { return seal(a.gcm, dst, plaintext, aad) }

func seal(gcm cipher.AEAD, dst, plaintext, aad []byte) []byte {
	// The nonce is drawn into dst itself: no buffer of its own.
	n := len(dst)
	dst = append(dst, make([]byte, NonceSize)...)
	RandomInto(dst[n:])
	return gcm.Seal(dst, dst[n:], plaintext, aad)
}

// Open reverses Seal. Any failure is ErrOpen.
func (a *AEAD) Open(dst, sealed, aad []byte) ([]byte, error) { return open(a.gcm, dst, sealed, aad) }

func open(gcm cipher.AEAD, dst, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, ErrOpen
	}
	out, err := gcm.Open(dst, sealed[:NonceSize], sealed[NonceSize:], aad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

// Seal is NewAEAD(key).Seal for one-off use.
func Seal(key, plaintext, aad []byte) ([]byte, error) { return SealTo(nil, key, plaintext, aad) }

// SealTo is Seal appending to dst: a key used once (a per-blob derived
// key) needs no AEAD of its own, only the cipher and GCM state the
// standard library allocates.
func SealTo(dst, key, plaintext, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	return seal(gcm, dst, plaintext, aad), nil
}

// Open is NewAEAD(key).Open for one-off use.
func Open(key, sealed, aad []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, ErrOpen
	}
	return open(gcm, nil, sealed, aad)
}

// DeriveKeyInto is DeriveKey writing the key to out, for callers that keep
// the key on the stack and wipe it. The derivation is crypto/hkdf's, which
// allocates its HMAC state each call: cheap beside a request, and not a
// primitive to write again to save it.
func DeriveKeyInto(out *[KeySize]byte, secret, salt []byte, info string) {
	k := DeriveKey(secret, salt, info)
	copy(out[:], k)
	clear(k)
}

// DeriveKey derives a 32-byte key from secret with HKDF-SHA256.
func DeriveKey(secret, salt []byte, info string) []byte {
	k, err := hkdf.Key(sha256.New, secret, salt, info, KeySize)
	if err != nil {
		panic("primitive: hkdf: " + err.Error())
	}
	return k
}

// Argon2Params are the Argon2id cost parameters; they travel with what they
// protect so that they can be raised later without breaking old data.
type Argon2Params struct {
	Time    uint32 `json:"t"`
	Memory  uint32 `json:"m"` // KiB
	Threads uint8  `json:"p"`
}

// DefaultArgon2 follows RFC 9106's second recommended option (64 MiB).
var DefaultArgon2 = Argon2Params{Time: 3, Memory: 64 * 1024, Threads: 4}

// PassphraseKey stretches a passphrase into a 32-byte key with Argon2id.
func PassphraseKey(passphrase, salt []byte, p Argon2Params) []byte {
	return argon2.IDKey(passphrase, salt, p.Time, p.Memory, p.Threads, KeySize)
}

// HMAC returns HMAC-SHA256(key, msg).
func HMAC(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// MACKey is an HMAC-SHA256 key that signs many messages (a SigV4 signing
// key, the same for a day's requests of one access key): the standard
// library's HMAC states keyed with it are kept and reset for the next
// message, rather than made (and their pads hashed) for each.
type MACKey struct {
	key  []byte
	pool sync.Pool
}

// NewMACKey returns key as a MACKey; it keeps a copy of key.
func NewMACKey(key []byte) *MACKey {
	return &MACKey{key: bytes.Clone(key)}
}

// Sum appends HMAC-SHA256(key, msg) to dst. Safe for concurrent use.
func (k *MACKey) Sum(dst, msg []byte) []byte {
	m, _ := k.pool.Get().(hash.Hash)
	if m == nil {
		m = hmac.New(sha256.New, k.key)
	} else {
		m.Reset()
	}
	m.Write(msg)
	dst = m.Sum(dst)
	k.pool.Put(m)
	return dst
}

// Equal compares two byte strings in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Secret holds key material, a secret access key, a session token or a
// passphrase. It prints as a fixed placeholder with every verb and in
// every log handler, refuses to be marshalled, and cannot be compared with
// ==: Equal compares in constant time. So it cannot leak through a log
// line, an error or an answer by accident; code that must hand the value
// on (a signer, a file, the wire) calls Bytes, at that boundary. The zero
// value is the empty secret.
//
// The bytes sit behind a pointer: fmt, printing a struct that holds a
// Secret in an unexported field, cannot call its methods, and prints a
// pointer's address, not what it points to.
type Secret struct {
	_ [0]func() // incomparable: == would not be constant-time
	p *[]byte
}

// NewSecret wraps b; the Secret owns b from then on.
func NewSecret(b []byte) Secret { return Secret{p: &b} }

// Bytes returns the material. Only code that must use the key calls it.
func (s Secret) Bytes() []byte {
	if s.p == nil {
		return nil
	}
	return *s.p
}

// Len is the material's length.
func (s Secret) Len() int { return len(s.Bytes()) }

// Equal reports whether s and t hold the same bytes, in time that depends
// on their lengths only.
func (s Secret) Equal(t Secret) bool { return Equal(s.Bytes(), t.Bytes()) }

// EqualString is Equal for a value that came as a string (a request's
// session token), without copying it: the loop is subtle's, over the
// string's bytes.
func (s Secret) EqualString(t string) bool {
	b := s.Bytes()
	if len(b) != len(t) {
		return false
	}
	var v byte
	for i := range len(t) {
		v |= b[i] ^ t[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

const placeholder = "[secret]"

func (Secret) String() string   { return placeholder }
func (Secret) GoString() string { return placeholder }

// Format prints the placeholder whatever the verb: %d or %x would
// otherwise print the bytes of the struct.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, placeholder) }

// LogValue is the placeholder: slog's handlers do not all call String.
func (Secret) LogValue() slog.Value { return slog.StringValue(placeholder) }

// MarshalJSON refuses: a record that holds a Secret is stored through an
// explicit encoding of its own, never by accident.
func (Secret) MarshalJSON() ([]byte, error) {
	return nil, errors.New("primitive: a Secret is never serialised")
}

// MarshalText refuses, as MarshalJSON.
func (Secret) MarshalText() ([]byte, error) {
	return nil, errors.New("primitive: a Secret is never serialised")
}
