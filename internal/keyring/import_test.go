package keyring_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

type importFixture struct {
	st     store.Store
	ring   *keyring.Ring
	keyID  string
	token  []byte
	public *rsa.PublicKey
	now    time.Time
}

func newImportFixture(tb testing.TB) *importFixture {
	tb.Helper()
	fx := &importFixture{st: memstore.New(), ring: keyring.New(nil), keyID: ids.UUID(), now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var der []byte
	err := fx.st.Update(context.Background(), func(tx store.Tx) (err error) {
		fx.token, der, err = fx.ring.NewImportToken(tx, keyring.ImportParams{
			Region: region, KeyID: fx.keyID, WrappingKeySpec: "RSA_2048", WrappingAlgorithm: "RSAES_OAEP_SHA_256", Expires: fx.now.Add(24 * time.Hour),
		})
		return err
	})
	if err != nil {
		tb.Fatalf("NewImportToken: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		tb.Fatalf("wrapping public key: %v", err)
	}
	fx.public = pub.(*rsa.PublicKey)
	return fx
}

func (fx *importFixture) wrap(tb testing.TB, mat []byte) []byte {
	tb.Helper()
	w, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, fx.public, mat, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return w
}

func (fx *importFixture) unwrap(keyID, spec string, token, wrapped []byte, now time.Time) (m *keyring.Imported, err error) {
	err = fx.st.View(context.Background(), func(tx store.Tx) (err error) {
		m, err = fx.ring.Unwrap(tx, region, keyID, spec, token, wrapped, now)
		return err
	})
	return m, err
}

func TestImportUnwrap(t *testing.T) {
	fx := newImportFixture(t)
	mat := bytes.Repeat([]byte{7}, 32)
	m, err := fx.unwrap(fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, mat), fx.now)
	if err != nil {
		t.Fatalf("Unwrap: %v", err)
	}
	again, err := fx.unwrap(fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, mat), fx.now)
	if err != nil || again.MaterialID != m.MaterialID || len(m.MaterialID) != 64 {
		t.Fatalf("the same material has ids %s and %s (%v)", m.MaterialID, again.MaterialID, err)
	}
	other, err := fx.unwrap(fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, bytes.Repeat([]byte{8}, 32)), fx.now)
	if err != nil || other.MaterialID == m.MaterialID {
		t.Fatalf("different material, same id (%v)", err)
	}
	for name, c := range map[string]struct {
		keyID, spec    string
		token, wrapped []byte
		now            time.Time
		want           error
	}{
		"expired":     {fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, mat), fx.now.Add(24 * time.Hour), keyring.ErrImportTokenExpired},
		"another key": {ids.UUID(), keyring.SymmetricDefault, fx.token, fx.wrap(t, mat), fx.now, keyring.ErrImportToken},
		"forged":      {fx.keyID, keyring.SymmetricDefault, append([]byte{0x49}, make([]byte, 32)...), fx.wrap(t, mat), fx.now, keyring.ErrImportToken},
		"short token": {fx.keyID, keyring.SymmetricDefault, fx.token[:10], fx.wrap(t, mat), fx.now, keyring.ErrImportToken},
		"garbage":     {fx.keyID, keyring.SymmetricDefault, fx.token, []byte("not wrapped"), fx.now, keyring.ErrImportMaterial},
		"16 bytes":    {fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, mat[:16]), fx.now, keyring.ErrImportSpec},
		"short HMAC":  {fx.keyID, "HMAC_512", fx.token, fx.wrap(t, mat), fx.now, keyring.ErrImportSpec},
		"not a P-256": {fx.keyID, "ECC_NIST_P256", fx.token, fx.wrap(t, mat), fx.now, keyring.ErrImportSpec},
	} {
		if _, err := fx.unwrap(c.keyID, c.spec, c.token, c.wrapped, c.now); !errors.Is(err, c.want) {
			t.Errorf("%s: Unwrap = %v, want %v", name, err, c.want)
		}
	}
}

// FuzzImportToken feeds arbitrary tokens and wrapped material to the
// token parser and the unwrapper: nothing may panic, and no token but the
// genuine one is accepted.
func FuzzImportToken(f *testing.F) {
	fx := newImportFixture(f)
	wrapped := fx.wrap(f, bytes.Repeat([]byte{1}, 32))
	f.Add(fx.token, wrapped)
	f.Add(fx.token[:5], wrapped)
	f.Add([]byte{}, []byte{})
	f.Add([]byte{0x49}, wrapped[:10])
	f.Fuzz(func(t *testing.T, token, w []byte) {
		keyring.ParseImportToken(token)
		_, err := fx.unwrap(fx.keyID, keyring.SymmetricDefault, token, w, fx.now)
		if !bytes.Equal(token, fx.token) && !errors.Is(err, keyring.ErrImportToken) {
			t.Fatalf("a token that is not the genuine one: %v", err)
		}
	})
}

func TestImportTokensArePruned(t *testing.T) {
	fx := newImportFixture(t)
	later := fx.now.Add(10 * 24 * time.Hour)
	err := fx.st.Update(context.Background(), func(tx store.Tx) error {
		_, _, err := fx.ring.NewImportToken(tx, keyring.ImportParams{
			Region: region, KeyID: ids.UUID(), WrappingKeySpec: "RSA_2048", WrappingAlgorithm: "RSAES_OAEP_SHA_1", Expires: later.Add(24 * time.Hour),
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.unwrap(fx.keyID, keyring.SymmetricDefault, fx.token, fx.wrap(t, make([]byte, 32)), later); !errors.Is(err, keyring.ErrImportToken) {
		t.Fatalf("a token long expired: %v, want it pruned (ErrImportToken)", err)
	}
}
