// Package barrier seals everything sealbox keeps at rest. A Barrier wraps a
// store.Store and is one: each value put through it is encrypted with
// AES-256-GCM under the barrier key before it reaches the raw store, and
// authenticated on the way back, so a copy of the data folder (or database)
// without the root key reveals no value.
//
// # Layout in the raw store
//
//	barrier/keyring   the barrier key, wrapped by a rootkey.Provider (JSON)
//	v/<key>           the sealed value of <key>
//
// Keys are not encrypted: they are readable in the raw store, and must
// therefore never contain a secret.
//
// # Sealed values
//
//	version (1 byte, 1) | term (uint32 big-endian) | nonce (12) | ciphertext | tag (16)
//
// The additional data is version | term | raw storage key, so a sealed value
// copied to another key, or given another header, fails to open. The term
// names the barrier key that sealed the value; there is one term today, and
// the field leaves room to rotate the barrier key (a new term seals new
// values while the old ones still open).
package barrier

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// ErrCorrupt is wrapped, with the storage key, by Get and Scan when a stored
// value does not open: it was altered, truncated, moved from another key, or
// sealed under a barrier key this Barrier does not hold. The cause is not
// told (it is a failed authentication either way).
var ErrCorrupt = errors.New("barrier: stored value failed authentication")

// Barrier is a store.Store that seals values into another store.Store. Get
// costs one AES-GCM open, Put one seal. Create it with Open; the zero value
// is not usable. Safe for concurrent use.
type Barrier struct {
	raw  store.Store
	term uint32
	aead *primitive.AEAD // built once at Open: the hot path only uses it
}

var _ store.Store = (*Barrier)(nil)

// Open unseals the barrier over raw with the root-key provider p.
//
// On first use (raw holds no keyring) Open draws a new barrier key, wraps it
// with p and stores it, in one transaction. Afterwards it reads the keyring,
// checks that p is the kind of provider that sealed it (else a
// *ProviderMismatchError) and unwraps the barrier key with p. A wrong root
// key or passphrase fails with p's error (see the rootkey sentinels) and
// writes nothing.
//
// The Barrier owns raw from then on: closing the Barrier closes raw.
func Open(ctx context.Context, raw store.Store, p rootkey.Provider) (*Barrier, error) {
	rec, err := readKeyring(ctx, raw)
	var key []byte
	switch {
	case errors.Is(err, store.ErrNotFound):
		rec, key, err = initKeyring(ctx, raw, p)
	case err == nil:
		key, err = unwrapKeyring(ctx, rec, p)
	}
	if err != nil {
		return nil, err
	}
	defer clear(key)
	aead, err := primitive.NewAEAD(key)
	if err != nil {
		return nil, fmt.Errorf("failed to use the barrier key: %w", err)
	}
	return &Barrier{raw: raw, term: rec.Term, aead: aead}, nil
}

// Initialized reports whether raw already holds a barrier keyring, that is
// whether Open would unwrap an existing barrier key rather than create one.
// The server uses it to tell a first start (a missing root key file may be
// created) from a lost root key (it is an error).
func Initialized(ctx context.Context, raw store.Store) (bool, error) {
	_, err := readKeyring(ctx, raw)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// View runs fn in a read-only transaction of the raw store; see store.Store.
func (b *Barrier) View(ctx context.Context, fn func(store.Tx) error) error {
	return b.raw.View(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Update runs fn in a read-write transaction of the raw store; see
// store.Store.
func (b *Barrier) Update(ctx context.Context, fn func(store.Tx) error) error {
	return b.raw.Update(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Batch is Update through the raw store's group commit.
func (b *Barrier) Batch(ctx context.Context, fn func(store.Tx) error) error {
	return b.raw.Batch(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Close closes the raw store. The barrier key stays in memory until the
// Barrier is garbage collected (Go cannot reliably wipe it sooner).
func (b *Barrier) Close() error { return b.raw.Close() }
