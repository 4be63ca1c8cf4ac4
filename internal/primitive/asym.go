package primitive

// The asymmetric and HMAC operations of KMS keys. Every key is named by its
// KMS KeySpec and every operation by its KMS algorithm, so that the choice of
// hash, padding and encoding for each is made here once:
//
//	RSA_*                 PKCS #8 private key; RSASSA-PSS (salt = hash size) and
//	                      PKCS #1 v1.5 signatures; RSAES-OAEP with SHA-1 or SHA-256
//	                      (MGF1 with the same hash, no label); RSA-AES key wrap
//	                      (keywrap.go)
//	ECC_NIST_P256/384/521 PKCS #8; ECDSA signatures DER-encoded (RFC 3279); ECDH
//	ECC_SECG_P256K1       PKCS #8 (RFC 5915 inside); ECDSA, deterministic (RFC 6979),
//	                      low-S, by github.com/decred/dcrd/dcrec/secp256k1
//	ECC_NIST_EDWARDS25519 PKCS #8; pure Ed25519 (RAW) and Ed25519ph (DIGEST)
//	ML_DSA_44/65/87       the 32-byte seed ξ (FIPS 204 ML-DSA.KeyGen_internal); hedged
//	                      ML-DSA with an empty context, or signing a caller's μ
//	                      (EXTERNAL_MU), by filippo.io/mldsa (crypto/mldsa from
//	                      Go 1.27). Seeds made under github.com/cloudflare/circl,
//	                      which sealbox used before, give the same keys.
//	HMAC_224/256/384/512  random key bytes of the spec's size (224 to 512 bits)
//
// Public keys are DER SubjectPublicKeyInfo, as GetPublicKey returns them.

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"hash"

	"filippo.io/mldsa"
	"filippo.io/mldsa/mldsacrypto"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"
)

var (
	// ErrKeySpec is returned for a key spec this package does not know.
	ErrKeySpec = errors.New("primitive: unsupported key spec")
	// ErrAlgorithm is returned for an algorithm the key cannot perform.
	ErrAlgorithm = errors.New("primitive: algorithm not valid for the key")
	// ErrDigestLength is returned when a DIGEST message is not exactly the
	// size of the algorithm's hash, or an EXTERNAL_MU message not 64 bytes.
	ErrDigestLength = errors.New("primitive: digest has the wrong length")
	// ErrUnsupported is returned for an operation no library offers:
	// verifying an ML-DSA signature of a caller's μ (EXTERNAL_MU).
	ErrUnsupported = errors.New("primitive: operation not supported")
	// ErrKey is the one error for private material that does not parse: it
	// says nothing about the material.
	ErrKey = errors.New("primitive: invalid private key")
	// ErrDecrypt is the one error an asymmetric decryption returns.
	ErrDecrypt = errors.New("primitive: decryption failed")
	// ErrPublicKey is returned for a peer public key that is not a DER
	// SubjectPublicKeyInfo on the key's curve.
	ErrPublicKey = errors.New("primitive: invalid public key")
)

// Message types, as KMS names them.
const (
	MessageRaw        = "RAW"
	MessageDigest     = "DIGEST"
	MessageExternalMu = "EXTERNAL_MU"
)

var oidSecp256k1 = asn1.ObjectIdentifier{1, 3, 132, 0, 10}
var oidECPublicKey = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}

// ML-DSA's SubjectPublicKeyInfo algorithm identifiers (RFC 9881).
var oidMLDSA = map[string]asn1.ObjectIdentifier{
	"ML_DSA_44": {2, 16, 840, 1, 101, 3, 4, 3, 17},
	"ML_DSA_65": {2, 16, 840, 1, 101, 3, 4, 3, 18},
	"ML_DSA_87": {2, 16, 840, 1, 101, 3, 4, 3, 19},
}

var mldsaParams = map[string]mldsa.Parameters{
	"ML_DSA_44": mldsa.MLDSA44(), "ML_DSA_65": mldsa.MLDSA65(), "ML_DSA_87": mldsa.MLDSA87(),
}

// MuSize is the length of an ML-DSA message representative μ
// (FIPS 204 section 6.2), which an EXTERNAL_MU message must have.
const MuSize = 64

var rsaBits = map[string]int{"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}

var hmacSizes = map[string]crypto.Hash{
	"HMAC_224": crypto.SHA224, "HMAC_256": crypto.SHA256, "HMAC_384": crypto.SHA384, "HMAC_512": crypto.SHA512,
}

// GenerateKey makes new private material for spec (see the package's table
// for its encoding).
func GenerateKey(spec string) ([]byte, error) {
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096":
		k, err := rsa.GenerateKey(rand.Reader, rsaBits[spec])
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521":
		k, err := ecdsa.GenerateKey(nistCurve(spec), rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case "ECC_SECG_P256K1":
		k, err := secp256k1.GeneratePrivateKey()
		if err != nil {
			return nil, err
		}
		return marshalSecp256k1(k)
	case "ECC_NIST_EDWARDS25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		return x509.MarshalPKCS8PrivateKey(k)
	case "ML_DSA_44", "ML_DSA_65", "ML_DSA_87":
		return Random(mldsa.PrivateKeySize), nil
	}
	if h, ok := hmacSizes[spec]; ok {
		return Random(h.Size()), nil
	}
	return nil, ErrKeySpec
}

func nistCurve(spec string) elliptic.Curve {
	switch spec {
	case "ECC_NIST_P256":
		return elliptic.P256()
	case "ECC_NIST_P384":
		return elliptic.P384()
	case "ECC_NIST_P521":
		return elliptic.P521()
	}
	return nil
}

// RFC 5915 ECPrivateKey and RFC 5208 PrivateKeyInfo, for secp256k1, which
// crypto/x509 does not know.
type ecPrivateKey struct {
	Version    int
	PrivateKey []byte
	PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
}

type pkcs8 struct {
	Version    int
	Algo       pkix.AlgorithmIdentifier
	PrivateKey []byte
}

func marshalSecp256k1(k *secp256k1.PrivateKey) ([]byte, error) {
	pub := k.PubKey().SerializeUncompressed()
	inner, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: k.Serialize(), PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
	if err != nil {
		return nil, err
	}
	param, _ := asn1.Marshal(oidSecp256k1)
	return asn1.Marshal(pkcs8{Algo: pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: param}}, PrivateKey: inner})
}

func parseSecp256k1(der []byte) (*secp256k1.PrivateKey, error) {
	var p pkcs8
	if rest, err := asn1.Unmarshal(der, &p); err != nil || len(rest) != 0 || !p.Algo.Algorithm.Equal(oidECPublicKey) {
		return nil, ErrKey
	}
	var curve asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(p.Algo.Parameters.FullBytes, &curve); err != nil || !curve.Equal(oidSecp256k1) {
		return nil, ErrKey
	}
	var e ecPrivateKey
	if _, err := asn1.Unmarshal(p.PrivateKey, &e); err != nil || len(e.PrivateKey) != 32 {
		return nil, ErrKey
	}
	return secp256k1.PrivKeyFromBytes(e.PrivateKey), nil
}

type spki struct {
	Algo      pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

func marshalSPKI(algo pkix.AlgorithmIdentifier, pub []byte) ([]byte, error) {
	return asn1.Marshal(spki{Algo: algo, PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
}

// signer is a parsed private key of one of the signing specs.
type signer struct {
	spec  string
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	k1    *secp256k1.PrivateKey
	ed    ed25519.PrivateKey
	mldsa *mldsa.PrivateKey
}

func parse(spec string, priv []byte) (*signer, error) {
	s := &signer{spec: spec}
	switch spec {
	case "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_NIST_EDWARDS25519":
		k, err := x509.ParsePKCS8PrivateKey(priv)
		if err != nil {
			return nil, ErrKey
		}
		// The material must be of the spec it is used as.
		switch k := k.(type) {
		case *rsa.PrivateKey:
			if rsaBits[spec] == k.N.BitLen() {
				s.rsa = k
			}
		case *ecdsa.PrivateKey:
			if k.Curve == nistCurve(spec) {
				s.ec = k
			}
		case ed25519.PrivateKey:
			if spec == "ECC_NIST_EDWARDS25519" {
				s.ed = k
			}
		}
	case "ECC_SECG_P256K1":
		k, err := parseSecp256k1(priv)
		if err != nil {
			return nil, err
		}
		s.k1 = k
	case "ML_DSA_44", "ML_DSA_65", "ML_DSA_87":
		k, err := mldsa.NewPrivateKey(mldsaParams[spec], priv)
		if err != nil {
			return nil, ErrKey
		}
		s.mldsa = k
	default:
		return nil, ErrKeySpec
	}
	if s.rsa == nil && s.ec == nil && s.k1 == nil && s.ed == nil && s.mldsa == nil {
		return nil, ErrKey
	}
	return s, nil
}

// PublicKey returns the DER SubjectPublicKeyInfo of spec's private material.
func PublicKey(spec string, priv []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	switch {
	case s.rsa != nil:
		return x509.MarshalPKIXPublicKey(&s.rsa.PublicKey)
	case s.ec != nil:
		return x509.MarshalPKIXPublicKey(&s.ec.PublicKey)
	case s.ed != nil:
		return x509.MarshalPKIXPublicKey(s.ed.Public())
	case s.k1 != nil:
		param, _ := asn1.Marshal(oidSecp256k1)
		return marshalSPKI(pkix.AlgorithmIdentifier{Algorithm: oidECPublicKey, Parameters: asn1.RawValue{FullBytes: param}}, s.k1.PubKey().SerializeUncompressed())
	default:
		return marshalSPKI(pkix.AlgorithmIdentifier{Algorithm: oidMLDSA[spec]}, s.mldsa.PublicKey().Bytes())
	}
}

// signingHash is the hash each signing algorithm applies to a RAW message
// (and whose size a DIGEST must have).
var signingHash = map[string]crypto.Hash{
	"RSASSA_PSS_SHA_256": crypto.SHA256, "RSASSA_PSS_SHA_384": crypto.SHA384, "RSASSA_PSS_SHA_512": crypto.SHA512,
	"RSASSA_PKCS1_V1_5_SHA_256": crypto.SHA256, "RSASSA_PKCS1_V1_5_SHA_384": crypto.SHA384, "RSASSA_PKCS1_V1_5_SHA_512": crypto.SHA512,
	"ECDSA_SHA_256": crypto.SHA256, "ECDSA_SHA_384": crypto.SHA384, "ECDSA_SHA_512": crypto.SHA512,
	"ED25519_PH_SHA_512": crypto.SHA512,
}

// DigestSize is the length a DIGEST message must have for alg, 0 when alg
// takes no digest.
func DigestSize(alg string) int {
	if h, ok := signingHash[alg]; ok {
		return h.Size()
	}
	return 0
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA1:
		return sha1.New()
	case crypto.SHA224:
		return sha256.New224()
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	default:
		return sha512.New()
	}
}

// digest turns the message into what the algorithm signs: the hash of a RAW
// message, a DIGEST as it is (checked for length).
func digest(alg, msgType string, msg []byte) ([]byte, crypto.Hash, error) {
	h, ok := signingHash[alg]
	if !ok {
		return nil, 0, ErrAlgorithm
	}
	switch msgType {
	case MessageRaw:
		d := newHash(h)
		d.Write(msg)
		return d.Sum(nil), h, nil
	case MessageDigest:
		if len(msg) != h.Size() {
			return nil, 0, ErrDigestLength
		}
		return msg, h, nil
	}
	return nil, 0, ErrAlgorithm
}

func rsaAlg(alg string) (pss bool, ok bool) {
	switch alg {
	case "RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512":
		return true, true
	case "RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512":
		return false, true
	}
	return false, false
}

// ecdsaAlg is the one algorithm of each elliptic curve spec.
var ecdsaAlg = map[string]string{
	"ECC_NIST_P256": "ECDSA_SHA_256", "ECC_NIST_P384": "ECDSA_SHA_384", "ECC_NIST_P521": "ECDSA_SHA_512", "ECC_SECG_P256K1": "ECDSA_SHA_256",
}

// signedDigest is what an RSA or ECDSA signer signs, or verifies, for msg
// (of msgType) under alg, and with which hash: alg must be one s's key
// takes (pss tells RSA's PSS from PKCS #1 v1.5), and a digest the hash's
// size. Sign and Verify share it, so that they accept the same requests.
func (s *signer) signedDigest(alg, msgType string, msg []byte) (d []byte, h crypto.Hash, pss bool, err error) {
	if s.rsa != nil {
		var ok bool
		if pss, ok = rsaAlg(alg); !ok {
			return nil, 0, false, ErrAlgorithm
		}
	} else if ecdsaAlg[s.spec] != alg {
		return nil, 0, false, ErrAlgorithm
	}
	d, h, err = digest(alg, msgType, msg)
	if err != nil {
		return nil, 0, false, err
	}
	return d, h, pss, nil
}

// Sign signs msg (of msgType) with spec's private material under alg.
func Sign(spec string, priv []byte, alg, msgType string, msg []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	switch {
	case s.rsa != nil || s.ec != nil || s.k1 != nil:
		d, h, pss, err := s.signedDigest(alg, msgType, msg)
		if err != nil {
			return nil, err
		}
		switch {
		case s.rsa != nil && pss:
			return rsa.SignPSS(rand.Reader, s.rsa, h, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		case s.rsa != nil:
			return rsa.SignPKCS1v15(rand.Reader, s.rsa, h, d)
		case s.k1 != nil:
			return secpecdsa.Sign(s.k1, d).Serialize(), nil
		}
		return ecdsa.SignASN1(rand.Reader, s.ec, d)
	case s.ed != nil:
		switch {
		case alg == "ED25519_SHA_512" && msgType == MessageRaw:
			return ed25519.Sign(s.ed, msg), nil
		case alg == "ED25519_PH_SHA_512":
			d, _, err := digest(alg, msgType, msg)
			if err != nil {
				return nil, err
			}
			return s.ed.Sign(nil, d, &ed25519.Options{Hash: crypto.SHA512})
		}
		return nil, ErrAlgorithm
	default:
		if alg != "ML_DSA_SHAKE_256" {
			return nil, ErrAlgorithm
		}
		switch msgType {
		case MessageRaw:
			// Hedged (fresh randomness inside), empty context, as KMS signs.
			return s.mldsa.Sign(nil, msg, nil)
		case MessageExternalMu:
			// msg is μ = SHAKE256(SHAKE256(pk, 64) || M', 64): the signer
			// skips computing it.
			if len(msg) != MuSize {
				return nil, ErrDigestLength
			}
			return s.mldsa.Sign(nil, msg, mldsacrypto.MLDSAMu)
		}
		return nil, ErrAlgorithm
	}
}

// Verify checks sig over msg (of msgType) under alg with the public half
// of spec's private material. A signature that does not verify is false
// with no error; errors are for a wrong algorithm, message type or digest.
func Verify(spec string, priv []byte, alg, msgType string, msg, sig []byte) (bool, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return false, err
	}
	switch {
	case s.rsa != nil || s.ec != nil || s.k1 != nil:
		d, h, pss, err := s.signedDigest(alg, msgType, msg)
		if err != nil {
			return false, err
		}
		switch {
		case s.rsa != nil && pss:
			return rsa.VerifyPSS(&s.rsa.PublicKey, h, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil, nil
		case s.rsa != nil:
			return rsa.VerifyPKCS1v15(&s.rsa.PublicKey, h, d, sig) == nil, nil
		case s.k1 != nil:
			p, err := secpecdsa.ParseDERSignature(sig)
			return err == nil && p.Verify(d, s.k1.PubKey()), nil
		}
		return ecdsa.VerifyASN1(&s.ec.PublicKey, d, sig), nil
	case s.ed != nil:
		pub := s.ed.Public().(ed25519.PublicKey)
		switch {
		case alg == "ED25519_SHA_512" && msgType == MessageRaw:
			return ed25519.Verify(pub, msg, sig), nil
		case alg == "ED25519_PH_SHA_512":
			d, _, err := digest(alg, msgType, msg)
			if err != nil {
				return false, err
			}
			return ed25519.VerifyWithOptions(pub, d, sig, &ed25519.Options{Hash: crypto.SHA512}) == nil, nil
		}
		return false, ErrAlgorithm
	default:
		if alg != "ML_DSA_SHAKE_256" {
			return false, ErrAlgorithm
		}
		switch msgType {
		case MessageRaw:
			return mldsa.Verify(s.mldsa.PublicKey(), msg, sig, nil) == nil, nil
		case MessageExternalMu:
			// Verifying from μ needs ML-DSA.Verify_internal, which neither
			// filippo.io/mldsa nor circl exports.
			return false, ErrUnsupported
		}
		return false, ErrAlgorithm
	}
}

func oaepHash(alg string) (hash.Hash, bool) {
	switch alg {
	case "RSAES_OAEP_SHA_1":
		return sha1.New(), true
	case "RSAES_OAEP_SHA_256":
		return sha256.New(), true
	}
	return nil, false
}

// MaxOAEPPlaintext is the longest plaintext RSA-OAEP under alg encrypts with
// an RSA key of spec (0 for an unknown pair).
func MaxOAEPPlaintext(spec, alg string) int {
	bits := rsaBits[spec]
	h, ok := oaepHash(alg)
	if bits == 0 || !ok {
		return 0
	}
	return bits/8 - 2*h.Size() - 2
}

// EncryptOAEP encrypts plaintext with the public half of an RSA key.
func EncryptOAEP(spec string, priv []byte, alg string, plaintext []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	h, ok := oaepHash(alg)
	if s.rsa == nil || !ok {
		return nil, ErrAlgorithm
	}
	return rsa.EncryptOAEP(h, rand.Reader, &s.rsa.PublicKey, plaintext, nil)
}

// DecryptOAEP reverses EncryptOAEP. Every failure is ErrDecrypt.
func DecryptOAEP(spec string, priv []byte, alg string, ciphertext []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	h, ok := oaepHash(alg)
	if s.rsa == nil || !ok {
		return nil, ErrAlgorithm
	}
	pt, err := rsa.DecryptOAEP(h, rand.Reader, s.rsa, ciphertext, nil)
	if err != nil {
		return nil, ErrDecrypt
	}
	return pt, nil
}

// macHash is each MAC algorithm's hash, and the key spec it goes with.
var macHash = map[string]struct {
	spec string
	hash crypto.Hash
}{
	"HMAC_SHA_224": {"HMAC_224", crypto.SHA224}, "HMAC_SHA_256": {"HMAC_256", crypto.SHA256},
	"HMAC_SHA_384": {"HMAC_384", crypto.SHA384}, "HMAC_SHA_512": {"HMAC_512", crypto.SHA512},
}

// MAC computes the HMAC of msg under an HMAC key of spec with alg.
func MAC(spec string, key []byte, alg string, msg []byte) ([]byte, error) {
	m, ok := macHash[alg]
	if !ok || m.spec != spec {
		return nil, ErrAlgorithm
	}
	if len(key) == 0 {
		return nil, ErrKey
	}
	mac := hmac.New(func() hash.Hash { return newHash(m.hash) }, key)
	mac.Write(msg)
	return mac.Sum(nil), nil
}

// VerifyMAC reports, in constant time, whether tag is msg's HMAC.
func VerifyMAC(spec string, key []byte, alg string, msg, tag []byte) (bool, error) {
	want, err := MAC(spec, key, alg, msg)
	if err != nil {
		return false, err
	}
	return hmac.Equal(want, tag), nil
}

// DeriveSharedSecret is ECDH between a NIST-curve private key of spec and a
// peer's DER SubjectPublicKeyInfo on the same curve: the raw shared x
// coordinate, as KMS returns it.
func DeriveSharedSecret(spec string, priv, peerSPKI []byte) ([]byte, error) {
	s, err := parse(spec, priv)
	if err != nil {
		return nil, err
	}
	if s.ec == nil {
		return nil, ErrAlgorithm
	}
	peer, err := ParseECPublicKey(spec, peerSPKI)
	if err != nil {
		return nil, err
	}
	mine, err := s.ec.ECDH()
	if err != nil {
		return nil, ErrKey
	}
	return mine.ECDH(peer)
}

// ParseECPublicKey parses an untrusted DER SubjectPublicKeyInfo that must
// be a point on spec's NIST curve.
func ParseECPublicKey(spec string, der []byte) (*ecdh.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, ErrPublicKey
	}
	ek, ok := k.(*ecdsa.PublicKey)
	if !ok || ek.Curve != nistCurve(spec) {
		return nil, ErrPublicKey
	}
	p, err := ek.ECDH()
	if err != nil {
		return nil, ErrPublicKey
	}
	return p, nil
}
