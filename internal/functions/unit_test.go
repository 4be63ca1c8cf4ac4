package functions

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/lambdarun"
)

func TestParseReference(t *testing.T) {
	ok := []struct {
		in   string
		want reference
	}{
		{"ssm:/a/b", reference{service: "ssm", name: "/a/b"}},
		{"ssm:/a/b:3", reference{service: "ssm", name: "/a/b", version: 3}},
		{"ssm:plain", reference{service: "ssm", name: "plain"}},
		{"ssm-secure:/db/pw", reference{service: "ssm-secure", name: "/db/pw"}},
		{"ssm:arn:aws:ssm:us-east-1:123456789012:parameter/a/b", reference{service: "ssm", name: "arn:aws:ssm:us-east-1:123456789012:parameter/a/b"}},
		{"ssm:arn:aws:ssm:us-east-1:123456789012:parameter/a/b:7", reference{service: "ssm", name: "arn:aws:ssm:us-east-1:123456789012:parameter/a/b", version: 7}},
		{"secretsmanager:db", reference{service: "secretsmanager", name: "db"}},
		{"secretsmanager:db:SecretString:password", reference{service: "secretsmanager", name: "db", jsonKey: "password"}},
		{"secretsmanager:db::password", reference{service: "secretsmanager", name: "db", jsonKey: "password"}},
		{"secretsmanager:db:SecretString::AWSPREVIOUS", reference{service: "secretsmanager", name: "db", stage: "AWSPREVIOUS"}},
		{"secretsmanager:db:SecretString:::0123-4567", reference{service: "secretsmanager", name: "db", versionID: "0123-4567"}},
		{"secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", reference{service: "secretsmanager", name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"}},
		{"secretsmanager:arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf:SecretString:user:AWSCURRENT",
			reference{service: "secretsmanager", name: "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf", jsonKey: "user", stage: "AWSCURRENT"}},
	}
	for _, c := range ok {
		got, why := parseReference(c.in)
		if why != "" || got != c.want {
			t.Errorf("parseReference(%q) = %+v, %q, want %+v", c.in, got, why, c.want)
		}
	}
	for _, bad := range []string{
		"", "ssm", "ssm:", "vault:/x", "ssm::3", "ssm:/a:0", "ssm:/a:x", "ssm:/a:1:2", "ssm:arn:aws:ssm:us-east-1:1:other/a",
		"secretsmanager:", "secretsmanager::SecretString", "secretsmanager:db:SecretBinary", "secretsmanager:db:SecretString:k:s:v",
		"secretsmanager:db:SecretString:k:s:v:more", "secretsmanager:arn:aws:secretsmanager:us-east-1:1:secret",
	} {
		if got, why := parseReference(bad); why == "" {
			t.Errorf("parseReference(%q) = %+v, want a refusal", bad, got)
		}
	}
}

func TestFindReferences(t *testing.T) {
	v := "postgres://{{resolve:ssm:/db/user}}:{{resolve:secretsmanager:db:SecretString:password}}@host/db"
	refs, err := findReferences("DSN", v)
	if err != nil || len(refs) != 2 || v[refs[0].start:refs[0].end] != "{{resolve:ssm:/db/user}}" ||
		v[refs[1].start:refs[1].end] != "{{resolve:secretsmanager:db:SecretString:password}}" {
		t.Fatalf("findReferences = %+v, %v", refs, err)
	}
	if refs, err := findReferences("PLAIN", "no {{ references } here"); err != nil || len(refs) != 0 {
		t.Fatalf("findReferences(plain) = %+v, %v", refs, err)
	}
	_, err = findReferences("BAD", "x {{resolve:ssm:/secret-looking-value")
	if err == nil || strings.Contains(err.Error(), "secret-looking-value") || !strings.Contains(err.Error(), "BAD") {
		t.Fatalf("findReferences(unterminated) error = %v", err)
	}
}

func TestParseFunction(t *testing.T) {
	r := &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012"}
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	for _, c := range []struct{ name, qualifier, wantQual string }{
		{"orders", "", ""},
		{"orders", "live", "live"},
		{"orders:3", "", "3"},
		{"orders:$LATEST", "$LATEST", "$LATEST"},
		{"123456789012:function:orders", "", ""},
		{"123456789012:function:orders:live", "", "live"},
		{arn, "", ""},
		{arn + ":7", "", "7"},
		{"us-east-1:123456789012:function:orders", "", ""},
	} {
		ref, err := parseFunction(r, c.name, c.qualifier)
		if err != nil || ref.name != "orders" || ref.arn != arn || ref.qualifier != c.wantQual {
			t.Errorf("parseFunction(%q, %q) = %+v, %v", c.name, c.qualifier, ref, err)
		}
	}
	for _, c := range []struct{ name, qualifier, code string }{
		{"orders:1", "2", "InvalidParameterValueException"},
		{"arn:aws:lambda:eu-west-1:123456789012:function:orders", "", "ResourceNotFoundException"},
		{"orders:", "", "ValidationException"},
		{"a:b:c", "", "ValidationException"},
		{"arn:aws:s3:::bucket", "", "ValidationException"},
		{"or/ders", "", "ValidationException"},
	} {
		_, err := parseFunction(r, c.name, c.qualifier)
		if e, ok := sealbox.AsError(err); !ok || e.Code != c.code {
			t.Errorf("parseFunction(%q, %q) error = %v, want %s", c.name, c.qualifier, err, c.code)
		}
	}
	// Another account's ARN names a function sealbox does not have.
	ref, err := parseFunction(r, "arn:aws:lambda:us-east-1:210987654321:function:orders", "")
	if err != nil || ref.arn != "arn:aws:lambda:us-east-1:210987654321:function:orders" {
		t.Fatalf("another account: %+v, %v", ref, err)
	}
}

func TestEnvSize(t *testing.T) {
	for _, c := range []struct {
		vars map[string]string
		want int
	}{
		{map[string]string{"AB": "x"}, len(`{"AB":"x"}`)},
		{map[string]string{"AB": "<&>"}, len(`{"AB":"<&>"}`)},
		{map[string]string{"AB": "é"}, len(`{"AB":"é"}`)},
		{map[string]string{"AB": `"q"`}, len(`{"AB":"\"q\""}`)},
		{map[string]string{"AB": "1", "CD": "2"}, len(`{"AB":"1","CD":"2"}`)},
	} {
		if got := envSize(c.vars); got != c.want {
			t.Errorf("envSize(%v) = %d, want %d", c.vars, got, c.want)
		}
	}
}

func TestSameRole(t *testing.T) {
	for _, c := range []struct {
		caller, role string
		want         bool
	}{
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/app", true},
		{"arn:aws:iam::123456789012:role/service/app", "arn:aws:iam::123456789012:role/app", true},
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/service/app", true},
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/app2", false},
		{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::210987654321:role/app", false},
		{"arn:aws:iam::123456789012:user/app", "arn:aws:iam::123456789012:role/app", false},
	} {
		if got := sameRole(c.caller, c.role); got != c.want {
			t.Errorf("sameRole(%s, %s) = %v", c.caller, c.role, got)
		}
	}
}

// TestExtensionLayer: the Parameters and Secrets extension's layer, x86_64
// or Arm64, any account, region and version, and sealbox's own; nothing
// else.
func TestExtensionLayer(t *testing.T) {
	for arn, want := range map[string]bool{
		"arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12":      true,
		"arn:aws:lambda:eu-west-3:780235371811:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:4": true,
		"arn:aws:lambda:us-east-1:123456789012:layer:sealbox-agent:1":                                     true,
		"arn:aws:lambda:us-east-1:123456789012:layer:other:1":                                             false,
		"arn:aws:lambda:us-east-1:123456789012:layer:AWS-Parameters-and-Secrets-Lambda-Extension-X:1":     false,
		"arn:aws:lambda:us-east-1:123456789012:layer:AWS-Parameters-and-Secrets-Lambda-Extension":         false,
	} {
		if got := extensionLayer.MatchString(arn); got != want {
			t.Errorf("extensionLayer.MatchString(%s) = %v, want %v", arn, got, want)
		}
	}
	s := &Service{agent: "/usr/bin/sealbox"}
	for layer, name := range map[string]string{
		"arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12":      "AWSParametersAndSecretsLambdaExtension",
		"arn:aws:lambda:eu-west-3:780235371811:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:4": "AWSParametersAndSecretsLambdaExtension",
		"arn:aws:lambda:us-east-1:123456789012:layer:sealbox-agent:1":                                     "sealbox-agent",
		"arn:aws:lambda:us-east-1:123456789012:layer:other:1":                                             "",
	} {
		exts := s.extensions(&configRecord{Layers: []string{layer}})
		if name == "" && len(exts) != 0 || name != "" && (len(exts) != 1 || exts[0].Name != name || exts[0].Path != s.agent) {
			t.Errorf("the extensions of a function with %s = %+v, want %q", layer, exts, name)
		}
	}
}

// TestExtensionsNeedRootAnswer: a server that is not root answers an
// Invoke of a function with the extension's layer with why it cannot run
// it, a ServiceException (never a silently missing extension).
func TestExtensionsNeedRootAnswer(t *testing.T) {
	s := New(Config{})
	err := s.runError(fmt.Errorf("starting: %w", lambdarun.ErrExtensionsNeedRoot))
	e, ok := sealbox.AsError(err)
	if !ok || e.Code != "ServiceException" || !strings.Contains(e.Message, "running as root") || !strings.Contains(e.Message, "Parameters and Secrets extension") {
		t.Fatalf("runError(ErrExtensionsNeedRoot) = %v", err)
	}
}

// TestPortsTakenAnswer: a cold start that met other processes on its
// ports at every try is Lambda's ServiceException to the invoker, naming
// nothing of the host (the runner's log names the ports).
func TestPortsTakenAnswer(t *testing.T) {
	s := New(Config{})
	err := s.runError(fmt.Errorf("127.0.0.1:40000: %w", lambdarun.ErrPortsTaken))
	e, ok := sealbox.AsError(err)
	if !ok || e.Code != "ServiceException" || !e.Server || strings.Contains(e.Message, "127.0.0.1") || strings.Contains(e.Message, "port") {
		t.Fatalf("runError(ErrPortsTaken) = %#v", err)
	}
}

// TestRunnerFailureNamesNothing: any other failure of the runner (its
// errors carry the host's folders, addresses and programs) is Lambda's
// ServiceException to the invoker, naming none of them.
func TestRunnerFailureNamesNothing(t *testing.T) {
	s := New(Config{})
	err := s.runError(fmt.Errorf("starting /usr/bin/env in /tmp/sealbox-lambda-123/task: fork/exec 127.0.0.1:40000: permission denied"))
	e, ok := sealbox.AsError(err)
	if !ok || e.Code != "ServiceException" || !e.Server {
		t.Fatalf("runError = %#v", err)
	}
	for _, leak := range []string{"/tmp", "/usr/bin", "127.0.0.1", "sealbox-lambda", "permission"} {
		if strings.Contains(e.Message, leak) {
			t.Errorf("the invoker's message names %q: %s", leak, e.Message)
		}
	}
}

// TestAsyncQueueBounded: the queue holds at most asyncMaxQueued Event
// invocations (beyond, Lambda's throttle), takes none once closed, and
// counts one out when it ends.
func TestAsyncQueueBounded(t *testing.T) {
	q := newAsyncQueue(0)
	if q.delay != time.Minute {
		t.Errorf("the default first wait = %v, want Lambda's minute", q.delay)
	}
	for i := 0; i < asyncMaxQueued; i++ {
		if err := q.add(); err != nil {
			t.Fatalf("add %d: %v", i, err)
		}
	}
	var th *lambdarun.ThrottledError
	if err := q.add(); !errors.As(err, &th) || th.Reason != lambdarun.ReasonConcurrent {
		t.Fatalf("add beyond the bound: %v, want throttled", err)
	}
	q.done()
	if err := q.add(); err != nil {
		t.Fatalf("add after one ended: %v", err)
	}
	for i := 0; i < asyncMaxQueued; i++ {
		q.done()
	}
	q.close()
	if err := q.add(); !errors.Is(err, lambdarun.ErrClosed) {
		t.Errorf("add after close: %v, want ErrClosed", err)
	}
	if got := q.scaled(5 * time.Minute); got != 5*time.Minute {
		t.Errorf("scaled(5m) at Lambda's scale = %v", got)
	}
	if got := newAsyncQueue(time.Second).scaled(6 * time.Hour); got != 6*time.Minute {
		t.Errorf("scaled(6h) with a 1 s first wait = %v, want 6m", got)
	}
}

// denyingAuthorizer refuses every query with code.
type denyingAuthorizer struct{ code string }

func (d denyingAuthorizer) Authorize(context.Context, *sealbox.AccessQuery) error {
	return &sealbox.Error{Code: d.code, Message: "User: x is not authorized"}
}

// TestRevealRefusalMasksWhateverItsCode: a refused
// sealbox:RevealEnvironment masks the values whether the refusal is spelt
// AccessDeniedException (the authorizer's, KMS's) or AccessDenied (IAM's,
// STS's); before, the second failed the whole read instead.
func TestRevealRefusalMasksWhateverItsCode(t *testing.T) {
	env := &sealedEnv{Names: []string{"A", "B"}}
	for _, code := range []string{"AccessDeniedException", "AccessDenied"} {
		s := New(Config{Authorizer: denyingAuthorizer{code}})
		got, err := s.environment(context.Background(), &functionRecord{}, &configRecord{Env: env}, "arn:aws:lambda:us-east-1:123456789012:function:f")
		if err != nil || got == nil || got.Variables["A"] != MaskedValue || got.Variables["B"] != MaskedValue {
			t.Errorf("environment() refused with %s = %+v, %v, want every value masked", code, got, err)
		}
	}
	s := New(Config{Authorizer: denyingAuthorizer{"ThrottlingException"}})
	if _, err := s.environment(context.Background(), &functionRecord{}, &configRecord{Env: env}, "arn:aws:lambda:us-east-1:123456789012:function:f"); err == nil {
		t.Error("environment() with an authorizer failing otherwise = nil error, want the failure")
	}
	for code, want := range map[string]bool{"AccessDeniedException": true, "AccessDenied": true, "KMSAccessDeniedException": false, "ResourceNotFoundException": false} {
		if got := isDenied(&sealbox.Error{Code: code}); got != want {
			t.Errorf("isDenied(%s) = %v, want %v", code, got, want)
		}
	}
}

// fixedClock is a clock stopped at one time.
type fixedClock struct{ clock.Real }

func (fixedClock) Now() time.Time { return time.Date(2026, 12, 7, 18, 16, 5, 568e6, time.UTC) }

// TestInvocationRecord: the record a destination gets has the members,
// order and values Lambda's documentation gives ("Retaining records of
// asynchronous invocations"): the unqualified ARN named with $LATEST, the
// payloads as JSON, a payload that is not JSON as a string, no
// responseContext when nothing ran.
func TestInvocationRecord(t *testing.T) {
	s := New(Config{Clock: fixedClock{}})
	fn := &functionRecord{ARN: "arn:aws:lambda:us-east-1:123456789012:function:orders"}
	tgt := &target{fn: fn, cfg: &configRecord{Version: latest}, arn: fn.ARN}
	inv := &lambdarun.Invocation{RequestID: "e4b46cbf-b738-4a2e-8880-a18cdf61200e", Payload: []byte(`{"action":"error"}`)}
	got := string(s.record(outcome{t: tgt, inv: inv, condition: "RetriesExhausted", attempts: 3,
		res: &lambdarun.Result{FunctionError: "Unhandled", Payload: []byte(`{"errorMessage":"failed","errorType":"errorString"}`)}}))
	want := `{"version":"1.0","timestamp":"2026-12-07T18:16:05.568Z","requestContext":{"requestId":"e4b46cbf-b738-4a2e-8880-a18cdf61200e",` +
		`"functionArn":"arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},` +
		`"requestPayload":{"action":"error"},"responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},` +
		`"responsePayload":{"errorMessage":"failed","errorType":"errorString"}}`
	if got != want {
		t.Errorf("record =\n%s\nwant\n%s", got, want)
	}
	alias := &target{fn: fn, cfg: &configRecord{Version: "3"}, arn: fn.ARN + ":live"}
	got = string(s.record(outcome{t: alias, inv: inv, condition: "Success", attempts: 1, res: &lambdarun.Result{Payload: []byte("plain text")}}))
	if !strings.Contains(got, `"functionArn":"`+fn.ARN+`:live"`) || !strings.Contains(got, `"executedVersion":"3"}`) ||
		!strings.Contains(got, `"responsePayload":"plain text"`) {
		t.Errorf("record of an alias's success = %s", got)
	}
	got = string(s.record(outcome{t: tgt, inv: inv, condition: "EventAgeExceeded", attempts: 1}))
	if strings.Contains(got, "responseContext") || strings.Contains(got, "responsePayload") {
		t.Errorf("record of an event never run = %s", got)
	}
}
