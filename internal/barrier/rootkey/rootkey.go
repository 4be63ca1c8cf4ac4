// Package rootkey holds the root-key providers: the things that wrap and
// unwrap the barrier key, and so decide who can open a data folder.
//
// A provider never sees the data it protects, only the 32-byte barrier key.
// The barrier stores what Wrap returns beside the data and hands it back to
// Unwrap at every start; Unwrap failing is the one way a start is refused
// for want of the right secret, so its errors say plainly what is wrong.
package rootkey

import (
	"context"
	"errors"
)

// Provider wraps and unwraps the barrier key. Implementations are safe for
// concurrent use.
type Provider interface {
	// Name identifies the provider in the data folder ("file",
	// "passphrase", "pkcs11", "kms"), so that opening with another kind
	// fails clearly.
	Name() string
	// Wrap encrypts key; it is called once, when a data folder is first
	// initialised.
	Wrap(ctx context.Context, key []byte) ([]byte, error)
	// Unwrap reverses Wrap; it is called at every start.
	Unwrap(ctx context.Context, wrapped []byte) ([]byte, error)
}

var (
	// ErrWrongPassphrase is returned by the passphrase provider's Unwrap
	// when the passphrase does not unwrap the barrier key (or the wrapped
	// bytes were altered: the two cannot be told apart).
	ErrWrongPassphrase = errors.New("wrong passphrase: the root key could not be unwrapped")
	// ErrWrongRootKey is wrapped by the file provider's Unwrap when the key
	// in the file does not unwrap the barrier key: it belongs to another data
	// folder, or the wrapped bytes were altered.
	ErrWrongRootKey = errors.New("wrong root key")
	// ErrRootKeyMissing is wrapped by the file provider's Unwrap when the
	// root key file does not exist. It also matches fs.ErrNotExist.
	ErrRootKeyMissing = errors.New("root key file is missing")
	// ErrKeyAbsent is wrapped by the pkcs11 and kms providers when the key
	// that wraps the barrier key is not there: no such label in the
	// token, no such KMS key.
	ErrKeyAbsent = errors.New("the root key's wrapping key is absent")
	// ErrRootKeyUnusable is wrapped by the kms provider when the key
	// exists but may not be used now: disabled, or pending deletion.
	ErrRootKeyUnusable = errors.New("the root key cannot be used")
)

// explained is an error whose message is written for the operator, that
// still matches its sentinel (and cause) with errors.Is.
type explained struct {
	msg  string
	errs []error
}

func (e *explained) Error() string   { return e.msg }
func (e *explained) Unwrap() []error { return e.errs }

// Described is implemented by providers with non-secret settings the
// barrier keeps beside the wrapped key (shamir's share count and
// threshold), so a sealed server can tell them before it is unsealed.
type Described interface {
	Settings() map[string]string
}
