package authz_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestPermissionsBoundaries: a boundary bounds what a user's or role's
// identity policies allow, and a resource policy naming a role's ARN; a
// resource policy naming the user's ARN is not limited (AWS's Policy
// evaluation logic). Each refusal the boundary causes is checked, and
// removing the boundary lifts it.
func TestPermissionsBoundaries(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	const wide = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:CreateKey","ssm:PutParameter","ssm:GetParameter","secretsmanager:GetSecretValue","sts:AssumeRole"],"Resource":"*"}]}`
	// kms:Decrypt: Secrets Manager decrypts a secret's value with the
	// caller's rights (kms:ViaService), which the boundary must allow too.
	ssmOnly := *must[*iam.CreatePolicyOutput](t, "CreatePolicy ssm-only")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ssm-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:*","sts:AssumeRole","kms:Decrypt"],"Resource":"*"}]}`)})).Policy.Arn

	// A user created with a boundary.
	u := must[*iam.CreateUserOutput](t, "CreateUser bounded")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(ssmOnly)})).User
	if u.PermissionsBoundary == nil || *u.PermissionsBoundary.PermissionsBoundaryArn != ssmOnly || u.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy {
		t.Fatalf("CreateUser PermissionsBoundary = %+v (%s), want %s", u.PermissionsBoundary, aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn), ssmOnly)
	}
	gu := must[*iam.GetUserOutput](t, "GetUser")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bounded")})).User
	if gu.PermissionsBoundary == nil || *gu.PermissionsBoundary.PermissionsBoundaryArn != ssmOnly {
		t.Fatalf("GetUser PermissionsBoundary = %+v", gu.PermissionsBoundary)
	}
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bounded"), PolicyName: aws.String("wide"), PolicyDocument: aws.String(wide)}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bounded")})).AccessKey
	ucfg := s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey})
	userARN := *u.Arn

	must[*ssm.PutParameterOutput](t, "PutParameter (in the boundary)")(ssm.NewFromConfig(ucfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/b/p"), Value: aws.String("v"), Type: "String"}))
	_, err := kms.NewFromConfig(ucfg).CreateKey(ctx, &kms.CreateKeyInput{})
	wantDenied(t, "CreateKey (outside the user's boundary)", err, userARN, "kms:CreateKey", "because no permissions boundary allows the kms:CreateKey action")
	_, err = secretsmanager.NewFromConfig(ucfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("open")})
	if err == nil {
		t.Fatalf("GetSecretValue of a secret that does not exist succeeded")
	}

	// Resource policies: naming the user's ARN is not limited by its boundary.
	sm := s.SecretsManager()
	for _, name := range []string{"for-user", "for-role"} {
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+name)(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(name)}))
	}
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy for-user")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("for-user"),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
	must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue (resource policy names the user)")(secretsmanager.NewFromConfig(ucfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("for-user")}))

	// A role with a boundary (an AWS managed policy): its identity policy
	// and a resource policy naming the role's ARN are both bounded.
	r := s.NewRole(t, "boxed", "", wide, "s1")
	must[*iam.PutRolePermissionsBoundaryOutput](t, "PutRolePermissionsBoundary")(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("boxed"),
		PermissionsBoundary: aws.String("arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess")}))
	gr := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("boxed")})).Role
	if gr.PermissionsBoundary == nil || *gr.PermissionsBoundary.PermissionsBoundaryArn != "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess" {
		t.Fatalf("GetRole PermissionsBoundary = %+v", gr.PermissionsBoundary)
	}
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy for-role")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("for-role"),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + r.ARN + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
	rcfg := r.Config(s)
	must[*ssm.GetParameterOutput](t, "GetParameter (in the role's boundary)")(ssm.NewFromConfig(rcfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/b/p")}))
	_, err = ssm.NewFromConfig(rcfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/b/q"), Value: aws.String("v"), Type: "String"})
	wantDenied(t, "PutParameter (outside the role's boundary)", err, r.Session, "ssm:PutParameter", "because no permissions boundary allows")
	_, err = secretsmanager.NewFromConfig(rcfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("for-role")})
	wantDenied(t, "GetSecretValue (resource policy names the role, outside its boundary)", err, r.Session, "secretsmanager:GetSecretValue", "because no permissions boundary allows")
	_, err = kms.NewFromConfig(rcfg).CreateKey(ctx, &kms.CreateKeyInput{})
	wantDenied(t, "CreateKey (outside the role's boundary)", err, r.Session, "kms:CreateKey", "because no permissions boundary allows")

	// Usage counted; a policy in use as a boundary cannot be deleted.
	for arn, want := range map[string]int32{ssmOnly: 1, "arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess": 1} {
		p := must[*iam.GetPolicyOutput](t, "GetPolicy "+arn)(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})).Policy
		if p.PermissionsBoundaryUsageCount == nil || *p.PermissionsBoundaryUsageCount != want {
			t.Errorf("GetPolicy(%s).PermissionsBoundaryUsageCount = %v, want %d", arn, p.PermissionsBoundaryUsageCount, want)
		}
	}
	lp := must[*iam.ListPoliciesOutput](t, "ListPolicies(PermissionsBoundary)")(c.ListPolicies(ctx, &iam.ListPoliciesInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}))
	if len(lp.Policies) != 2 {
		t.Errorf("ListPolicies(PolicyUsageFilter PermissionsBoundary) = %d policies, want 2", len(lp.Policies))
	}
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: aws.String(ssmOnly)})
	sealtest.APIError(t, "DeletePolicy(a boundary in use)", err, "DeleteConflict", 409)
	_, err = c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/nope")})
	sealtest.APIError(t, "PutUserPermissionsBoundary(no such policy)", err, "NoSuchEntity", 404)

	// An explicit deny in a boundary denies.
	denyKMS := *must[*iam.CreatePolicyOutput](t, "CreatePolicy deny")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("all-but-ssm-put"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"ssm:PutParameter","Resource":"*"}]}`)})).Policy.Arn
	must[*iam.PutUserPermissionsBoundaryOutput](t, "PutUserPermissionsBoundary(deny)")(c.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String("bounded"), PermissionsBoundary: aws.String(denyKMS)}))
	_, err = ssm.NewFromConfig(ucfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/b/p"), Value: aws.String("w"), Type: "String", Overwrite: aws.Bool(true)})
	wantDenied(t, "PutParameter (explicit deny in the boundary)", err, userARN, "ssm:PutParameter", "with an explicit deny in a permissions boundary")
	must[*kms.CreateKeyOutput](t, "CreateKey (the new boundary allows it)")(kms.NewFromConfig(ucfg).CreateKey(ctx, &kms.CreateKeyInput{}))
	if p := must[*iam.GetPolicyOutput](t, "GetPolicy ssm-only")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(ssmOnly)})).Policy; *p.PermissionsBoundaryUsageCount != 0 {
		t.Errorf("ssm-only PermissionsBoundaryUsageCount after the replacement = %d, want 0", *p.PermissionsBoundaryUsageCount)
	}

	// Removing the role's boundary lifts its refusals.
	must[*iam.DeleteRolePermissionsBoundaryOutput](t, "DeleteRolePermissionsBoundary")(c.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String("boxed")}))
	must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue (boundary removed)")(secretsmanager.NewFromConfig(rcfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("for-role")}))
	must[*ssm.PutParameterOutput](t, "PutParameter (boundary removed)")(ssm.NewFromConfig(rcfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/b/q"), Value: aws.String("v"), Type: "String"}))
	if gr := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("boxed")})).Role; gr.PermissionsBoundary != nil {
		t.Errorf("GetRole PermissionsBoundary after the deletion = %+v", gr.PermissionsBoundary)
	}
}
