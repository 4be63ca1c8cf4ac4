package barrier

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// keyringKey holds the wrapped keyring, outside the "v/" space that user
// keys live in, so no user key can overwrite it.
const keyringKey = "barrier/keyring"

// termKeyPrefix+<n> holds term n's key sealed by term n-1's: a server that
// holds term n-1 learns term n from it without the root key (another server
// on the same database rotated).
const termKeyPrefix = "barrier/term/"

// Keyring record versions. Version 1 wraps the one barrier key (term 1)
// itself; version 2 wraps a keyring key, which seals the list of every
// term's key. A version 1 record becomes version 2 at its first rotation or
// rekey, its term-1 key serving as the keyring key (the list is sealed
// under a key derived from it, so the two uses stay apart).
const (
	keyringV1 = 1
	keyringV2 = 2
	firstTerm = 1
)

// keyring is the record at keyringKey. It is stored in the clear: Wrapped
// is protected by the provider, Terms by the keyring key, and the rest is
// not secret.
type keyring struct {
	Version  int               `json:"version"`
	Provider string            `json:"provider"` // rootkey.Provider.Name() that wrapped it
	Settings map[string]string `json:"settings,omitempty"`
	Term     uint32            `json:"term"` // the active term
	Wrapped  []byte            `json:"wrapped"`
	Terms    []byte            `json:"terms,omitempty"` // version 2: the sealed term list
}

// ProviderMismatchError is returned by Open when the data folder's barrier
// key was wrapped by another kind of root-key provider than the one given.
type ProviderMismatchError struct {
	Sealed string // the provider that wrapped the barrier key
	Given  string // the provider Open was called with
}

func (e *ProviderMismatchError) Error() string {
	return fmt.Sprintf("the data folder was sealed by the %q root-key provider, not %q", e.Sealed, e.Given)
}

// ErrKeyringChanged is wrapped by Rotate and Rekey when another server
// changed the keyring under them: a rekey since this server was unsealed
// (restart or unseal it with the new root key), or a rotation during a
// rekey (try again).
var ErrKeyringChanged = errors.New("the barrier keyring was changed by another server")

// errStaleKeyring is returned by rotate and rekey when the stored keyring
// no longer opens with the keyring key this server holds.
var errStaleKeyring = fmt.Errorf("%w: it was rekeyed since this server was unsealed; restart or unseal this server with the new root key first", ErrKeyringChanged)

func readKeyring(ctx context.Context, raw store.Store) (keyring, error) {
	b, err := readKeyringBytes(ctx, raw)
	if err != nil {
		return keyring{}, err
	}
	return decodeKeyring(b)
}

func decodeKeyring(b []byte) (keyring, error) {
	var rec keyring
	if err := json.Unmarshal(b, &rec); err != nil {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: %w", err)
	}
	ok := rec.Term >= firstTerm && rec.Provider != "" && len(rec.Wrapped) > 0
	switch rec.Version {
	case keyringV1:
		ok = ok && rec.Term == firstTerm
	case keyringV2:
		ok = ok && len(rec.Terms) > 0
	default:
		ok = false
	}
	if !ok {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: unsupported or incomplete record (version %d, term %d)", rec.Version, rec.Term)
	}
	return rec, nil
}

// termKey is one barrier key and the term it seals under.
type termKey struct {
	term uint32
	key  []byte
}

func clearTerms(ts []termKey) {
	for _, t := range ts {
		clear(t.key)
	}
}

// termsAD binds the sealed term list to its purpose and format.
var termsAD = []byte("sealbox barrier keyring v2: term keys")

// termsListInfo derives the key that seals the term list from the keyring
// key.
const termsListInfo = "sealbox barrier keyring v2: term list key"

// sealTerms encodes ts as term (4 bytes) | key (32) each and seals them
// under a key derived from kk.
func sealTerms(kk []byte, ts []termKey) ([]byte, error) {
	plain := make([]byte, 0, len(ts)*(4+primitive.KeySize))
	for _, t := range ts {
		plain = binary.BigEndian.AppendUint32(plain, t.term)
		plain = append(plain, t.key...)
	}
	defer clear(plain)
	lk := primitive.DeriveKey(kk, nil, termsListInfo)
	defer clear(lk)
	return primitive.Seal(lk, plain, termsAD)
}

// openTerms returns the term keys rec holds, unsealed with the keyring key
// kk. A version 1 record holds one term, whose key is kk itself.
func openTerms(rec keyring, kk []byte) ([]termKey, error) {
	if rec.Version == keyringV1 {
		return []termKey{{term: firstTerm, key: bytes.Clone(kk)}}, nil
	}
	lk := primitive.DeriveKey(kk, nil, termsListInfo)
	defer clear(lk)
	plain, err := primitive.Open(lk, rec.Terms, termsAD)
	if err != nil {
		return nil, errStaleKeyring
	}
	defer clear(plain)
	const size = 4 + primitive.KeySize
	if len(plain) == 0 || len(plain)%size != 0 {
		return nil, errors.New("failed to read the barrier keyring: malformed term list")
	}
	ts := make([]termKey, 0, len(plain)/size)
	for i := 0; i < len(plain); i += size {
		t := termKey{term: binary.BigEndian.Uint32(plain[i:]), key: bytes.Clone(plain[i+4 : i+size])}
		if t.term != uint32(len(ts))+firstTerm {
			clearTerms(append(ts, t))
			return nil, errors.New("failed to read the barrier keyring: term list out of order")
		}
		ts = append(ts, t)
	}
	if ts[len(ts)-1].term != rec.Term {
		clearTerms(ts)
		return nil, fmt.Errorf("failed to read the barrier keyring: active term %d is not the last (%d)", rec.Term, ts[len(ts)-1].term)
	}
	return ts, nil
}

// newKeyring draws a keyring key and a first term key and returns the
// version 2 record p wraps, with the unwrapped state.
func newKeyring(ctx context.Context, p rootkey.Provider) (keyring, []byte, []termKey, error) {
	kk := primitive.Random(primitive.KeySize)
	ts := []termKey{{term: firstTerm, key: primitive.Random(primitive.KeySize)}}
	rec, err := wrapKeyring(ctx, p, kk, ts)
	if err != nil {
		clear(kk)
		clearTerms(ts)
		return keyring{}, nil, nil, err
	}
	return rec, kk, ts, nil
}

// wrapKeyring makes the version 2 record of kk and ts wrapped by p.
func wrapKeyring(ctx context.Context, p rootkey.Provider, kk []byte, ts []termKey) (keyring, error) {
	wrapped, err := p.Wrap(ctx, kk)
	if err != nil {
		return keyring{}, fmt.Errorf("failed to wrap the barrier keyring: %w", err)
	}
	sealed, err := sealTerms(kk, ts)
	if err != nil {
		return keyring{}, err
	}
	rec := keyring{Version: keyringV2, Provider: p.Name(), Term: ts[len(ts)-1].term, Wrapped: wrapped, Terms: sealed}
	if d, ok := p.(rootkey.Described); ok {
		rec.Settings = d.Settings()
	}
	return rec, nil
}

// putKeyringIfAbsent stores rec unless a keyring exists, and returns the
// existing one's bytes if so.
func putKeyringIfAbsent(ctx context.Context, raw store.Store, rec keyring) (existing []byte, err error) {
	enc, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("failed to encode the barrier keyring: %w", err)
	}
	err = raw.Update(ctx, func(tx store.Tx) error {
		existing = nil // fn runs again after a conflict on a shared store
		v, err := tx.Get(keyringKey)
		if err == nil {
			existing = bytes.Clone(v)
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.Put(keyringKey, enc)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to store the barrier keyring: %w", err)
	}
	return existing, nil
}

// unwrapKeyring returns the keyring key and term keys rec holds, unwrapped
// with p.
func unwrapKeyring(ctx context.Context, rec keyring, p rootkey.Provider) ([]byte, []termKey, error) {
	if rec.Provider != p.Name() {
		return nil, nil, &ProviderMismatchError{Sealed: rec.Provider, Given: p.Name()}
	}
	kk, err := p.Unwrap(ctx, rec.Wrapped)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to unseal the data folder: %w", err)
	}
	if len(kk) != primitive.KeySize {
		clear(kk)
		return nil, nil, fmt.Errorf("failed to unseal the data folder: the unwrapped barrier key is %d bytes, want %d", len(kk), primitive.KeySize)
	}
	ts, err := openTerms(rec, kk)
	if err != nil {
		clear(kk)
		if errors.Is(err, errStaleKeyring) {
			// The provider opened the key but the list does not: altered.
			err = errors.New("failed to unseal the data folder: the barrier keyring's term list failed authentication")
		}
		return nil, nil, err
	}
	return kk, ts, nil
}

// termRecordKey is where term n's key is kept sealed by term n-1's.
func termRecordKey(n uint32) string { return termKeyPrefix + strconv.FormatUint(uint64(n), 10) }

// termRecordAD binds a sealed term key to its term.
func termRecordAD(n uint32) []byte {
	return []byte("sealbox barrier term key " + strconv.FormatUint(uint64(n), 10))
}
