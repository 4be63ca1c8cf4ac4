package secrets_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

var ctx = context.Background()

// wantAPIError fails unless err is the AWS error code with HTTP status 400,
// and returns its message.
func wantAPIError(t *testing.T, call string, err error, code string) string {
	t.Helper()
	return sealtest.APIError(t, call, err, code, 400)
}

// wantMessage is wantAPIError that also checks the message holds want.
func wantMessage(t *testing.T, call string, err error, code, want string) {
	t.Helper()
	sealtest.APIErrorContaining(t, call, err, code, 400, want)
}

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }

func create(t *testing.T, c *secretsmanager.Client, name, value string) *secretsmanager.CreateSecretOutput {
	t.Helper()
	return must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+name)(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}))
}

func get(t *testing.T, c *secretsmanager.Client, in *secretsmanager.GetSecretValueInput) *secretsmanager.GetSecretValueOutput {
	t.Helper()
	return must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue "+aws.ToString(in.SecretId))(c.GetSecretValue(ctx, in))
}

func value(t *testing.T, c *secretsmanager.Client, id string) string {
	t.Helper()
	return aws.ToString(get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}).SecretString)
}

// roleClients makes a role with the inline policy (empty: none) and
// returns Secrets Manager and KMS clients of a session of it, and the
// session's ARN.
func roleClients(t *testing.T, s *sealtest.Server, name, policy string) (*secretsmanager.Client, *kms.Client, string) {
	t.Helper()
	r := s.NewRole(t, name, "", policy, "fn")
	cfg := r.Config(s)
	return secretsmanager.NewFromConfig(cfg), kms.NewFromConfig(cfg), r.Session
}
