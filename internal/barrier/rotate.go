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

// Rotate makes a new barrier key term, stored in the keyring and sealed by
// the active term for other servers, in one transaction; new values are
// sealed under it from then on and values of older terms still open. It
// answers the new term.
func (b *Barrier) Rotate(ctx context.Context) (uint32, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ks := b.keys.Load()
	if ks == nil {
		return 0, ErrSealed
	}
	var ts []termKey
	err := b.raw.Update(ctx, func(tx store.Tx) error {
		clearTerms(ts) // fn runs again after a conflict on a shared store
		ts = nil
		rec, err := getKeyring(tx)
		if err != nil {
			return err
		}
		if ts, err = openTerms(rec, ks.kk); err != nil {
			return err
		}
		prev := ts[len(ts)-1]
		next := termKey{term: prev.term + 1, key: primitive.Random(primitive.KeySize)}
		ts = append(ts, next)
		sealedNext, err := primitive.Seal(prev.key, next.key, termRecordAD(next.term))
		if err != nil {
			return err
		}
		if rec.Terms, err = sealTerms(ks.kk, ts); err != nil {
			return err
		}
		rec.Version, rec.Term = keyringV2, next.term
		if err := putKeyring(tx, rec); err != nil {
			return err
		}
		return tx.Put(termRecordKey(next.term), sealedNext)
	})
	if err != nil {
		clearTerms(ts)
		return 0, fmt.Errorf("failed to rotate the barrier key: %w", err)
	}
	next, err := newKeySet(append([]byte(nil), ks.kk...), ts)
	if err != nil {
		clearTerms(ts)
		return 0, err
	}
	b.keys.Store(next)
	ks.wipe()
	return next.active, nil
}

// ErrNewProvider is wrapped by Rekey when the new provider fails to wrap
// the keyring (a wrong PIN, a disabled KMS key): nothing was changed.
var ErrNewProvider = errors.New("the new root-key provider failed")

// Rekey wraps the keyring under a new keyring key with the provider p
// (another root key, or another kind of provider) in one write: the data is
// not touched, and until that write commits the old root key still opens
// everything. The provider the server starts with must then be p's kind.
func (b *Barrier) Rekey(ctx context.Context, p rootkey.Provider) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	ks := b.keys.Load()
	if ks == nil {
		return ErrSealed
	}
	old, err := readKeyringBytes(ctx, b.raw)
	if err != nil {
		return err
	}
	rec, err := decodeKeyring(old)
	if err != nil {
		return err
	}
	ts, err := openTerms(rec, ks.kk)
	if err != nil {
		return fmt.Errorf("failed to rekey: %w", err)
	}
	defer clearTerms(ts)
	kk := primitive.Random(primitive.KeySize)
	next, err := wrapKeyring(ctx, p, kk, ts) // may ask an HSM or a KMS: outside the transaction
	if err != nil {
		clear(kk)
		return fmt.Errorf("failed to rekey: %w: %w", ErrNewProvider, err)
	}
	err = b.raw.Update(ctx, func(tx store.Tx) error {
		cur, err := tx.Get(keyringKey)
		if err != nil {
			return err
		}
		if !bytes.Equal(cur, old) {
			return fmt.Errorf("%w meanwhile (a rotation or another rekey): try again", ErrKeyringChanged)
		}
		return putKeyring(tx, next)
	})
	if err != nil {
		clear(kk)
		return fmt.Errorf("failed to rekey: %w", err)
	}
	ks2, err := newKeySet(kk, cloneTerms(ts))
	if err != nil {
		return err
	}
	b.keys.Store(ks2)
	ks.wipe()
	return nil
}

// Refresh learns the terms another server added to the keyring, so this
// one seals new values under the active term too. A server on a shared
// store calls it when the keyring changes.
func (b *Barrier) Refresh(ctx context.Context) error {
	ks := b.keys.Load()
	if ks == nil {
		return nil
	}
	return b.raw.View(ctx, func(tx store.Tx) error {
		rec, err := getKeyring(tx)
		if err != nil {
			return err
		}
		if rec.Term <= ks.active {
			return nil
		}
		_, err = b.learn(tx, rec.Term)
		return err
	})
}

// IsKeyring reports whether a raw storage key is the barrier's keyring: a
// follower of a shared store's change log calls Refresh when it changes.
func IsKeyring(raw string) bool { return raw == keyringKey }

func getKeyring(tx store.Tx) (keyring, error) {
	v, err := tx.Get(keyringKey)
	if err != nil {
		return keyring{}, fmt.Errorf("failed to read the barrier keyring: %w", err)
	}
	return decodeKeyring(v)
}

func putKeyring(tx store.Tx, rec keyring) error {
	enc, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("failed to encode the barrier keyring: %w", err)
	}
	return tx.Put(keyringKey, enc)
}

func readKeyringBytes(ctx context.Context, raw store.Store) ([]byte, error) {
	var b []byte
	err := raw.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(keyringKey)
		b = bytes.Clone(v)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("failed to read the barrier keyring: %w", err)
	}
	return b, nil
}
