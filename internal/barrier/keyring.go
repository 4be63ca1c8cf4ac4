package barrier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// keyringKey holds the wrapped barrier key, outside the "v/" space that
// user keys live in, so no user key can overwrite it.
const keyringKey = "barrier/keyring"

const (
	keyringVersion = 1
	firstTerm      = 1
)

// keyring is the record at keyringKey. It is stored in the clear: Wrapped
// is protected by the provider, and the rest is not secret.
type keyring struct {
	Version  int    `json:"version"`
	Provider string `json:"provider"` // rootkey.Provider.Name() that wrapped it
	Term     uint32 `json:"term"`
	Wrapped  []byte `json:"wrapped"`
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

func readKeyring(ctx context.Context, raw store.Store) (keyring, error) {
	var b []byte
	err := raw.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(keyringKey)
		b = bytes.Clone(v)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return keyring{}, err
	}
	if err != nil {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: %w", err)
	}
	return decodeKeyring(b)
}

func decodeKeyring(b []byte) (keyring, error) {
	var rec keyring
	if err := json.Unmarshal(b, &rec); err != nil {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: %w", err)
	}
	if rec.Version != keyringVersion || rec.Term < firstTerm || rec.Provider == "" || len(rec.Wrapped) == 0 {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: unsupported or incomplete record (version %d, term %d)", rec.Version, rec.Term)
	}
	return rec, nil
}

// initKeyring creates the barrier key, wraps it with p and stores the
// keyring unless one appeared meanwhile, in which case that one is used.
func initKeyring(ctx context.Context, raw store.Store, p rootkey.Provider) (keyring, []byte, error) {
	key := primitive.Random(primitive.KeySize)
	wrapped, err := p.Wrap(ctx, key)
	if err != nil {
		clear(key)
		return keyring{}, nil, fmt.Errorf("failed to wrap the new barrier key: %w", err)
	}
	rec := keyring{Version: keyringVersion, Provider: p.Name(), Term: firstTerm, Wrapped: wrapped}
	enc, err := json.Marshal(rec)
	if err != nil {
		clear(key)
		return keyring{}, nil, fmt.Errorf("failed to encode the barrier keyring: %w", err)
	}
	var existing []byte
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
		clear(key)
		return keyring{}, nil, fmt.Errorf("failed to store the barrier keyring: %w", err)
	}
	if existing == nil {
		return rec, key, nil
	}
	clear(key) // another Open won the race; ours was never used
	if rec, err = decodeKeyring(existing); err != nil {
		return keyring{}, nil, err
	}
	key, err = unwrapKeyring(ctx, rec, p)
	return rec, key, err
}

func unwrapKeyring(ctx context.Context, rec keyring, p rootkey.Provider) ([]byte, error) {
	if rec.Provider != p.Name() {
		return nil, &ProviderMismatchError{Sealed: rec.Provider, Given: p.Name()}
	}
	key, err := p.Unwrap(ctx, rec.Wrapped)
	if err != nil {
		return nil, fmt.Errorf("failed to unseal the data folder: %w", err)
	}
	if len(key) != primitive.KeySize {
		clear(key)
		return nil, fmt.Errorf("failed to unseal the data folder: the unwrapped barrier key is %d bytes, want %d", len(key), primitive.KeySize)
	}
	return key, nil
}
