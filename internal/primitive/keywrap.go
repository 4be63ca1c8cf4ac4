package primitive

// KMS's RSA_AES_KEY_WRAP_SHA_1 and RSA_AES_KEY_WRAP_SHA_256 wrapping
// algorithms, which carry imported key material too long for RSA-OAEP alone
// (an RSA private key): the importer draws an AES-256 key, encrypts it with
// RSAES-OAEP under the wrapping public key (SHA-1 or SHA-256, MGF1 with the
// same hash, no label), and wraps the material with it by AES key wrap with
// padding (RFC 5649, NIST SP 800-38F KWP). The wrapped material is the OAEP
// ciphertext, as long as the modulus, followed by the KWP output.
//
// KWP is tink-go's kwp/subtle: neither the standard library nor
// golang.org/x/crypto has it, and sealbox writes no primitive of its own.
// It takes 16 to 8192 bytes of material, which covers every KMS key spec.

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"hash"

	kwp "github.com/tink-crypto/tink-go/v2/kwp/subtle"
)

// keyWrapHash is the OAEP hash of each RSA_AES_KEY_WRAP algorithm.
func keyWrapHash(alg string) (hash.Hash, bool) {
	switch alg {
	case "RSA_AES_KEY_WRAP_SHA_1":
		return sha1.New(), true
	case "RSA_AES_KEY_WRAP_SHA_256":
		return sha256.New(), true
	}
	return nil, false
}

// WrapsImport reports whether alg is a wrapping algorithm this package
// opens with an RSA key of spec: RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256,
// RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256 with RSA_2048, 3072
// or 4096.
func WrapsImport(spec, alg string) bool {
	_, kw := keyWrapHash(alg)
	return MaxOAEPPlaintext(spec, alg) > 0 || kw && rsaBits[spec] > 0
}

// UnwrapRSAAESKeyWrap opens material wrapped under alg
// (RSA_AES_KEY_WRAP_SHA_1 or _SHA_256) with the RSA private key priv of
// spec. Every failure to open is ErrDecrypt, whichever step it is.
func UnwrapRSAAESKeyWrap(spec string, priv []byte, alg string, wrapped []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	h, ok := keyWrapHash(alg)
	if s.rsa == nil || !ok {
		return nil, ErrAlgorithm
	}
	n := s.rsa.Size()
	if len(wrapped) <= n {
		return nil, ErrDecrypt
	}
	kek, err := rsa.DecryptOAEP(h, rand.Reader, s.rsa, wrapped[:n], nil)
	if err != nil || len(kek) != KeySize {
		return nil, ErrDecrypt
	}
	return unwrapKWP(kek, wrapped[n:])
}

// unwrapKWP reverses AES key wrap with padding under kek.
func unwrapKWP(kek, wrapped []byte) ([]byte, error) {
	w, err := kwp.NewKWP(kek)
	if err != nil {
		return nil, ErrDecrypt
	}
	mat, err := w.Unwrap(wrapped)
	if err != nil {
		return nil, ErrDecrypt
	}
	return mat, nil
}
