package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestGrantLifecycle(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "granted")
	grantee := "arn:aws:iam::123456789012:role/reader"
	retirer := "arn:aws:iam::123456789012:role/retirer"
	g := must[*kms.CreateGrantOutput](t, "CreateGrant")(c.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), RetiringPrincipal: aws.String(retirer), Name: aws.String("reader"),
		Operations:  []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationDescribeKey},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "billing"}},
	}))
	if len(aws.ToString(g.GrantId)) != 64 || aws.ToString(g.GrantToken) == "" {
		t.Fatalf("CreateGrant = %+v", g)
	}
	again := must[*kms.CreateGrantOutput](t, "CreateGrant(same name)")(c.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Name: aws.String("reader"),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationDescribeKey},
	}))
	if *again.GrantId != *g.GrantId {
		t.Fatalf("CreateGrant with the same name made a second grant")
	}
	list := must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}))
	if len(list.Grants) != 1 {
		t.Fatalf("ListGrants = %d grants", len(list.Grants))
	}
	e := list.Grants[0]
	if *e.GranteePrincipal != grantee || *e.RetiringPrincipal != retirer || *e.KeyId != *md.Arn || *e.IssuingAccount != "arn:aws:iam::123456789012:root" ||
		len(e.Operations) != 2 || e.Constraints.EncryptionContextSubset["app"] != "billing" || e.CreationDate == nil {
		t.Fatalf("grant entry = %+v", e)
	}
	ret := must[*kms.ListRetirableGrantsOutput](t, "ListRetirableGrants")(c.ListRetirableGrants(ctx, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(retirer)}))
	if len(ret.Grants) != 1 || *ret.Grants[0].GrantId != *g.GrantId {
		t.Fatalf("ListRetirableGrants = %+v", ret.Grants)
	}
	_, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Operations: []types.GrantOperation{types.GrantOperationSign}})
	wantAPIError(t, "CreateGrant(Sign on a symmetric key)", err, "ValidationException", 400)

	must[*kms.RetireGrantOutput](t, "RetireGrant(token)")(c.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}))
	list = must[*kms.ListGrantsOutput](t, "ListGrants")(c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}))
	if len(list.Grants) != 0 {
		t.Fatalf("a retired grant is still listed")
	}
	g2 := must[*kms.CreateGrantOutput](t, "CreateGrant")(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(grantee), Operations: []types.GrantOperation{types.GrantOperationEncrypt}}))
	must[*kms.RevokeGrantOutput](t, "RevokeGrant")(c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId}))
	_, err = c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId})
	wantAPIError(t, "RevokeGrant(again)", err, "NotFoundException", 400)
}

// grantKeyPolicy lets the account administer the key through IAM, but not
// decrypt with it nor retire its grants: only grants allow those.
const grantKeyPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},
	"NotAction":["kms:Decrypt","kms:RetireGrant"],"Resource":"*"}]}`

// newUser makes an IAM user with the inline policy (none when empty) and
// returns a KMS client acting as the user, and a function that replaces
// the user's inline policy.
func newUser(t *testing.T, s *sealtest.Server, name, policy string) (*kms.Client, func(policy string)) {
	t.Helper()
	ic := s.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser "+name)(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	put := func(policy string) {
		t.Helper()
		must[*iam.PutUserPolicyOutput](t, "PutUserPolicy "+name)(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
			PolicyName: aws.String("inline"), PolicyDocument: aws.String(policy)}))
	}
	if policy != "" {
		put(policy)
	}
	key := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey "+name)(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	creds := aws.Credentials{AccessKeyID: *key.AccessKey.AccessKeyId, SecretAccessKey: *key.AccessKey.SecretAccessKey}
	return kms.NewFromConfig(s.AWSConfigAs("us-east-1", creds)), put
}

func allowOnKey(action, keyARN string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"` + action + `","Resource":"` + keyARN + `"}]}`
}

// A grant to the account is a delegation, as a key policy naming the
// account is: a user of the account may use it only when an identity
// policy of the user allows the operation too. It is not an allow for
// every principal of the account.
func TestGrantToTheAccountDelegatesToIAM(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	md := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(grantKeyPolicy)})).KeyMetadata
	blob := must[*kms.EncryptOutput](t, "Encrypt")(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("secret")})).CiphertextBlob
	reader, setPolicy := newUser(t, s, "reader", "")
	dec := &kms.DecryptInput{CiphertextBlob: blob}

	g := must[*kms.CreateGrantOutput](t, "CreateGrant to the account")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId,
		GranteePrincipal: aws.String("arn:aws:iam::123456789012:root"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}}))
	_, err := reader.Decrypt(ctx, dec)
	sealtest.APIErrorContaining(t, "Decrypt as a user with no policy, grant to the account", err, "AccessDeniedException", 400,
		"because no identity-based policy allows the kms:Decrypt action")

	setPolicy(allowOnKey("kms:Decrypt", *md.Arn))
	out := must[*kms.DecryptOutput](t, "Decrypt as a user whose policy allows kms:Decrypt, grant to the account")(reader.Decrypt(ctx, dec))
	if string(out.Plaintext) != "secret" {
		t.Fatalf("Decrypt = %q, want %q", out.Plaintext, "secret")
	}

	// The identity policy alone is not enough: the key policy does not
	// delegate kms:Decrypt; the grant did.
	must[*kms.RevokeGrantOutput](t, "RevokeGrant")(admin.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: md.KeyId, GrantId: g.GrantId}))
	_, err = reader.Decrypt(ctx, dec)
	sealtest.APIErrorContaining(t, "Decrypt as the user after the grant is revoked", err, "AccessDeniedException", 400,
		"because no resource-based policy allows the kms:Decrypt action")
}

// A grant whose retiring principal is the account may be retired by a
// principal of the account only when an identity policy allows
// kms:RetireGrant; the root user, and a retiring principal named directly,
// need none.
func TestGrantRetiringPrincipalTheAccount(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	md := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(grantKeyPolicy)})).KeyMetadata
	retirer, setPolicy := newUser(t, s, "retirer", "")
	named, _ := newUser(t, s, "named", "")
	grant := func(retiring string) *kms.CreateGrantOutput {
		return must[*kms.CreateGrantOutput](t, "CreateGrant retiring "+retiring)(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId,
			GranteePrincipal: aws.String("arn:aws:iam::123456789012:role/app"), RetiringPrincipal: aws.String(retiring),
			Operations: []types.GrantOperation{types.GrantOperationDecrypt}}))
	}
	g := grant("arn:aws:iam::123456789012:root")
	_, err := retirer.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken})
	sealtest.APIErrorContaining(t, "RetireGrant as a user with no policy, retiring principal the account", err, "AccessDeniedException", 400,
		"because no identity-based policy allows the kms:RetireGrant action")
	setPolicy(allowOnKey("kms:RetireGrant", *md.Arn))
	must[*kms.RetireGrantOutput](t, "RetireGrant as a user whose policy allows it")(retirer.RetireGrant(ctx, &kms.RetireGrantInput{GrantToken: g.GrantToken}))

	g = grant("arn:aws:iam::123456789012:user/named")
	must[*kms.RetireGrantOutput](t, "RetireGrant as the retiring principal named")(named.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: md.KeyId, GrantId: g.GrantId}))
}

// A grant that allows RetireGrant lets its grantee retire that grant, not
// another grant on the same key.
func TestGrantRetireGrantOperationRetiresOnlyItsGrant(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	md := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(grantKeyPolicy)})).KeyMetadata
	mallory, _ := newUser(t, s, "mallory", "")
	own := must[*kms.CreateGrantOutput](t, "CreateGrant to mallory")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId,
		GranteePrincipal: aws.String("arn:aws:iam::123456789012:user/mallory"), Operations: []types.GrantOperation{types.GrantOperationRetireGrant}}))
	other := must[*kms.CreateGrantOutput](t, "CreateGrant to app")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId,
		GranteePrincipal: aws.String("arn:aws:iam::123456789012:role/app"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}}))
	_, err := mallory.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: md.KeyId, GrantId: other.GrantId})
	wantAPIError(t, "RetireGrant of another grant by a grantee allowed RetireGrant", err, "AccessDeniedException", 400)
	must[*kms.RetireGrantOutput](t, "RetireGrant of its own grant")(mallory.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: md.KeyId, GrantId: own.GrantId}))
}

// A principal that may create grants only through a grant creates grants
// of that grant's operations, with constraints at least as strict: a grant
// allowing CreateGrant is not a way to grant oneself more.
func TestGrantCreateGrantThroughAGrantCannotWiden(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	md := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(grantKeyPolicy)})).KeyMetadata
	mallory, _ := newUser(t, s, "mallory", "")
	const malloryARN = "arn:aws:iam::123456789012:user/mallory"
	billing := map[string]string{"app": "billing"}
	must[*kms.CreateGrantOutput](t, "CreateGrant to mallory")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(malloryARN),
		Operations:  []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt, types.GrantOperationCreateGrant},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: billing}}))
	child := func(ops []types.GrantOperation, c *types.GrantConstraints) error {
		_, err := mallory.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(malloryARN), Operations: ops, Constraints: c})
		return err
	}
	decrypt := []types.GrantOperation{types.GrantOperationDecrypt}
	for _, tt := range []struct {
		name string
		ops  []types.GrantOperation
		c    *types.GrantConstraints
	}{
		{"no constraint", decrypt, nil},
		{"another context", decrypt, &types.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "payroll"}}},
		{"a subset of the parent's context", decrypt, &types.GrantConstraints{EncryptionContextSubset: map[string]string{}}},
		{"an operation the parent lacks", []types.GrantOperation{types.GrantOperationReEncryptFrom}, &types.GrantConstraints{EncryptionContextSubset: billing}},
		{"RetireGrant, which the parent lacks", []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationRetireGrant}, &types.GrantConstraints{EncryptionContextSubset: billing}},
	} {
		wantAPIError(t, "CreateGrant through a grant, "+tt.name, child(tt.ops, tt.c), "AccessDeniedException", 400)
	}
	for _, tt := range []struct {
		name string
		ops  []types.GrantOperation
		c    *types.GrantConstraints
	}{
		{"same terms", decrypt, &types.GrantConstraints{EncryptionContextSubset: billing}},
		{"a stricter subset", decrypt, &types.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "billing", "env": "prod"}}},
		{"an exact context that holds the parent's", []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationCreateGrant}, &types.GrantConstraints{EncryptionContextEquals: billing}},
	} {
		if err := child(tt.ops, tt.c); err != nil {
			t.Errorf("CreateGrant through a grant, %s: %v", tt.name, err)
		}
	}
}

// The same without constraints: a grant of Encrypt and CreateGrant does
// not let its grantee grant itself Decrypt.
func TestGrantCreateGrantThroughAGrantCannotAddOperations(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	md := must[*kms.CreateKeyOutput](t, "CreateKey")(admin.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(grantKeyPolicy)})).KeyMetadata
	blob := must[*kms.EncryptOutput](t, "Encrypt")(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("secret")})).CiphertextBlob
	eve, _ := newUser(t, s, "eve", "")
	const eveARN = "arn:aws:iam::123456789012:user/eve"
	must[*kms.CreateGrantOutput](t, "CreateGrant to eve")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(eveARN),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationCreateGrant}}))
	_, err := eve.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: aws.String(eveARN), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	wantAPIError(t, "CreateGrant of Decrypt to itself through a grant of Encrypt and CreateGrant", err, "AccessDeniedException", 400)
	_, err = eve.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	wantAPIError(t, "Decrypt after the refused CreateGrant", err, "AccessDeniedException", 400)
	must[*kms.CreateGrantOutput](t, "CreateGrant of Encrypt through the grant")(eve.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId,
		GranteePrincipal: aws.String("arn:aws:iam::123456789012:role/app"), Operations: []types.GrantOperation{types.GrantOperationEncrypt}}))
}
