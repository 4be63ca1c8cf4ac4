// Package envelope seals a service's values under a data key that KMS
// issued (GenerateDataKey): the plaintext data key is used once, here, and
// forgotten; the encrypted data key is stored beside the sealed value and
// KMS decrypts it when the value is read. Services reach AES-GCM only
// through this package, as the barrier and the keyring reach it only through
// internal/primitive.
package envelope

import (
	"errors"

	"github.com/sealbox/sealbox/internal/primitive"
)

// ErrOpen is the one error Open returns: the cause is not told.
var ErrOpen = errors.New("envelope: sealed value failed authentication")

// Seal encrypts plaintext with the 32-byte dataKey (AES-256-GCM, a random
// nonce), binding aad, e.g. the secret's ARN and version id.
func Seal(dataKey, plaintext, aad []byte) ([]byte, error) {
	return primitive.Seal(dataKey, plaintext, aad)
}

// Open reverses Seal; any failure is ErrOpen.
func Open(dataKey, sealed, aad []byte) ([]byte, error) {
	pt, err := primitive.Open(dataKey, sealed, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}
