//go:build !fuzzbinary

package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/sealtest"
)

const builtInRotator = "arn:aws:lambda:us-east-1:123456789012:function:sealbox-generate-password"

// secretString is the SecretString of a GetSecretValue answer.
func secretString(t *testing.T, body string) string {
	t.Helper()
	var out struct{ SecretString *string }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return aws.ToString(out.SecretString)
}

// parameterValue is the Parameter.Value of a GetParameter answer.
func parameterValue(t *testing.T, body string) string {
	t.Helper()
	var out struct{ Parameter struct{ Value *string } }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("answer %q: %v", body, err)
	}
	return aws.ToString(out.Parameter.Value)
}

// pushed bounds how soon these tests want a change served. The agent's
// clock never moves in them, so only the change feed can bring a change at
// all; the aim of a second is the load tool's to measure (README), since
// under the race detector on a busy two-core machine no test can hold it.
const pushed = 5 * time.Second

// within polls path through the agent until pick(answer) is want, and
// fails unless that happens within limit of start. It returns how long it
// took.
func within(t *testing.T, h *harness, start time.Time, limit time.Duration, path string, want string, pick func(*testing.T, string) string) time.Duration {
	t.Helper()
	var last string
	for {
		code, body := h.get(t, path)
		if code == 200 {
			last = pick(t, body)
		} else {
			last = body
		}
		if code == 200 && last == want {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			t.Fatalf("GET %s still answers %q %v after the change, want %q", path, last, limit, want)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestRotationStory is the story end to end: a function reads a
// secret through the agent, the secret is rotated by the built-in
// rotator, and the next read returns the new value within a second, not
// after the 300 s TTL (the agent's clock never moves here: only the
// change feed can make it ask again).
func TestRotationStory(t *testing.T) {
	srv := sealtest.Start(t)
	sm := srv.SecretsManager()
	const first = `{"username":"app","password":"first-pass-0000"}`
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String(first)}))
	h := startAgent(t, srv)
	path := "/secretsmanager/get?secretId=app/db"
	refPath := "/systemsmanager/parameters/get?withDecryption=true&name=" + url.QueryEscape("/aws/reference/secretsmanager/app/db")
	prevPath := "/secretsmanager/get?secretId=app/db&versionStage=AWSPREVIOUS"
	for _, p := range []string{path, refPath} {
		if code, body := h.get(t, p); code != 200 || !strings.Contains(body, "first-pass-0000") {
			t.Fatalf("GET %s = %d %s", p, code, body)
		}
	}
	h.warm(t, path, refPath)

	rotated := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("app/db"), RotationLambdaARN: aws.String(builtInRotator)}))
	// The rotation runs in the background; its finishSecret moves
	// AWSCURRENT. Watch the server and the agent together.
	var newValue string
	var finished time.Time
	if !sealtest.Eventually(t, 10*time.Second, func() bool {
		out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
		if err == nil && aws.ToString(out.VersionId) == aws.ToString(rotated.VersionId) {
			newValue, finished = aws.ToString(out.SecretString), time.Now()
			return true
		}
		return false
	}) {
		t.Fatalf("the rotation did not finish")
	}
	if !strings.Contains(newValue, `"username":"app"`) || strings.Contains(newValue, "first-pass-0000") {
		t.Fatalf("rotated value %q: want the username kept and a new password", newValue)
	}
	took := within(t, h, finished, pushed, path, newValue, secretString)
	within(t, h, finished, pushed, refPath, newValue, parameterValue)
	within(t, h, finished, pushed, prevPath, first, secretString)
	t.Logf("rotation: the agent served the new value %v after the server had it", took.Round(time.Millisecond))

	// PutSecretValue, then a label moved back by UpdateSecretVersionStage.
	start := time.Now()
	put := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/db"), SecretString: aws.String(`{"username":"app","password":"put-pass"}`)}))
	within(t, h, start, pushed, path, `{"username":"app","password":"put-pass"}`, secretString)
	start = time.Now()
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "UpdateSecretVersionStage")(sm.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String("app/db"), VersionStage: aws.String("AWSCURRENT"), MoveToVersionId: rotated.VersionId, RemoveFromVersionId: put.VersionId}))
	within(t, h, start, pushed, path, newValue, secretString)

	// Deleted: the agent answers what the server answers, at once.
	start = time.Now()
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("app/db"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	for {
		code, body := h.get(t, path)
		if code == 400 && strings.Contains(body, "ResourceNotFoundException") {
			break
		}
		if time.Since(start) > pushed {
			t.Fatalf("%v after DeleteSecret the agent still answers %d %s", pushed, code, body)
		}
		time.Sleep(2 * time.Millisecond)
	}

	if n := h.metric(t, `sealbox_agent_feed_changes_total`); n < 4 {
		t.Errorf("feed changes = %v, want the rotation's, the put's, the stage move's and the delete's", n)
	}
	if n := h.metric(t, `sealbox_agent_feed_state{state="connected"}`); n != 1 {
		t.Errorf("feed state connected = %v, want 1", n)
	}
	if n := h.metric(t, `sealbox_agent_feed_lag_seconds_count`); n < 4 {
		t.Errorf("feed lag observations = %v", n)
	}
}

// TestFeedParameters: a parameter's new version, a label moved and a
// deletion reach the agent within a second.
func TestFeedParameters(t *testing.T) {
	h := startAgent(t, nil)
	ps := h.srv.SSM()
	put := func(v string, overwrite bool) {
		must[*ssm.PutParameterOutput](t, "PutParameter")(ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/svc/flag"), Type: ssmtypes.ParameterTypeString, Value: aws.String(v), Overwrite: aws.Bool(overwrite)}))
	}
	put("one", false)
	put("two", true)
	must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion")(ps.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/svc/flag"), ParameterVersion: aws.Int64(1), Labels: []string{"live"}}))
	path := "/systemsmanager/parameters/get?name=%2Fsvc%2Fflag"
	live := path + "&label=live"
	within(t, h, time.Now(), pushed, path, "two", parameterValue)
	within(t, h, time.Now(), pushed, live, "one", parameterValue)
	// A String answer serves either withDecryption. The feed may still
	// bring the changes above and evict the entry once; after that the
	// cached answer serves it.
	served := sealtest.Eventually(t, pushed, func() bool {
		within(t, h, time.Now(), pushed, path, "two", parameterValue)
		calls := h.upstream.count("AmazonSSM.GetParameter")
		code, body := h.get(t, path+"&withDecryption=true")
		return code == 200 && parameterValue(t, body) == "two" && h.upstream.count("AmazonSSM.GetParameter") == calls
	})
	if !served {
		t.Fatal("withDecryption=true of a cached String parameter always went upstream")
	}

	start := time.Now()
	put("three", true)
	within(t, h, start, pushed, path, "three", parameterValue)
	start = time.Now()
	must[*ssm.LabelParameterVersionOutput](t, "LabelParameterVersion")(ps.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{Name: aws.String("/svc/flag"), ParameterVersion: aws.Int64(3), Labels: []string{"live"}}))
	within(t, h, start, pushed, live, "three", parameterValue)
	start = time.Now()
	must[*ssm.DeleteParameterOutput](t, "DeleteParameter")(ps.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/svc/flag")}))
	for {
		code, body := h.get(t, path)
		if code == 400 && strings.Contains(body, "ParameterNotFound") {
			break
		}
		if time.Since(start) > pushed {
			t.Fatalf("%v after DeleteParameter the agent still answers %d %s", pushed, code, body)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestFeedSeesOnlyReadable: the feed shows the agent's credentials only
// what they may read, so an agent running as a narrow role is told of its
// own secrets' changes and still evicts them.
func TestFeedAsNarrowRole(t *testing.T) {
	srv := sealtest.Start(t)
	sm := srv.SecretsManager()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("mine"), SecretString: aws.String("m1")}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("theirs"), SecretString: aws.String("t1")}))
	creds := narrowUser(t, srv, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:mine-*"}]}`)
	h := startAgent(t, srv, func(s *setup) {
		cfg := srv.AWSConfigAs("us-east-1", creds)
		s.opts.AWS = cfg
		s.opts.Feed = agent.NewSealboxFeed(cfg, srv.URL)
	})
	within(t, h, time.Now(), pushed, "/secretsmanager/get?secretId=mine", "m1", secretString)
	if code, body := h.get(t, "/secretsmanager/get?secretId=theirs"); code != 400 || !strings.Contains(body, "AccessDenied") {
		t.Fatalf("GET theirs as the narrow user = %d %s, want 400 AccessDeniedException", code, body)
	}
	start := time.Now()
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("mine"), SecretString: aws.String("m2")}))
	within(t, h, start, pushed, "/secretsmanager/get?secretId=mine", "m2", secretString)
}

// TestFeedUnsupported: an upstream without a change feed (AWS, or any
// endpoint that answers GetChanges 404 or UnknownOperationException)
// leaves the agent on TTLs, said once in the log, and serving.
func TestFeedUnsupported(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"404", http.NotFound},
		{"UnknownOperationException", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			io.WriteString(w, `{"__type":"com.amazon.coral.service#UnknownOperationException"}`)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			other := httptest.NewServer(c.handler)
			defer other.Close()
			h := startAgent(t, nil, func(s *setup) { s.opts.Feed = agent.NewSealboxFeed(s.opts.AWS, other.URL) })
			must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(h.srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v1")}))
			within(t, h, time.Now(), pushed, "/secretsmanager/get?secretId=s", "v1", secretString)
			if n := h.metric(t, `sealbox_agent_feed_state{state="unsupported"}`); n != 1 {
				t.Fatalf("feed state unsupported = %v, want 1", n)
			}
			if n := strings.Count(h.logs.String(), "has no change feed"); n != 1 {
				t.Fatalf("the log says %d times that there is no change feed, want once:\n%s", n, h.logs.String())
			}
		})
	}
}

// narrowUser makes an IAM user with policy and returns its access key.
func narrowUser(t *testing.T, srv *sealtest.Server, policy string) aws.Credentials {
	t.Helper()
	return createUser(t, srv, "agent-narrow", policy)
}

// fakeFeed is a Feed the test drives: each Next takes one batch.
type fakeFeed struct {
	batches chan batch
	mu      sync.Mutex
	calls   int
}

type batch struct {
	changes []agent.Change
	reset   bool
	err     error
}

func (f *fakeFeed) Next(ctx context.Context) ([]agent.Change, bool, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	select {
	case b := <-f.batches:
		return b.changes, b.reset, b.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

var errFeedDown = errors.New("connection refused")
