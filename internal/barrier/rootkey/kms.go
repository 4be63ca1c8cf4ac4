package rootkey

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go"
)

// KMSConfig says which KMS key the kms provider wraps the barrier key with.
type KMSConfig struct {
	// KeyID is the key's id, ARN, alias name (alias/...) or alias ARN.
	KeyID string
	// Endpoint is the KMS endpoint URL; "" lets the SDK choose (AWS's for
	// the region, or AWS_ENDPOINT_URL_KMS / AWS_ENDPOINT_URL).
	Endpoint string
	// Region is the key's region; "" is the SDK's (AWS_REGION, the
	// profile's).
	Region string
	// Deployment names this deployment in the encryption context (the
	// account id it serves), so a blob made for one sealbox does not
	// unwrap for another through the same key.
	Deployment string
}

// kmsWrapVersion is the first byte of every blob the kms provider wraps;
// the rest is KMS's ciphertext blob, which names the key.
const kmsWrapVersion = 1

// Purpose of the barrier key in the encryption context.
const kmsPurpose = "barrier-key"

// KMS wraps the barrier key with a key in a KMS: AWS's, or any service
// that speaks its API (another sealbox). Credentials are found as the AWS
// SDKs find them (environment, shared config and credentials files, a
// profile, the instance's role). Create it with NewKMS. Safe for concurrent
// use.
type KMS struct {
	cfg    KMSConfig
	client *kms.Client
}

var _ Provider = (*KMS)(nil)

// NewKMS loads the SDK's configuration (nothing is sent yet).
func NewKMS(ctx context.Context, cfg KMSConfig) (*KMS, error) {
	if cfg.KeyID == "" {
		return nil, errors.New("the kms root-key provider needs a key id (--root-key-kms-key-id)")
	}
	var opts []func(*awsconfig.LoadOptions) error
	if cfg.Region != "" {
		opts = append(opts, awsconfig.WithRegion(cfg.Region))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("failed to load the AWS configuration for the root key's KMS key %s: %w", cfg.KeyID, err)
	}
	if awsCfg.Region == "" {
		return nil, fmt.Errorf("the root key's KMS key %s needs a region: give --root-key-kms-region (or AWS_REGION)", cfg.KeyID)
	}
	client := kms.NewFromConfig(awsCfg, func(o *kms.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
	})
	return &KMS{cfg: cfg, client: client}, nil
}

// Name returns "kms".
func (*KMS) Name() string { return "kms" }

// encryptionContext binds the blob to this deployment and purpose: KMS
// refuses to decrypt it under any other context.
func (k *KMS) encryptionContext() map[string]string {
	return map[string]string{"sealbox:deployment": k.cfg.Deployment, "sealbox:purpose": kmsPurpose}
}

// Wrap encrypts key with KMS Encrypt.
func (k *KMS) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	out, err := k.client.Encrypt(ctx, &kms.EncryptInput{
		KeyId:             aws.String(k.cfg.KeyID),
		Plaintext:         key,
		EncryptionContext: k.encryptionContext(),
	})
	if err != nil {
		return nil, k.explain("wrap the barrier key", err)
	}
	return append([]byte{kmsWrapVersion}, out.CiphertextBlob...), nil
}

// Unwrap decrypts wrapped with KMS Decrypt, naming the configured key: a
// blob of another key, or of another deployment, wraps ErrWrongRootKey.
func (k *KMS) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 2 || wrapped[0] != kmsWrapVersion {
		return nil, fmt.Errorf("failed to read the wrapped barrier key: not a kms-wrapped key, version %d", firstByte(wrapped))
	}
	out, err := k.client.Decrypt(ctx, &kms.DecryptInput{
		CiphertextBlob:    wrapped[1:],
		KeyId:             aws.String(k.cfg.KeyID),
		EncryptionContext: k.encryptionContext(),
	})
	if err != nil {
		return nil, k.explain("unwrap the barrier key", err)
	}
	return out.Plaintext, nil
}

// explain names the key and KMS's error code, and matches the sentinels
// an operator's script may test.
func (k *KMS) explain(doing string, err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		return fmt.Errorf("failed to %s with the root key's KMS key %s: %w", doing, k.cfg.KeyID, err)
	}
	code, msg := api.ErrorCode(), api.ErrorMessage()
	var sentinel error
	var what string
	switch code {
	case "DisabledException":
		what, sentinel = "is disabled", ErrRootKeyUnusable
	case "KMSInvalidStateException":
		what, sentinel = "cannot be used in its present state (pending deletion or import?)", ErrRootKeyUnusable
	case "NotFoundException":
		what, sentinel = "does not exist", ErrKeyAbsent
	case "InvalidCiphertextException", "IncorrectKeyException":
		return &explained{
			msg:  fmt.Sprintf("wrong root key: KMS key %s does not unlock this data folder (%s): %s", k.cfg.KeyID, code, msg),
			errs: []error{ErrWrongRootKey, err},
		}
	case "AccessDeniedException":
		what = "may not be used with these credentials"
	default:
		return fmt.Errorf("failed to %s with the root key's KMS key %s (%s): %s: %w", doing, k.cfg.KeyID, code, msg, err)
	}
	errs := []error{err}
	if sentinel != nil {
		errs = append(errs, sentinel)
	}
	return &explained{msg: fmt.Sprintf("the root key's KMS key %s %s (%s): %s", k.cfg.KeyID, what, code, msg), errs: errs}
}
