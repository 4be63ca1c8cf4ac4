package secrets_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// TestResourcePolicy: a role with no identity policy at all reads a secret
// whose resource policy names it (Secrets Manager needs an allow from
// either); BlockPublicPolicy refuses a public policy; Validate reports it.
func TestResourcePolicy(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SecretsManager()
	out := create(t, admin, "shared", "shared-value")
	create(t, admin, "private", "private-value")
	reader, _, session := roleClients(t, s, "reader", "")

	_, err := reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("shared")})
	wantMessage(t, "GetSecretValue before the policy", err, "AccessDeniedException", "secretsmanager:GetSecretValue")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/reader"},
		"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy")(admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared"),
		ResourcePolicy: aws.String(policy), BlockPublicPolicy: aws.Bool(true)}))
	if v := value(t, reader, "shared"); v != "shared-value" {
		t.Fatalf("reader read %q", v)
	}
	_, err = reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("private")})
	wantMessage(t, "GetSecretValue private", err, "AccessDeniedException", "User: "+session+" is not authorized to perform: secretsmanager:GetSecretValue")
	_, err = reader.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("shared")})
	wantAPIError(t, "DescribeSecret not granted", err, "AccessDeniedException")
	// A missing secret is denied, not reported missing, to a caller who may
	// not read it.
	_, err = reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("absent")})
	wantAPIError(t, "GetSecretValue absent", err, "AccessDeniedException")

	gp := must[*secretsmanager.GetResourcePolicyOutput](t, "GetResourcePolicy")(admin.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("shared")}))
	if aws.ToString(gp.ResourcePolicy) != policy || *gp.ARN != *out.ARN {
		t.Fatalf("GetResourcePolicy = %+v", gp)
	}
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	_, err = admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared"), ResourcePolicy: aws.String(public), BlockPublicPolicy: aws.Bool(true)})
	wantMessage(t, "PutResourcePolicy public", err, "PublicPolicyException", "did not prevent broad access to the secret")
	_, err = admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared"), ResourcePolicy: aws.String(`{"Statement":[}`)})
	wantAPIError(t, "PutResourcePolicy malformed", err, "MalformedPolicyDocumentException")

	v := must[*secretsmanager.ValidateResourcePolicyOutput](t, "ValidateResourcePolicy public")(admin.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{ResourcePolicy: aws.String(public)}))
	if v.PolicyValidationPassed || len(v.ValidationErrors) != 1 {
		t.Fatalf("Validate public = %+v", v)
	}
	restricted := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*",
		"Condition":{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}}]}`
	v = must[*secretsmanager.ValidateResourcePolicyOutput](t, "ValidateResourcePolicy restricted")(admin.ValidateResourcePolicy(ctx, &secretsmanager.ValidateResourcePolicyInput{SecretId: aws.String("shared"), ResourcePolicy: aws.String(restricted)}))
	if !v.PolicyValidationPassed || len(v.ValidationErrors) != 0 {
		t.Fatalf("Validate restricted = %+v", v)
	}
	// Without BlockPublicPolicy a public policy is kept, as in AWS.
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy public unblocked")(admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("shared"), ResourcePolicy: aws.String(public)}))
	must[*secretsmanager.DeleteResourcePolicyOutput](t, "DeleteResourcePolicy")(admin.DeleteResourcePolicy(ctx, &secretsmanager.DeleteResourcePolicyInput{SecretId: aws.String("shared")}))
	gp = must[*secretsmanager.GetResourcePolicyOutput](t, "GetResourcePolicy after delete")(admin.GetResourcePolicy(ctx, &secretsmanager.GetResourcePolicyInput{SecretId: aws.String("shared")}))
	if gp.ResourcePolicy != nil {
		t.Fatalf("policy after delete = %q", *gp.ResourcePolicy)
	}
	_, err = reader.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("shared")})
	wantAPIError(t, "GetSecretValue after DeleteResourcePolicy", err, "AccessDeniedException")
}

// TestDecryptOnlyThroughSecretsManager: a role may read app/* and may
// kms:Decrypt its customer key only via Secrets Manager (kms:ViaService):
// GetSecretValue works, a direct KMS Decrypt of the same data key does not.
func TestDecryptOnlyThroughSecretsManager(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SecretsManager()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	out := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/token"),
		SecretString: aws.String("app-token-value"), KmsKeyId: key.KeyId}))
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(admin.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/token")}))
	if aws.ToString(d.KmsKeyId) != *key.KeyId {
		t.Fatalf("KmsKeyId = %q, want %s", aws.ToString(d.KmsKeyId), *key.KeyId)
	}
	l := must[*secretsmanager.ListSecretVersionIdsOutput](t, "ListSecretVersionIds")(admin.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String("app/token")}))
	if len(l.Versions) != 1 || l.Versions[0].KmsKeyIds[0] != *key.Arn {
		t.Fatalf("KmsKeyIds = %v", l.Versions[0].KmsKeyIds)
	}
	// Read the stored data key back through the barrier, as only sealbox
	// can, to try it directly.
	s.Stop()
	dataKey := storedDataKey(t, s.Dir, "sm/us-east-1/value/app/token:"+*out.VersionId)
	s.Restart()
	admin = s.SecretsManager()
	fn, fnKMS, _ := roleClients(t, s, "fn", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}`)
	if v := value(t, fn, "app/token"); v != "app-token-value" {
		t.Fatalf("fn read %q", v)
	}
	ec := map[string]string{"SecretARN": *out.ARN, "SecretVersionId": *out.VersionId}
	_, err := fnKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dataKey, EncryptionContext: ec})
	wantAPIError(t, "the role's direct Decrypt of the data key", err, "AccessDeniedException")
	// The admin may decrypt it directly: the context is AWS's.
	dk := must[*kms.DecryptOutput](t, "admin Decrypt of the data key")(s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: dataKey, EncryptionContext: ec}))
	if len(dk.Plaintext) != 32 || *dk.KeyId != *key.Arn {
		t.Fatalf("data key: %d bytes under %s", len(dk.Plaintext), *dk.KeyId)
	}
	// Without kms:Decrypt at all, Secrets Manager answers AccessDenied for KMS.
	nokms, _, _ := roleClients(t, s, "nokms", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)
	_, err = nokms.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/token")})
	wantMessage(t, "GetSecretValue without kms:Decrypt", err, "AccessDeniedException", "Access to KMS is not allowed")
	// The default key alias/aws/secretsmanager works for any role of the
	// account, through Secrets Manager only.
	create(t, admin, "app/default", "default-value")
	if v := value(t, nokms, "app/default"); v != "default-value" {
		t.Fatalf("default-key read %q", v)
	}
}

// TestConditionKeys: secretsmanager: and aws: condition keys reach the
// authorizer.
func TestConditionKeys(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SecretsManager()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret blue")(admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blue"), SecretString: aws.String("b"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	create(t, admin, "red", "r")
	c, _, _ := roleClients(t, s, "blue", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"blue","secretsmanager:VersionStage":"AWSCURRENT"}}},
		{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"blue"}}},
		{"Effect":"Allow","Action":["secretsmanager:CreateSecret","secretsmanager:TagResource"],"Resource":"*","Condition":{"StringLike":{"secretsmanager:Name":"blue-*"},"StringEquals":{"aws:RequestTag/team":"blue"}}},
		{"Effect":"Allow","Action":"secretsmanager:DeleteSecret","Resource":"*","Condition":{"Bool":{"secretsmanager:ForceDeleteWithoutRecovery":"false"},"NumericGreaterThanEquals":{"secretsmanager:RecoveryWindowInDays":"14"}}}]}`)
	_, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("blue")})
	wantAPIError(t, "GetSecretValue without VersionStage", err, "AccessDeniedException")
	if v := aws.ToString(get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("blue"), VersionStage: aws.String("AWSCURRENT")}).SecretString); v != "b" {
		t.Fatalf("blue = %q", v)
	}
	_, err = c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("red"), VersionStage: aws.String("AWSCURRENT")})
	wantAPIError(t, "GetSecretValue red", err, "AccessDeniedException")
	must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret blue")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("blue")}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret blue-new")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blue-new"), SecretString: aws.String("n"),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}}))
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("other"), SecretString: aws.String("n"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	wantAPIError(t, "CreateSecret other name", err, "AccessDeniedException")
	_, err = c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blue-red"), SecretString: aws.String("n"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("red")}}})
	wantAPIError(t, "CreateSecret red tag", err, "AccessDeniedException")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("blue-new"), RecoveryWindowInDays: aws.Int64(7)})
	wantAPIError(t, "DeleteSecret 7 days", err, "AccessDeniedException")
	_, err = c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("blue-new"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	wantAPIError(t, "DeleteSecret force", err, "AccessDeniedException")
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret 14 days")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("blue-new"), RecoveryWindowInDays: aws.Int64(14)}))
}

// TestValuesStayOut: secret values never reach the audit events, the logs
// or the data folder's raw bytes; the events name the secret.
func TestValuesStayOut(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	planted := "planted-secret-value-5e1c0b7a"
	binary := []byte("planted-binary-value-8d2f")
	out := create(t, c, "stay/out", planted)
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue binary")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("stay/out"), SecretBinary: binary, VersionStages: []string{"blue"}}))
	must[*secretsmanager.UpdateSecretOutput](t, "UpdateSecret")(c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("stay/out"), SecretString: aws.String(planted + "-2")}))
	value(t, c, "stay/out")
	get(t, c, &secretsmanager.GetSecretValueInput{SecretId: aws.String("stay/out"), VersionStage: aws.String("blue")})
	must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue")(c.BatchGetSecretValue(ctx, &secretsmanager.BatchGetSecretValueInput{SecretIdList: []string{"stay/out"}}))
	pw := must[*secretsmanager.GetRandomPasswordOutput](t, "GetRandomPassword")(c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(40)}))
	s.Stop()

	events := sealtest.AuditEvents(t, s.Dir)
	found := map[string]bool{}
	for _, e := range events {
		if e["eventSource"] != "secretsmanager.amazonaws.com" {
			continue
		}
		found[e["eventName"].(string)] = true
		if e["eventName"] == "GetSecretValue" || e["eventName"] == "CreateSecret" {
			raw, _ := json.Marshal(e["resources"])
			if !strings.Contains(string(raw), *out.ARN) {
				t.Errorf("%s event resources = %s, want the secret", e["eventName"], raw)
			}
		}
	}
	for _, name := range []string{"CreateSecret", "PutSecretValue", "UpdateSecret", "GetSecretValue", "BatchGetSecretValue", "GetRandomPassword"} {
		if !found[name] {
			t.Errorf("no audit event for %s", name)
		}
	}
	secrets := map[string][]byte{
		"string value":   []byte(planted),
		"binary value":   binary,
		"binary base64":  []byte(base64.StdEncoding.EncodeToString(binary)),
		"random pasword": []byte(*pw.RandomPassword),
	}
	check := func(where string, data []byte) {
		for name, secret := range secrets {
			if bytes.Contains(data, secret) {
				t.Errorf("%s contains the %s", where, name)
			}
		}
	}
	filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(s.Dir, path)
		check(rel, data)
		return nil
	})
	check("logs", []byte(s.Logs.String()))

	// Below the barrier too: the records hold only envelope-sealed values.
	raw, err := boltstore.Open(filepath.Join(s.Dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(filepath.Join(s.Dir, "root.key")))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	n := 0
	b.View(ctx, func(tx store.Tx) error {
		return tx.Scan("sm/", "", func(k string, v []byte) error {
			n++
			check("record "+k, v)
			return nil
		})
	})
	if n == 0 {
		t.Fatal("found no Secrets Manager records through the barrier")
	}
}

// storedDataKey reads the encrypted data key of the value record at key
// from a stopped server's data folder, through the barrier.
func storedDataKey(t *testing.T, dir, key string) []byte {
	t.Helper()
	raw, err := boltstore.Open(filepath.Join(dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(filepath.Join(dir, "root.key")))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var rec struct {
		DataKey []byte `json:"dataKey"`
	}
	if err := b.View(ctx, func(tx store.Tx) error { return store.GetJSON(tx, key, &rec) }); err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return rec.DataKey
}
