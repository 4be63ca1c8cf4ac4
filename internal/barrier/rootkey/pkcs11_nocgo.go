//go:build !cgo

package rootkey

import (
	"context"
	"fmt"
)

// PKCS11 is the pkcs11 provider; a sealbox built without cgo cannot load
// a PKCS#11 library, so NewPKCS11 always fails.
type PKCS11 struct{}

var _ Provider = (*PKCS11)(nil)

// NewPKCS11 returns ErrNoPKCS11: PKCS#11 libraries are C, loaded with cgo.
func NewPKCS11(PKCS11Config) (*PKCS11, error) {
	return nil, fmt.Errorf("--root-key pkcs11: %w", ErrNoPKCS11)
}

// Name returns "pkcs11".
func (*PKCS11) Name() string { return "pkcs11" }

// Close does nothing.
func (*PKCS11) Close() error { return nil }

// Wrap returns ErrNoPKCS11.
func (*PKCS11) Wrap(context.Context, []byte) ([]byte, error) { return nil, ErrNoPKCS11 }

// Unwrap returns ErrNoPKCS11.
func (*PKCS11) Unwrap(context.Context, []byte) ([]byte, error) { return nil, ErrNoPKCS11 }
