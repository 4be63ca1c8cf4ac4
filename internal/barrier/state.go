package barrier

import (
	"context"
	"errors"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
)

// ErrSealed is wrapped by every read and write of a sealed Barrier: it holds
// no key until Unseal.
var ErrSealed = errors.New("barrier: sealed")

// ErrInitialized is returned by Initialize when raw already holds a keyring.
var ErrInitialized = errors.New("barrier: already initialized")

// Status is what a Barrier tells about itself: nothing secret.
type Status struct {
	Initialized bool
	Sealed      bool
	// Provider is the root-key provider that wraps the keyring ("file",
	// "passphrase", "shamir", ...), Settings its non-secret settings
	// (rootkey.Described), empty before Initialize.
	Provider string
	Settings map[string]string
	// Term is the active barrier key term, Terms how many terms the keyring
	// holds (known to this server when sealed: 0).
	Term  uint32
	Terms int
}

// OpenSealed returns a sealed Barrier over raw: every read and write fails
// with ErrSealed until Unseal. raw may hold no keyring yet (Initialize).
func OpenSealed(ctx context.Context, raw store.Store) (*Barrier, error) {
	return nil, errors.New("barrier: OpenSealed: not yet")
}

// Initialize draws a new barrier keyring, wraps it with p and stores it,
// leaving no key in memory: the Barrier over raw stays sealed until
// Unseal. It fails with ErrInitialized when raw already holds a keyring.
func Initialize(ctx context.Context, raw store.Store, p rootkey.Provider) error {
	return errors.New("barrier: Initialize: not yet")
}

// Unseal unwraps the keyring with p; it is a no-op when b is unsealed. A
// wrong provider kind is a *ProviderMismatchError, a wrong key p's error.
func (b *Barrier) Unseal(ctx context.Context, p rootkey.Provider) error {
	return errors.New("barrier: Unseal: not yet")
}

// Seal drops every key b holds; reads and writes fail with ErrSealed until
// Unseal.
func (b *Barrier) Seal() {}

// Sealed reports whether b holds no key.
func (b *Barrier) Sealed() bool { return false }

// Status reports b's state; it reads the keyring record from raw.
func (b *Barrier) Status(ctx context.Context) (Status, error) {
	return Status{}, errors.New("barrier: Status: not yet")
}
