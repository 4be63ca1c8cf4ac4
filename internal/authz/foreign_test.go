package authz_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestForeignARNsNameNothing (sound; no test had them): an ARN that names
// a secret, key or role of this server but with another account,
// partition, Region, path or case of the name is not that resource: a
// secret or key is not found, a role is not assumed.
func TestForeignARNsNameNothing(t *testing.T) {
	s := sealtest.Start(t)
	sm := s.SecretsManager()
	secretARN := *must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app"), SecretString: aws.String("v")})).ARN
	keyARN := *must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	roleARN := *must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trustAccount)})).Role.Arn
	elsewhere := func(arn string) map[string]string {
		return map[string]string{
			"another account":   strings.Replace(arn, ":123456789012:", ":999999999999:", 1),
			"another partition": strings.Replace(arn, "arn:aws:", "arn:aws-cn:", 1),
			"another Region":    strings.Replace(arn, ":us-east-1:", ":eu-west-1:", 1),
		}
	}
	for name, arn := range elsewhere(secretARN) {
		_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
		sealtest.APIError(t, "GetSecretValue in "+name, err, "ResourceNotFoundException", 400)
	}
	for name, arn := range elsewhere(keyARN) {
		_, err := s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(arn), Plaintext: []byte("p")})
		sealtest.APIError(t, "Encrypt in "+name, err, "NotFoundException", 400)
	}
	u := sts.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "u", "sts:AssumeRole")))
	roles := elsewhere(roleARN)
	delete(roles, "another Region") // IAM ARNs name no Region
	roles["another path"] = strings.Replace(roleARN, ":role/r", ":role/path/r", 1)
	roles["another case"] = strings.Replace(roleARN, ":role/r", ":role/R", 1)
	for name, arn := range roles {
		_, err := u.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1")})
		sealtest.APIError(t, "AssumeRole in "+name, err, "AccessDenied", 403)
	}
	must[*sts.AssumeRoleOutput](t, "AssumeRole of the role itself")(u.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1")}))
}
