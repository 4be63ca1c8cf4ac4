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
	"maps"
	"sync"
	"sync/atomic"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// ErrCorrupt is wrapped, with the storage key, by Get and Scan when a stored
// value does not open: it was altered, truncated, moved from another key, or
// sealed under a barrier key this Barrier does not hold. The cause is not
// told (it is a failed authentication either way).
var ErrCorrupt = errors.New("barrier: stored value failed authentication")

// ErrSealed is wrapped by every read and write of a sealed Barrier: it holds
// no key until Unseal.
var ErrSealed = errors.New("barrier: sealed")

// ErrInitialized is returned by Initialize when raw already holds a keyring.
var ErrInitialized = errors.New("barrier: already initialized")

// Barrier is a store.Store that seals values into another store.Store. Get
// costs one AES-GCM open, Put one seal. Create it with Open or OpenSealed;
// the zero value is not usable. Safe for concurrent use.
type Barrier struct {
	raw  store.Store
	keys atomic.Pointer[keySet] // nil while sealed
	// mu serialises the changes of keys: unseal, seal, rotate, rekey and
	// learning a term another server made.
	mu     sync.Mutex
	closed atomic.Bool
}

// keySet is what an unsealed Barrier holds. It is never changed once
// published: a change publishes a new one.
type keySet struct {
	active uint32
	aeads  []*primitive.AEAD // aeads[t-1] seals and opens term t
	terms  []termKey
	kk     []byte // the keyring key, to rewrite the term list
}

func newKeySet(kk []byte, ts []termKey) (*keySet, error) {
	ks := &keySet{active: ts[len(ts)-1].term, terms: ts, kk: kk}
	for _, t := range ts {
		aead, err := primitive.NewAEAD(t.key)
		if err != nil {
			return nil, fmt.Errorf("failed to use the barrier key of term %d: %w", t.term, err)
		}
		ks.aeads = append(ks.aeads, aead)
	}
	return ks, nil
}

// wipe clears the key bytes ks holds. The AES key schedules inside the
// AEADs cannot be wiped; dropping them leaves them to the collector.
func (ks *keySet) wipe() {
	clear(ks.kk)
	clearTerms(ks.terms)
}

var _ store.Store = (*Barrier)(nil)

// Open unseals the barrier over raw with the root-key provider p.
//
// On first use (raw holds no keyring) Open draws a new keyring, wraps it
// with p and stores it, in one transaction. Afterwards it reads the keyring,
// checks that p is the kind of provider that sealed it (else a
// *ProviderMismatchError) and unwraps it with p. A wrong root key or
// passphrase fails with p's error (see the rootkey sentinels) and writes
// nothing.
//
// The Barrier owns raw from then on: closing the Barrier closes raw.
func Open(ctx context.Context, raw store.Store, p rootkey.Provider) (*Barrier, error) {
	b := &Barrier{raw: raw}
	rec, err := readKeyring(ctx, raw)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = b.initialize(ctx, p, true)
	case err == nil:
		err = b.unsealWith(ctx, rec, p)
	}
	if err != nil {
		return nil, err
	}
	return b, nil
}

// OpenSealed returns a sealed Barrier over raw: every read and write fails
// with ErrSealed until Unseal. raw may hold no keyring yet (Initialize).
// The Barrier owns raw: closing it closes raw.
func OpenSealed(ctx context.Context, raw store.Store) (*Barrier, error) {
	if _, err := Initialized(ctx, raw); err != nil {
		return nil, err // an unreadable keyring is told now, not at unseal
	}
	return &Barrier{raw: raw}, nil
}

// Initialize draws a new keyring, wraps it with p and stores it in raw,
// leaving no key in memory: a Barrier over raw stays sealed until Unseal.
// It fails with ErrInitialized when raw already holds a keyring.
func Initialize(ctx context.Context, raw store.Store, p rootkey.Provider) error {
	return (&Barrier{raw: raw}).initialize(ctx, p, false)
}

// initialize stores a new keyring wrapped by p, and keeps its keys when
// unseal is set. If another server stored one meanwhile, Open (unseal set)
// unseals that one and Initialize fails.
func (b *Barrier) initialize(ctx context.Context, p rootkey.Provider, unseal bool) error {
	rec, kk, ts, err := newKeyring(ctx, p)
	if err != nil {
		return err
	}
	existing, err := putKeyringIfAbsent(ctx, b.raw, rec)
	if err != nil || existing != nil || !unseal {
		clear(kk)
		clearTerms(ts)
		if err == nil && existing != nil {
			if !unseal {
				return ErrInitialized
			}
			// Another Open won the race; ours was never used.
			if rec, err = decodeKeyring(existing); err == nil {
				err = b.unsealWith(ctx, rec, p)
			}
		}
		return err
	}
	return b.publish(kk, ts)
}

// publish makes kk and ts the keys b uses.
func (b *Barrier) publish(kk []byte, ts []termKey) error {
	ks, err := newKeySet(kk, ts)
	if err != nil {
		clear(kk)
		clearTerms(ts)
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if old := b.keys.Swap(ks); old != nil {
		old.wipe()
	}
	return nil
}

// Unseal unwraps the keyring with p; it is a no-op when b is unsealed. A
// wrong provider kind is a *ProviderMismatchError, a wrong key p's error,
// and a missing keyring wraps store.ErrNotFound.
func (b *Barrier) Unseal(ctx context.Context, p rootkey.Provider) error {
	if b.keys.Load() != nil {
		return nil
	}
	rec, err := readKeyring(ctx, b.raw)
	if err != nil {
		return err
	}
	return b.unsealWith(ctx, rec, p)
}

func (b *Barrier) unsealWith(ctx context.Context, rec keyring, p rootkey.Provider) error {
	kk, ts, err := unwrapKeyring(ctx, rec, p)
	if err != nil {
		return err
	}
	return b.publish(kk, ts)
}

// Seal drops every key b holds; reads and writes fail with ErrSealed until
// Unseal.
func (b *Barrier) Seal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if ks := b.keys.Swap(nil); ks != nil {
		ks.wipe()
	}
}

// Sealed reports whether b holds no key.
func (b *Barrier) Sealed() bool { return b.keys.Load() == nil }

// Status is what a Barrier tells about itself: nothing secret.
type Status struct {
	Initialized bool
	Sealed      bool
	// Provider is the root-key provider that wraps the keyring ("file",
	// "passphrase", "shamir", ...), Settings its non-secret settings
	// (rootkey.Described); empty before initialisation.
	Provider string
	Settings map[string]string
	// Term is the keyring's active term (0 before initialisation), Terms
	// how many terms this server holds (0 while sealed).
	Term  uint32
	Terms int
}

// Status reports b's state, reading the keyring record.
func (b *Barrier) Status(ctx context.Context) (Status, error) {
	ks := b.keys.Load()
	st := Status{Sealed: ks == nil}
	if ks != nil {
		st.Terms = len(ks.aeads)
	}
	rec, err := readKeyring(ctx, b.raw)
	if errors.Is(err, store.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	st.Initialized, st.Provider, st.Settings, st.Term = true, rec.Provider, maps.Clone(rec.Settings), rec.Term
	return st, nil
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
	if err := b.sealedErr(); err != nil {
		return err
	}
	return b.raw.View(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Update runs fn in a read-write transaction of the raw store; see
// store.Store.
func (b *Barrier) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := b.sealedErr(); err != nil {
		return err
	}
	return b.raw.Update(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Batch is Update through the raw store's group commit.
func (b *Barrier) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if err := b.sealedErr(); err != nil {
		return err
	}
	return b.raw.Batch(ctx, func(raw store.Tx) error { return fn(&tx{b: b, raw: raw}) })
}

// Close seals b (its key bytes wiped) and closes the raw store.
func (b *Barrier) Close() error {
	b.closed.Store(true)
	b.Seal()
	return b.raw.Close()
}

// sealedErr is ErrSealed while b is sealed, store.ErrClosed once closed.
func (b *Barrier) sealedErr() error {
	switch {
	case !b.Sealed():
		return nil
	case b.closed.Load():
		return store.ErrClosed
	}
	return ErrSealed
}
