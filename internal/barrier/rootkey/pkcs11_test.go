//go:build cgo

package rootkey_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest/hsmtest"
)

// newPKCS11 opens a provider on token with key label, closed when the test
// ends.
func newPKCS11(t *testing.T, cfg rootkey.PKCS11Config) *rootkey.PKCS11 {
	t.Helper()
	if cfg.Module == "" {
		cfg.Module = hsmtest.Module
	}
	if cfg.PIN == nil {
		cfg.PIN = []byte(hsmtest.PIN)
	}
	p, err := rootkey.NewPKCS11(cfg)
	if err != nil {
		t.Fatalf("NewPKCS11(%+v) = %v", cfg, err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("Close() = %v", err)
		}
	})
	return p
}

// onToken runs fn in a logged-in read-write session on the token labelled
// label, with the module to itself (no provider may be open), as a token's
// administrator would with its own tools.
func onToken(t *testing.T, label string, fn func(c *pkcs11.Ctx, sh pkcs11.SessionHandle)) {
	t.Helper()
	c := pkcs11.New(hsmtest.Module)
	if c == nil {
		t.Fatal("pkcs11.New: the module did not load")
	}
	defer c.Destroy()
	if err := c.Initialize(); err != nil {
		t.Fatalf("Initialize: %v (is a provider still open?)", err)
	}
	defer c.Finalize()
	slots, err := c.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, slot := range slots {
		ti, err := c.GetTokenInfo(slot)
		if err != nil || ti.Label != label {
			continue
		}
		sh, err := c.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseSession(sh)
		if err := c.Login(sh, pkcs11.CKU_USER, hsmtest.PIN); err != nil {
			t.Fatal(err)
		}
		fn(c, sh)
		return
	}
	t.Fatalf("no token %q", label)
}

// findKeys lists the objects of class labelled label.
func findKeys(t *testing.T, c *pkcs11.Ctx, sh pkcs11.SessionHandle, class uint, label string) []pkcs11.ObjectHandle {
	t.Helper()
	if err := c.FindObjectsInit(sh, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class), pkcs11.NewAttribute(pkcs11.CKA_LABEL, label)}); err != nil {
		t.Fatal(err)
	}
	defer c.FindObjectsFinal(sh)
	hs, _, err := c.FindObjects(sh, 100)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// makeAESKey makes an AES-256 token key that allows only the operations in
// allow (CKA_ENCRYPT, CKA_DECRYPT, CKA_WRAP, CKA_UNWRAP).
func makeAESKey(t *testing.T, token, label string, allow ...uint) {
	onToken(t, token, func(c *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		tmpl := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		}
		for _, a := range []uint{pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT, pkcs11.CKA_WRAP, pkcs11.CKA_UNWRAP} {
			on := false
			for _, b := range allow {
				on = on || a == b
			}
			tmpl = append(tmpl, pkcs11.NewAttribute(a, on))
		}
		if _, err := c.GenerateKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, tmpl); err != nil {
			t.Fatalf("GenerateKey: %v", err)
		}
	})
}

// makeRSAKey makes an RSA-2048 key pair, both halves labelled label.
func makeRSAKey(t *testing.T, token, label string) {
	onToken(t, token, func(c *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		pub := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		}
		priv := []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
			pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		}
		if _, _, err := c.GenerateKeyPair(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)}, pub, priv); err != nil {
			t.Fatalf("GenerateKeyPair: %v", err)
		}
	})
}

// The mechanism byte of each name, as a blob records it.
var mechByte = map[string]byte{
	rootkey.PKCS11MechanismAESKWP:   1,
	rootkey.PKCS11MechanismAESKW:    2,
	rootkey.PKCS11MechanismAESGCM:   3,
	rootkey.PKCS11MechanismRSAOAEP:  4,
	rootkey.PKCS11MechanismRSAOAEP1: 5,
}

// With --pkcs11-generate-key the first Wrap makes an AES-256 key that never
// leaves the token, wraps with AES key wrap (what SoftHSM offers of it),
// and a later provider (another start) unwraps with that key.
func TestPKCS11GeneratesKeyAndRoundTrips(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	cfg := rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "barrier", GenerateKey: true}
	p := newPKCS11(t, cfg)
	if p.Name() != "pkcs11" {
		t.Errorf("Name() = %q, want pkcs11", p.Name())
	}
	key := primitive.Random(32)
	wrapped, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("Wrap() = %v", err)
	}
	if wrapped[0] != 1 || (wrapped[1] != mechByte[rootkey.PKCS11MechanismAESKWP] && wrapped[1] != mechByte[rootkey.PKCS11MechanismAESKW]) {
		t.Errorf("blob header = %x, want version 1 and an AES key wrap mechanism (SoftHSM offers CKM_AES_KEY_WRAP)", wrapped[:2])
	}
	if bytes.Contains(wrapped, key) {
		t.Errorf("the wrapped blob contains the barrier key")
	}
	w2, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("second Wrap() = %v", err)
	}
	p.Close()

	// The key is in the token, sensitive, not extractable; one of it.
	onToken(t, "sealbox", func(c *pkcs11.Ctx, sh pkcs11.SessionHandle) {
		hs := findKeys(t, c, sh, pkcs11.CKO_SECRET_KEY, "barrier")
		if len(hs) != 1 {
			t.Fatalf("token holds %d keys labelled barrier, want 1 (the second Wrap must use the first's)", len(hs))
		}
		attrs, err := c.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, nil), pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, nil),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, nil), pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, nil),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(attrs[0].Value, []byte{1}) || !bytes.Equal(attrs[1].Value, []byte{1}) || !bytes.Equal(attrs[2].Value, []byte{0}) {
			t.Errorf("generated key CKA_TOKEN, CKA_SENSITIVE, CKA_EXTRACTABLE = %x %x %x, want 1 1 0", attrs[0].Value, attrs[1].Value, attrs[2].Value)
		}
		if _, err := c.GetAttributeValue(sh, hs[0], []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)}); err == nil {
			t.Errorf("the generated key's CKA_VALUE could be read, want it refused")
		}
	})

	p2 := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "barrier"})
	for _, w := range [][]byte{wrapped, w2} {
		got, err := p2.Unwrap(ctx, w)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("Unwrap(Wrap(key)) in a new provider = %x, %v; want %x", got, err, key)
		}
	}
}

// Each mechanism round-trips, and an altered or truncated blob is refused.
func TestPKCS11Mechanisms(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	makeAESKey(t, "sealbox", "aes", pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT, pkcs11.CKA_WRAP, pkcs11.CKA_UNWRAP)
	makeRSAKey(t, "sealbox", "rsa")
	for _, tc := range []struct{ label, mech string }{
		{"aes", rootkey.PKCS11MechanismAESKW},
		{"aes", rootkey.PKCS11MechanismAESGCM},
		// SoftHSM 2.6 refuses OAEP with SHA-256 (Wrap then falls back).
		{"rsa", rootkey.PKCS11MechanismRSAOAEP1},
	} {
		t.Run(tc.mech, func(t *testing.T) {
			p := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: tc.label, Mechanism: tc.mech})
			key := primitive.Random(32)
			w, err := p.Wrap(ctx, key)
			if err != nil {
				t.Fatalf("Wrap() = %v", err)
			}
			if w[1] != mechByte[tc.mech] {
				t.Errorf("blob records mechanism %d, want %d (%s)", w[1], mechByte[tc.mech], tc.mech)
			}
			// Unwrap follows the blob, whatever the provider would pick.
			got, err := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: tc.label}).Unwrap(ctx, w)
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("Unwrap(Wrap(key)) = %x, %v; want %x", got, err, key)
			}
			for i := range w {
				bad := bytes.Clone(w)
				bad[i] ^= 0x01
				if got, err := p.Unwrap(ctx, bad); err == nil {
					t.Errorf("Unwrap(blob with byte %d flipped) = %x, nil; want an error", i, got)
				} else if i >= 2 && !errors.Is(err, rootkey.ErrWrongRootKey) {
					t.Errorf("Unwrap(blob with body byte %d flipped) = %v, want ErrWrongRootKey", i, err)
				}
			}
			for _, n := range []int{0, 1, 2, 3, len(w) / 2, len(w) - 1} {
				if _, err := p.Unwrap(ctx, w[:n]); err == nil {
					t.Errorf("Unwrap(blob truncated to %d) = nil error, want an error", n)
				}
			}
		})
	}
}

// Without a forced mechanism, the provider takes what the key allows:
// AES-GCM for a key that may only encrypt, RSA-OAEP for a key pair (with
// SHA-256 where the token takes it, else SHA-1: SoftHSM 2.6).
func TestPKCS11FallsBack(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	makeAESKey(t, "sealbox", "encrypt-only", pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT)
	makeRSAKey(t, "sealbox", "rsa")
	makeAESKey(t, "sealbox", "sign-only")
	for label, want := range map[string][]string{
		"encrypt-only": {rootkey.PKCS11MechanismAESGCM},
		"rsa":          {rootkey.PKCS11MechanismRSAOAEP, rootkey.PKCS11MechanismRSAOAEP1},
	} {
		p := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: label})
		key := primitive.Random(32)
		w, err := p.Wrap(ctx, key)
		if err != nil {
			t.Fatalf("Wrap() with key %s = %v", label, err)
		}
		if w[1] != mechByte[want[0]] && (len(want) == 1 || w[1] != mechByte[want[1]]) {
			t.Errorf("Wrap() with key %s used mechanism %d, want %q", label, w[1], want)
		}
		if got, err := p.Unwrap(ctx, w); err != nil || !bytes.Equal(got, key) {
			t.Errorf("Unwrap(Wrap(key)) with key %s = %x, %v; want %x", label, got, err, key)
		}
	}
	p := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "sign-only"})
	if _, err := p.Wrap(ctx, primitive.Random(32)); err == nil || !strings.Contains(err.Error(), `key "sign-only"`) || !strings.Contains(err.Error(), "cannot wrap") {
		t.Errorf("Wrap() with a key that allows neither wrap nor encrypt = %v, want it to say the key cannot wrap", err)
	}
	p = newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "encrypt-only", Mechanism: rootkey.PKCS11MechanismAESKW})
	if _, err := p.Wrap(ctx, primitive.Random(32)); err == nil || !strings.Contains(err.Error(), "does not allow") {
		t.Errorf("Wrap() forcing key wrap with an encrypt-only key = %v, want it refused", err)
	}
}

func TestPKCS11WrongPIN(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	w, err := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "k", GenerateKey: true}).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	bad := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "k", PIN: []byte("0000")})
	_, err = bad.Unwrap(ctx, w)
	if !errors.Is(err, rootkey.ErrWrongPIN) || !strings.Contains(err.Error(), `wrong PIN for token "sealbox"`) {
		t.Errorf("Unwrap() with a wrong PIN = %v, want ErrWrongPIN saying wrong PIN for token \"sealbox\"", err)
	}
	if err != nil && strings.Contains(err.Error(), "0000") {
		t.Errorf("error %q shows the PIN", err)
	}
	if _, err := bad.Wrap(ctx, primitive.Random(32)); !errors.Is(err, rootkey.ErrWrongPIN) {
		t.Errorf("Wrap() with a wrong PIN = %v, want ErrWrongPIN", err)
	}
}

// A login is the process's, not the session's: while a right PIN's call
// runs, a wrong PIN's call must still be refused.
func TestPKCS11WrongPINWhileRightOneWorks(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	good := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "k", GenerateKey: true})
	bad := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "k", PIN: []byte("0000")})
	key := primitive.Random(32)
	w, err := good.Wrap(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10 {
				if got, err := good.Unwrap(ctx, w); err != nil || !bytes.Equal(got, key) {
					t.Errorf("Unwrap() with the right PIN = %x, %v", got, err)
				}
			}
		})
		wg.Go(func() {
			for range 10 {
				if got, err := bad.Unwrap(ctx, w); !errors.Is(err, rootkey.ErrWrongPIN) {
					t.Errorf("Unwrap() with a wrong PIN, concurrently with a right one = %x, %v; want ErrWrongPIN", got, err)
				}
			}
		})
	}
	wg.Wait()
}

func TestPKCS11TokenAbsent(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	for name, cfg := range map[string]rootkey.PKCS11Config{
		"label": {TokenLabel: "elsewhere", KeyLabel: "k", GenerateKey: true},
		"slot":  {Slot: 424242, HasSlot: true, KeyLabel: "k", GenerateKey: true},
	} {
		p := newPKCS11(t, cfg)
		_, err := p.Wrap(ctx, primitive.Random(32))
		if !errors.Is(err, rootkey.ErrTokenAbsent) || !strings.Contains(err.Error(), "absent") {
			t.Errorf("Wrap() with a token %s that does not exist = %v, want ErrTokenAbsent", name, err)
		}
		if _, err := p.Unwrap(ctx, []byte{1, 2, 0}); !errors.Is(err, rootkey.ErrTokenAbsent) {
			t.Errorf("Unwrap() with a token %s that does not exist = %v, want ErrTokenAbsent", name, err)
		}
	}
}

func TestPKCS11ModuleMissing(t *testing.T) {
	dir := t.TempDir()
	notLib := filepath.Join(dir, "not-a-library.so")
	os.WriteFile(notLib, []byte("not an ELF file"), 0o600)
	for _, module := range []string{filepath.Join(dir, "missing.so"), notLib} {
		_, err := rootkey.NewPKCS11(rootkey.PKCS11Config{Module: module, TokenLabel: "t", KeyLabel: "k", PIN: []byte("1")})
		if !errors.Is(err, rootkey.ErrPKCS11Module) || !strings.Contains(err.Error(), module) {
			t.Errorf("NewPKCS11(module %s) = %v, want ErrPKCS11Module naming it", module, err)
		}
	}
}

func TestPKCS11KeyAbsent(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	p := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "missing"})
	_, err := p.Wrap(ctx, primitive.Random(32))
	if !errors.Is(err, rootkey.ErrKeyAbsent) || !strings.Contains(err.Error(), `no key labelled "missing"`) || !strings.Contains(err.Error(), "--pkcs11-generate-key") {
		t.Errorf("Wrap() with no key and no --pkcs11-generate-key = %v, want ErrKeyAbsent saying how to make one", err)
	}
	w, err := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "present", GenerateKey: true}).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	// Unwrap never makes a key, even when allowed to at first start.
	p = newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "sealbox", KeyLabel: "missing", GenerateKey: true})
	if _, err := p.Unwrap(ctx, w); !errors.Is(err, rootkey.ErrKeyAbsent) || !strings.Contains(err.Error(), `labelled "missing"`) {
		t.Errorf("Unwrap() with the key label absent = %v, want ErrKeyAbsent naming the label", err)
	}
}

// Another key (in another token, or under another label) does not unlock
// the blob: ErrWrongRootKey, for each mechanism.
func TestPKCS11WrongKey(t *testing.T) {
	hsmtest.Setup(t, "one", "two")
	for _, token := range []string{"one", "two"} {
		makeAESKey(t, token, "aes", pkcs11.CKA_ENCRYPT, pkcs11.CKA_DECRYPT, pkcs11.CKA_WRAP, pkcs11.CKA_UNWRAP)
		makeRSAKey(t, token, "rsa")
	}
	for _, tc := range []struct{ label, mech string }{
		{"aes", rootkey.PKCS11MechanismAESKW},
		{"aes", rootkey.PKCS11MechanismAESGCM},
		// SoftHSM 2.6 refuses OAEP with SHA-256 (Wrap then falls back).
		{"rsa", rootkey.PKCS11MechanismRSAOAEP1},
	} {
		w, err := newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "one", KeyLabel: tc.label, Mechanism: tc.mech}).Wrap(ctx, primitive.Random(32))
		if err != nil {
			t.Fatal(err)
		}
		_, err = newPKCS11(t, rootkey.PKCS11Config{TokenLabel: "two", KeyLabel: tc.label}).Unwrap(ctx, w)
		if !errors.Is(err, rootkey.ErrWrongRootKey) || !strings.Contains(err.Error(), `token "two"`) {
			t.Errorf("%s: Unwrap() with the same label in another token = %v, want ErrWrongRootKey naming the token", tc.mech, err)
		}
	}
}
