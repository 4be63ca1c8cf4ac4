package functions_test

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

func setEnv(c *lambda.Client, name string, vars map[string]string) (*lambda.UpdateFunctionConfigurationOutput, error) {
	return c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(name), Environment: &types.Environment{Variables: vars}})
}

// TestEnvironmentRules: Lambda's name rules, reserved names and 4 KB cap,
// in Lambda's words but never quoting a value; malformed references.
func TestEnvironmentRules(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	createFunction(t, c, "orders", roleARN, "", map[string]string{"DB_PORT": "5432"})

	_, err := setEnv(c, "orders", map[string]string{"AWS_REGION": "x", "AWS_ACCESS_KEY_ID": "y", "OK_NAME": "z"})
	msg := wantError(t, "reserved names", err, "InvalidParameterValueException", 400)
	if msg != "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_REGION" {
		t.Fatalf("message = %q", msg)
	}
	// _HANDLER and _X_AMZN_TRACE_ID are reserved, but no name may start
	// with "_" in the first place.
	_, err = setEnv(c, "orders", map[string]string{"_HANDLER": "v"})
	wantError(t, "reserved _HANDLER", err, "ValidationException", 400)
	for _, name := range []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "LAMBDA_TASK_ROOT", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"} {
		_, err := setEnv(c, "orders", map[string]string{name: "v"})
		wantError(t, "reserved "+name, err, "InvalidParameterValueException", 400)
	}
	// Not reserved in Lambda.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "TZ and AWS_XRAY_CONTEXT_MISSING")(setEnv(c, "orders", map[string]string{"TZ": "UTC", "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR"}))

	_, err = setEnv(c, "orders", map[string]string{"1BAD": "v"})
	wantError(t, "a name starting with a digit", err, "ValidationException", 400)
	_, err = setEnv(c, "orders", map[string]string{"BAD-NAME": "v"})
	wantError(t, "a name with a hyphen", err, "ValidationException", 400)

	// 4 KB: the JSON of the variables, {"BIG":"…"} is 10 bytes more than
	// the value.
	secret := "planted-" + strings.Repeat("s", 4086-8)
	must[*lambda.UpdateFunctionConfigurationOutput](t, "4096 bytes")(setEnv(c, "orders", map[string]string{"BIG": secret}))
	_, err = setEnv(c, "orders", map[string]string{"BIG": secret + "x"})
	msg = wantError(t, "4097 bytes", err, "InvalidParameterValueException", 400)
	if !strings.HasPrefix(msg, "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: 4097 bytes") {
		t.Fatalf("message = %q", msg)
	}
	if strings.Contains(msg, "planted") || strings.Contains(msg, "sss") {
		t.Fatalf("the refusal quotes the value: %q", msg)
	}
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("big"), Role: aws.String(roleARN), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, "app.py", "")},
		Environment: &types.Environment{Variables: map[string]string{"AA": strings.Repeat("a", 2100), "BB": strings.Repeat("b", 2100)}}})
	wantError(t, "CreateFunction over 4 KB", err, "InvalidParameterValueException", 400)

	// References are checked when written.
	for _, bad := range []string{
		"{{resolve:ssm:/a/b", "{{resolve:vault:/x}}", "{{resolve:ssm:/a:zero}}", "{{resolve:secretsmanager:}}",
		"{{resolve:secretsmanager:db:SecretBinary:k}}", "{{resolve:secretsmanager:db:SecretString:k:AWSCURRENT:0123}}",
		"{{resolve:secretsmanager:db:SecretString:k:s:v:extra}}",
	} {
		_, err := setEnv(c, "orders", map[string]string{"REF": bad})
		msg := wantError(t, "malformed reference "+bad, err, "InvalidParameterValueException", 400)
		if !strings.Contains(msg, "REF holds a malformed dynamic reference") {
			t.Fatalf("%s: message = %q", bad, msg)
		}
	}
	good := map[string]string{
		"REF_A": "{{resolve:ssm:/orders/host}}", "REF_B": "{{resolve:ssm:/orders/host:3}}", "REF_C": "{{resolve:ssm-secure:/orders/pw}}",
		"REF_D": "{{resolve:secretsmanager:orders/api:SecretString:token}}", "REF_E": "{{resolve:secretsmanager:orders/api::token:AWSPREVIOUS}}",
		"REF_F": "{{resolve:secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/api-AbCdEf:SecretString:token}}",
		"REF_G": "postgres://app:{{resolve:secretsmanager:orders/db:SecretString:password}}@db:5432/orders",
		"REF_H": "{{resolve:ssm:arn:aws:ssm:us-east-1:123456789012:parameter/orders/host:2}}",
	}
	up := must[*lambda.UpdateFunctionConfigurationOutput](t, "well-formed references")(setEnv(c, "orders", good))
	for k, v := range good {
		if up.Environment.Variables[k] != v {
			t.Fatalf("%s stored as %q, want it as written", k, up.Environment.Variables[k])
		}
	}

	// A masked value with no current value is refused.
	_, err = setEnv(c, "orders", map[string]string{"NEW_VAR": masked})
	wantError(t, "masked value for a new variable", err, "InvalidParameterValueException", 400)
	_, err = c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("masked"), Role: aws.String(roleARN), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, "app.py", "")},
		Environment: &types.Environment{Variables: map[string]string{"NEW_VAR": masked}}})
	wantError(t, "CreateFunction with a masked value", err, "InvalidParameterValueException", 400)
	// An empty environment removes the variables.
	cleared := must[*lambda.UpdateFunctionConfigurationOutput](t, "empty environment")(setEnv(c, "orders", map[string]string{}))
	if cleared.Environment != nil && len(cleared.Environment.Variables) > 0 {
		t.Fatalf("environment after clearing = %v", cleared.Environment.Variables)
	}
}

// TestMasking: a reader allowed lambda:GetFunctionConfiguration sees names
// and masked values; a reader also allowed sealbox:RevealEnvironment and
// kms:Decrypt sees values; reveal without kms:Decrypt is still masked; a
// configuration written back masked keeps its values.
func TestMasking(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	createFunction(t, c, "orders", roleARN, *key.Arn, map[string]string{"DB_ENDPOINT": "orders-db.internal", "DB_PASSWORD": "hunter2-orders"})
	createFunction(t, c, "billing", roleARN, "", map[string]string{"API_KEY": "billing-key", "MODE": "live"})

	reader := newRole(t, s, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","lambda:GetFunction","lambda:ListFunctions"],"Resource":"*"}]}`)
	rc := lambdaAs(s, reader)
	g := configuration(t, rc, "orders")
	if v := variables(g); len(v) != 2 || v["DB_ENDPOINT"] != masked || v["DB_PASSWORD"] != masked {
		t.Fatalf("reader sees %v", v)
	}
	gf := must[*lambda.GetFunctionOutput](t, "GetFunction reader")(rc.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}))
	if gf.Configuration.Environment.Variables["DB_PASSWORD"] != masked {
		t.Fatalf("GetFunction shows the reader %v", gf.Configuration.Environment.Variables)
	}
	l := must[*lambda.ListFunctionsOutput](t, "ListFunctions reader")(rc.ListFunctions(ctx, &lambda.ListFunctionsInput{}))
	for _, f := range l.Functions {
		for k, v := range f.Environment.Variables {
			if v != masked {
				t.Fatalf("ListFunctions shows the reader %s=%q", k, v)
			}
		}
	}

	revealer := newRole(t, s, "revealer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","sealbox:RevealEnvironment"],"Resource":"*"},
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`"}]}`)
	if v := variables(configuration(t, lambdaAs(s, revealer), "orders")); v["DB_PASSWORD"] != "hunter2-orders" || v["DB_ENDPOINT"] != "orders-db.internal" {
		t.Fatalf("revealer sees %v", v)
	}
	// Reveal without kms:Decrypt on the customer key: masked, not an error.
	nokms := newRole(t, s, "nokms", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","sealbox:RevealEnvironment"],"Resource":"*"}]}`)
	if v := variables(configuration(t, lambdaAs(s, nokms), "orders")); v["DB_PASSWORD"] != masked {
		t.Fatalf("reveal without kms:Decrypt sees %v", v)
	}
	// The AWS-managed key lets any role of the account decrypt through
	// Lambda, so RevealEnvironment alone decides.
	if v := variables(configuration(t, lambdaAs(s, nokms), "billing")); v["API_KEY"] != "billing-key" {
		t.Fatalf("reveal under alias/aws/lambda sees %v", v)
	}
	if v := variables(configuration(t, rc, "billing")); v["API_KEY"] != masked {
		t.Fatalf("reader sees %v under alias/aws/lambda", v)
	}

	// Read, change, write back: the masked values are kept.
	deployer := newRole(t, s, "deployer", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["lambda:GetFunctionConfiguration","lambda:UpdateFunctionConfiguration"],"Resource":"*"}]}`)
	dc := lambdaAs(s, deployer)
	vars := variables(configuration(t, dc, "billing"))
	if vars["API_KEY"] != masked {
		t.Fatalf("deployer sees %v", vars)
	}
	vars["MODE"] = "maintenance"
	vars["NEW_FLAG"] = "on"
	up := must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration masked round trip")(setEnv(dc, "billing", vars))
	if v := up.Environment.Variables; v["API_KEY"] != masked || v["MODE"] != masked {
		t.Fatalf("the update answers the deployer %v", v)
	}
	if v := variables(configuration(t, c, "billing")); v["API_KEY"] != "billing-key" || v["MODE"] != "maintenance" || v["NEW_FLAG"] != "on" || len(v) != 3 {
		t.Fatalf("after the round trip = %v", v)
	}
	// Under the customer key the round trip needs kms:Decrypt.
	vars = variables(configuration(t, dc, "orders"))
	_, err := setEnv(dc, "orders", vars)
	msg := wantError(t, "masked round trip without kms:Decrypt", err, "KMSAccessDeniedException", 502)
	if !strings.Contains(msg, "kms:Decrypt") || !strings.Contains(msg, *key.Arn) {
		t.Fatalf("message = %q", msg)
	}
	if v := variables(configuration(t, c, "orders")); v["DB_PASSWORD"] != "hunter2-orders" {
		t.Fatalf("orders after a refused update = %v", v)
	}
}

// TestUnmasked: with --mask-environment=false, values are shown as Lambda
// shows them to whoever may read the configuration and decrypt, and a KMS
// refusal is Lambda's Environment.Error.
func TestUnmasked(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.MaskEnvironment = false })
	execRole(t, s)
	c := s.Lambda()
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	createFunction(t, c, "orders", roleARN, *key.Arn, map[string]string{"DB_PASSWORD": "hunter2-orders"})
	createFunction(t, c, "billing", roleARN, "", map[string]string{"API_KEY": "billing-key"})
	reader := lambdaAs(s, newRole(t, s, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunctionConfiguration","Resource":"*"}]}`))
	if v := variables(configuration(t, reader, "billing")); v["API_KEY"] != "billing-key" {
		t.Fatalf("unmasked reader sees %v", v)
	}
	g := configuration(t, reader, "orders")
	if g.Environment == nil || g.Environment.Error == nil || len(g.Environment.Variables) != 0 ||
		aws.ToString(g.Environment.Error.ErrorCode) != "KMSAccessDeniedException" ||
		!strings.HasPrefix(aws.ToString(g.Environment.Error.Message), "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: ") {
		t.Fatalf("unmasked reader without kms:Decrypt gets %+v", g.Environment)
	}
}

// TestValuesStayOut: variable values never reach the data folder's raw
// bytes, the records below the barrier, the audit events or the logs.
func TestValuesStayOut(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	planted := "planted-variable-value-7c41e9"
	createFunction(t, c, "orders", roleARN, "", map[string]string{"SECRET": planted})
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(setEnv(c, "orders", map[string]string{"SECRET": planted + "-2"}))
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration back")(setEnv(c, "orders", map[string]string{"SECRET": planted}))
	_, err := setEnv(c, "orders", map[string]string{"SECRET": planted + strings.Repeat("x", 4100)})
	wantError(t, "over 4 KB", err, "InvalidParameterValueException", 400)
	_, err = setEnv(c, "orders", map[string]string{"SECRET": planted + "-3", "OTHER": masked})
	wantError(t, "masked without a value", err, "InvalidParameterValueException", 400)
	if v := variables(configuration(t, c, "orders")); v["SECRET"] != planted {
		// The refused and the masked-without-value updates changed nothing.
		t.Fatalf("SECRET = %q", v["SECRET"])
	}
	must[*lambda.ListFunctionsOutput](t, "ListFunctions")(c.ListFunctions(ctx, &lambda.ListFunctionsInput{FunctionVersion: types.FunctionVersionAll}))
	s.Stop()

	check := func(where string, data []byte) {
		if bytes.Contains(data, []byte(planted)) {
			t.Errorf("%s contains the value", where)
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
	found := map[string]bool{}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventSource"] == "lambda.amazonaws.com" {
			found[e["eventName"].(string)] = true
		}
	}
	for _, name := range []string{"CreateFunction", "PublishVersion", "UpdateFunctionConfiguration", "GetFunctionConfiguration", "ListFunctions"} {
		if !found[name] {
			t.Errorf("no audit event for %s", name)
		}
	}

	// Below the barrier too: the records hold the names and sealed values.
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
		return tx.Scan("fn/", "", func(k string, v []byte) error {
			n++
			check("record "+k, v)
			if !bytes.Contains(v, []byte("SECRET")) {
				t.Errorf("record %s does not name the variable", k)
			}
			var rec map[string]any
			if err := json.Unmarshal(v, &rec); err != nil {
				t.Errorf("record %s: %v", k, err)
			}
			return nil
		})
	})
	if n != 2 {
		t.Fatalf("found %d function records through the barrier, want 2 (the function and version 1)", n)
	}
}
