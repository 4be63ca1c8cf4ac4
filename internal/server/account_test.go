package server_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// arnAccount matches an ARN up to its account field.
var arnAccount = regexp.MustCompile(`arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:([0-9a-z]*):`)

// TestAccountIDReachesEveryARN runs a whole flow on a server started with
// --account-id 210987654321 (a key, a parameter, a secret, a function, a
// role and a session of it) and checks that every ARN in every answer
// names that account, and that the default account 123456789012 appears
// nowhere.
func TestAccountIDReachesEveryARN(t *testing.T) {
	const account = "210987654321"
	s := sealtest.Start(t, sealtest.WithAccountID(account))
	ctx := context.Background()
	var answers []any
	answer := func(what string, out any, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		answers = append(answers, out)
	}

	key, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("account test")})
	answer("CreateKey", key, err)
	keyID := aws.ToString(key.KeyMetadata.KeyId)
	enc, err := s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: []byte("x")})
	answer("Encrypt", enc, err)
	out, err := s.KMS().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(keyID)})
	answer("DescribeKey", out, err)

	put, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/acct/p"), Value: aws.String("v"),
		Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String(keyID)})
	answer("PutParameter", put, err)
	get, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/acct/p"), WithDecryption: aws.Bool(true)})
	answer("GetParameter", get, err)

	sec, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("acct/s"), SecretString: aws.String("v"), KmsKeyId: aws.String(keyID)})
	answer("CreateSecret", sec, err)
	val, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("acct/s")})
	answer("GetSecretValue", val, err)

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root","Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	role, err := s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)})
	answer("CreateRole", role, err)
	att, err := s.IAM().AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("app"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})
	answer("AttachRolePolicy", att, err)

	fn, err := s.Lambda().CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("acct"), Role: role.Role.Arn,
		Runtime: lambdatypes.RuntimePython312, Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: randomZip(t, 64)},
		KMSKeyArn: key.KeyMetadata.Arn, Environment: &lambdatypes.Environment{Variables: map[string]string{"STAGE": "prod"}}})
	answer("CreateFunction", fn, err)
	cfg, err := s.Lambda().GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("acct")})
	answer("GetFunctionConfiguration", cfg, err)

	who, err := s.STS().GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	answer("GetCallerIdentity", who, err)
	if aws.ToString(who.Account) != account {
		t.Errorf("GetCallerIdentity().Account = %q, want %q", aws.ToString(who.Account), account)
	}
	sess, err := s.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Role.Arn, RoleSessionName: aws.String("s1")})
	answer("AssumeRole", sess, err)
	c := sess.Credentials
	roleSTS := sts.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: aws.ToString(c.AccessKeyId),
		SecretAccessKey: aws.ToString(c.SecretAccessKey), SessionToken: aws.ToString(c.SessionToken)}))
	whoRole, err := roleSTS.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	answer("GetCallerIdentity as the role", whoRole, err)
	if aws.ToString(whoRole.Account) != account {
		t.Errorf("GetCallerIdentity() as the role: Account = %q, want %q", aws.ToString(whoRole.Account), account)
	}

	arns := 0
	for _, a := range answers {
		b, err := json.Marshal(a)
		if err != nil {
			t.Fatalf("json.Marshal(%T): %v", a, err)
		}
		if strings.Contains(string(b), sealtest.AccountID) {
			t.Errorf("%T names the default account %s: %s", a, sealtest.AccountID, b)
		}
		for _, m := range arnAccount.FindAllStringSubmatch(string(b), -1) {
			arns++
			if m[1] != account && !strings.HasPrefix(m[0], "arn:aws:iam::aws:") { // AWS managed policies are the one exception
				t.Errorf("%T holds %s..., want account %s: %s", a, m[0], account, b)
			}
		}
	}
	if arns < 12 {
		t.Errorf("the answers held %d ARNs, want at least 12 (key, parameter, secret, role, function, session ...)", arns)
	}
}
