package authz_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
)

var ctx = context.Background()

const account = sealtest.AccountID

// trustAccount lets the account's principals assume a role, as people write it.
const trustAccount = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// wantDenied fails unless err is AccessDeniedException and its message says
// who, what and why, in AWS's form.
func wantDenied(t *testing.T, what string, err error, who, action, because string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("%s: err = %v, want AccessDeniedException", what, err)
	}
	msg := api.ErrorMessage()
	if !strings.HasPrefix(msg, "User: "+who+" is not authorized to perform: "+action) || !strings.Contains(msg, because) {
		t.Fatalf("%s: message = %q, want it to name %s, %s and %q", what, msg, who, action, because)
	}
}

// role creates a role the account may assume, with one inline policy.
func role(t *testing.T, s *sealtest.Server, name, policy string) string {
	t.Helper()
	c := s.IAM()
	out := must[*iam.CreateRoleOutput](t, "CreateRole "+name)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustAccount)}))
	if policy != "" {
		must[*iam.PutRolePolicyOutput](t, "PutRolePolicy "+name)(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("inline"), PolicyDocument: aws.String(policy)}))
	}
	return *out.Role.Arn
}

// pipeline is an IAM user allowed to assume roles, with an access key.
func pipeline(t *testing.T, s *sealtest.Server) aws.Credentials {
	t.Helper()
	c := s.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("pipeline")}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("pipeline"), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}))
	key := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("pipeline")}))
	return aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
}

// assume assumes roleARN as the pipeline user and returns a KMS client with
// the session's credentials, and the session's ARN.
func assume(t *testing.T, s *sealtest.Server, as aws.Credentials, roleARN, session string) (*kms.Client, string, aws.Credentials) {
	t.Helper()
	out := must[*sts.AssumeRoleOutput](t, "AssumeRole "+roleARN)(sts.NewFromConfig(s.AWSConfigAs("us-east-1", as)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String(session)}))
	c := out.Credentials
	if !strings.HasPrefix(*c.AccessKeyId, "ASIA") || *c.SessionToken == "" || c.Expiration.Before(time.Now()) {
		t.Fatalf("AssumeRole credentials = %s, token %d chars, expires %v", *c.AccessKeyId, len(*c.SessionToken), c.Expiration)
	}
	creds := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
	return kms.NewFromConfig(s.AWSConfigAs("us-east-1", creds)), *out.AssumedRoleUser.Arn, creds
}

// TestLeastPrivilege is the seeds' scenario: a deploy role that may only
// encrypt, an execution role that may only decrypt one key, the key policy
// as the gate, an encryption-context condition, and a grant.
func TestLeastPrivilege(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("app")})).KeyMetadata
	other := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("other")})).KeyMetadata

	deployARN := role(t, s, "deploy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"`+*key.Arn+`"}]}`)
	execARN := role(t, s, "exec", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`",
		"Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"}}}]}`)
	auditorARN := role(t, s, "auditor", "")
	pipe := pipeline(t, s)

	deploy, deploySession, deployCreds := assume(t, s, pipe, deployARN, "ci-42")
	exec, execSession, _ := assume(t, s, pipe, execARN, "fn-cold-start")
	if deploySession != "arn:aws:sts::"+account+":assumed-role/deploy/ci-42" {
		t.Fatalf("assumed-role ARN = %s", deploySession)
	}
	who := must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity")(sts.NewFromConfig(s.AWSConfigAs("us-east-1", deployCreds)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *who.Arn != deploySession || *who.Account != account || !strings.HasSuffix(*who.UserId, ":ci-42") {
		t.Fatalf("GetCallerIdentity = %s %s %s", *who.Arn, *who.Account, *who.UserId)
	}

	billing := map[string]string{"app": "billing"}
	// The deploy role encrypts and describes, but cannot decrypt.
	enc := must[*kms.EncryptOutput](t, "deploy Encrypt")(deploy.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("db-password"), EncryptionContext: billing}))
	must[*kms.DescribeKeyOutput](t, "deploy DescribeKey")(deploy.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: key.KeyId}))
	_, err := deploy.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing})
	wantDenied(t, "deploy Decrypt", err, deploySession, "kms:Decrypt", "because no identity-based policy allows the kms:Decrypt action")

	// The execution role decrypts under its context, and nothing else.
	dec := must[*kms.DecryptOutput](t, "exec Decrypt")(exec.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing}))
	if string(dec.Plaintext) != "db-password" {
		t.Fatalf("exec Decrypt = %q", dec.Plaintext)
	}
	_, err = exec.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x"), EncryptionContext: billing})
	wantDenied(t, "exec Encrypt", err, execSession, "kms:Encrypt", "no identity-based policy allows")
	otherBlob := must[*kms.EncryptOutput](t, "admin Encrypt other")(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: other.KeyId, Plaintext: []byte("x"), EncryptionContext: billing}))
	_, err = exec.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: otherBlob.CiphertextBlob, EncryptionContext: billing})
	wantDenied(t, "exec Decrypt(other key)", err, execSession, "kms:Decrypt", "no identity-based policy allows")
	payroll := map[string]string{"app": "payroll"}
	payrollBlob := must[*kms.EncryptOutput](t, "admin Encrypt payroll")(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x"), EncryptionContext: payroll}))
	_, err = exec.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: payrollBlob.CiphertextBlob, EncryptionContext: payroll})
	wantDenied(t, "exec Decrypt(app=payroll)", err, execSession, "kms:Decrypt", "no identity-based policy allows")

	// A grant lets a third role decrypt, until it is retired.
	auditor, auditorSession, _ := assume(t, s, pipe, auditorARN, "audit")
	_, err = auditor.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing})
	wantDenied(t, "auditor Decrypt before the grant", err, auditorSession, "kms:Decrypt", "no identity-based policy allows")
	g := must[*kms.CreateGrantOutput](t, "CreateGrant")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: key.KeyId, GranteePrincipal: aws.String(auditorARN),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}}))
	must[*kms.DecryptOutput](t, "auditor Decrypt with the grant")(auditor.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing}))
	must[*kms.RetireGrantOutput](t, "RetireGrant")(admin.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: key.KeyId, GrantId: g.GrantId}))
	_, err = auditor.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing})
	wantDenied(t, "auditor Decrypt after RetireGrant", err, auditorSession, "kms:Decrypt", "no identity-based policy allows")

	// Once the key policy stops delegating to IAM, the execution role's
	// identity policy no longer suffices.
	must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy")(admin.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: key.KeyId, BypassPolicyLockoutSafetyCheck: true,
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + deployARN + `"},"Action":"kms:Encrypt","Resource":"*"}]}`)}))
	_, err = exec.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: billing})
	wantDenied(t, "exec Decrypt without delegation", err, execSession, "kms:Decrypt", "because no resource-based policy allows the kms:Decrypt action")
	must[*kms.EncryptOutput](t, "deploy Encrypt, named by the key policy")(deploy.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}))
}

// TestAuditRecordsTheSessionAndTheDenial checks the CloudTrail shape of an
// assumed role's events, allowed and denied.
func TestAuditRecordsTheSessionAndTheDenial(t *testing.T) {
	s := sealtest.Start(t)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	execARN := role(t, s, "exec", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`)
	exec, session, _ := assume(t, s, pipeline(t, s), execARN, "audited")
	must[*kms.EncryptOutput](t, "Encrypt")(exec.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}))
	if _, err := exec.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}); err == nil {
		t.Fatalf("GenerateRandom without permission succeeded")
	}
	var allowed, denied map[string]any
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		switch e["eventName"] {
		case "Encrypt":
			allowed = e
		case "GenerateRandom":
			denied = e
		}
	}
	ui, _ := allowed["userIdentity"].(map[string]any)
	sc, _ := ui["sessionContext"].(map[string]any)
	issuer, _ := sc["sessionIssuer"].(map[string]any)
	if ui["type"] != "AssumedRole" || ui["arn"] != session || issuer["arn"] != execARN || issuer["userName"] != "exec" || issuer["type"] != "Role" {
		t.Fatalf("userIdentity = %v", ui)
	}
	if denied["errorCode"] != "AccessDenied" || !strings.Contains(denied["errorMessage"].(string), "kms:GenerateRandom") {
		t.Fatalf("denied event = %v", denied)
	}
}

// TestIAMCallsAreAuthorized: a user may only do the IAM actions its
// policies allow, and a denial comes back in IAM's own error shape.
func TestIAMCallsAreAuthorized(t *testing.T) {
	s := sealtest.Start(t)
	pipe := pipeline(t, s) // may only sts:AssumeRole
	c := iam.NewFromConfig(s.AWSConfigAs("us-east-1", pipe))
	_, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("intruder")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "AccessDenied" ||
		!strings.Contains(api.ErrorMessage(), "User: arn:aws:iam::123456789012:user/pipeline is not authorized to perform: iam:CreateUser") {
		t.Fatalf("CreateUser as pipeline = %v, want AccessDenied", err)
	}
	if _, err := s.IAM().GetUser(ctx, &iam.GetUserInput{UserName: aws.String("intruder")}); err == nil {
		t.Fatalf("a denied CreateUser created the user")
	}
	// Root cannot assume roles, as in AWS.
	arn := role(t, s, "r", "")
	if _, err := s.STS().AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("x")}); err == nil {
		t.Fatalf("root assumed a role")
	}
}
