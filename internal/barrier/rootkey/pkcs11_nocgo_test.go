//go:build !cgo

package rootkey_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
)

// Run with CGO_ENABLED=0: a build without cgo says why it has no PKCS#11.
func TestPKCS11WithoutCgo(t *testing.T) {
	_, err := rootkey.NewPKCS11(rootkey.PKCS11Config{Module: "/usr/lib/softhsm/libsofthsm2.so", TokenLabel: "t", KeyLabel: "k"})
	if !errors.Is(err, rootkey.ErrNoPKCS11) || !strings.Contains(err.Error(), "this sealbox was built without cgo, so it has no PKCS#11 support") {
		t.Errorf("NewPKCS11 without cgo = %v, want ErrNoPKCS11", err)
	}
}
