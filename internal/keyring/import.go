package keyring

// Imported key material (BYOK). GetParametersForImport makes a wrapping
// key pair: its private key is stored, sealed by the barrier like all
// material, under keyring/import/<region>/<token id>, with the key id, the
// wrapping parameters and the expiry it was made for. The import token is
// the random token id behind a version byte: it names the record and proves
// nothing by itself, so it cannot be forged, and a token of another key,
// Region or set of parameters is refused. The wrapping private key never
// leaves the keyring.
//
// An imported version's KeyMaterialId is HMAC-SHA256(material, key id),
// so the same material imported again has the same id (EXISTING_KEY_MATERIAL)
// and different material is told apart without keeping a copy of it.

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	importTokenVersion = 0x49 // 'I'
	importTokenIDSize  = 32
	// ImportTokenSize is the length of every import token.
	ImportTokenSize = 1 + importTokenIDSize
	importIDInfo    = "sealbox kms imported material id v1:"
)

var (
	// ErrImportToken: the token is malformed, unknown, or made for another
	// key or other wrapping parameters.
	ErrImportToken = errors.New("keyring: invalid import token")
	// ErrImportTokenExpired: the token's 24 hours have passed.
	ErrImportTokenExpired = errors.New("keyring: import token expired")
	// ErrImportMaterial: the wrapped material does not unwrap.
	ErrImportMaterial = errors.New("keyring: invalid imported key material")
	// ErrImportSpec: the material unwraps but is not material of the
	// key's spec (its size, type, modulus size or curve).
	ErrImportSpec = errors.New("keyring: imported key material is not of the key's spec")
)

// ImportParams are the wrapping parameters an import token was made for.
type ImportParams struct {
	Region, KeyID string
	// WrappingKeySpec is RSA_2048, RSA_3072 or RSA_4096; WrappingAlgorithm
	// is RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, RSA_AES_KEY_WRAP_SHA_1 or
	// RSA_AES_KEY_WRAP_SHA_256.
	WrappingKeySpec, WrappingAlgorithm string
	Expires                            time.Time
}

type importRecord struct {
	ImportParams
	Private []byte `json:"private"` // PKCS #8 DER of the wrapping key
}

func importKey(region, tokenID string) string {
	return "keyring/import/" + region + "/" + tokenID
}

// ParseImportToken checks a token's shape and returns the id of the record
// it names. It is safe on any bytes.
func ParseImportToken(token []byte) (string, error) {
	if len(token) != ImportTokenSize || token[0] != importTokenVersion {
		return "", ErrImportToken
	}
	return hex.EncodeToString(token[1:]), nil
}

// NewImportToken makes a wrapping key pair for p inside tx and returns the
// import token and the wrapping public key (DER SubjectPublicKeyInfo).
func (r *Ring) NewImportToken(tx store.Tx, p ImportParams) (token, public []byte, err error) {
	if err := checkKeyID(p.KeyID); err != nil { // a UUID or a multi-Region key id
		return nil, nil, err
	}
	if !primitive.WrapsImport(p.WrappingKeySpec, p.WrappingAlgorithm) {
		return nil, nil, ErrAlgorithm
	}
	priv, err := primitive.GenerateKey(p.WrappingKeySpec)
	if err != nil {
		return nil, nil, err
	}
	public, err = primitive.PublicKey(p.WrappingKeySpec, priv)
	if err != nil {
		return nil, nil, err
	}
	if err := pruneImportTokens(tx, p.Region, p.Expires.Add(-importTokenKeep)); err != nil {
		return nil, nil, err
	}
	token = append([]byte{importTokenVersion}, primitive.Random(importTokenIDSize)...)
	id, _ := ParseImportToken(token)
	v, err := json.Marshal(importRecord{ImportParams: p, Private: priv})
	if err != nil {
		return nil, nil, err
	}
	if err := tx.Put(importKey(p.Region, id), v); err != nil {
		return nil, nil, fmt.Errorf("failed to store the wrapping key: %w", err)
	}
	return token, public, nil
}

// importTokenKeep is how long a wrapping key is kept past its token's
// 24 hours (and its key's deletion), so that a late ImportKeyMaterial is told
// its token expired rather than that it is unknown.
const importTokenKeep = 8 * 24 * time.Hour

// pruneImportTokens deletes the wrapping keys of region whose tokens
// expired before cutoff. Tokens are made by hand, rarely: a scan is cheap.
func pruneImportTokens(tx store.Tx, region string, cutoff time.Time) error {
	var old []string
	err := tx.Scan("keyring/import/"+region+"/", "", func(k string, v []byte) error {
		var rec struct {
			Expires time.Time
		}
		if json.Unmarshal(v, &rec) != nil || rec.Expires.Before(cutoff) {
			old = append(old, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range old {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Imported is material unwrapped for a key, not yet stored.
type Imported struct {
	ref  Ref
	spec string
	mat  []byte
	// MaterialID is the KeyMaterialId the material has under its key.
	MaterialID string
}

// Unwrap opens wrapped material with the wrapping key token names, for the
// key of region and keyID with spec, as of now. The material must be of
// spec: 32 bytes for SYMMETRIC_DEFAULT, an HMAC key of the spec's size
// range, or a PKCS #8 private key of an RSA or ECC spec (of the spec's
// modulus size or curve).
func (r *Ring) Unwrap(tx store.Tx, region, keyID, spec string, token, wrapped []byte, now time.Time) (*Imported, error) {
	id, err := ParseImportToken(token)
	if err != nil {
		return nil, err
	}
	var rec importRecord
	if err := store.GetJSON(tx, importKey(region, id), &rec); errors.Is(err, store.ErrNotFound) {
		return nil, ErrImportToken
	} else if err != nil {
		return nil, err
	}
	if rec.KeyID != keyID || rec.Region != region {
		return nil, ErrImportToken
	}
	if !now.Before(rec.Expires) {
		return nil, ErrImportTokenExpired
	}
	mat, err := unwrapImported(rec, wrapped)
	if err != nil {
		return nil, ErrImportMaterial
	}
	if err := checkImported(spec, mat); err != nil {
		return nil, err
	}
	mid := primitive.HMAC(mat, []byte(importIDInfo+keyID))
	return &Imported{ref: Ref{region, keyID, hex.EncodeToString(mid)}, spec: spec, mat: mat, MaterialID: hex.EncodeToString(mid)}, nil
}

// unwrapImported opens wrapped material with the wrapping key of rec, by
// the algorithm rec was made for.
func unwrapImported(rec importRecord, wrapped []byte) ([]byte, error) {
	switch rec.WrappingAlgorithm {
	case "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256":
		return primitive.UnwrapRSAAESKeyWrap(rec.WrappingKeySpec, rec.Private, rec.WrappingAlgorithm, wrapped)
	}
	return primitive.DecryptOAEP(rec.WrappingKeySpec, rec.Private, rec.WrappingAlgorithm, wrapped)
}

// hmacSizes are the key sizes, in bytes, KMS accepts for imported HMAC
// material of each spec.
var hmacSizes = map[string][2]int{
	"HMAC_224": {28, 64}, "HMAC_256": {32, 64}, "HMAC_384": {48, 128}, "HMAC_512": {64, 128},
}

func checkImported(spec string, mat []byte) error {
	switch {
	case spec == SymmetricDefault:
		if len(mat) != primitive.KeySize {
			return ErrImportSpec
		}
	case isHMAC(spec):
		if n := hmacSizes[spec]; len(mat) < n[0] || len(mat) > n[1] {
			return ErrImportSpec
		}
	default:
		if _, err := primitive.PublicKey(spec, mat); err != nil {
			return ErrImportSpec
		}
	}
	return nil
}

// Store puts imported material in tx as a version of its key (again, when
// it was imported before and expired or was deleted).
func (r *Ring) Store(tx store.Tx, m *Imported) error {
	v := m.mat
	if m.spec != SymmetricDefault {
		v = encodeMaterial(m.spec, m.mat)
	}
	k := materialKey(m.ref.Region, m.ref.KeyID, m.MaterialID)
	if err := tx.Put(k, v); err != nil {
		return fmt.Errorf("failed to store key material: %w", err)
	}
	r.cache.Drop(k)
	return nil
}

// DeleteMaterial removes one version of a key's material.
func (r *Ring) DeleteMaterial(tx store.Tx, ref Ref) error {
	k := materialKey(ref.Region, ref.KeyID, ref.MaterialID)
	if err := tx.Delete(k); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	r.cache.Drop(k)
	r.blobs.dropMaterial(k)
	return nil
}
