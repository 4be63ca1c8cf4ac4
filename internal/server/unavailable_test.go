package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// TestStoreUnavailableReads: reads, of what exists and of what does not,
// answer the service's retryable internal error while the store is down
// (or the value, from a cache that may answer), never a 4xx that would
// tell the caller the item is gone (no client retries that);
// GetCallerIdentity, which reads no store, answers.
func TestStoreUnavailableReads(t *testing.T) {
	s, f := startFaulty(t)
	ctx := context.Background()
	key, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("x"), SecretString: aws.String("v")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: "SecureString"}); err != nil {
		t.Fatal(err)
	}
	// Each read once, so that what can be cached is.
	for _, id := range []string{"x", "nx"} {
		s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/" + id), WithDecryption: aws.Bool(true)})
	}
	f.down.Store(true)
	calls := map[string]func() error{
		"GetSecretValue x": func() error {
			_, e := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("x")})
			return e
		},
		"GetSecretValue nx": func() error {
			_, e := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("nx")})
			return e
		},
		"ListSecrets": func() error {
			_, e := s.SecretsManager().ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
			return e
		},
		"GetParameter x": func() error {
			_, e := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/x"), WithDecryption: aws.Bool(true)})
			return e
		},
		"GetParameter nx": func() error {
			_, e := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nx")})
			return e
		},
		"GetParametersByPath": func() error {
			_, e := s.SSM().GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/")})
			return e
		},
		"DescribeKey": func() error {
			_, e := s.KMS().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyMetadata.KeyId})
			return e
		},
		"DescribeKey nx": func() error {
			_, e := s.KMS().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nx")})
			return e
		},
		"Encrypt": func() error {
			_, e := s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("x")})
			return e
		},
		"ListAliases": func() error { _, e := s.KMS().ListAliases(ctx, &kms.ListAliasesInput{}); return e },
		"GetFunction nx": func() error {
			_, e := s.Lambda().GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("nx")})
			return e
		},
		"GetUser":    func() error { _, e := s.IAM().GetUser(ctx, &iam.GetUserInput{}); return e },
		"GetUser nx": func() error { _, e := s.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("nx")}); return e },
		"ListUsers":  func() error { _, e := s.IAM().ListUsers(ctx, &iam.ListUsersInput{}); return e },
	}
	for name, c := range calls {
		err := c()
		if err == nil {
			continue // a cache that may answer did
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() < 500 {
			t.Errorf("%s with the store down = %v, want a 5xx", name, err)
		}
		var api smithy.APIError
		if errors.As(err, &api) && !strings.Contains(internalCodes, " "+api.ErrorCode()+" ") {
			t.Errorf("%s with the store down = %s, want the service's internal error", name, api.ErrorCode())
		}
	}
	if _, err := s.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Errorf("GetCallerIdentity with the store down = %v, want an answer (it reads no store)", err)
	}
}

const internalCodes = " KMSInternalException InternalServerError InternalServiceError ServiceException ServiceFailure "
