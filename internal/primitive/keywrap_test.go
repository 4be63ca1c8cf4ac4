package primitive

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"hash"
	"testing"

	kwp "github.com/tink-crypto/tink-go/v2/kwp/subtle"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestKWPVectors checks AES key wrap with padding against known answers.
// RFC 5649's section 6 vectors use a 192-bit KEK, which KMS never uses and
// tink's KWP refuses (it takes AES-128 and AES-256 only), and the second
// wraps 7 bytes, under tink's 16-byte minimum: they are checked to be
// refused. The AES-256 vectors below were made with OpenSSL's KWP through
// python cryptography 48.0.0, which gives RFC 5649's section 6 outputs for
// its inputs; KWP is deterministic, so tink's Wrap must give the same bytes.
func TestKWPVectors(t *testing.T) {
	rfcKEK := unhex(t, "5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	for _, ct := range []string{"138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a", "afbeb0f07dfbf5419200f2ccb50bb24f"} {
		if _, err := unwrapKWP(rfcKEK, unhex(t, ct)); !errors.Is(err, ErrDecrypt) {
			t.Errorf("unwrapKWP(192-bit KEK, RFC 5649 vector) = %v, want ErrDecrypt", err)
		}
	}
	kek := make([]byte, 32)
	for i := range kek {
		kek[i] = byte(i)
	}
	for _, tc := range []struct{ pt, ct string }{
		{"404142434445464748494a4b4c4d4e4f50515253", "7bfef0b87c224051560df29c7bb1da8293033222efb454d7adf63ba23d35e766"},
		{"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", "0b0607b05fd577de7c1cefae2313277d0d36fcb4b3f04f1332c5023c0388e342164f8531741a21ae"},
	} {
		pt, ct := unhex(t, tc.pt), unhex(t, tc.ct)
		got, err := unwrapKWP(kek, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Errorf("unwrapKWP(%s) = %x, %v; want %x", tc.ct, got, err, pt)
		}
		w, _ := kwp.NewKWP(kek)
		if wrapped, err := w.Wrap(pt); err != nil || !bytes.Equal(wrapped, ct) {
			t.Errorf("tink Wrap(%s) = %x, %v; want %x", tc.pt, wrapped, err, ct)
		}
		for i := range ct {
			bad := bytes.Clone(ct)
			bad[i] ^= 0x01
			if _, err := unwrapKWP(kek, bad); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("unwrapKWP with byte %d flipped = %v, want ErrDecrypt", i, err)
			}
		}
		if _, err := unwrapKWP(kek, ct[:len(ct)-8]); !errors.Is(err, ErrDecrypt) {
			t.Errorf("unwrapKWP(truncated) = %v, want ErrDecrypt", err)
		}
	}
}

// rsaAESKeyWrap wraps mat as an importer does, with Go's RSA-OAEP and
// tink's KWP under a fresh AES key of kekSize bytes.
func rsaAESKeyWrap(t testing.TB, pubDER []byte, h hash.Hash, kekSize int, mat []byte) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(pubDER)
	if err != nil {
		t.Fatal(err)
	}
	kek := Random(kekSize)
	head, err := rsa.EncryptOAEP(h, rand.Reader, pub.(*rsa.PublicKey), kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := kwp.NewKWP(kek)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := w.Wrap(mat)
	if err != nil {
		t.Fatal(err)
	}
	return append(head, tail...)
}

func TestUnwrapRSAAESKeyWrap(t *testing.T) {
	wrapPriv, wrapPub := mustKey(t, "RSA_3072")
	rsaMat, _ := mustKey(t, "RSA_2048")
	for _, tc := range []struct {
		alg   string
		h     func() hash.Hash
		other string
	}{
		{"RSA_AES_KEY_WRAP_SHA_1", sha1.New, "RSA_AES_KEY_WRAP_SHA_256"},
		{"RSA_AES_KEY_WRAP_SHA_256", sha256.New, "RSA_AES_KEY_WRAP_SHA_1"},
	} {
		for _, mat := range [][]byte{rsaMat, Random(32)} {
			wrapped := rsaAESKeyWrap(t, wrapPub, tc.h(), 32, mat)
			got, err := UnwrapRSAAESKeyWrap("RSA_3072", wrapPriv, tc.alg, wrapped)
			if err != nil || !bytes.Equal(got, mat) {
				t.Fatalf("%s: UnwrapRSAAESKeyWrap = %v, want the material back", tc.alg, err)
			}
			if !WrapsImport("RSA_3072", tc.alg) {
				t.Errorf("WrapsImport(RSA_3072, %s) = false", tc.alg)
			}
			flip := func(i int) []byte { b := bytes.Clone(wrapped); b[i] ^= 0x80; return b }
			for name, bad := range map[string][]byte{
				"the other hash":       nil,
				"OAEP byte flipped":    flip(10),
				"KWP byte flipped":     flip(384 + 3),
				"KWP tag flipped":      flip(len(wrapped) - 1),
				"OAEP part only":       wrapped[:384],
				"a byte short":         wrapped[:len(wrapped)-1],
				"AES-128 wrapping key": rsaAESKeyWrap(t, wrapPub, tc.h(), 16, mat),
			} {
				alg := tc.alg
				if bad == nil {
					bad, alg = wrapped, tc.other
				}
				if _, err := UnwrapRSAAESKeyWrap("RSA_3072", wrapPriv, alg, bad); !errors.Is(err, ErrDecrypt) {
					t.Errorf("%s, %s: err = %v, want ErrDecrypt", tc.alg, name, err)
				}
			}
		}
	}
	if _, err := UnwrapRSAAESKeyWrap("RSA_3072", wrapPriv, "RSAES_OAEP_SHA_256", make([]byte, 400)); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("UnwrapRSAAESKeyWrap(RSAES_OAEP_SHA_256) = %v, want ErrAlgorithm", err)
	}
	for _, tc := range []struct {
		spec, alg string
		ok        bool
	}{
		{"RSA_2048", "RSAES_OAEP_SHA_1", true}, {"RSA_4096", "RSA_AES_KEY_WRAP_SHA_256", true},
		{"RSA_2048", "RSAES_PKCS1_V1_5", false}, {"ECC_NIST_P256", "RSA_AES_KEY_WRAP_SHA_256", false}, {"SM2", "SM2PKE", false},
	} {
		if WrapsImport(tc.spec, tc.alg) != tc.ok {
			t.Errorf("WrapsImport(%s, %s) = %v", tc.spec, tc.alg, !tc.ok)
		}
	}
}

// FuzzUnwrapRSAAESKeyWrap feeds arbitrary bytes to the unwrapper, whole and
// as the KWP part after a genuine OAEP part: nothing panics, every failure
// is ErrDecrypt, and nothing unwraps but the material that was wrapped.
func FuzzUnwrapRSAAESKeyWrap(f *testing.F) {
	priv, pub := mustKey(f, "RSA_2048")
	mat := bytes.Repeat([]byte{0x5a}, 32)
	good := rsaAESKeyWrap(f, pub, sha256.New(), 32, mat)
	f.Add(good)
	f.Add(good[256:])
	f.Add([]byte{})
	f.Add(make([]byte, 257))
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, w := range [][]byte{b, append(bytes.Clone(good[:256]), b...)} {
			got, err := UnwrapRSAAESKeyWrap("RSA_2048", priv, "RSA_AES_KEY_WRAP_SHA_256", w)
			if err == nil && !bytes.Equal(got, mat) {
				t.Fatalf("unwrapped %x, which was never wrapped", got)
			}
			if err != nil && !errors.Is(err, ErrDecrypt) {
				t.Fatalf("err = %v, want ErrDecrypt", err)
			}
		}
	})
}
