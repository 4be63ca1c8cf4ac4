package authz_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// AWS's answers to a policy naming a principal it does not know.
const (
	kmsInvalidPrincipals     = "Policy contains a statement with one or more invalid principals."
	secretsInvalidPrincipals = "This resource policy contains an unsupported principal."
)

// policySetters are the calls that save a resource policy naming principal,
// each with the error AWS answers when principal is a user or role that
// does not exist (or a form a caller may not write).
type policySetter struct {
	name    string
	set     func(principal string) error
	code    string
	status  int
	message func(principal string) string
}

func policySetters(t *testing.T, s *sealtest.Server, c aws.Config) []policySetter {
	t.Helper()
	k, sm, ic := kms.NewFromConfig(c), secretsmanager.NewFromConfig(c), iam.NewFromConfig(c)
	keyPolicy := func(p string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"kms:Encrypt","Resource":"*"}]}`)
	}
	trust := func(p string) *string {
		return aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root","` + p + `"]},"Action":"sts:AssumeRole"}]}`)
	}
	kmsMsg := func(string) string { return kmsInvalidPrincipals }
	iamMsg := func(p string) string { return `Invalid principal in policy: "AWS":"` + p + `"` }
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	mrk := must[*kms.CreateKeyOutput](t, "CreateKey multi-Region")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{MultiRegion: aws.Bool(true)})).KeyMetadata
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")}))
	must[*iam.CreateRoleOutput](t, "CreateRole")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("target"), AssumeRolePolicyDocument: aws.String(sealtest.TrustAccount)}))
	roles := 0
	return []policySetter{
		{"KMS CreateKey", func(p string) error {
			_, err := k.CreateKey(ctx, &kms.CreateKeyInput{Policy: keyPolicy(p)})
			return err
		}, "MalformedPolicyDocumentException", 400, kmsMsg},
		{"KMS PutKeyPolicy", func(p string) error {
			_, err := k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: key.KeyId, Policy: keyPolicy(p)})
			return err
		}, "MalformedPolicyDocumentException", 400, kmsMsg},
		{"KMS ReplicateKey", func(p string) error {
			_, err := k.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: mrk.KeyId, ReplicaRegion: aws.String("us-west-2"), Policy: keyPolicy(p)})
			return err
		}, "MalformedPolicyDocumentException", 400, kmsMsg},
		{"Secrets Manager PutResourcePolicy", func(p string) error {
			_, err := sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("s"),
				ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)})
			return err
		}, "MalformedPolicyDocumentException", 400, func(p string) string {
			if strings.Contains(p, "#") { // the grammar's refusal
				return `Invalid principal in policy: "AWS":"` + p + `"`
			}
			return secretsInvalidPrincipals
		}},
		{"IAM CreateRole", func(p string) error {
			roles++
			_, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("new-" + strings.Repeat("x", roles)), AssumeRolePolicyDocument: trust(p)})
			return err
		}, "MalformedPolicyDocument", 400, iamMsg},
		{"IAM UpdateAssumeRolePolicy", func(p string) error {
			_, err := ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("target"), PolicyDocument: trust(p)})
			return err
		}, "MalformedPolicyDocument", 400, iamMsg},
	}
}

// TestPolicyNamingNoPrincipalIsRefused: as in AWS, a resource policy
// (key policy, secret policy, trust policy) naming a user or role of the
// account that does not exist is refused when it is saved, with each
// service's code, status and message; so is the "<arn>#<id>" form sealbox
// keeps pinned copies in, written by a caller. A policy naming a user and
// a role that exist, another account's user, the account or a service is
// saved.
func TestPolicyNamingNoPrincipalIsRefused(t *testing.T) {
	s := sealtest.Start(t)
	s.Principals(t, "user/alice", "role/app")
	aliceID := aws.ToString(must[*iam.GetUserOutput](t, "GetUser")(s.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("alice")})).User.UserId)
	const (
		alice = "arn:aws:iam::123456789012:user/alice"
		app   = "arn:aws:iam::123456789012:role/app"
	)
	refused := []string{
		"arn:aws:iam::123456789012:user/nobody",
		"arn:aws:iam::123456789012:role/nobody",
		"arn:aws:iam::123456789012:role/other-path/app", // app's name, not its path
		alice + "#" + aliceID,                           // the pinned form, even alice's true one
	}
	accepted := []string{alice, app, "arn:aws:iam::444455556666:user/bob", "arn:aws:iam::123456789012:root", "123456789012"}
	for _, set := range policySetters(t, s, s.AWSConfig("us-east-1")) {
		for _, p := range refused {
			err := set.set(p)
			if msg := sealtest.APIError(t, set.name+" naming "+p, err, set.code, set.status); msg != set.message(p) {
				t.Errorf("%s naming %s: message = %q, want %q", set.name, p, msg, set.message(p))
			}
		}
		for _, p := range accepted {
			if err := set.set(p); err != nil && !(set.name == "KMS ReplicateKey" && strings.Contains(err.Error(), "AlreadyExistsException")) {
				t.Errorf("%s naming %s: %v", set.name, p, err)
			}
		}
	}

	// A user deleted is no longer one a policy may name.
	deleteUser(t, s, "alice")
	_, err := s.SecretsManager().PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("s"),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + alice + `"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)})
	if msg := sealtest.APIError(t, "PutResourcePolicy naming alice deleted", err, "MalformedPolicyDocumentException", 400); msg != secretsInvalidPrincipals {
		t.Errorf("PutResourcePolicy naming alice deleted: message = %q", msg)
	}
}

// TestPolicyNamingNoPrincipalTellsNothingUnauthorized: whether a user or
// role exists is not told to a caller who may not set the policy: it is
// denied as for any policy, before the principals are looked at.
func TestPolicyNamingNoPrincipalTellsNothingUnauthorized(t *testing.T) {
	s := sealtest.Start(t)
	s.Principals(t, "user/alice")
	setters := policySetters(t, s, s.AWSConfigAs("us-east-1", s.NewUser(t, "mallory")))
	for _, set := range setters {
		for _, p := range []string{"arn:aws:iam::123456789012:user/nobody", "arn:aws:iam::123456789012:user/alice"} {
			err := set.set(p)
			code, status := "AccessDeniedException", 400
			if strings.HasPrefix(set.name, "IAM") {
				code, status = "AccessDenied", 403
			}
			sealtest.APIError(t, set.name+" by mallory naming "+p, err, code, status)
		}
	}
}
