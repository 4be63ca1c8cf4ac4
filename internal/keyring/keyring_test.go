package keyring_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

const region = "us-east-1"

type fixture struct {
	st    store.Store
	ring  *keyring.Ring
	keyID string
	mat   string
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{st: memstore.New(), ring: keyring.New(nil), keyID: ids.UUID()}
	err := f.st.Update(context.Background(), func(tx store.Tx) (err error) {
		f.mat, err = f.ring.Create(tx, region, f.keyID)
		return err
	})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return f
}

func (f *fixture) encrypt(t testing.TB, pt []byte, ec map[string]string) []byte {
	var blob []byte
	err := f.st.View(context.Background(), func(tx store.Tx) (err error) {
		blob, err = f.ring.Encrypt(tx, region, f.keyID, f.mat, pt, ec)
		return err
	})
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	return blob
}

func (f *fixture) decrypt(blob []byte, ec map[string]string) ([]byte, error) {
	var pt []byte
	err := f.st.View(context.Background(), func(tx store.Tx) (err error) {
		pt, err = f.ring.Decrypt(tx, region, blob, ec)
		return err
	})
	return pt, err
}

func TestRoundTripAndHeader(t *testing.T) {
	f := newFixture(t)
	ec := map[string]string{"a": "1"}
	blob := f.encrypt(t, []byte("secret"), ec)
	h, err := keyring.ParseBlob(blob)
	if err != nil || h.KeyID != f.keyID || h.MaterialID != f.mat {
		t.Fatalf("ParseBlob = %+v, %v; want key %s material %s", h, err, f.keyID, f.mat)
	}
	pt, err := f.decrypt(blob, ec)
	if err != nil || string(pt) != "secret" {
		t.Fatalf("Decrypt = %q, %v", pt, err)
	}
	if again := f.encrypt(t, []byte("secret"), ec); bytes.Equal(again, blob) {
		t.Fatalf("two encryptions of the same plaintext are equal")
	}
}

func TestContextCanonicalForm(t *testing.T) {
	f := newFixture(t)
	// Pairs that would collide under naive concatenation must not.
	blob := f.encrypt(t, []byte("x"), map[string]string{"ab": "c"})
	for _, ec := range []map[string]string{{"a": "bc"}, {"abc": ""}, {"ab": "c", "": ""}, nil} {
		if _, err := f.decrypt(blob, ec); !errors.Is(err, keyring.ErrInvalidCiphertext) {
			t.Fatalf("Decrypt under %v = %v, want ErrInvalidCiphertext", ec, err)
		}
	}
	empty := f.encrypt(t, []byte("x"), nil)
	if _, err := f.decrypt(empty, map[string]string{}); err != nil {
		t.Fatalf("nil and empty contexts differ: %v", err)
	}
}

func TestEveryBitIsAuthenticated(t *testing.T) {
	f := newFixture(t)
	blob := f.encrypt(t, []byte("integrity"), nil)
	for i := range blob {
		for bit := 0; bit < 8; bit++ {
			bad := append([]byte(nil), blob...)
			bad[i] ^= 1 << bit
			if _, err := f.decrypt(bad, nil); err == nil {
				t.Fatalf("Decrypt accepted a blob with bit %d of byte %d flipped", bit, i)
			}
		}
	}
	for n := 0; n < len(blob); n++ {
		if _, err := f.decrypt(blob[:n], nil); err == nil {
			t.Fatalf("Decrypt accepted a blob truncated to %d bytes", n)
		}
	}
}

// A blob opened once has its key held (blobKeys): every altered copy of
// it is still refused, and so is its own opening under another context.
func TestEveryBitIsAuthenticatedOnceOpened(t *testing.T) {
	f := newFixture(t)
	ec := map[string]string{"k": "v"}
	blob := f.encrypt(t, []byte("integrity"), ec)
	for range 2 { // derived, then held
		if pt, err := f.decrypt(blob, ec); err != nil || string(pt) != "integrity" {
			t.Fatalf("Decrypt = %q, %v", pt, err)
		}
	}
	for i := range blob {
		for bit := 0; bit < 8; bit++ {
			bad := append([]byte(nil), blob...)
			bad[i] ^= 1 << bit
			if _, err := f.decrypt(bad, ec); err == nil {
				t.Fatalf("Decrypt accepted an opened blob with bit %d of byte %d flipped", bit, i)
			}
		}
	}
	for _, other := range []map[string]string{nil, {"k": "w"}, {"k": "v", "x": ""}} {
		if _, err := f.decrypt(blob, other); !errors.Is(err, keyring.ErrInvalidCiphertext) {
			t.Fatalf("Decrypt of an opened blob under context %v = %v, want ErrInvalidCiphertext", other, err)
		}
	}
	if pt, err := f.decrypt(blob, ec); err != nil || string(pt) != "integrity" {
		t.Fatalf("Decrypt after the refusals = %q, %v", pt, err)
	}
}

func TestDeleteForgetsMaterial(t *testing.T) {
	f := newFixture(t)
	blob := f.encrypt(t, []byte("gone"), nil)
	if _, err := f.decrypt(blob, nil); err != nil { // its key is held now
		t.Fatal(err)
	}
	if err := f.st.Update(context.Background(), func(tx store.Tx) error { return f.ring.Delete(tx, region, f.keyID) }); err != nil {
		t.Fatal(err)
	}
	if _, err := f.decrypt(blob, nil); !errors.Is(err, keyring.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt after Delete = %v, want ErrInvalidCiphertext", err)
	}
}

// Through the change feed, as a server runs it: a version deleted by a
// commit is refused at once, its blob's key held or not, and so is one
// deleted by another server (the feed's delivery, not this Ring's Delete).
func TestDeleteThroughTheFeedForgetsMaterial(t *testing.T) {
	st := store.WithFeed(memstore.New())
	ring, ctx, keyID := keyring.New(st), context.Background(), ids.UUID()
	var mat string
	var blob []byte
	if err := st.Update(ctx, func(tx store.Tx) (err error) {
		if mat, err = ring.Create(tx, region, keyID); err != nil {
			return err
		}
		blob, err = ring.Encrypt(tx, region, keyID, mat, []byte("gone"), nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	decrypt := func() error {
		return st.View(ctx, func(tx store.Tx) error { _, err := ring.Decrypt(tx, region, blob, nil); return err })
	}
	for range 2 {
		if err := decrypt(); err != nil {
			t.Fatal(err)
		}
	}
	// Deleted underneath the Ring, as another server's commit reaches it.
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.Delete("keyring/" + region + "/" + keyID + "/" + mat)
	}); err != nil {
		t.Fatal(err)
	}
	if err := decrypt(); !errors.Is(err, keyring.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt after the version's deletion = %v, want ErrInvalidCiphertext", err)
	}
}

// BenchmarkDecrypt opens the same blob again and again (its key held);
// BenchmarkDecryptFresh a new blob each time (its key derived).
func BenchmarkDecryptFresh(b *testing.B) {
	f := newFixture(b)
	ec := map[string]string{"k": "v"}
	blobs := make([][]byte, 8192)
	for i := range blobs {
		blobs[i] = f.encrypt(b, make([]byte, 32), ec)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := f.decrypt(blobs[i%len(blobs)], ec); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDecrypt(b *testing.B) {
	f := newFixture(b)
	blob := f.encrypt(b, make([]byte, 32), map[string]string{"k": "v"})
	ec := map[string]string{"k": "v"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.decrypt(blob, ec); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzDecrypt feeds arbitrary blobs to the parser and decrypter: nothing may
// panic, and only the genuine blob may open.
func FuzzDecrypt(f *testing.F) {
	fx := newFixture(f)
	genuine := fx.encrypt(f, []byte("fuzz"), map[string]string{"k": "v"})
	f.Add(genuine)
	f.Add(genuine[:70])
	f.Add([]byte{1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, blob []byte) {
		keyring.ParseBlob(blob)
		pt, err := fx.decrypt(blob, map[string]string{"k": "v"})
		if err == nil && (!bytes.Equal(blob, genuine) || string(pt) != "fuzz") {
			t.Fatalf("Decrypt accepted a blob that is not the genuine one")
		}
	})
}

func TestAsymmetricMaterial(t *testing.T) {
	st, ring, ctx := memstore.New(), keyring.New(nil), context.Background()
	mk := func(spec string) keyring.Ref {
		ref := keyring.Ref{Region: region, KeyID: ids.UUID()}
		err := st.Update(ctx, func(tx store.Tx) (err error) {
			ref.MaterialID, err = ring.CreateSpec(tx, region, ref.KeyID, spec)
			return err
		})
		if err != nil {
			t.Fatalf("CreateSpec(%s): %v", spec, err)
		}
		return ref
	}
	ec := mk("ECC_NIST_P256")
	mac := mk("HMAC_256")
	sym := newFixture(t)
	err := st.View(ctx, func(tx store.Tx) error {
		sig, err := ring.Sign(tx, ec, "ECDSA_SHA_256", "RAW", []byte("m"))
		if err != nil {
			return err
		}
		if ok, err := ring.Verify(tx, ec, "ECDSA_SHA_256", "RAW", []byte("m"), sig); !ok || err != nil {
			t.Errorf("Verify = %v, %v", ok, err)
		}
		if _, err := ring.PublicKey(tx, ec); err != nil {
			t.Errorf("PublicKey: %v", err)
		}
		if _, err := ring.Encrypt(tx, region, ec.KeyID, ec.MaterialID, []byte("x"), nil); !errors.Is(err, keyring.ErrWrongKind) {
			t.Errorf("Encrypt under EC material err = %v, want ErrWrongKind", err)
		}
		if _, err := ring.PublicKey(tx, mac); !errors.Is(err, keyring.ErrWrongKind) {
			t.Errorf("PublicKey(HMAC) err = %v, want ErrWrongKind", err)
		}
		if _, err := ring.MAC(tx, mac, "HMAC_SHA_256", []byte("m")); err != nil {
			t.Errorf("MAC: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	err = sym.st.View(ctx, func(tx store.Tx) error {
		_, err := ring.Sign(tx, keyring.Ref{Region: region, KeyID: sym.keyID, MaterialID: sym.mat}, "ECDSA_SHA_256", "RAW", []byte("m"))
		if !errors.Is(err, keyring.ErrWrongKind) {
			t.Errorf("Sign with symmetric material err = %v, want ErrWrongKind", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
