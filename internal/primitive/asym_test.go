package primitive

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"hash"
	"testing"

	"filippo.io/mldsa"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

func mustKey(t testing.TB, spec string) ([]byte, []byte) {
	t.Helper()
	priv, err := GenerateKey(spec)
	if err != nil {
		t.Fatalf("GenerateKey(%s): %v", spec, err)
	}
	pub, err := PublicKey(spec, priv)
	if err != nil {
		t.Fatalf("PublicKey(%s): %v", spec, err)
	}
	return priv, pub
}

func hashOf(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// TestSignVerifiedByStdlib checks each signature with crypto/* from the
// SubjectPublicKeyInfo alone.
func TestSignVerifiedByStdlib(t *testing.T) {
	msg := []byte("the message")
	rsaPriv, rsaPub := mustKey(t, "RSA_2048")
	for _, tc := range []struct {
		spec, alg string
		priv, pub []byte
	}{
		{"RSA_2048", "RSASSA_PSS_SHA_256", rsaPriv, rsaPub},
		{"RSA_2048", "RSASSA_PSS_SHA_384", rsaPriv, rsaPub},
		{"RSA_2048", "RSASSA_PSS_SHA_512", rsaPriv, rsaPub},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_256", rsaPriv, rsaPub},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384", rsaPriv, rsaPub},
		{"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", rsaPriv, rsaPub},
		{"ECC_NIST_P256", "ECDSA_SHA_256", nil, nil},
		{"ECC_NIST_P384", "ECDSA_SHA_384", nil, nil},
		{"ECC_NIST_P521", "ECDSA_SHA_512", nil, nil},
	} {
		if tc.priv == nil {
			tc.priv, tc.pub = mustKey(t, tc.spec)
		}
		pk, err := x509.ParsePKIXPublicKey(tc.pub)
		if err != nil {
			t.Fatalf("%s: ParsePKIXPublicKey: %v", tc.spec, err)
		}
		h := signingHash[tc.alg]
		for _, mt := range []string{MessageRaw, MessageDigest} {
			in := msg
			if mt == MessageDigest {
				in = hashOf(h, msg)
			}
			sig, err := Sign(tc.spec, tc.priv, tc.alg, mt, in)
			if err != nil {
				t.Fatalf("Sign(%s, %s, %s): %v", tc.spec, tc.alg, mt, err)
			}
			d := hashOf(h, msg)
			switch pk := pk.(type) {
			case *rsa.PublicKey:
				if pss, _ := rsaAlg(tc.alg); pss {
					err = rsa.VerifyPSS(pk, h, d, sig, &rsa.PSSOptions{SaltLength: h.Size()})
				} else {
					err = rsa.VerifyPKCS1v15(pk, h, d, sig)
				}
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pk, d, sig) {
					err = errors.New("ecdsa.VerifyASN1 = false")
				}
			}
			if err != nil {
				t.Errorf("%s %s %s: stdlib verify: %v", tc.spec, tc.alg, mt, err)
			}
			if ok, err := Verify(tc.spec, tc.priv, tc.alg, mt, in, sig); !ok || err != nil {
				t.Errorf("Verify(%s %s %s) = %v, %v", tc.spec, tc.alg, mt, ok, err)
			}
			sig[len(sig)/2] ^= 1
			if ok, err := Verify(tc.spec, tc.priv, tc.alg, mt, in, sig); ok || err != nil {
				t.Errorf("Verify(tampered %s %s) = %v, %v; want false, nil", tc.spec, tc.alg, ok, err)
			}
		}
		if _, err := Sign(tc.spec, tc.priv, tc.alg, MessageDigest, msg); !errors.Is(err, ErrDigestLength) {
			t.Errorf("Sign(%s, DIGEST of %d bytes) err = %v, want ErrDigestLength", tc.alg, len(msg), err)
		}
	}
	ecPriv, _ := mustKey(t, "ECC_NIST_P256")
	if _, err := Sign("ECC_NIST_P256", ecPriv, "ECDSA_SHA_384", MessageRaw, msg); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("Sign(P256, ECDSA_SHA_384) err = %v, want ErrAlgorithm", err)
	}
	if _, err := Sign("ECC_NIST_P256", rsaPriv, "ECDSA_SHA_256", MessageRaw, msg); !errors.Is(err, ErrKey) {
		t.Errorf("Sign(P256 spec, RSA material) err = %v, want ErrKey", err)
	}
}

func TestEd25519(t *testing.T) {
	priv, pub := mustKey(t, "ECC_NIST_EDWARDS25519")
	pk, err := x509.ParsePKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	edPub := pk.(ed25519.PublicKey)
	msg := []byte("pure ed25519")
	sig, err := Sign("ECC_NIST_EDWARDS25519", priv, "ED25519_SHA_512", MessageRaw, msg)
	if err != nil || !ed25519.Verify(edPub, msg, sig) {
		t.Fatalf("ED25519_SHA_512 RAW: err %v, stdlib verify false", err)
	}
	d := sha512.Sum512(msg)
	sig, err = Sign("ECC_NIST_EDWARDS25519", priv, "ED25519_PH_SHA_512", MessageDigest, d[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := ed25519.VerifyWithOptions(edPub, d[:], sig, &ed25519.Options{Hash: crypto.SHA512}); err != nil {
		t.Fatalf("Ed25519ph stdlib verify: %v", err)
	}
	if _, err := Sign("ECC_NIST_EDWARDS25519", priv, "ED25519_SHA_512", MessageDigest, d[:]); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("ED25519_SHA_512 with DIGEST err = %v, want ErrAlgorithm", err)
	}
}

func TestSecp256k1(t *testing.T) {
	priv, pub := mustKey(t, "ECC_SECG_P256K1")
	var s spki
	if _, err := asn1.Unmarshal(pub, &s); err != nil {
		t.Fatal(err)
	}
	pk, err := secp256k1.ParsePubKey(s.PublicKey.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("k1")
	sig, err := Sign("ECC_SECG_P256K1", priv, "ECDSA_SHA_256", MessageRaw, msg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := secpecdsa.ParseDERSignature(sig)
	d := sha256.Sum256(msg)
	if err != nil || !p.Verify(d[:], pk) {
		t.Fatalf("secp256k1 signature does not verify: %v", err)
	}
}

func TestMLDSA(t *testing.T) {
	for _, spec := range []string{"ML_DSA_44", "ML_DSA_65", "ML_DSA_87"} {
		priv, pubDER := mustKey(t, spec)
		msg := []byte("post-quantum")
		sig, err := Sign(spec, priv, "ML_DSA_SHAKE_256", MessageRaw, msg)
		if err != nil {
			t.Fatalf("Sign(%s): %v", spec, err)
		}
		if ok, err := Verify(spec, priv, "ML_DSA_SHAKE_256", MessageRaw, msg, sig); !ok || err != nil {
			t.Fatalf("Verify(%s) = %v, %v", spec, ok, err)
		}
		var s spki
		if _, err := asn1.Unmarshal(pubDER, &s); err != nil || !s.Algo.Algorithm.Equal(oidMLDSA[spec]) {
			t.Fatalf("%s SPKI: %v, algorithm %v", spec, err, s.Algo.Algorithm)
		}
		pub, err := mldsa.NewPublicKey(mldsaParams[spec], s.PublicKey.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if err := mldsa.Verify(pub, msg, sig, nil); err != nil {
			t.Fatalf("%s signature does not verify from the SPKI: %v", spec, err)
		}

		// EXTERNAL_MU: the caller computes μ with the empty context; the
		// signature is an ordinary one of the message.
		mu := externalMu(pub.Bytes(), msg)
		sig, err = Sign(spec, priv, "ML_DSA_SHAKE_256", MessageExternalMu, mu)
		if err != nil {
			t.Fatalf("Sign(%s, EXTERNAL_MU): %v", spec, err)
		}
		if err := mldsa.Verify(pub, msg, sig, nil); err != nil {
			t.Fatalf("%s signature of μ does not verify over the message: %v", spec, err)
		}
		if ok, err := Verify(spec, priv, "ML_DSA_SHAKE_256", MessageRaw, msg, sig); !ok || err != nil {
			t.Fatalf("Verify(%s, RAW) of the μ signature = %v, %v", spec, ok, err)
		}
		if _, err := Sign(spec, priv, "ML_DSA_SHAKE_256", MessageExternalMu, mu[:32]); !errors.Is(err, ErrDigestLength) {
			t.Errorf("Sign(%s, 32-byte μ) = %v, want ErrDigestLength", spec, err)
		}
		if _, err := Verify(spec, priv, "ML_DSA_SHAKE_256", MessageExternalMu, mu, sig); !errors.Is(err, ErrUnsupported) {
			t.Errorf("Verify(%s, EXTERNAL_MU) = %v, want ErrUnsupported", spec, err)
		}
		if _, err := Sign(spec, priv, "ML_DSA_SHAKE_256", MessageDigest, mu); !errors.Is(err, ErrAlgorithm) {
			t.Errorf("Sign(%s, DIGEST) = %v, want ErrAlgorithm", spec, err)
		}
	}
}

// externalMu is FIPS 204's μ for msg with the empty context:
// SHAKE256(SHAKE256(pk, 64) || 0x00 || 0x00 || msg, 64).
func externalMu(pk, msg []byte) []byte {
	tr := sha3.SumSHAKE256(pk, 64)
	h := sha3.NewSHAKE256()
	h.Write(tr)
	h.Write([]byte{0, 0})
	h.Write(msg)
	mu := make([]byte, 64)
	h.Read(mu)
	return mu
}

// TestMLDSASeedsKeepTheirKeys pins the public key each seed gives: keys
// stored as seeds when github.com/cloudflare/circl made them must keep
// their public keys under filippo.io/mldsa. The digests were taken from
// circl v1.6.5's NewKeyFromSeed for the seed 00 01 … 1f.
func TestMLDSASeedsKeepTheirKeys(t *testing.T) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(i)
	}
	for spec, want := range map[string]string{
		"ML_DSA_44": "9f107644c1084526af3bc8098680b05499a2325a644e388fb4f970e058d19d46",
		"ML_DSA_65": "d666806e11cee19a7c989f7445f90dd419cf4d2d51db8c0fdb4c0f0a542238c9",
		"ML_DSA_87": "91dc389cfaa01470b7f66eee45a4ae9026d154817c754dfe22298b3fa241ffcd",
	} {
		der, err := PublicKey(spec, seed)
		if err != nil {
			t.Fatal(err)
		}
		var s spki
		if _, err := asn1.Unmarshal(der, &s); err != nil {
			t.Fatal(err)
		}
		if got := sha256.Sum256(s.PublicKey.Bytes); hex.EncodeToString(got[:]) != want {
			t.Errorf("%s: the seed gives public key %x, circl gave %s", spec, got, want)
		}
	}
	if _, err := PublicKey("ML_DSA_65", seed[:31]); !errors.Is(err, ErrKey) {
		t.Errorf("PublicKey(31-byte seed) = %v, want ErrKey", err)
	}
}

func TestOAEP(t *testing.T) {
	priv, pub := mustKey(t, "RSA_2048")
	pk, _ := x509.ParsePKIXPublicKey(pub)
	for alg, h := range map[string]hash.Hash{"RSAES_OAEP_SHA_1": crypto.SHA1.New(), "RSAES_OAEP_SHA_256": sha256.New()} {
		pt := make([]byte, MaxOAEPPlaintext("RSA_2048", alg))
		rand.Read(pt)
		ct, err := rsa.EncryptOAEP(h, rand.Reader, pk.(*rsa.PublicKey), pt, nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecryptOAEP("RSA_2048", priv, alg, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("DecryptOAEP(%s) = %d bytes, %v", alg, len(got), err)
		}
		ct[3] ^= 1
		if _, err := DecryptOAEP("RSA_2048", priv, alg, ct); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("DecryptOAEP(altered) err = %v", err)
		}
	}
}

func TestHMAC(t *testing.T) {
	for spec, alg := range map[string]string{"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384", "HMAC_512": "HMAC_SHA_512"} {
		key, err := GenerateKey(spec)
		if err != nil {
			t.Fatal(err)
		}
		h := macHash[alg].hash
		if len(key) != h.Size() {
			t.Errorf("%s key is %d bytes", spec, len(key))
		}
		m := hmac.New(h.New, key)
		m.Write([]byte("msg"))
		tag, err := MAC(spec, key, alg, []byte("msg"))
		if err != nil || !bytes.Equal(tag, m.Sum(nil)) {
			t.Fatalf("MAC(%s) differs from crypto/hmac (%v)", alg, err)
		}
		if ok, _ := VerifyMAC(spec, key, alg, []byte("msg2"), tag); ok {
			t.Fatalf("VerifyMAC(other message) = true")
		}
	}
	key, _ := GenerateKey("HMAC_256")
	if _, err := MAC("HMAC_256", key, "HMAC_SHA_512", nil); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("MAC(HMAC_256 key, HMAC_SHA_512) err = %v", err)
	}
}

func TestECDH(t *testing.T) {
	priv, pub := mustKey(t, "ECC_NIST_P384")
	peer, _ := ecdh.P384().GenerateKey(rand.Reader)
	peerDER, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
	got, err := DeriveSharedSecret("ECC_NIST_P384", priv, peerDER)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := x509.ParsePKIXPublicKey(pub)
	mineECDH, _ := mine.(*ecdsa.PublicKey).ECDH()
	want, _ := peer.ECDH(mineECDH)
	if !bytes.Equal(got, want) {
		t.Fatal("shared secrets differ")
	}
	other, _ := ecdh.P256().GenerateKey(rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(other.PublicKey())
	if _, err := DeriveSharedSecret("ECC_NIST_P384", priv, otherDER); !errors.Is(err, ErrPublicKey) {
		t.Fatalf("DeriveSharedSecret(P-256 peer) err = %v", err)
	}
}

// FuzzParseECPublicKey feeds untrusted peer keys (DeriveSharedSecret's
// PublicKey) to the parser: it must never panic, and accept only points on
// the curve.
func FuzzParseECPublicKey(f *testing.F) {
	k, _ := ecdh.P256().GenerateKey(rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(k.PublicKey())
	f.Add(der)
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseECPublicKey("ECC_NIST_P256", b)
		if err == nil && p.Curve() != ecdh.P256() {
			t.Fatal("accepted a key on another curve")
		}
	})
}
