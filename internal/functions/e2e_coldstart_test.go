package functions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestGetFunctionEnvironment is the cold start (sealbox exec): only a
// session of the function's execution role gets the environment, and only
// if the role may kms:Decrypt the function's key; references resolve with
// the role's own permissions, each with its audit event.
func TestGetFunctionEnvironment(t *testing.T) {
	s := sealtest.Start(t)
	c := s.Lambda()
	key := *must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	exec := newRole(t, s, "orders-exec", "")
	fn := createFunction(t, c, "orders", exec.ARN, key, map[string]string{"DB_ENDPOINT": "orders-db.internal", "DB_PORT": "5432"})

	// The execution role without kms:Decrypt: refused, naming the action
	// and the key.
	e := getEnvironment(t, s, exec.Creds, "orders", "")
	if e.Status != 502 || e.Code != "KMSAccessDeniedException" ||
		!strings.HasPrefix(e.Message, "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: ") ||
		!strings.Contains(e.Message, "kms:Decrypt") || !strings.Contains(e.Message, key) {
		t.Fatalf("without kms:Decrypt: %d %s %q", e.Status, e.Code, e.Message)
	}
	// Nobody else, not even the administrator.
	admin := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	if e := getEnvironment(t, s, admin, "orders", ""); e.Status != 403 || e.Code != "AccessDeniedException" || !strings.Contains(e.Message, "execution role") {
		t.Fatalf("administrator: %d %s %q", e.Status, e.Code, e.Message)
	}
	other := newRole(t, s, "other", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	if e := getEnvironment(t, s, other.Creds, "orders", ""); e.Status != 403 || e.Code != "AccessDeniedException" ||
		!strings.Contains(e.Message, "the caller is not the function's execution role "+exec.ARN) || !strings.Contains(e.Message, other.Session) {
		t.Fatalf("another role: %d %s %q", e.Status, e.Code, e.Message)
	}
	if e := getEnvironment(t, s, exec.Creds, "absent", ""); e.Status != 404 || e.Code != "ResourceNotFoundException" {
		t.Fatalf("absent function: %d %s %q", e.Status, e.Code, e.Message)
	}

	putPolicy(t, s, "orders-exec", "decrypt", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"}]}`)
	e = getEnvironment(t, s, exec.Creds, "orders", "")
	if e.Status != 200 || e.Variables["DB_ENDPOINT"] != "orders-db.internal" || e.Variables["DB_PORT"] != "5432" || len(e.Variables) != 2 ||
		e.Version != "$LATEST" || e.FunctionArn != aws.ToString(fn.FunctionArn) || e.Role != exec.ARN || e.MemorySize == nil || *e.MemorySize != 128 || len(e.References) != 0 {
		t.Fatalf("GetFunctionEnvironment = %+v", e)
	}

	// References to a SecureString and to a secret's JSON key.
	pw := "pa55-from-ssm"
	token := "tok-from-secrets"
	must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/orders/db-password"),
		Type: ssmtypes.ParameterTypeSecureString, KeyId: aws.String(key), Value: aws.String(pw)}))
	secret := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("orders/api"),
		KmsKeyId: aws.String(key), SecretString: aws.String(`{"token":"` + token + `","other":"x"}`)}))
	must[*lambda.UpdateFunctionConfigurationOutput](t, "references")(setEnv(c, "orders", map[string]string{
		"DB_ENDPOINT": "orders-db.internal",
		"DB_PASSWORD": "{{resolve:ssm-secure:/orders/db-password}}",
		"API_TOKEN":   "{{resolve:secretsmanager:orders/api:SecretString:token}}",
		"DSN":         "postgres://app:{{resolve:ssm-secure:/orders/db-password}}@db:5432/orders",
	}))
	paramARN := "arn:aws:ssm:us-east-1:123456789012:parameter/orders/db-password"
	// The role may not read the secret, then the parameter: the whole
	// call fails, naming the action and the resource.
	e = getEnvironment(t, s, exec.Creds, "orders", "")
	if e.Status != 403 || e.Code != "AccessDeniedException" || !strings.Contains(e.Message, "secretsmanager:GetSecretValue") || !strings.Contains(e.Message, *secret.ARN) {
		t.Fatalf("secret not allowed: %d %s %q", e.Status, e.Code, e.Message)
	}
	putPolicy(t, s, "orders-exec", "secret", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+*secret.ARN+`"}]}`)
	e = getEnvironment(t, s, exec.Creds, "orders", "")
	if e.Status != 403 || e.Code != "AccessDeniedException" || !strings.Contains(e.Message, "ssm:GetParameter") || !strings.Contains(e.Message, paramARN) {
		t.Fatalf("parameter not allowed: %d %s %q", e.Status, e.Code, e.Message)
	}
	putPolicy(t, s, "orders-exec", "parameter", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:*:123456789012:parameter/orders/*"}]}`)
	e = getEnvironment(t, s, exec.Creds, "orders", "")
	if e.Status != 200 || e.Variables["DB_PASSWORD"] != pw || e.Variables["API_TOKEN"] != token ||
		e.Variables["DSN"] != "postgres://app:"+pw+"@db:5432/orders" || e.Variables["DB_ENDPOINT"] != "orders-db.internal" {
		t.Fatalf("resolved = %d %s %q %v", e.Status, e.Code, e.Message, e.Variables)
	}
	var refs []string
	for _, r := range e.References {
		refs = append(refs, r.Variable+"="+r.Source)
	}
	if !slices.Equal(refs, []string{"API_TOKEN=" + *secret.ARN, "DB_PASSWORD=" + paramARN, "DSN=" + paramARN}) {
		t.Fatalf("References = %v", refs)
	}
	// A reference to a key the secret lacks fails the call.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "missing key")(setEnv(c, "orders", map[string]string{"API_TOKEN": "{{resolve:secretsmanager:orders/api:SecretString:absent}}"}))
	if e := getEnvironment(t, s, exec.Creds, "orders", ""); e.Status != 400 || e.Code != "InvalidParameterValueException" || strings.Contains(e.Message, token) {
		t.Fatalf("missing JSON key: %d %s %q", e.Status, e.Code, e.Message)
	}
	if e := getEnvironment(t, s, exec.Creds, "orders:1", ""); e.Status != 404 {
		t.Fatalf("absent version: %d %s %q", e.Status, e.Code, e.Message)
	}

	// A published version keeps its environment; an alias reads it.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "v1 environment")(setEnv(c, "orders", map[string]string{"STAGE": "one"}))
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	must[*lambda.UpdateFunctionConfigurationOutput](t, "v2 environment")(setEnv(c, "orders", map[string]string{"STAGE": "two"}))
	for _, q := range []string{"1", "live"} {
		if e := getEnvironment(t, s, exec.Creds, "orders", q); e.Status != 200 || e.Variables["STAGE"] != "one" || e.Version != "1" {
			t.Fatalf("qualifier %s: %+v", q, e)
		}
	}
	if e := getEnvironment(t, s, exec.Creds, aws.ToString(fn.FunctionArn)+":live", ""); e.Status != 200 || e.Variables["STAGE"] != "one" {
		t.Fatalf("qualified ARN: %+v", e)
	}
	if e := getEnvironment(t, s, exec.Creds, "orders", ""); e.Variables["STAGE"] != "two" {
		t.Fatalf("$LATEST: %+v", e)
	}
	s.Stop()

	// One event per resolved reference, and the Decrypt invoked by Lambda;
	// no value anywhere in the trail.
	resolved := map[string]int{}
	decrypts, refused := 0, 0
	for _, ev := range sealtest.AuditEvents(t, s.Dir) {
		raw, _ := json.Marshal(ev)
		for _, v := range []string{pw, token, "orders-db.internal"} {
			if strings.Contains(string(raw), v) {
				t.Fatalf("an audit event holds a value: %s", raw)
			}
		}
		who, _ := ev["userIdentity"].(map[string]any)
		switch {
		case ev["eventName"] == "ResolveEnvironmentReference" && ev["errorCode"] == "AccessDenied":
			refused++
		case ev["eventName"] == "ResolveEnvironmentReference" && ev["errorCode"] == nil:
			add, _ := ev["additionalEventData"].(map[string]any)
			if ev["eventSource"] != "lambda.amazonaws.com" || who["arn"] != exec.Session || add["functionName"] != "orders" || add["functionVersion"] != "$LATEST" {
				t.Fatalf("ResolveEnvironmentReference event: %s", raw)
			}
			if !strings.Contains(string(raw), aws.ToString(fn.FunctionArn)) || !strings.Contains(string(raw), add["source"].(string)) {
				t.Fatalf("ResolveEnvironmentReference resources: %s", raw)
			}
			resolved[add["variable"].(string)+"="+add["source"].(string)]++
		case ev["eventName"] == "Decrypt" && ev["eventSource"] == "kms.amazonaws.com" && who["arn"] == exec.Session && ev["errorCode"] == nil &&
			who["invokedBy"] != "ssm.amazonaws.com" && who["invokedBy"] != "secretsmanager.amazonaws.com": // the references' own decrypts
			params, _ := ev["requestParameters"].(map[string]any)
			ec, _ := params["encryptionContext"].(map[string]any)
			if who["invokedBy"] != "lambda.amazonaws.com" || params["keyId"] != key || ec["aws:lambda:FunctionArn"] != aws.ToString(fn.FunctionArn) ||
				!strings.Contains(string(raw), `"type":"AWS::KMS::Key"`) {
				t.Fatalf("Decrypt event: %s", raw)
			}
			decrypts++
		}
	}
	// API_TOKEN was also read by the call the parameter's refusal failed.
	if resolved["DB_PASSWORD="+paramARN] != 1 || resolved["DSN="+paramARN] != 1 || resolved["API_TOKEN="+*secret.ARN] != 2 {
		t.Fatalf("ResolveEnvironmentReference events: %v", resolved)
	}
	if refused != 2 {
		t.Fatalf("%d refused ResolveEnvironmentReference events, want 2", refused)
	}
	if decrypts < 5 {
		t.Fatalf("%d Decrypt events invoked by Lambda for the role, want one per cold start", decrypts)
	}
}

// TestDisabledKey: a disabled key stops the cold start with Lambda's
// KMSDisabledException, and masks the values even for the administrator.
func TestDisabledKey(t *testing.T) {
	s := sealtest.Start(t)
	c := s.Lambda()
	key := *must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	exec := newRole(t, s, "orders-exec", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"}]}`)
	createFunction(t, c, "orders", exec.ARN, key, map[string]string{"DB_PASSWORD": "hunter2-orders"})
	if e := getEnvironment(t, s, exec.Creds, "orders", ""); e.Status != 200 || e.Variables["DB_PASSWORD"] != "hunter2-orders" {
		t.Fatalf("before: %+v", e)
	}
	must[*kms.DisableKeyOutput](t, "DisableKey")(s.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key)}))
	if e := getEnvironment(t, s, exec.Creds, "orders", ""); e.Status != 502 || e.Code != "KMSDisabledException" || !strings.Contains(e.Message, key+" is disabled") {
		t.Fatalf("disabled key: %d %s %q", e.Status, e.Code, e.Message)
	}
	if v := variables(configuration(t, c, "orders")); v["DB_PASSWORD"] != masked {
		t.Fatalf("the administrator reads %v under a disabled key", v)
	}
	_, err := setEnv(c, "orders", map[string]string{"DB_PASSWORD": "new"})
	wantError(t, "UpdateFunctionConfiguration under a disabled key", err, "InvalidParameterValueException", 400)
}

// TestPassRole: giving a function its execution role takes iam:PassRole
// on the role, for lambda.amazonaws.com.
func TestPassRole(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	deployer := newRole(t, s, "deployer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:CreateFunction","lambda:UpdateFunctionConfiguration"],"Resource":"*"}]}`)
	dc := lambdaAs(s, deployer)
	in := &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String(roleARN), Runtime: "python3.12",
		Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipOf(t, "app.py", "")}}
	_, err := dc.CreateFunction(ctx, in)
	if msg := wantError(t, "CreateFunction without iam:PassRole", err, "AccessDeniedException", 403); !strings.Contains(msg, "iam:PassRole") || !strings.Contains(msg, roleARN) {
		t.Fatalf("message = %q", msg)
	}
	putPolicy(t, s, "deployer", "pass", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"`+roleARN+`",
		"Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)
	must[*lambda.CreateFunctionOutput](t, "CreateFunction with iam:PassRole")(dc.CreateFunction(ctx, in))
	_, err = dc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Role: aws.String("arn:aws:iam::123456789012:role/admin")})
	wantError(t, "UpdateFunctionConfiguration to a role not passable", err, "AccessDeniedException", 403)
	_, err = dc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	if msg := wantError(t, "GetFunction not allowed", err, "AccessDeniedException", 403); !strings.Contains(msg, "lambda:GetFunction") {
		t.Fatalf("message = %q", msg)
	}

	// Lambda must be able to assume the Role: a role that does not trust
	// lambda.amazonaws.com, or none at all, is refused in Lambda's words.
	must[*iam.CreateRoleOutput](t, "CreateRole no-lambda")(s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("no-lambda"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	admin := s.Lambda()
	for _, r := range []string{"arn:aws:iam::123456789012:role/no-lambda", "arn:aws:iam::123456789012:role/absent"} {
		_, err = admin.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("untrusted"), Role: aws.String(r), Runtime: "python3.12",
			Handler: aws.String("app.handler"), Code: &lambdatypes.FunctionCode{ZipFile: zipOf(t, "app.py", "")}})
		if msg := wantError(t, "CreateFunction with "+r, err, "InvalidParameterValueException", 400); msg != "The role defined for the function cannot be assumed by Lambda." {
			t.Fatalf("message = %q", msg)
		}
		_, err = admin.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("orders"), Role: aws.String(r)})
		wantError(t, "UpdateFunctionConfiguration with "+r, err, "InvalidParameterValueException", 400)
	}
}
