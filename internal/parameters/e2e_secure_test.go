package parameters_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestSecureStringDeployPattern is what boto3 deploy scripts do: read a
// SecureString without decryption, and decrypt the blob with KMS under the
// encryption context {"PARAMETER_ARN": arn}.
func TestSecureStringDeployPattern(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	ck := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	must[*kms.CreateAliasOutput](t, "CreateAlias")(s.KMS().CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/app"), TargetKeyId: ck.KeyMetadata.KeyId}))
	out := must[*ssm.PutParameterOutput](t, "PutParameter SecureString")(c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/db/password"), Value: aws.String("hunter2-secret"), Type: types.ParameterTypeSecureString, KeyId: aws.String("alias/app")}))
	if out.Version != 1 {
		t.Fatalf("version = %d", out.Version)
	}
	plain := must[*ssm.GetParameterOutput](t, "GetParameter WithDecryption")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/db/password"), WithDecryption: aws.Bool(true)}))
	if *plain.Parameter.Value != "hunter2-secret" || plain.Parameter.Type != types.ParameterTypeSecureString {
		t.Fatalf("decrypted = %+v", plain.Parameter)
	}
	sealed := must[*ssm.GetParameterOutput](t, "GetParameter")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/db/password")}))
	if strings.Contains(*sealed.Parameter.Value, "hunter2") {
		t.Fatalf("GetParameter without decryption returned the value")
	}
	blob, err := base64.StdEncoding.DecodeString(*sealed.Parameter.Value)
	if err != nil {
		t.Fatalf("the value is not base64: %v", err)
	}
	arn := "arn:aws:ssm:us-east-1:123456789012:parameter/prod/db/password"
	dec := must[*kms.DecryptOutput](t, "kms Decrypt")(s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"PARAMETER_ARN": arn}}))
	if string(dec.Plaintext) != "hunter2-secret" || *dec.KeyId != *ck.KeyMetadata.Arn {
		t.Fatalf("kms Decrypt = %q under %s", dec.Plaintext, *dec.KeyId)
	}
	_, err = s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob})
	wantAPIError(t, "kms Decrypt without the context", err, "InvalidCiphertextException")

	// Without KeyId the AWS-managed alias/aws/ssm is used, created on first
	// use; its policy allows use through Parameter Store only, so the blob
	// does not decrypt directly, as in AWS.
	must[*ssm.PutParameterOutput](t, "PutParameter default key")(c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/default"), Value: aws.String("first-secret"), Type: types.ParameterTypeSecureString}))
	d := must[*ssm.DescribeParametersOutput](t, "DescribeParameters")(c.DescribeParameters(ctx, &ssm.DescribeParametersInput{
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("KeyId"), Values: []string{"alias/aws/ssm"}}}}))
	if len(d.Parameters) != 1 || *d.Parameters[0].Name != "/prod/default" {
		t.Fatalf("DescribeParameters KeyId=alias/aws/ssm = %+v", d.Parameters)
	}
	key := must[*kms.DescribeKeyOutput](t, "DescribeKey alias/aws/ssm")(s.KMS().DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ssm")}))
	if key.KeyMetadata.KeyManager != "AWS" {
		t.Fatalf("alias/aws/ssm manager = %s", key.KeyMetadata.KeyManager)
	}
	sealed = must[*ssm.GetParameterOutput](t, "GetParameter default key")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/default")}))
	blob, _ = base64.StdEncoding.DecodeString(*sealed.Parameter.Value)
	_, err = s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"PARAMETER_ARN": *sealed.Parameter.ARN}})
	wantAPIError(t, "direct kms Decrypt under alias/aws/ssm", err, "AccessDeniedException")

	// A new version under another key; history decrypts every version.
	must[*ssm.PutParameterOutput](t, "PutParameter with KeyId")(c.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/default"), Value: aws.String("second-secret"), Overwrite: aws.Bool(true), KeyId: aws.String("alias/app")}))
	h := must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/prod/default"), WithDecryption: aws.Bool(true)}))
	if len(h.Parameters) != 2 || *h.Parameters[0].Value != "first-secret" || *h.Parameters[1].Value != "second-secret" ||
		*h.Parameters[0].KeyId != "alias/aws/ssm" || *h.Parameters[1].KeyId != "alias/app" {
		t.Fatalf("history = %+v", h.Parameters)
	}
	h = must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory sealed")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/prod/default")}))
	if strings.Contains(*h.Parameters[0].Value, "secret") || strings.Contains(*h.Parameters[1].Value, "secret") {
		t.Fatalf("history without decryption shows values")
	}

	// A disabled key answers InvalidKeyId, worded as SSM passes KMS errors on.
	must[*kms.DisableKeyOutput](t, "DisableKey")(s.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: ck.KeyMetadata.KeyId}))
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/db/password"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "GetParameter with a disabled key", err, "InvalidKeyId", "is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: ")
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("v"), Type: types.ParameterTypeSecureString, KeyId: aws.String("alias/none")})
	wantMessage(t, "PutParameter with a missing key", err, "InvalidKeyId", "Error Code: NotFoundException")
}

// roleClients creates a role with policy and returns SSM and KMS clients
// with a session of it, and the session's ARN.
func roleClients(t *testing.T, s *sealtest.Server, name, policy string) (*ssm.Client, *kms.Client, string) {
	t.Helper()
	r := s.NewRole(t, name, "", policy, "fn")
	cfg := r.Config(s)
	return ssm.NewFromConfig(cfg), kms.NewFromConfig(cfg), r.Session
}

// TestDecryptOnlyThroughSSM: a role may read /prod/* and may kms:Decrypt
// only through Parameter Store (kms:ViaService): a direct Decrypt of the
// same blob is denied, GetParameter WithDecryption is allowed.
func TestDecryptOnlyThroughSSM(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SSM()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	must[*ssm.PutParameterOutput](t, "PutParameter")(admin.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/api-key"), Value: aws.String("prod-api-key-value"), Type: types.ParameterTypeSecureString, KeyId: key.KeyId}))
	must[*ssm.PutParameterOutput](t, "PutParameter dev")(admin.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/dev/api-key"), Value: aws.String("dev-api-key-value"), Type: types.ParameterTypeSecureString, KeyId: key.KeyId}))

	fn, fnKMS, session := roleClients(t, s, "fn", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ssm:GetParameter","ssm:GetParameters"],"Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/prod/*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`","Condition":{"StringEquals":{"kms:ViaService":"ssm.us-east-1.amazonaws.com"}}}]}`)

	got := must[*ssm.GetParameterOutput](t, "fn GetParameter WithDecryption")(fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/api-key"), WithDecryption: aws.Bool(true)}))
	if *got.Parameter.Value != "prod-api-key-value" {
		t.Fatalf("fn read %q", *got.Parameter.Value)
	}
	sealed := must[*ssm.GetParameterOutput](t, "fn GetParameter")(fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/api-key")}))
	blob, _ := base64.StdEncoding.DecodeString(*sealed.Parameter.Value)
	_, err := fnKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"PARAMETER_ARN": *sealed.Parameter.ARN}})
	wantMessage(t, "fn direct kms Decrypt", err, "AccessDeniedException", "User: "+session+" is not authorized to perform: kms:Decrypt")
	_, err = fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/dev/api-key"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "fn GetParameter /dev", err, "AccessDeniedException", "User: "+session+" is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/dev/api-key")
	_, err = fn.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/prod/api-key", "/dev/api-key"}})
	wantMessage(t, "fn GetParameters /prod+/dev", err, "AccessDeniedException", "ssm:GetParameters")
	_, err = fn.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/prod/api-key"), Value: aws.String("x"), Overwrite: aws.Bool(true)})
	wantMessage(t, "fn PutParameter", err, "AccessDeniedException", "ssm:PutParameter")

	// A role that may read the parameter but not decrypt gets KMS's denial,
	// worded as SSM passes it on.
	ro, _, roSession := roleClients(t, s, "ro", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)
	must[*ssm.GetParameterOutput](t, "ro GetParameter")(ro.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/api-key")}))
	_, err = ro.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/api-key"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "ro GetParameter WithDecryption", err, "AccessDeniedException", "User: "+roSession+" is not authorized to perform: kms:Decrypt on resource: "+*key.Arn)
	msg := wantAPIError(t, "ro GetParameter WithDecryption", err, "AccessDeniedException")
	if !strings.Contains(msg, "(Service: AWSKMS; Status Code: 400; Error Code: AccessDeniedException;") {
		t.Fatalf("message = %q, want the AWSKMS suffix", msg)
	}
}

// TestManagedKeyAndContextCondition: with the default key (alias/aws/ssm),
// whose policy allows use through SSM only, a role with just ssm reads
// decrypts; a customer key whose policy allows Decrypt only under
// kms:EncryptionContext:PARAMETER_ARN arn:…:parameter/prod/* lets /prod/
// parameters decrypt and nothing else.
func TestManagedKeyAndContextCondition(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.SSM()
	must[*ssm.PutParameterOutput](t, "PutParameter default key")(admin.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/default"), Value: aws.String("managed-value"), Type: types.ParameterTypeSecureString}))
	fn, fnKMS, _ := roleClients(t, s, "fn", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ssm:GetParameter","ssm:PutParameter"],"Resource":"*"}]}`)
	got := must[*ssm.GetParameterOutput](t, "fn GetParameter default key")(fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/default"), WithDecryption: aws.Bool(true)}))
	if *got.Parameter.Value != "managed-value" {
		t.Fatalf("read %q", *got.Parameter.Value)
	}
	must[*ssm.PutParameterOutput](t, "fn PutParameter default key")(fn.PutParameter(ctx, &ssm.PutParameterInput{
		Name: aws.String("/prod/by-fn"), Value: aws.String("v"), Type: types.ParameterTypeSecureString}))
	sealed := must[*ssm.GetParameterOutput](t, "fn GetParameter")(fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/default")}))
	blob, _ := base64.StdEncoding.DecodeString(*sealed.Parameter.Value)
	_, err := fnKMS.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob, EncryptionContext: map[string]string{"PARAMETER_ARN": *sealed.Parameter.ARN}})
	wantAPIError(t, "fn direct Decrypt with the managed key", err, "AccessDeniedException")

	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{BypassPolicyLockoutSafetyCheck: true,
		Policy: aws.String(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["kms:Encrypt","kms:DescribeKey","kms:PutKeyPolicy"],"Resource":"*"},
		{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringLike":{"kms:EncryptionContext:PARAMETER_ARN":"arn:aws:ssm:us-east-1:123456789012:parameter/prod/*"}}}]}`)})).KeyMetadata
	for _, n := range []string{"/prod/db", "/staging/db"} {
		must[*ssm.PutParameterOutput](t, "PutParameter "+n)(admin.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(n), Value: aws.String("ctx-secret"), Type: types.ParameterTypeSecureString, KeyId: key.Arn}))
	}
	got = must[*ssm.GetParameterOutput](t, "GetParameter /prod/db")(fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/prod/db"), WithDecryption: aws.Bool(true)}))
	if *got.Parameter.Value != "ctx-secret" {
		t.Fatalf("/prod/db = %q", *got.Parameter.Value)
	}
	_, err = fn.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/staging/db"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "GetParameter /staging/db", err, "AccessDeniedException", "kms:Decrypt")
	_, err = admin.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/staging/db"), WithDecryption: aws.Bool(true)})
	wantMessage(t, "admin GetParameter /staging/db", err, "AccessDeniedException", "kms:Decrypt")
}
