package functions

import (
	"context"
	"encoding/json"
	"errors"
	"sort"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/envelope"
)

// binding is where Lambda binds a function's environment: the data key to
// the encryption context {"aws:lambda:FunctionArn": <unqualified ARN>}, the
// sealed variables to the function and their names, so that a sealed blob
// moved to another function, or names edited beside it, do not open.
func binding(arn string, names []string) envelope.Binding {
	b, _ := json.Marshal(names)
	return envelope.Binding{Context: map[string]string{contextARN: arn}, AAD: append([]byte(arn+"\x00"), b...)}
}

// seal encrypts vars for the function arn under keyID (the AWS-managed
// alias/aws/lambda when "") on the caller's behalf. No variables seal to
// nil.
func (s *Service) seal(ctx context.Context, arn, keyID string, vars map[string]string) (*sealedEnv, error) {
	if len(vars) == 0 {
		return nil, nil
	}
	names := sortedNames(vars)
	plain, err := json.Marshal(vars)
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	sealed, err := s.env.Seal(viaLambda(ctx), keyID, binding(arn, names), plain)
	if err != nil {
		return nil, kmsWriteError(err)
	}
	return &sealedEnv{Names: names, KeyARN: sealed.KeyARN, DataKey: sealed.DataKey, Sealed: sealed.Value}, nil
}

// open decrypts env of the function arn on the caller's behalf (the server
// records it as the caller's Decrypt). The error is KMS's, as KMS words it,
// or a failure to open, which says nothing of why.
func (s *Service) open(ctx context.Context, arn string, env *sealedEnv) (map[string]string, error) {
	plain, err := s.env.Open(viaLambda(ctx), &envelope.Sealed{Value: env.Sealed, DataKey: env.DataKey}, binding(arn, env.Names))
	if errors.Is(err, envelope.ErrOpen) {
		return nil, &sealbox.Error{Code: "ServiceException", Message: "Lambda was unable to decrypt the environment variables.", Server: true}
	}
	if err != nil {
		return nil, err
	}
	defer clear(plain)
	vars := map[string]string{}
	if err := json.Unmarshal(plain, &vars); err != nil {
		return nil, err
	}
	return vars, nil
}

// rekey moves env's data key to keyID on the caller's behalf: the sealed
// variables stay as they are, and no plaintext leaves KMS.
func (s *Service) rekey(ctx context.Context, arn, keyID string, env *sealedEnv) (*sealedEnv, error) {
	sealed, err := s.env.Rekey(viaLambda(ctx), keyID, &envelope.Sealed{Value: env.Sealed, DataKey: env.DataKey}, binding(arn, env.Names))
	if err != nil {
		return nil, kmsWriteError(err)
	}
	n := *env
	n.Names = append([]string(nil), env.Names...)
	n.KeyARN, n.DataKey = sealed.KeyARN, sealed.DataKey
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
