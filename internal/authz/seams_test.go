package authz_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// kmsDenied fails unless err is Secrets Manager's answer to a KMS refusal.
func kmsDenied(t *testing.T, what string, err error) {
	t.Helper()
	sealtest.APIErrorContaining(t, what, err, "AccessDeniedException", 400, "Access to KMS is not allowed")
}

// TestServicesUseKMSOnlyAsTheCaller (sound; the denials had no test): an
// attacker's role may do everything in Secrets Manager and Parameter Store
// but nothing in KMS. Every path that makes the service use the customer
// key on the caller's behalf is refused: reading, writing, creating under
// the key, moving a secret off it, the batch read (by list and by filter),
// by-path, history and many-at-once reads of SecureStrings, a SecureString
// overwritten without a KeyId (it stays under its key). A key policy's deny
// of kms:Decrypt via Secrets Manager denies even the administrator there,
// and only there; one denying the encryption context of prod/* secrets
// denies those only. A session policy that leaves kms:Decrypt out bounds the
// role's own allow of it when Secrets Manager decrypts.
func TestServicesUseKMSOnlyAsTheCaller(t *testing.T) {
	s := sealtest.Start(t)
	sm, pm := s.SecretsManager(), s.SSM()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("db-password"), KmsKeyId: key.Arn}))
	for _, n := range []string{"/app/a", "/app/b"} {
		must[*ssm.PutParameterOutput](t, "PutParameter "+n)(pm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(n), Value: aws.String("value-of-" + n),
			Type: ssmtypes.ParameterTypeSecureString, KeyId: key.Arn}))
	}

	attacker := s.NewRole(t, "attacker", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:*","ssm:*"],"Resource":"*"}]}`, "attack")
	cfg := attacker.Config(s)
	asm, apm := secretsmanager.NewFromConfig(cfg), ssm.NewFromConfig(cfg)
	_, err := asm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	kmsDenied(t, "GetSecretValue", err)
	_, err = asm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("planted")})
	kmsDenied(t, "PutSecretValue", err)
	_, err = asm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("mine"), SecretString: aws.String("v"), KmsKeyId: key.Arn})
	kmsDenied(t, "CreateSecret under the key", err)
	_, err = asm.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("db"), KmsKeyId: aws.String("alias/aws/secretsmanager")})
	kmsDenied(t, "UpdateSecret moving the secret to the default key", err)
	for name, in := range map[string]*secretsmanager.BatchGetSecretValueInput{
		"by list":   {SecretIdList: []string{"db"}},
		"by filter": {Filters: []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{"db"}}}},
	} {
		out := must[*secretsmanager.BatchGetSecretValueOutput](t, "BatchGetSecretValue "+name)(asm.BatchGetSecretValue(ctx, in))
		if len(out.SecretValues) != 0 || len(out.Errors) != 1 || aws.ToString(out.Errors[0].ErrorCode) != "AccessDeniedException" {
			t.Fatalf("BatchGetSecretValue %s: %d values, errors %v", name, len(out.SecretValues), out.Errors)
		}
	}
	// The value is the one the administrator put.
	if v := must[*secretsmanager.GetSecretValueOutput](t, "admin GetSecretValue")(sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})); aws.ToString(v.SecretString) != "db-password" {
		t.Fatalf("after the attacker: %q", aws.ToString(v.SecretString))
	}

	ssmDenied := func(what string, err error, action string) {
		t.Helper()
		sealtest.APIErrorContaining(t, what, err, "AccessDeniedException", 400, "User: "+attacker.Session+" is not authorized to perform: "+action+" on resource: "+*key.Arn)
	}
	_, err = apm.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), WithDecryption: aws.Bool(true)})
	ssmDenied("GetParametersByPath WithDecryption", err, "kms:Decrypt")
	_, err = apm.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/app/a"), WithDecryption: aws.Bool(true)})
	ssmDenied("GetParameterHistory WithDecryption", err, "kms:Decrypt")
	_, err = apm.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/app/a", "/app/b"}, WithDecryption: aws.Bool(true)})
	ssmDenied("GetParameters WithDecryption", err, "kms:Decrypt")
	_, err = apm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/c"), Value: aws.String("x"), Type: ssmtypes.ParameterTypeSecureString, KeyId: key.Arn})
	ssmDenied("PutParameter under the key", err, "kms:Encrypt")
	_, err = apm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/a"), Value: aws.String("planted"), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true)})
	ssmDenied("PutParameter overwrite without a KeyId", err, "kms:Encrypt")

	// A key policy denying kms:Decrypt via Secrets Manager, to everyone.
	denyVia := must[*kms.CreateKeyOutput](t, "CreateKey deny-via")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}}]}`)})).KeyMetadata
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret deny-via")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("deny-via"), SecretString: aws.String("v"), KmsKeyId: denyVia.Arn}))
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("deny-via")})
	kmsDenied(t, "admin GetSecretValue under a key denying Decrypt via Secrets Manager", err)
	must[*ssm.PutParameterOutput](t, "PutParameter deny-via")(pm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/deny-via"), Value: aws.String("ssm-ok"),
		Type: ssmtypes.ParameterTypeSecureString, KeyId: denyVia.Arn}))
	if p := must[*ssm.GetParameterOutput](t, "admin GetParameter under that key")(pm.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/deny-via"), WithDecryption: aws.Bool(true)})); *p.Parameter.Value != "ssm-ok" {
		t.Fatalf("GetParameter via SSM = %q", *p.Parameter.Value)
	}

	// A key policy's deny on the encryption context Secrets Manager uses
	// (kms:EncryptionContext:SecretARN) denies those secrets only.
	ctxKey := must[*kms.CreateKeyOutput](t, "CreateKey deny-context")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
		{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnLike":{"kms:EncryptionContext:SecretARN":"arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/*"}}}]}`)})).KeyMetadata
	for _, name := range []string{"prod/db", "dev/db"} {
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+name)(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(name + "-value"), KmsKeyId: ctxKey.Arn}))
	}
	_, err = sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("prod/db")})
	kmsDenied(t, "admin GetSecretValue of prod/db under a key denying its context", err)
	must[*secretsmanager.GetSecretValueOutput](t, "admin GetSecretValue of dev/db")(sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("dev/db")}))

	// A session policy without kms:Decrypt bounds the role's allow of it.
	reader := role(t, s, "reader", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`"}]}`)
	assumer := s.NewUser(t, "assumer", "sts:AssumeRole")
	for _, c := range []struct {
		session string
		policy  *string
		want    string // "" for the value
	}{
		{"full", nil, ""},
		{"narrowed", aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`), "Access to KMS is not allowed"},
	} {
		out := must[*sts.AssumeRoleOutput](t, "AssumeRole "+c.session)(sts.NewFromConfig(s.AWSConfigAs("us-east-1", assumer)).AssumeRole(ctx, &sts.AssumeRoleInput{
			RoleArn: aws.String(reader), RoleSessionName: aws.String(c.session), Policy: c.policy}))
		creds := aws.Credentials{AccessKeyID: *out.Credentials.AccessKeyId, SecretAccessKey: *out.Credentials.SecretAccessKey, SessionToken: *out.Credentials.SessionToken}
		v, err := secretsmanager.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
		switch {
		case c.want == "" && (err != nil || aws.ToString(v.SecretString) != "db-password"):
			t.Fatalf("session %s: %v", c.session, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Fatalf("session %s: err = %v, want %q", c.session, err, c.want)
		}
	}
}
