package authz_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// deleteUser deletes an IAM user, its access keys and the inline policy
// NewUser gives it.
func deleteUser(t *testing.T, s *sealtest.Server, name string) {
	t.Helper()
	ic := s.IAM()
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(name)}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(name), AccessKeyId: k.AccessKeyId}))
	}
	// NewUser's inline policy, if it made one.
	_, _ = ic.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p")})
	must[*iam.DeleteUserOutput](t, "DeleteUser")(ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)}))
}

// TestRecreatedPrincipalIsSomeoneElse (MEDIUM before the fix): a secret's
// resource policy, a key policy, a KMS grant and a role's trust policy name
// the user bob by ARN. bob is deleted and a new user bob is made: as in AWS, which
// keeps the unique id a policy's principal ARN had when the policy was
// saved, the new bob gets none of what the old one was given. Before, the
// new bob read the secret, used the key and assumed the role. The text the
// admin wrote is still what the policies show.
func TestRecreatedPrincipalIsSomeoneElse(t *testing.T) {
	s := sealtest.Start(t)
	ic, sm := s.IAM(), s.SecretsManager()
	const bob = "arn:aws:iam::123456789012:user/bob"
	// bob has no identity policy: only the resource policies allow him.
	old := s.NewUser(t, "bob")
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bobs-secret"), SecretString: aws.String("v")}))
	secretPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("bobs-secret"),
		ResourcePolicy: aws.String(secretPolicy)}))
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":["` + bob + `"]},"Action":"kms:Encrypt","Resource":"*"}]}`)})).KeyMetadata
	grantKey := must[*kms.CreateKeyOutput](t, "CreateKey for the grant")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	must[*kms.CreateGrantOutput](t, "CreateGrant")(s.KMS().CreateGrant(ctx, &kms.CreateGrantInput{KeyId: grantKey.KeyId, GranteePrincipal: aws.String(bob),
		Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt}}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("bobs-role"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"` + bob + `"},"Action":"sts:AssumeRole"}}`)}))

	try := func(creds aws.Credentials) (secretErr, keyErr, grantErr, roleErr error) {
		cfg := s.AWSConfigAs("us-east-1", creds)
		_, secretErr = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("bobs-secret")})
		_, keyErr = kms.NewFromConfig(cfg).Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("p")})
		_, grantErr = kms.NewFromConfig(cfg).Encrypt(ctx, &kms.EncryptInput{KeyId: grantKey.KeyId, Plaintext: []byte("p")})
		_, roleErr = sts.NewFromConfig(cfg).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/bobs-role"), RoleSessionName: aws.String("bob")})
		return
	}
	if a, b, g, c := try(old); a != nil || b != nil || g != nil || c != nil {
		t.Fatalf("the first bob: GetSecretValue %v; Encrypt %v; Encrypt by the grant %v; AssumeRole %v", a, b, g, c)
	}

	deleteUser(t, s, "bob")
	again := s.NewUser(t, "bob")
	a, b, g, c := try(again)
	wantDenied(t, "the second bob's GetSecretValue", a, bob, "secretsmanager:GetSecretValue", "because no identity-based policy allows the secretsmanager:GetSecretValue action")
	wantDenied(t, "the second bob's Encrypt", b, bob, "kms:Encrypt", "")
	wantDenied(t, "the second bob's Encrypt by the old bob's grant", g, bob, "kms:Encrypt", "")
	sealtest.APIErrorContaining(t, "the second bob's AssumeRole", c, "AccessDenied", 403, "User: "+bob+" is not authorized to perform: sts:AssumeRole")

	gp := must[*secretsmanager.GetResourcePolicyOutput](t, "GetResourcePolicy")(sm.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("bobs-secret")}))
	if got := aws.ToString(gp.ResourcePolicy); got != secretPolicy {
		t.Fatalf("GetResourcePolicy = %s, want the text as put", got)
	}
	// Put again now, the policy names the second bob.
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy again")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("bobs-secret"),
		ResourcePolicy: aws.String(secretPolicy)}))
	if a, _, _, _ := try(again); a != nil {
		t.Fatalf("the second bob after the policy is put again: %v", a)
	}
}

// TestRecreatedPrincipalStillDenied: pinning only takes away. A secret's
// policy denies carol by ARN; carol, allowed GetSecretValue by her own
// policy, is deleted and made again with the same policy: the new carol is
// denied too (AWS, which pins a Deny's principal as well, would let her
// through: the safe side).
func TestRecreatedPrincipalStillDenied(t *testing.T) {
	s := sealtest.Start(t)
	sm := s.SecretsManager()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")}))
	s.NewUser(t, "carol", "secretsmanager:GetSecretValue")
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("s"),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/carol"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
	deleteUser(t, s, "carol")
	again := s.NewUser(t, "carol", "secretsmanager:GetSecretValue")
	_, err := secretsmanager.NewFromConfig(s.AWSConfigAs("us-east-1", again)).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
	wantDenied(t, "the second carol's GetSecretValue", err, "arn:aws:iam::123456789012:user/carol", "secretsmanager:GetSecretValue", "with an explicit deny in a resource-based policy")
}
