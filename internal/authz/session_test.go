package authz_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
)

// ssmOnly is a session policy that allows only ssm:GetParameter.
const ssmOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`

// session is a role session a test made.
type session struct {
	arn   string
	creds aws.Credentials
}

func (s session) kms(srv *sealtest.Server) *kms.Client {
	return kms.NewFromConfig(srv.AWSConfigAs("us-east-1", s.creds))
}

func (s session) sts(srv *sealtest.Server) *sts.Client {
	return sts.NewFromConfig(srv.AWSConfigAs("us-east-1", s.creds))
}

// assumeWith assumes roleARN as the credentials as, with the inline session
// policy (none when empty).
func assumeWith(t *testing.T, s *sealtest.Server, as aws.Credentials, roleARN, name, policy string) session {
	t.Helper()
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(name)}
	if policy != "" {
		in.Policy = aws.String(policy)
	}
	out := must[*sts.AssumeRoleOutput](t, "AssumeRole "+roleARN+" as "+name)(sts.NewFromConfig(s.AWSConfigAs("us-east-1", as)).AssumeRole(ctx, in))
	c := out.Credentials
	return session{*out.AssumedRoleUser.Arn, aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}}
}

// wantCode fails unless err is the AWS error code.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != code {
		t.Fatalf("%s: err = %v, want %s", what, err, code)
	}
}

func keyWithPolicy(t *testing.T, s *sealtest.Server, policy string) *types.KeyMetadata {
	t.Helper()
	return must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy), BypassPolicyLockoutSafetyCheck: true})).KeyMetadata
}

// keyPolicyFor lets the account administer the key (its root, and its
// principals whose IAM policies allow) and principal encrypt with it.
func keyPolicyFor(principal string) string {
	return `{"Version":"2012-10-17","Statement":[
		{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"Use","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}]}`
}

// A session's policies bound an allow from a key policy that names the
// role: AWS limits a resource-based policy naming the role's ARN by the
// session policy. Only a key policy naming the session itself is not
// limited.
func TestSessionPolicyBoundsKeyPolicyNamingTheRole(t *testing.T) {
	s := sealtest.Start(t)
	appARN := role(t, s, "app", "") // no identity policy: only the key policy allows
	pipe := pipeline(t, s)
	narrow := assumeWith(t, s, pipe, appARN, "narrow", ssmOnly)
	full := assumeWith(t, s, pipe, appARN, "full", "")

	byRole := keyWithPolicy(t, s, keyPolicyFor(appARN))
	enc := &kms.EncryptInput{KeyId: byRole.KeyId, Plaintext: []byte("x")}
	must[*kms.EncryptOutput](t, "Encrypt as a session without session policy")(full.kms(s).Encrypt(ctx, enc))
	_, err := narrow.kms(s).Encrypt(ctx, enc)
	wantDenied(t, "Encrypt as a session limited to ssm:GetParameter, key policy names the role", err, narrow.arn, "kms:Encrypt",
		"because no session policy allows the kms:Encrypt action")

	// A key policy that names the account: identity ∩ session, still denied.
	byAccount := keyWithPolicy(t, s, keyPolicyFor("arn:aws:iam::123456789012:root"))
	_, err = narrow.kms(s).Encrypt(ctx, &kms.EncryptInput{KeyId: byAccount.KeyId, Plaintext: []byte("x")})
	wantCode(t, "Encrypt as the narrow session, key policy names the account", err, "AccessDeniedException")

	// "*" is bounded too: only the session's own ARN is not.
	anyone := keyWithPolicy(t, s, keyPolicyFor("*"))
	_, err = narrow.kms(s).Encrypt(ctx, &kms.EncryptInput{KeyId: anyone.KeyId, Plaintext: []byte("x")})
	wantDenied(t, "Encrypt as the narrow session, key policy names *", err, narrow.arn, "kms:Encrypt", "because no session policy allows")

	bySession := keyWithPolicy(t, s, keyPolicyFor(narrow.arn))
	must[*kms.EncryptOutput](t, "Encrypt as the narrow session, key policy names the session")(narrow.kms(s).Encrypt(ctx, &kms.EncryptInput{KeyId: bySession.KeyId, Plaintext: []byte("x")}))
}

// A KMS grant to the role is bounded by the session's policies, as a key
// policy naming the role is.
func TestSessionPolicyBoundsGrantToTheRole(t *testing.T) {
	s := sealtest.Start(t)
	appARN := role(t, s, "app", "")
	pipe := pipeline(t, s)
	narrow := assumeWith(t, s, pipe, appARN, "narrow", ssmOnly)
	encrypter := assumeWith(t, s, pipe, appARN, "encrypter", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`)
	full := assumeWith(t, s, pipe, appARN, "full", "")

	s.NewUser(t, "nobody-yet") // the key policy names someone else than the role: AWS refuses a user that does not exist
	key := keyWithPolicy(t, s, keyPolicyFor("arn:aws:iam::123456789012:user/nobody-yet"))
	must[*kms.CreateGrantOutput](t, "CreateGrant")(s.KMS().CreateGrant(ctx, &kms.CreateGrantInput{KeyId: key.KeyId, GranteePrincipal: aws.String(appARN),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt}}))
	enc := &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}
	must[*kms.EncryptOutput](t, "Encrypt with the grant, no session policy")(full.kms(s).Encrypt(ctx, enc))
	must[*kms.EncryptOutput](t, "Encrypt with the grant, session policy allows kms:Encrypt")(encrypter.kms(s).Encrypt(ctx, enc))
	_, err := narrow.kms(s).Encrypt(ctx, enc)
	wantDenied(t, "Encrypt with the grant, session limited to ssm:GetParameter", err, narrow.arn, "kms:Encrypt", "because no session policy allows")
}

// Role chaining: a session whose policies do not allow sts:AssumeRole
// cannot assume another role, whether that role trusts the account or the
// first role by name.
func TestSessionPolicyBoundsRoleChaining(t *testing.T) {
	s := sealtest.Start(t)
	const assumeAny = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","ssm:GetParameter"],"Resource":"*"}]}`
	firstARN := role(t, s, "first", assumeAny)
	wideARN := role(t, s, "wide", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	c := s.IAM()
	trustFirst := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + firstARN + `"},"Action":"sts:AssumeRole"}]}`
	wide2 := must[*iam.CreateRoleOutput](t, "CreateRole wide2")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("wide2"), AssumeRolePolicyDocument: aws.String(trustFirst)}))
	wide2ARN := *wide2.Role.Arn
	pipe := pipeline(t, s)

	narrow := assumeWith(t, s, pipe, firstARN, "narrow", ssmOnly)
	for _, target := range []string{wideARN, wide2ARN} {
		_, err := narrow.sts(s).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(target), RoleSessionName: aws.String("escape")})
		wantCode(t, "AssumeRole "+target+" from a session limited to ssm:GetParameter", err, "AccessDenied")
	}
	// The same role without a session policy may chain; so may a session
	// whose policy allows sts:AssumeRole.
	for _, policy := range []string{"", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`} {
		from := assumeWith(t, s, pipe, firstARN, "chain", policy)
		for _, target := range []string{wideARN, wide2ARN} {
			assumeWith(t, s, from.creds, target, "next", "")
		}
	}
	// A trust policy that names the session itself is not bounded by the
	// session's policies, as a resource-based policy naming the session.
	must[*iam.UpdateAssumeRolePolicyOutput](t, "UpdateAssumeRolePolicy")(c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("wide2"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + narrow.arn + `"},"Action":"sts:AssumeRole"}]}`)}))
	assumeWith(t, s, narrow.creds, wide2ARN, "named", "")
}

// guardPolicy is a Deny that a newer parser refuses: its condition
// operator does not exist. An older server may have stored it.
const brokenGuard = `{"Version":"2012-10-17","Statement":[
	{"Sid":"NoDecrypt","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"},
	{"Sid":"Odd","Effect":"Deny","Action":"kms:*","Resource":"*","Condition":{"StringEqualsSometimes":{"aws:username":"x"}}}]}`

// An identity policy that no longer compiles denies every call of the
// principal it applies to, and the server says which policy it was.
func TestUnreadableIdentityPolicyDenies(t *testing.T) {
	s := sealtest.Start(t)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	c := s.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("alice")}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy kms")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("use-kms"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy guard")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("guard"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Sid":"NoDecrypt","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`)}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	alice := aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
	enc := &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}
	must[*kms.EncryptOutput](t, "Encrypt as alice")(kms.NewFromConfig(s.AWSConfigAs("us-east-1", alice)).Encrypt(ctx, enc))

	s.EditStore(t, func(tx store.Tx) error {
		return editJSON(tx, "iam/user/alice", func(m map[string]any) { m["inline"].(map[string]any)["guard"] = brokenGuard })
	})
	alicekms := kms.NewFromConfig(s.AWSConfigAs("us-east-1", alice))
	_, err := alicekms.Encrypt(ctx, enc)
	wantDenied(t, "Encrypt as alice, whose guard policy no longer compiles", err, "arn:aws:iam::123456789012:user/alice", "kms:Encrypt", "cannot be read")
	wantLog(t, s, "arn:aws:iam::123456789012:user/alice", "guard")
	// The simulator answers from the same decision.
	sim := must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy")(s.IAM().SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String("arn:aws:iam::123456789012:user/alice"), ActionNames: []string{"kms:Encrypt"}}))
	if len(sim.EvaluationResults) != 1 || sim.EvaluationResults[0].EvalDecision != "explicitDeny" {
		t.Errorf("SimulatePrincipalPolicy(alice, kms:Encrypt) = %+v, want explicitDeny", sim.EvaluationResults)
	}
	// Other principals are not affected.
	must[*kms.EncryptOutput](t, "Encrypt as admin")(s.KMS().Encrypt(ctx, enc))
}

// A session policy that no longer compiles denies every call of the
// session: the session is not left without a bound.
func TestUnreadableSessionPolicyDenies(t *testing.T) {
	s := sealtest.Start(t)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	appARN := role(t, s, "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	sess := assumeWith(t, s, pipeline(t, s), appARN, "narrow", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`)
	enc := must[*kms.EncryptOutput](t, "Encrypt as the session")(sess.kms(s).Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}))
	_, err := sess.kms(s).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantCode(t, "Decrypt as a session allowed only kms:Encrypt", err, "AccessDeniedException")

	s.EditStore(t, func(tx store.Tx) error {
		return editJSON(tx, "iam/session/"+sess.creds.AccessKeyID, func(m map[string]any) { m["policy"] = brokenGuard })
	})
	_, err = sess.kms(s).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	wantDenied(t, "Decrypt as the session, whose session policy no longer compiles", err, sess.arn, "kms:Decrypt", "cannot be read")
	_, err = sess.kms(s).Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")})
	wantDenied(t, "Encrypt as the session, whose session policy no longer compiles", err, sess.arn, "kms:Encrypt", "cannot be read")
	wantLog(t, s, sess.arn, "session")
}

// editJSON rewrites the JSON record at key with edit.
func editJSON(tx store.Tx, key string, edit func(map[string]any)) error {
	var m map[string]any
	if err := store.GetJSON(tx, key, &m); err != nil {
		return err
	}
	edit(m)
	return store.PutJSON(tx, key, m)
}

// wantLog fails unless the server logged that a policy of principal does
// not compile, naming the policy, and without the document's text.
func wantLog(t *testing.T, s *sealtest.Server, principal, policy string) {
	t.Helper()
	for _, line := range strings.Split(s.Logs.String(), "\n") {
		if strings.Contains(line, "policy does not compile") && strings.Contains(line, principal) && strings.Contains(line, policy) {
			if strings.Contains(line, "StringEqualsSometimes") || strings.Contains(line, "NoDecrypt") {
				t.Errorf("log line shows the document: %s", line)
			}
			return
		}
	}
	t.Fatalf("no log line names %s's policy %s; logs:\n%s", principal, policy, s.Logs.String())
}

// GET /metrics shows the authorizer's cache counters.
func TestMetricsShowPolicyCache(t *testing.T) {
	s := sealtest.Start(t)
	must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	body := s.Metrics(t)
	for _, want := range []string{"# TYPE sealbox_authz_policy_cache_hits_total counter", "sealbox_authz_policy_cache_misses_total ",
		"sealbox_authz_policy_cache_entries ", "sealbox_authz_principal_cache_entries "} {
		if !strings.Contains(body, want) {
			t.Fatalf("GET /metrics lacks %q:\n%s", want, body)
		}
	}
}

// A narrow session cannot widen itself with a grant: CreateGrant is itself
// bounded by its session policies, and a grant it makes to its own role,
// or to its own session, is bounded too when it is used.
func TestSessionCannotEscapeThroughAGrantItCreates(t *testing.T) {
	s := sealtest.Start(t)
	appARN := role(t, s, "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`)
	pipe := pipeline(t, s)
	narrow := assumeWith(t, s, pipe, appARN, "narrow", ssmOnly)
	creator := assumeWith(t, s, pipe, appARN, "creator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateGrant","Resource":"*"}]}`)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	blob := must[*kms.EncryptOutput](t, "Encrypt")(s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")})).CiphertextBlob
	grantTo := func(as session, grantee string) error {
		_, err := as.kms(s).CreateGrant(ctx, &kms.CreateGrantInput{KeyId: key.KeyId, GranteePrincipal: aws.String(grantee),
			Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
		return err
	}

	wantDenied(t, "CreateGrant to its role as a session limited to ssm:GetParameter", grantTo(narrow, appARN), narrow.arn, "kms:CreateGrant",
		"because no session policy allows the kms:CreateGrant action")
	for _, grantee := range []string{appARN, creator.arn, "arn:aws:iam::123456789012:root"} {
		if err := grantTo(creator, grantee); err != nil {
			t.Fatalf("CreateGrant to %s as a session allowed kms:CreateGrant: %v", grantee, err)
		}
	}
	_, err := creator.kms(s).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	wantDenied(t, "Decrypt through grants to its role, its session and its account, as a session allowed only kms:CreateGrant", err, creator.arn, "kms:Decrypt",
		"because no session policy allows the kms:Decrypt action")
	_, err = narrow.kms(s).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	wantDenied(t, "Decrypt through the grants as the narrow session", err, narrow.arn, "kms:Decrypt", "because no session policy allows the kms:Decrypt action")
}

// A trust policy that names "*" is bounded like one naming the account:
// a session whose policies do not allow sts:AssumeRole cannot chain
// through it. The policy simulator, asked by that session, is refused
// too.
func TestSessionCannotEscapeThroughAnOpenTrustPolicy(t *testing.T) {
	s := sealtest.Start(t)
	firstARN := role(t, s, "first", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	c := s.IAM()
	open := must[*iam.CreateRoleOutput](t, "CreateRole open")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("open"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`)}))
	narrow := assumeWith(t, s, pipeline(t, s), firstARN, "narrow", ssmOnly)
	_, err := narrow.sts(s).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: open.Role.Arn, RoleSessionName: aws.String("escape")})
	wantCode(t, "AssumeRole of a role trusting * as a session limited to ssm:GetParameter", err, "AccessDenied")

	asNarrow := iam.NewFromConfig(s.AWSConfigAs("us-east-1", narrow.creds))
	_, err = asNarrow.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{PolicySourceArn: aws.String(firstARN), ActionNames: []string{"kms:Decrypt"}})
	wantCode(t, "SimulatePrincipalPolicy as the narrow session", err, "AccessDenied")
	_, err = asNarrow.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{ActionNames: []string{"kms:Decrypt"},
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}})
	wantCode(t, "SimulateCustomPolicy as the narrow session", err, "AccessDenied")
}
