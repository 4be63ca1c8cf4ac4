package keyring

// Asymmetric and HMAC material. A version of it is stored, like symmetric
// material, under keyring/<region>/<key id>/<material id>, sealed by the
// barrier; its value says its kind:
//
//	32 bytes                        SYMMETRIC_DEFAULT material (unchanged)
//	0xA5 || n || spec (n bytes) ||  the private key of spec (PKCS #8 DER, or
//	  private material              the ML-DSA seed) or the HMAC key
//
// The 32-byte form stays as it was, so that no stored key changes; every
// other form is longer than 32 bytes. Private material never leaves the
// keyring: callers get signatures, MACs, plaintexts, shared secrets and
// public keys.

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// SymmetricDefault is the spec of the keyring's AES material.
const SymmetricDefault = "SYMMETRIC_DEFAULT"

const tagged = 0xA5

var (
	// ErrWrongKind is returned when material is used for an operation of
	// another kind (a symmetric blob under an RSA key, a MAC with an RSA key).
	ErrWrongKind = errors.New("keyring: key material of another kind")
	// ErrAlgorithm: the algorithm is not one the key's spec performs.
	ErrAlgorithm = primitive.ErrAlgorithm
	// ErrDigestLength: a DIGEST message of the wrong size for the algorithm.
	ErrDigestLength = primitive.ErrDigestLength
	// ErrDecrypt is the one error of an asymmetric decryption.
	ErrDecrypt = primitive.ErrDecrypt
	// ErrPublicKey: a peer public key that is not a key on the curve.
	ErrPublicKey = primitive.ErrPublicKey
)

func encodeMaterial(spec string, mat []byte) []byte {
	out := make([]byte, 0, 2+len(spec)+len(mat))
	out = append(out, tagged, byte(len(spec)))
	out = append(out, spec...)
	return append(out, mat...)
}

func decodeMaterial(v []byte) (spec string, mat []byte, err error) {
	if len(v) == primitive.KeySize {
		return SymmetricDefault, v, nil
	}
	if len(v) < 2 || v[0] != tagged || len(v) < 2+int(v[1]) {
		return "", nil, errors.New("keyring: stored material is malformed")
	}
	n := int(v[1])
	return string(v[2 : 2+n]), v[2+n:], nil
}

// CreateSpec makes the material of a key of spec (a KMS KeySpec) inside tx
// and returns its KeyMaterialId. SYMMETRIC_DEFAULT is Create.
func (r *Ring) CreateSpec(tx store.Tx, region, keyID, spec string) (string, error) {
	if spec == SymmetricDefault {
		return r.Create(tx, region, keyID)
	}
	if err := checkKeyID(keyID); err != nil {
		return "", err
	}
	mat, err := primitive.GenerateKey(spec)
	if err != nil {
		return "", err
	}
	id := hex.EncodeToString(primitive.Random(materialSize))
	if err := tx.Put(materialKey(region, keyID, id), encodeMaterial(spec, mat)); err != nil {
		return "", fmt.Errorf("failed to store key material: %w", err)
	}
	return id, nil
}

// Ref names one version of a key's material.
type Ref struct {
	Region, KeyID, MaterialID string
}

func (r *Ring) private(tx store.Tx, ref Ref) (string, []byte, error) {
	v, err := r.material(tx, ref.Region, ref.KeyID, ref.MaterialID)
	if err != nil {
		return "", nil, err
	}
	spec, mat, err := decodeMaterial(v)
	if err != nil {
		return "", nil, err
	}
	if spec == SymmetricDefault {
		return "", nil, ErrWrongKind
	}
	return spec, mat, nil
}

// PublicKey returns the DER SubjectPublicKeyInfo of an asymmetric key.
func (r *Ring) PublicKey(tx store.Tx, ref Ref) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	if isHMAC(spec) {
		return nil, ErrWrongKind
	}
	return primitive.PublicKey(spec, mat)
}

// Sign signs msg, a RAW message or a DIGEST (msgType), under alg.
func (r *Ring) Sign(tx store.Tx, ref Ref, alg, msgType string, msg []byte) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	return primitive.Sign(spec, mat, alg, msgType, msg)
}

// Verify reports whether sig is a valid signature of msg under alg.
func (r *Ring) Verify(tx store.Tx, ref Ref, alg, msgType string, msg, sig []byte) (bool, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return false, err
	}
	return primitive.Verify(spec, mat, alg, msgType, msg, sig)
}

// EncryptAsym encrypts plaintext with an RSA key under alg (RSAES_OAEP_*).
// The result is the raw OAEP ciphertext, as KMS returns it.
func (r *Ring) EncryptAsym(tx store.Tx, ref Ref, alg string, plaintext []byte) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	return primitive.EncryptOAEP(spec, mat, alg, plaintext)
}

// DecryptAsym reverses EncryptAsym; every failure to decrypt is ErrDecrypt.
func (r *Ring) DecryptAsym(tx store.Tx, ref Ref, alg string, ciphertext []byte) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	return primitive.DecryptOAEP(spec, mat, alg, ciphertext)
}

// MaxPlaintext is the longest plaintext an RSA key of spec encrypts under
// alg.
func MaxPlaintext(spec, alg string) int { return primitive.MaxOAEPPlaintext(spec, alg) }

// MAC computes msg's MAC under an HMAC key with alg.
func (r *Ring) MAC(tx store.Tx, ref Ref, alg string, msg []byte) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	return primitive.MAC(spec, mat, alg, msg)
}

// VerifyMAC reports, in constant time, whether mac is msg's MAC.
func (r *Ring) VerifyMAC(tx store.Tx, ref Ref, alg string, msg, mac []byte) (bool, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return false, err
	}
	return primitive.VerifyMAC(spec, mat, alg, msg, mac)
}

// DeriveSharedSecret is ECDH between the key and a peer's DER public key.
func (r *Ring) DeriveSharedSecret(tx store.Tx, ref Ref, peer []byte) ([]byte, error) {
	spec, mat, err := r.private(tx, ref)
	if err != nil {
		return nil, err
	}
	return primitive.DeriveSharedSecret(spec, mat, peer)
}

// GenerateKeyPair returns a fresh key pair of spec (a DataKeyPairSpec): the
// private key as PKCS #8 DER and the public key as SubjectPublicKeyInfo. It
// is no key's material: the caller encrypts the private key and hands it
// out.
func GenerateKeyPair(spec string) (private, public []byte, err error) {
	if isHMAC(spec) || spec == SymmetricDefault {
		return nil, nil, ErrWrongKind
	}
	private, err = primitive.GenerateKey(spec)
	if err != nil {
		return nil, nil, err
	}
	public, err = primitive.PublicKey(spec, private)
	if err != nil {
		return nil, nil, err
	}
	return private, public, nil
}

func isHMAC(spec string) bool {
	switch spec {
	case "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512":
		return true
	}
	return false
}
