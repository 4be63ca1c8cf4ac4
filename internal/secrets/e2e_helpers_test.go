package secrets_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

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

const trustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

// roleClients makes a role with the inline policy (empty: none), a user
// allowed to assume it, and returns Secrets Manager and KMS clients of a
// session of the role, and the session's ARN.
func roleClients(t *testing.T, s *sealtest.Server, name, policy string) (*secretsmanager.Client, *kms.Client, string) {
	t.Helper()
	ic := s.IAM()
	role := must[*iam.CreateRoleOutput](t, "CreateRole")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustAccount)}))
	if policy != "" {
		must[*iam.PutRolePolicyOutput](t, "PutRolePolicy")(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(policy)}))
	}
	user := "u-" + name
	must[*iam.CreateUserOutput](t, "CreateUser")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(user), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))
	key := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)}))
	as := aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
	sess := must[*sts.AssumeRoleOutput](t, "AssumeRole")(sts.NewFromConfig(s.AWSConfigAs("us-east-1", as)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: role.Role.Arn, RoleSessionName: aws.String("fn")}))
	creds := aws.Credentials{AccessKeyID: *sess.Credentials.AccessKeyId, SecretAccessKey: *sess.Credentials.SecretAccessKey, SessionToken: *sess.Credentials.SessionToken}
	cfg := s.AWSConfigAs("us-east-1", creds)
	return secretsmanager.NewFromConfig(cfg), kms.NewFromConfig(cfg), *sess.AssumedRoleUser.Arn
}
