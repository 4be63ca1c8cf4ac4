package functions_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// answer is what the test function (internal/lambdarun/testfn) returns.
type answer = fnio.Answer

// startRunner starts a server that runs functions with aws-lambda-rie
// (skipped without it, unless SEALBOX_LAMBDA_TESTS=1).
func startRunner(t testing.TB, opts ...sealtest.Option) *sealtest.Server {
	t.Helper()
	rie := lambdatest.Emulator(t)
	return sealtest.Start(t, append([]sealtest.Option{func(c *config.Config) { c.LambdaRIE = rie }}, opts...)...)
}

// deploy creates the test function, executed by roleARN, its environment
// under key.
func deploy(t testing.TB, c *lambda.Client, name, roleARN, key string, vars map[string]string) *lambda.CreateFunctionOutput {
	t.Helper()
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(roleARN), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Timeout: aws.Int32(2), Code: &types.FunctionCode{ZipFile: lambdatest.FunctionZip(t)},
		Environment: &types.Environment{Variables: vars}}
	if key != "" {
		in.KMSKeyArn = aws.String(key)
	}
	return must[*lambda.CreateFunctionOutput](t, "CreateFunction "+name)(c.CreateFunction(ctx, in))
}

func invokeFn(t *testing.T, c *lambda.Client, in *lambda.InvokeInput) (*lambda.InvokeOutput, answer) {
	t.Helper()
	out := must[*lambda.InvokeOutput](t, "Invoke "+aws.ToString(in.FunctionName))(c.Invoke(ctx, in))
	var a answer
	if out.FunctionError == nil {
		if err := json.Unmarshal(out.Payload, &a); err != nil {
			t.Fatalf("Invoke answered %q: %v", out.Payload, err)
		}
		lambdatest.OnHost(&a)
	}
	return out, a
}

func payload(action string) []byte { return []byte(`{"action":"` + action + `"}`) }

// TestInvoke is the seed's story, end to end through aws-sdk-go-v2: a Go
// function built with aws-lambda-go reads its environment, one variable a
// reference to a secret, decrypted at INIT with the execution role's
// session; invoked cold then warm (the same process); the secret's new
// value reaches the next invocation; errors, a timeout and a crash are
// answered as Lambda answers them; Event, DryRun and LogType Tail.
func TestInvoke(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	key := *must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	secret := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("orders/db"), KmsKeyId: aws.String(key), SecretString: aws.String(`{"password":"first-pa55"}`)}))
	exec := newRole(t, s, "orders-exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"},
		{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"`+*secret.ARN+`"}]}`)
	fn := deploy(t, c, "orders", exec.ARN, key, map[string]string{"DB_ENDPOINT": "orders-db.internal:5432",
		"DB_PASSWORD": "{{resolve:secretsmanager:orders/db:SecretString:password}}"})
	if fn.CodeSize == 0 || fn.CodeSha256 == nil {
		t.Fatalf("CreateFunction = size %d sha %v", fn.CodeSize, fn.CodeSha256)
	}

	start := time.Now()
	out, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env"), LogType: types.LogTypeTail})
	t.Logf("cold invocation: %v", time.Since(start))
	if out.StatusCode != 200 || out.FunctionError != nil || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Fatalf("Invoke = %d %v %v %s", out.StatusCode, out.FunctionError, out.ExecutedVersion, out.Payload)
	}
	if a.DBEndpoint != "orders-db.internal:5432" || a.Secret != "first-pa55" || a.Count != 1 || a.Name != "orders" || a.Version != "$LATEST" ||
		a.Memory != "128" || a.Region != "us-east-1" || !a.HasKey || !a.HasToken || a.Endpoint != s.URL {
		t.Fatalf("the function saw %+v (endpoint want %s)", a, s.URL)
	}
	if a.UID == 0 {
		t.Errorf("the function ran as root")
	}
	log, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil || !strings.Contains(string(log), `testfn: action "env"`) || !strings.Contains(string(log), "REPORT RequestId: ") || strings.Contains(string(log), "first-pa55") {
		t.Errorf("LogResult = %q (%v)", log, err)
	}

	start = time.Now()
	_, warm := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	t.Logf("warm invocation: %v", time.Since(start))
	if warm.Count != 2 || warm.PID != a.PID {
		t.Fatalf("warm invocation: count %d pid %d, want 2 and pid %d (the same process)", warm.Count, warm.PID, a.PID)
	}

	// A new value of the secret: the environment is dropped, the next
	// INIT resolves the new value.
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(s.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("orders/db"), SecretString: aws.String(`{"password":"second-pa55"}`)}))
	_, a = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	if a.Secret != "second-pa55" || a.Count != 1 {
		t.Fatalf("after the secret changed: %+v, want the new value in a new environment", a)
	}
	// A configuration change too.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(setEnv(c, "orders", map[string]string{"DB_ENDPOINT": "replica.internal:5432"}))
	if _, a = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}); a.DBEndpoint != "replica.internal:5432" || a.Count != 1 {
		t.Fatalf("after the configuration changed: %+v", a)
	}

	// The function's error, a timeout and a crash.
	out, _ = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("error")})
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorMessage":"the function failed on purpose"`) {
		t.Errorf("error: %v %s", out.FunctionError, out.Payload)
	}
	out, _ = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte(`{"action":"sleep","seconds":5}`)})
	var e struct{ ErrorType, ErrorMessage string }
	json.Unmarshal(out.Payload, &e)
	if aws.ToString(out.FunctionError) != "Unhandled" || e.ErrorType != "Sandbox.Timedout" || !strings.HasPrefix(e.ErrorMessage, "RequestId: ") ||
		!strings.HasSuffix(e.ErrorMessage, " Error: Task timed out after 2.00 seconds") {
		t.Errorf("timeout: %v %s", out.FunctionError, out.Payload)
	}
	out, _ = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("crash")})
	if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), `"errorType":"Runtime.ExitError"`) {
		t.Errorf("crash: %v %s", out.FunctionError, out.Payload)
	}

	// DryRun and Event.
	out = must[*lambda.InvokeOutput](t, "DryRun")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeDryRun}))
	if out.StatusCode != 204 || len(out.Payload) != 0 {
		t.Errorf("DryRun = %d %q", out.StatusCode, out.Payload)
	}
	out = must[*lambda.InvokeOutput](t, "Event")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: types.InvocationTypeEvent, Payload: payload("env")}))
	if out.StatusCode != 202 {
		t.Errorf("Event = %d", out.StatusCode)
	}

	// A published version and an alias run the code they froze.
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	out, a = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), Payload: payload("env")})
	if aws.ToString(out.ExecutedVersion) != "1" || a.Version != "1" || a.DBEndpoint != "replica.internal:5432" {
		t.Errorf("alias live: executed %v, saw %+v", out.ExecutedVersion, a)
	}

	// The audit trail: each Invoke; each INIT's Decrypt as the role's
	// session, invoked by Lambda, and its ResolveEnvironmentReference;
	// never a value.
	count := map[string]int{}
	for _, ev := range sealtest.AuditEvents(t, s.Dir) {
		raw, _ := json.Marshal(ev)
		for _, v := range []string{"first-pa55", "second-pa55", "orders-db.internal"} {
			if strings.Contains(string(raw), v) {
				t.Fatalf("an audit event holds a value: %s", raw)
			}
		}
		who, _ := ev["userIdentity"].(map[string]any)
		switch name := ev["eventName"]; {
		case name == "Invoke" && ev["eventSource"] == "lambda.amazonaws.com":
			count["Invoke"]++
			if ev["responseElements"] != nil {
				t.Errorf("Invoke recorded its answer (the function's, and its log): %s", raw)
			}
		case name == "Decrypt" && who["invokedBy"] == "lambda.amazonaws.com" && who["arn"] == "arn:aws:sts::123456789012:assumed-role/orders-exec/orders":
			count["Decrypt"]++
		case name == "ResolveEnvironmentReference" && who["arn"] == "arn:aws:sts::123456789012:assumed-role/orders-exec/orders":
			count["Resolve"]++
		}
	}
	// Cold starts: the first, after the secret, after the configuration,
	// after the timeout, after the crash, the Event's and the alias's;
	// the first two resolve the secret (the configuration change drops it).
	if count["Invoke"] < 10 || count["Decrypt"] < 5 || count["Resolve"] < 2 {
		t.Errorf("audit events: %v", count)
	}

	// The function cannot read the data folder's root key or database.
	for _, f := range []string{"root.key", "sealbox.db"} {
		_, a = invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte(`{"action":"env","path":"` + filepath.Join(s.Dir, f) + `"}`)})
		if a.Readable == nil || *a.Readable {
			t.Errorf("the function read %s (readable %v)", f, a.Readable)
		}
	}

	// Payload checks.
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte("not json")})
	wantError(t, "a payload that is not JSON", err, "InvalidRequestContentException", 400)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("absent"), Payload: payload("env")})
	wantError(t, "an absent function", err, "ResourceNotFoundException", 404)
}

// TestInvokeRefusals: what must not run does not. A caller without
// lambda:InvokeFunction (or with it on the function but not the alias)
// is refused; a role that may not decrypt gets KMSAccessDeniedException
// and the code never starts; a disabled key KMSDisabledException; a
// runtime sealbox does not run says which it runs.
func TestInvokeRefusals(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	key := *must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.Arn
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, key, map[string]string{"DB_ENDPOINT": "orders-db.internal:5432"})

	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	msg := wantError(t, "Invoke, the role without kms:Decrypt", err, "KMSAccessDeniedException", 502)
	if !strings.HasPrefix(msg, "Lambda was unable to decrypt the environment variables because KMS access was denied. Please check the function's KMS key settings. KMS Exception: AccessDeniedException KMS Message: ") ||
		!strings.Contains(msg, "kms:Decrypt") {
		t.Errorf("message = %q", msg)
	}
	if n := s.Srv.Runner().Environments(); n != 0 {
		t.Errorf("%d environments after a refused INIT, want none", n)
	}

	putPolicy(t, s, "orders-exec", "decrypt", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+key+`"}]}`)
	invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	// Disabling the key drops the warm environment: the next INIT fails.
	must[*kms.DisableKeyOutput](t, "DisableKey")(s.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key)}))
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	wantError(t, "Invoke, the key disabled", err, "KMSDisabledException", 502)
	must[*kms.EnableKeyOutput](t, "EnableKey")(s.KMS().EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(key)}))

	// A caller allowed lambda:InvokeFunction on the function only: not on
	// an alias, and nothing at all for another role.
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:orders"
	caller := newRole(t, s, "caller", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+fnARN+`"}]}`)
	invokeFn(t, lambdaAs(s, caller), &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	_, err = lambdaAs(s, caller).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), Payload: payload("env")})
	if msg := wantError(t, "Invoke of the alias, allowed on the function only", err, "AccessDeniedException", 403); !strings.Contains(msg, "lambda:InvokeFunction") || !strings.Contains(msg, fnARN+":live") {
		t.Errorf("message = %q", msg)
	}
	nobody := newRole(t, s, "nobody", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:GetFunction","Resource":"*"}]}`)
	for _, kind := range []types.InvocationType{types.InvocationTypeRequestResponse, types.InvocationTypeEvent, types.InvocationTypeDryRun} {
		_, err = lambdaAs(s, nobody).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), InvocationType: kind, Payload: payload("env")})
		wantError(t, "Invoke "+string(kind)+" without lambda:InvokeFunction", err, "AccessDeniedException", 403)
		_, err = lambdaAs(s, nobody).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("absent"), InvocationType: kind})
		wantError(t, "Invoke "+string(kind)+" of an absent function without lambda:InvokeFunction", err, "AccessDeniedException", 403)
	}

	// Another runtime is kept, not run.
	createFunction(t, c, "python", exec.ARN, "", nil)
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("python")})
	if msg := wantError(t, "Invoke of a python function", err, "InvalidRuntimeException", 502); !strings.Contains(msg, "provided.al2023") || !strings.Contains(msg, "python3.12") {
		t.Errorf("message = %q", msg)
	}
}

// TestInvokeWithoutEmulator: a server that cannot find aws-lambda-rie
// says how to install it.
func TestInvokeWithoutEmulator(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	s := sealtest.Start(t, func(c *config.Config) { c.LambdaRIE = "" })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	must[*lambda.CreateFunctionOutput](t, "CreateFunction")(c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"),
		Role: aws.String(exec.ARN), Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"),
		Code: &types.FunctionCode{ZipFile: zipOf(t, "bootstrap", "#!/bin/sh\n")}}))
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders")})
	if msg := wantError(t, "Invoke without aws-lambda-rie", err, "ServiceException", 500); !strings.Contains(msg, "go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@") {
		t.Errorf("message = %q", msg)
	}
}

// TestInvokeThrottles: beyond the server's concurrency an Invoke is
// refused with Lambda's TooManyRequestsException and its Reason.
func TestInvokeThrottles(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaConcurrency = 1 })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte(`{"action":"sleep","seconds":1}`)})
		done <- err
	}()
	for s.Srv.Runner().Environments() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	var th *types.TooManyRequestsException
	if !errors.As(err, &th) || th.Reason != types.ThrottleReasonConcurrentInvocationLimitExceeded || aws.ToString(th.Message) != "Rate Exceeded." {
		t.Errorf("a second concurrent Invoke over the cap: %v, want TooManyRequestsException ConcurrentInvocationLimitExceeded", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestReservedConcurrency: PutFunctionConcurrency bounds a function's
// environments (0 stops every invocation), GetFunction and
// GetFunctionConcurrency answer it, DeleteFunctionConcurrency lifts it;
// a caller without the action is refused.
func TestReservedConcurrency(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	if out := must[*lambda.GetFunctionConcurrencyOutput](t, "GetFunctionConcurrency")(c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("orders")})); out.ReservedConcurrentExecutions != nil {
		t.Fatalf("no reservation: %v", *out.ReservedConcurrentExecutions)
	}
	put := must[*lambda.PutFunctionConcurrencyOutput](t, "PutFunctionConcurrency 0")(c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(0)}))
	if aws.ToInt32(put.ReservedConcurrentExecutions) != 0 || put.ReservedConcurrentExecutions == nil {
		t.Fatalf("PutFunctionConcurrency = %v", put.ReservedConcurrentExecutions)
	}
	_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	var th *types.TooManyRequestsException
	if !errors.As(err, &th) || th.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Fatalf("Invoke with 0 reserved: %v", err)
	}
	must[*lambda.PutFunctionConcurrencyOutput](t, "PutFunctionConcurrency 1")(c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(1)}))
	if got := must[*lambda.GetFunctionOutput](t, "GetFunction")(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})); got.Concurrency == nil || aws.ToInt32(got.Concurrency.ReservedConcurrentExecutions) != 1 {
		t.Fatalf("GetFunction's Concurrency = %+v", got.Concurrency)
	}
	done := make(chan error, 1)
	go func() {
		_, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: []byte(`{"action":"sleep","seconds":1}`)})
		done <- err
	}()
	for s.Srv.Runner().Environments() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	if !errors.As(err, &th) || th.Reason != types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded {
		t.Errorf("a second concurrent Invoke with 1 reserved: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	must[*lambda.DeleteFunctionConcurrencyOutput](t, "DeleteFunctionConcurrency")(c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("orders")}))
	invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})

	reader := newRole(t, s, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["lambda:GetFunction","lambda:InvokeFunction"],"Resource":"*"}]}`)
	_, err = lambdaAs(s, reader).PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("orders"), ReservedConcurrentExecutions: aws.Int32(0)})
	wantError(t, "PutFunctionConcurrency without the action", err, "AccessDeniedException", 403)
	_, err = lambdaAs(s, reader).DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("orders")})
	wantError(t, "DeleteFunctionConcurrency without the action", err, "AccessDeniedException", 403)
}
