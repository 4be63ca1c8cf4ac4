// Package envelope is envelope encryption as AWS's services do it for a
// caller: KMS issues a data key (GenerateDataKey) under the customer's key,
// the value is sealed with the plaintext data key, which is then wiped, and
// the encrypted data key is kept beside the sealed value; reading asks KMS
// to decrypt the data key (Decrypt); moving the value to another key asks
// KMS to re-encrypt the data key (ReEncrypt), leaving the sealed value as it
// is. Every KMS call is made on the caller's behalf, so KMS authorizes and
// audits the caller, invoked by the service.
//
// Secrets Manager and Lambda keep their values this way; each passes its
// own Binding, the encryption context AWS uses for it. Parameter Store does
// not: a SecureString is a KMS ciphertext its clients may decrypt
// themselves, so it calls KMS Encrypt directly. Services reach AES-GCM only
// through this package, as the barrier and the keyring reach it only
// through internal/primitive.
package envelope

import (
	"context"
	"errors"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/primitive"
)

// ErrOpen is what Open returns for a sealed value that fails
// authentication (tampered with, or bound elsewhere): the cause is not told.
var ErrOpen = errors.New("envelope: sealed value failed authentication")

// errNotOnBehalf is a programming error: a KMS call not made on a caller's
// behalf would be neither authorized with kms:ViaService nor recorded as the
// caller's event, so it is refused.
var errNotOnBehalf = errors.New("envelope: the context's request names no calling service (ViaService)")

// KMS is what an Envelope needs of KMS: the calls it makes on a caller's
// behalf.
type KMS interface {
	GenerateDataKey(ctx context.Context, in *kms.GenerateDataKeyRequest) (*kms.GenerateDataKeyResponse, error)
	Decrypt(ctx context.Context, in *kms.DecryptRequest) (*kms.DecryptResponse, error)
	ReEncrypt(ctx context.Context, in *kms.ReEncryptRequest) (*kms.ReEncryptResponse, error)
	ManagedKeyARN(ctx context.Context, alias string) (string, error)
}

// Binding ties a sealed value to where it lives, so that it opens nowhere
// else.
type Binding struct {
	// Context is the encryption context KMS binds the data key to: the one
	// AWS uses for the service, e.g. {"SecretARN": arn, "SecretVersionId":
	// id} for Secrets Manager. It is named in the caller's KMS events and
	// may be named in their policies' conditions.
	Context map[string]string
	// AAD is the additional data the value itself is sealed with, e.g. the
	// secret's ARN and version id.
	AAD []byte
}

// Sealed is a value an Envelope sealed.
type Sealed struct {
	Value   []byte // the value, AES-256-GCM under the data key
	DataKey []byte // the data key, a KMS ciphertext blob
	KeyARN  string // the KMS key DataKey is encrypted under
}

// Envelope seals and opens one service's values under its callers' KMS
// keys. Safe for concurrent use.
//
// Each method's ctx carries the caller's Request with ViaService set (the
// service's own copy, sealbox.Request.Via), so that KMS authorizes the
// caller with kms:ViaService and records the call as the caller's, invoked
// by the service. A context without one is refused before KMS is called.
// Errors from KMS are returned as KMS words them, for the service to word
// as AWS's service does.
type Envelope struct {
	kms        KMS
	defaultKey string
}

// New returns an Envelope that calls k, and that seals under the AWS-managed
// key behind the alias defaultKey (e.g. "alias/aws/secretsmanager") when a
// value names no key or names that alias.
func New(k KMS, defaultKey string) *Envelope {
	return &Envelope{kms: k, defaultKey: defaultKey}
}

// key is the ARN or id of the key a new value is sealed under: keyID, or
// the AWS-managed default key (created on first use) when keyID is "" or
// the default alias.
func (e *Envelope) key(ctx context.Context, keyID string) (string, error) {
	if keyID != "" && keyID != e.defaultKey {
		return keyID, nil
	}
	return e.kms.ManagedKeyARN(ctx, e.defaultKey)
}

// Seal seals plaintext under a fresh data key that KMS issues under keyID
// (or the default key) and b.Context; the value is sealed with b.AAD. The
// plaintext data key is wiped before Seal returns.
func (e *Envelope) Seal(ctx context.Context, keyID string, b Binding, plaintext []byte) (*Sealed, error) {
	if err := onBehalf(ctx); err != nil {
		return nil, err
	}
	key, err := e.key(ctx, keyID)
	if err != nil {
		return nil, err
	}
	dk, err := e.kms.GenerateDataKey(ctx, &kms.GenerateDataKeyRequest{KeyId: key, KeySpec: "AES_256", EncryptionContext: b.Context})
	if err != nil {
		return nil, err
	}
	defer clear(dk.Plaintext)
	v, err := primitive.Seal(dk.Plaintext, plaintext, b.AAD)
	if err != nil {
		return nil, err
	}
	return &Sealed{Value: v, DataKey: dk.CiphertextBlob, KeyARN: dk.KeyId}, nil
}

// Open returns the plaintext of s, sealed under b: KMS decrypts the data
// key, which opens the value and is then wiped. A value that fails
// authentication is ErrOpen. The caller wipes the plaintext when done.
func (e *Envelope) Open(ctx context.Context, s *Sealed, b Binding) ([]byte, error) {
	if err := onBehalf(ctx); err != nil {
		return nil, err
	}
	dk, err := e.kms.Decrypt(ctx, &kms.DecryptRequest{CiphertextBlob: s.DataKey, EncryptionContext: b.Context})
	if err != nil {
		return nil, err
	}
	defer clear(dk.Plaintext)
	pt, err := primitive.Open(dk.Plaintext, s.Value, b.AAD)
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Rekey moves s to keyID (or the default key): KMS re-encrypts its data key under the
// same encryption context, so no plaintext leaves KMS and the sealed value
// stays as it is.
func (e *Envelope) Rekey(ctx context.Context, keyID string, s *Sealed, b Binding) (*Sealed, error) {
	if err := onBehalf(ctx); err != nil {
		return nil, err
	}
	key, err := e.key(ctx, keyID)
	if err != nil {
		return nil, err
	}
	out, err := e.kms.ReEncrypt(ctx, &kms.ReEncryptRequest{CiphertextBlob: s.DataKey, SourceEncryptionContext: b.Context,
		DestinationKeyId: key, DestinationEncryptionContext: b.Context})
	if err != nil {
		return nil, err
	}
	return &Sealed{Value: s.Value, DataKey: out.CiphertextBlob, KeyARN: out.KeyId}, nil
}

func onBehalf(ctx context.Context) error {
	if r := sealbox.RequestFromContext(ctx); r == nil || r.ViaService == "" {
		return errNotOnBehalf
	}
	return nil
}
