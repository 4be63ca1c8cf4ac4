package secrets

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/envelope"
)

// binding is where AWS's Secrets Manager binds a version's value: the
// data key to the encryption context {"SecretARN": arn, "SecretVersionId":
// version id}, the sealed value to the ARN and the version id, so a value
// record moved to another version or secret does not open.
func binding(arn, versionID string) envelope.Binding {
	return envelope.Binding{Context: map[string]string{contextARN: arn, contextVersion: versionID},
		AAD: []byte(arn + "\x00" + versionID)}
}

// seal encrypts value for version versionID of the secret arn under keyID
// (the AWS-managed alias/aws/secretsmanager when "") on the caller's
// behalf. It returns the value record and the ARN of the key used.
func (s *Service) seal(ctx context.Context, keyID, arn, versionID string, value []byte) (*valueRecord, string, error) {
	sealed, err := s.env.Seal(viaSecretsManager(ctx), keyID, binding(arn, versionID), value)
	if err != nil {
		return nil, "", kmsError(err, true)
	}
	return &valueRecord{Sealed: sealed.Value, DataKey: sealed.DataKey}, sealed.KeyARN, nil
}

// open decrypts a version's value on the caller's behalf. The caller wipes
// the result when done with it.
func (s *Service) open(ctx context.Context, arn, versionID string, v *valueRecord) ([]byte, error) {
	return s.openWith(ctx, binding(arn, versionID), v)
}

// openIn is open for a version of sec, with its binding shared when sec is.
func (s *Service) openIn(ctx context.Context, sec *secretRecord, versionID string, v *valueRecord) ([]byte, error) {
	return s.openWith(ctx, bindingOf(sec, versionID), v)
}

func (s *Service) openWith(ctx context.Context, b envelope.Binding, v *valueRecord) ([]byte, error) {
	pt, err := s.env.Open(viaSecretsManager(ctx), &envelope.Sealed{Value: v.Sealed, DataKey: v.DataKey}, b)
	if errors.Is(err, envelope.ErrOpen) {
		return nil, sealbox.Errorf("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
	}
	if err != nil {
		return nil, kmsError(err, false)
	}
	return pt, nil
}

// sameValue reports whether a and b are equal, in constant time for equal
// lengths.
func sameValue(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// rekey moves a version's data key to keyID on the caller's behalf: the
// sealed value is left as it is, and no plaintext leaves KMS. It returns
// the new value record and the ARN of the key used.
func (s *Service) rekey(ctx context.Context, keyID, arn, versionID string, v *valueRecord) (*valueRecord, string, error) {
	sealed, err := s.env.Rekey(viaSecretsManager(ctx), keyID, &envelope.Sealed{Value: v.Sealed, DataKey: v.DataKey}, binding(arn, versionID))
	if err != nil {
		return nil, "", kmsError(err, true)
	}
	return &valueRecord{Sealed: sealed.Value, DataKey: sealed.DataKey}, sealed.KeyARN, nil
}
