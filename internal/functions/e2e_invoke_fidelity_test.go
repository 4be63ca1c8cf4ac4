package functions_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmw "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestInvokeContextARN: the function's context names the ARN the caller
// invoked, qualified as the caller named it (none, a version, an alias,
// in Qualifier or in the name), in the function's own region and account:
// the emulator alone names every function
// arn:aws:lambda:us-east-1:012345678912:function:NAME.
func TestInvokeContextARN(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	fn := deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	arn := aws.ToString(fn.FunctionArn)
	for _, tc := range []struct {
		name, qualifier, want string
	}{
		{"orders", "", arn},
		{arn, "", arn},
		{"orders", "$LATEST", arn + ":$LATEST"},
		{"orders", "1", arn + ":1"},
		{"orders", "live", arn + ":live"},
		{"orders:live", "", arn + ":live"},
		// Warm: the alias's invocation again, then the version's, in the
		// same environment.
		{"orders", "live", arn + ":live"},
		{"orders", "1", arn + ":1"},
	} {
		in := &lambda.InvokeInput{FunctionName: aws.String(tc.name), Payload: payload("env")}
		if tc.qualifier != "" {
			in.Qualifier = aws.String(tc.qualifier)
		}
		out, a := invokeFn(t, c, in)
		if out.FunctionError != nil || a.InvokedARN != tc.want {
			t.Errorf("Invoke %s (qualifier %q): the context's InvokedFunctionArn = %q (%v), want %q", tc.name, tc.qualifier, a.InvokedARN, out.FunctionError, tc.want)
		}
	}
}

// TestInvokeFunctionErrors: a handler that fails is answered 200 with
// X-Amz-Function-Error: Unhandled and its error object; one that returns
// an object shaped like an error is a result, not flagged; a runtime that
// exits during the invocation is Unhandled with Runtime.ExitError, and
// the next invocation gets a new environment.
func TestInvokeFunctionErrors(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})

	var e struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	out := must[*lambda.InvokeOutput](t, "Invoke error")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("error")}))
	if err := json.Unmarshal(out.Payload, &e); err != nil || out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" ||
		e.ErrorMessage != "the function failed on purpose" || e.ErrorType == "" {
		t.Errorf("a failing handler: %d %v %s", out.StatusCode, out.FunctionError, out.Payload)
	}

	out = must[*lambda.InvokeOutput](t, "Invoke error-shaped")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("error-shaped")}))
	e.ErrorType, e.ErrorMessage = "", ""
	if err := json.Unmarshal(out.Payload, &e); err != nil || out.StatusCode != 200 || out.FunctionError != nil ||
		e.ErrorType != "Shaped" || e.ErrorMessage != "a result shaped like an error" {
		t.Errorf("a result shaped like an error: %d %v %s, want 200, no FunctionError, the object", out.StatusCode, aws.ToString(out.FunctionError), out.Payload)
	}

	_, before := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	out = must[*lambda.InvokeOutput](t, "Invoke crash")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("crash")}))
	e.ErrorType, e.ErrorMessage = "", ""
	if err := json.Unmarshal(out.Payload, &e); err != nil || out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" ||
		e.ErrorType != "Runtime.ExitError" || !strings.HasPrefix(e.ErrorMessage, "RequestId: ") || !strings.Contains(e.ErrorMessage, "Runtime exited with error: exit status 3") {
		t.Errorf("a runtime that exits: %d %v %s", out.StatusCode, out.FunctionError, out.Payload)
	}
	_, after := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")})
	if before.Count < 1 || after.Count != 1 || after.PID == before.PID {
		t.Errorf("after the exit: invocation %d of pid %d, want the first of a new process (before: %d of %d)", after.Count, after.PID, before.Count, before.PID)
	}
}

// TestInvokeInitFailureNamesNothing: a cold start whose references cannot
// be resolved with the execution role (refused, or a secret that does not
// exist) is answered to an invoker allowed only lambda:InvokeFunction as
// Lambda answers a failed INIT (200, Unhandled, Runtime.InitError), naming
// no secret, variable or role; what failed is in the server's log and
// the audit trail. The role's own GetFunctionEnvironment still says why.
// A role Lambda may not assume is answered in Lambda's words, which name
// no role.
func TestInvokeInitFailureNamesNothing(t *testing.T) {
	s := startRunner(t)
	c := s.Lambda()
	secret := must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("payroll/db-master"), SecretString: aws.String("hunter2-pa55")}))
	// May read the absent secret, not the one there.
	exec := newRole(t, s, "payroll-exec", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:payroll/absent-token*"}]}`)
	deploy(t, c, "refused", exec.ARN, "", map[string]string{"DB_PASSWORD": "{{resolve:secretsmanager:payroll/db-master}}"})
	deploy(t, c, "missing", exec.ARN, "", map[string]string{"API_TOKEN": "{{resolve:secretsmanager:payroll/absent-token}}"})
	fnARN := "arn:aws:lambda:us-east-1:123456789012:function:"
	caller := newRole(t, s, "invoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"`+fnARN+`*"}]}`)
	lc := lambdaAs(s, caller)

	named := []string{"payroll", "db-master", "absent-token", "DB_PASSWORD", "API_TOKEN", "payroll-exec", "secretsmanager", "arn:aws:sts", "arn:aws:iam", *secret.ARN}
	for _, fn := range []string{"refused", "missing"} {
		out := must[*lambda.InvokeOutput](t, "Invoke "+fn)(lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: payload("env")}))
		var e struct {
			ErrorType    string `json:"errorType"`
			ErrorMessage string `json:"errorMessage"`
		}
		if err := json.Unmarshal(out.Payload, &e); err != nil || out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" ||
			e.ErrorType != "Runtime.InitError" || !strings.HasPrefix(e.ErrorMessage, "RequestId: ") {
			t.Errorf("Invoke %s whose reference fails: %d %v %s, want 200 Unhandled Runtime.InitError", fn, out.StatusCode, out.FunctionError, out.Payload)
		}
		for _, n := range named {
			if strings.Contains(string(out.Payload), n) {
				t.Errorf("Invoke %s answered the invoker %s, which names %q", fn, out.Payload, n)
			}
		}
		if n := s.Srv.Runner().Environments(); n != 0 {
			t.Errorf("%d environments after a failed INIT, want none", n)
		}
	}

	// The operator's: the log names the function and why; the audit
	// trail the reference and the error.
	logs := s.Logs.String()
	if !strings.Contains(logs, "a function's INIT failed") || !strings.Contains(logs, "payroll/db-master") || !strings.Contains(logs, "payroll/absent-token") {
		t.Errorf("the server's log does not say which INIT failed and why:\n%s", logs)
	}
	if strings.Contains(logs, "hunter2-pa55") {
		t.Errorf("the server's log holds the secret's value")
	}
	failed := map[string]string{}
	for _, ev := range sealtest.AuditEvents(t, s.Dir) {
		if ev["eventName"] == "ResolveEnvironmentReference" {
			add, _ := ev["additionalEventData"].(map[string]any)
			code, _ := ev["errorCode"].(string)
			fn, _ := add["functionName"].(string)
			failed[fn] = code
		}
	}
	if !strings.HasPrefix(failed["refused"], "AccessDenied") || failed["missing"] != "ResourceNotFoundException" {
		t.Errorf("ResolveEnvironmentReference failures in the audit trail: %v", failed)
	}

	// The role itself learns why, from GetFunctionEnvironment.
	if env := getEnvironment(t, s, exec.Creds, "refused", ""); env.Code != "AccessDeniedException" || !strings.Contains(env.Message, "payroll/db-master") {
		t.Errorf("the role's GetFunctionEnvironment: %d %s %q, want the refusal naming the secret", env.Status, env.Code, env.Message)
	}

	// A role Lambda may not assume any more.
	must[*iam.UpdateAssumeRolePolicyOutput](t, "UpdateAssumeRolePolicy")(s.IAM().UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{
		RoleName: aws.String("payroll-exec"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)}))
	_, err := lc.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("refused"), Payload: payload("env")})
	if msg := wantError(t, "Invoke, the role not assumable", err, "InvalidParameterValueException", 400); msg != "The role defined for the function cannot be assumed by Lambda." {
		t.Errorf("message = %q", msg)
	}
}

// retries are the InvokeRetry events of the audit trail, by the request
// id of the Event invocation they retried.
func retries(t *testing.T, s *sealtest.Server) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for _, ev := range sealtest.AuditEvents(t, s.Dir) {
		if ev["eventName"] == "InvokeRetry" {
			add, _ := ev["additionalEventData"].(map[string]any)
			id, _ := add["invocationRequestId"].(string)
			out[id] = append(out[id], ev)
		}
	}
	return out
}

// TestInvokeEventRetries: an Event invocation whose function fails is
// tried twice more, as Lambda tries it (waits set short here), each retry
// an InvokeRetry event of the audit trail, made for the caller that
// queued it; one that succeeds is not tried again.
func TestInvokeEventRetries(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 200 * time.Millisecond })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	caller := newRole(t, s, "invoker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`)

	out := must[*lambda.InvokeOutput](t, "Invoke Event error")(lambdaAs(s, caller).Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"),
		InvocationType: types.InvocationTypeEvent, Payload: payload("error")}))
	id, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	if out.StatusCode != 202 || id == "" {
		t.Fatalf("Invoke Event = %d, request %q", out.StatusCode, id)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(retries(t, s)[id]) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("20 s on, the Event invocation's retries: %d, want 2\n%s", len(retries(t, s)[id]), s.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second) // a third retry, if any, would be in by now
	got := retries(t, s)[id]
	if len(got) != 2 {
		t.Fatalf("the Event invocation was retried %d times, want 2", len(got))
	}
	for i, ev := range got {
		add, _ := ev["additionalEventData"].(map[string]any)
		who, _ := ev["userIdentity"].(map[string]any)
		if add["attempt"] != float64(i+2) || add["previousAttemptError"] != "Unhandled" || who["arn"] != caller.Session {
			t.Errorf("retry %d's event: %v by %v", i+1, add, who["arn"])
		}
	}
	if !strings.Contains(s.Logs.String(), "failed every attempt") {
		t.Errorf("the log does not say the event was dropped after its last attempt")
	}
	// Three attempts in the one warm environment, then this one.
	if _, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}); a.Count != 4 {
		t.Errorf("the environment served %d invocations, want the Event's 3 attempts and this one", a.Count)
	}

	// One that succeeds is run once.
	out = must[*lambda.InvokeOutput](t, "Invoke Event env")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"),
		InvocationType: types.InvocationTypeEvent, Payload: payload("env")}))
	ok, _ := awsmw.GetRequestIDMetadata(out.ResultMetadata)
	time.Sleep(time.Second)
	if n := len(retries(t, s)[ok]); n != 0 {
		t.Errorf("an Event invocation that succeeded was retried %d times", n)
	}
	if _, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String("orders"), Payload: payload("env")}); a.Count != 6 {
		t.Errorf("the environment served %d invocations, want 6", a.Count)
	}
}

// TestInvokeEventRetriesStopWithTheServer: a retry waiting when the
// server stops is dropped, and logged; the server does not wait for it.
func TestInvokeEventRetriesStopWithTheServer(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = time.Hour })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	must[*lambda.InvokeOutput](t, "Invoke Event error")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"),
		InvocationType: types.InvocationTypeEvent, Payload: payload("error")}))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.Logs.String(), "it is tried again") {
		if time.Now().After(deadline) {
			t.Fatalf("the Event invocation's failure was never logged:\n%s", s.Logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	s.Stop()
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("the server took %v to stop, with a retry waiting", d)
	}
	if !strings.Contains(s.Logs.String(), "retry was dropped: the server is stopping") {
		t.Errorf("the log does not say the waiting retry was dropped")
	}
	if n := len(retries(t, s)); n != 0 {
		t.Errorf("%d retries recorded, want none", n)
	}
}

// TestInvokeEventRetryOfADeletedFunction: a retry runs what the function
// is at the time: a function deleted meanwhile is not run again.
func TestInvokeEventRetryOfADeletedFunction(t *testing.T) {
	s := startRunner(t, func(c *config.Config) { c.LambdaAsyncRetryDelay = 2 * time.Second })
	c := s.Lambda()
	exec := newRole(t, s, "orders-exec", "")
	deploy(t, c, "orders", exec.ARN, "", map[string]string{"DB_ENDPOINT": "db"})
	must[*lambda.InvokeOutput](t, "Invoke Event error")(c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("orders"),
		InvocationType: types.InvocationTypeEvent, Payload: payload("error")}))
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.Logs.String(), "it is tried again") {
		if time.Now().After(deadline) {
			t.Fatalf("the Event invocation's failure was never logged:\n%s", s.Logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}))
	for !strings.Contains(s.Logs.String(), "retry was dropped: its function is gone") {
		if time.Now().After(deadline) {
			t.Fatalf("the retry of a deleted function was not dropped:\n%s", s.Logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(retries(t, s)); n != 0 {
		t.Errorf("%d retries recorded of a deleted function, want none", n)
	}
}
