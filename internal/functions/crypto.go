package functions

import (
	"context"
	"encoding/json"
	"sort"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/kms"
)

// encryptionContext is the context Lambda binds a function's environment
// to: {"aws:lambda:FunctionArn": <unqualified ARN>}.
func encryptionContext(arn string) map[string]string { return map[string]string{contextARN: arn} }

// aad binds a sealed environment to its function and its names, so that a
// sealed blob moved to another function, or names edited beside it, do not
// open.
func aad(arn string, names []string) []byte {
	b, _ := json.Marshal(names)
	return append([]byte(arn+"\x00"), b...)
}

// keyFor is the key a function's environment is encrypted under: the one
// it names, or the AWS-managed alias/aws/lambda, created on first use.
func (s *Service) keyFor(ctx context.Context, keyID string) (string, error) {
	if keyID != "" && keyID != defaultKeyAlias {
		return keyID, nil
	}
	arn, err := s.kms.ManagedKeyARN(viaLambda(ctx), defaultKeyAlias)
	if err != nil {
		return "", kmsWriteError(err)
	}
	return arn, nil
}

// seal encrypts vars for the function arn under keyID: one GenerateDataKey
// on the caller's behalf, the variables sealed with the plaintext data
// key, which is then wiped. No variables seal to nil.
func (s *Service) seal(ctx context.Context, arn, keyID string, vars map[string]string) (*sealedEnv, error) {
	if len(vars) == 0 {
		return nil, nil
	}
	key, err := s.keyFor(ctx, keyID)
	if err != nil {
		return nil, err
	}
	via := viaLambda(ctx)
	ec := encryptionContext(arn)
	dk, err := s.kms.GenerateDataKey(via, &kms.GenerateDataKeyInput{KeyId: key, KeySpec: "AES_256", EncryptionContext: ec})
	if err != nil {
		return nil, kmsWriteError(err)
	}
	defer clear(dk.Plaintext)
	names := sortedNames(vars)
	plain, err := json.Marshal(vars)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	sealed, err := envelope.Seal(dk.Plaintext, plain, aad(arn, names))
	if err != nil {
		return nil, err
	}
	return &sealedEnv{Names: names, KeyARN: dk.KeyId, DataKey: dk.CiphertextBlob, Sealed: sealed}, nil
}

// open decrypts env of the function arn as the caller: KMS Decrypt of its
// data key on the caller's behalf (the server records it as the caller's Decrypt), then
// the sealed variables. The error is KMS's, as KMS words it, or a failure
// to open, which says nothing of why.
func (s *Service) open(ctx context.Context, arn string, env *sealedEnv) (map[string]string, error) {
	via := viaLambda(ctx)
	ec := encryptionContext(arn)
	dk, err := s.kms.Decrypt(via, &kms.DecryptInput{CiphertextBlob: env.DataKey, EncryptionContext: ec})
	if err != nil {
		return nil, err
	}
	defer clear(dk.Plaintext)
	plain, err := envelope.Open(dk.Plaintext, env.Sealed, aad(arn, env.Names))
	if err != nil {
		return nil, &sealbox.Error{Code: "ServiceException", Message: "Lambda was unable to decrypt the environment variables.", Server: true}
	}
	defer clear(plain)
	vars := map[string]string{}
	if err := json.Unmarshal(plain, &vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// rekey re-encrypts env's data key under keyID on the caller's behalf (KMS
// ReEncrypt, the same encryption context): the sealed variables stay as
// they are, and no plaintext leaves KMS.
func (s *Service) rekey(ctx context.Context, arn, keyID string, env *sealedEnv) (*sealedEnv, error) {
	key, err := s.keyFor(ctx, keyID)
	if err != nil {
		return nil, err
	}
	via := viaLambda(ctx)
	ec := encryptionContext(arn)
	out, err := s.kms.ReEncrypt(via, &kms.ReEncryptInput{CiphertextBlob: env.DataKey, SourceEncryptionContext: ec,
		DestinationKeyId: key, DestinationEncryptionContext: ec})
	if err != nil {
		return nil, kmsWriteError(err)
	}
	n := *env
	n.Names = append([]string(nil), env.Names...)
	n.KeyARN, n.DataKey = out.KeyId, out.CiphertextBlob
	return &n, nil
}

// kmsWriteError words a KMS refusal while encrypting a new environment as
// Lambda does: InvalidParameterValueException naming KMS's error (Lambda's
// CreateFunction and UpdateFunctionConfiguration model no other).
func kmsWriteError(err error) error {
	e, ok := sealbox.AsError(err)
	if !ok {
		return err
	}
	if e.Server {
		return &sealbox.Error{Code: "ServiceException", Message: "Lambda was unable to encrypt the environment variables: KMS failed.", Server: true}
	}
	return errInvalid("Lambda was unable to configure access to your environment variables because the KMS key is invalid for GenerateDataKey. Please check your KMS key settings. KMS Exception: %s KMS Message: %s", e.Code, e.Message)
}

// kmsReadError words a KMS refusal to decrypt an environment as Lambda
// does: KMSAccessDeniedException and its kin, whose message carries KMS's
// (which names the action and the key).
func kmsReadError(err error) error {
	e, ok := sealbox.AsError(err)
	if !ok {
		return err
	}
	if e.Server {
		return &sealbox.Error{Code: "ServiceException", Message: "Lambda was unable to decrypt the environment variables: KMS failed.", Server: true}
	}
	var code, why string
	switch e.Code {
	case "AccessDeniedException":
		code, why = "KMSAccessDeniedException", "KMS access was denied"
	case "DisabledException":
		code, why = "KMSDisabledException", "the KMS key used is disabled"
	case "NotFoundException", "InvalidCiphertextException":
		code, why = "KMSNotFoundException", "the KMS key was not found"
	case "ServiceException":
		return e
	default:
		code, why = "KMSInvalidStateException", "the KMS key used is in an invalid state for Decrypt"
	}
	return sealbox.Errorf(code, "Lambda was unable to decrypt the environment variables because %s. Please check the function's KMS key settings. KMS Exception: %s KMS Message: %s", why, e.Code, e.Message)
}

func sortedNames(vars map[string]string) []string {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
