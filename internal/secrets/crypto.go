package secrets

import (
	"context"
	"crypto/subtle"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/kms"
)

// encryptionContext is the context AWS's Secrets Manager binds each data
// key to: {"SecretARN": arn, "SecretVersionId": version id}.
func encryptionContext(arn, versionID string) map[string]string {
	return map[string]string{contextARN: arn, contextVersion: versionID}
}

// aad binds a sealed value to its secret and version, so a value record
// moved to another version or secret does not open.
func aad(arn, versionID string) []byte { return []byte(arn + "\x00" + versionID) }

// keyFor is the key a secret's new versions are encrypted under: the one it
// names, or the AWS-managed alias/aws/secretsmanager, created on first use.
func (s *Service) keyFor(ctx context.Context, keyID string) (string, error) {
	if keyID != "" && keyID != defaultKeyAlias {
		return keyID, nil
	}
	arn, err := s.kms.ManagedKeyARN(viaSecretsManager(ctx), defaultKeyAlias)
	if err != nil {
		return "", kmsError(err, true)
	}
	return arn, nil
}

// seal encrypts value for version versionID of the secret arn under keyID:
// one GenerateDataKey on the caller's behalf, the value sealed with the
// plaintext data key, which is then wiped. It returns the value record and
// the ARN of the key used.
func (s *Service) seal(ctx context.Context, keyID, arn, versionID string, value []byte) (*valueRecord, string, error) {
	key, err := s.keyFor(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	dk, err := s.kms.GenerateDataKey(viaSecretsManager(ctx), &kms.GenerateDataKeyInput{KeyId: key, KeySpec: "AES_256", EncryptionContext: encryptionContext(arn, versionID)})
	if err != nil {
		return nil, "", kmsError(err, true)
	}
	defer clear(dk.Plaintext)
	sealed, err := envelope.Seal(dk.Plaintext, value, aad(arn, versionID))
	if err != nil {
		return nil, "", err
	}
	return &valueRecord{Sealed: sealed, DataKey: dk.CiphertextBlob}, dk.KeyId, nil
}

// open decrypts a version's value: KMS Decrypt of its data key on the
// caller's behalf, then the sealed value. The caller wipes the result when
// done with it.
func (s *Service) open(ctx context.Context, arn, versionID string, v *valueRecord) ([]byte, error) {
	dk, err := s.kms.Decrypt(viaSecretsManager(ctx), &kms.DecryptInput{CiphertextBlob: v.DataKey, EncryptionContext: encryptionContext(arn, versionID)})
	if err != nil {
		return nil, kmsError(err, false)
	}
	defer clear(dk.Plaintext)
	pt, err := envelope.Open(dk.Plaintext, v.Sealed, aad(arn, versionID))
	if err != nil {
		return nil, sealbox.Errorf("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
	}
	return pt, nil
}

// sameValue reports whether a and b are equal, in constant time for equal
// lengths.
func sameValue(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// rekey re-encrypts a version's data key under keyID on the caller's behalf
// (KMS ReEncrypt, the same encryption context): the sealed value is left as
// it is, and no plaintext leaves KMS. It returns the new value record and
// the ARN of the key used.
func (s *Service) rekey(ctx context.Context, keyID, arn, versionID string, v *valueRecord) (*valueRecord, string, error) {
	key, err := s.keyFor(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	ec := encryptionContext(arn, versionID)
	out, err := s.kms.ReEncrypt(viaSecretsManager(ctx), &kms.ReEncryptInput{CiphertextBlob: v.DataKey, SourceEncryptionContext: ec,
		DestinationKeyId: key, DestinationEncryptionContext: ec})
	if err != nil {
		return nil, "", kmsError(err, true)
	}
	return &valueRecord{Sealed: v.Sealed, DataKey: out.CiphertextBlob}, out.KeyId, nil
}
