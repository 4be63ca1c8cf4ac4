package functions_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
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
