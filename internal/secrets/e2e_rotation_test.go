package secrets_test

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/webhook"
)

const builtIn = "arn:aws:lambda:us-east-1:123456789012:function:sealbox-generate-password"

// staged answers the value and version id a staging label is on.
func staged(t *testing.T, c *secretsmanager.Client, id, stage string) (value, version string) {
	t.Helper()
	g, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id), VersionStage: aws.String(stage)})
	if err != nil {
		return "", ""
	}
	return aws.ToString(g.SecretString), aws.ToString(g.VersionId)
}

// sweepAfter moves the clock by d and waits for the sweep that follows,
// which runs the rotations then due, as a server's sweeper does.
func sweepAfter(s *sealtest.Server, d time.Duration) {
	s.Clock.Advance(d)
	s.WaitSweep()
}

// rotationEvents are the audit events of rotation for the secret name.
func rotationEvents(t *testing.T, s *sealtest.Server, name string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		add, _ := e["additionalEventData"].(map[string]any)
		if e["eventType"] == "AwsServiceEvent" && e["eventSource"] == "secretsmanager.amazonaws.com" && add["name"] == name {
			out = append(out, e)
		}
	}
	return out
}

func countEvents(events []map[string]any, name string) int {
	n := 0
	for _, e := range events {
		if e["eventName"] == name {
			n++
		}
	}
	return n
}

// TestRotateBuiltIn rotates with the built-in password rotator: at once
// (AWSCURRENT moves to the new version, AWSPREVIOUS to the old one,
// LastRotatedDate set), then on schedule after AutomaticallyAfterDays,
// driven by the sweeper on the fake clock; then CancelRotateSecret.
func TestRotateBuiltIn(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	const old = `{"username":"app","password":"first-pass"}`
	create(t, c, "app/db", old)
	out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("app/db"), RotationLambdaARN: aws.String(builtIn),
		RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}}))
	if len(aws.ToString(out.VersionId)) < 32 {
		t.Fatalf("RotateSecret VersionId = %q", aws.ToString(out.VersionId))
	}
	s.WaitRotations()
	if _, v := staged(t, c, "app/db", "AWSCURRENT"); v != *out.VersionId {
		t.Fatalf("AWSCURRENT did not move to %s", *out.VersionId)
	}
	cur, _ := staged(t, c, "app/db", "AWSCURRENT")
	var doc map[string]string
	if err := json.Unmarshal([]byte(cur), &doc); err != nil || doc["username"] != "app" || len(doc["password"]) != 32 || doc["password"] == "first-pass" {
		t.Fatalf("rotated value = %q (%v), want username kept and a new 32-character password", cur, err)
	}
	if prev, _ := staged(t, c, "app/db", "AWSPREVIOUS"); prev != old {
		t.Fatalf("AWSPREVIOUS = %q, want the old value", prev)
	}
	if p, _ := staged(t, c, "app/db", "AWSPENDING"); p != "" {
		t.Fatalf("AWSPENDING left after the built-in rotation")
	}
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}))
	if !aws.ToBool(d.RotationEnabled) || aws.ToString(d.RotationLambdaARN) != builtIn || d.RotationRules == nil ||
		aws.ToInt64(d.RotationRules.AutomaticallyAfterDays) != 30 || d.LastRotatedDate == nil || d.NextRotationDate == nil {
		t.Fatalf("DescribeSecret = %+v", d)
	}
	wantNext := s.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 30)
	if !d.NextRotationDate.Equal(wantNext) {
		t.Fatalf("NextRotationDate = %v, want %v", d.NextRotationDate, wantNext)
	}
	list := must[*secretsmanager.ListSecretsOutput](t, "ListSecrets")(c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}))
	if len(list.SecretList) != 1 || !aws.ToBool(list.SecretList[0].RotationEnabled) || list.SecretList[0].NextRotationDate == nil {
		t.Fatalf("ListSecrets = %+v", list.SecretList)
	}

	// Day 29: nothing is due. Day 31: the scheduled rotation runs.
	first := cur
	sweepAfter(s, 29*24*time.Hour)
	if v, _ := staged(t, c, "app/db", "AWSCURRENT"); v != first {
		t.Fatalf("rotated before AutomaticallyAfterDays")
	}
	sweepAfter(s, 2*24*time.Hour)
	if v, _ := staged(t, c, "app/db", "AWSCURRENT"); v == first {
		t.Fatalf("the scheduled rotation did not run")
	}
	if prev, _ := staged(t, c, "app/db", "AWSPREVIOUS"); prev != first {
		t.Fatalf("AWSPREVIOUS after the scheduled rotation is not the first rotation's value")
	}
	d2 := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}))
	if !d2.LastRotatedDate.After(*d.LastRotatedDate) {
		t.Fatalf("LastRotatedDate = %v, want after %v", d2.LastRotatedDate, d.LastRotatedDate)
	}

	// Every step is on the audit trail, and no value is.
	events := rotationEvents(t, s, "app/db")
	if countEvents(events, "RotationStep") != 8 || countEvents(events, "RotationSucceeded") != 2 || countEvents(events, "RotationStarted") != 2 {
		t.Fatalf("rotation audit events: %d steps, %d succeeded, want 8 and 2", countEvents(events, "RotationStep"), countEvents(events, "RotationSucceeded"))
	}
	raw, _ := json.Marshal(sealtest.AuditEvents(t, s.Dir))
	for _, secret := range []string{"first-pass", doc["password"]} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("a secret value reached the audit trail")
		}
	}

	c2 := must[*secretsmanager.CancelRotateSecretOutput](t, "CancelRotateSecret")(c.CancelRotateSecret(ctx, &secretsmanager.CancelRotateSecretInput{SecretId: aws.String("app/db")}))
	if aws.ToString(c2.Name) != "app/db" {
		t.Fatalf("CancelRotateSecret = %+v", c2)
	}
	d3 := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")}))
	if d3.RotationEnabled == nil || *d3.RotationEnabled || d3.NextRotationDate != nil || aws.ToString(d3.RotationLambdaARN) != builtIn {
		t.Fatalf("DescribeSecret after cancel = %+v", d3)
	}
	before, _ := staged(t, c, "app/db", "AWSCURRENT")
	sweepAfter(s, 60*24*time.Hour)
	if v, _ := staged(t, c, "app/db", "AWSCURRENT"); v != before || countEvents(rotationEvents(t, s, "app/db"), "RotationStarted") != 2 {
		t.Fatalf("a cancelled rotation ran")
	}
}

// TestRotateRules checks RotateSecret's refusals.
func TestRotateRules(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	create(t, c, "r", `{"password":"x"}`)
	rotate := func(arn string, rules *types.RotationRulesType) error {
		in := &secretsmanager.RotateSecretInput{SecretId: aws.String("r"), RotationRules: rules, RotateImmediately: aws.Bool(false)}
		if arn != "" {
			in.RotationLambdaARN = aws.String(arn)
		}
		_, err := c.RotateSecret(ctx, in)
		return err
	}
	wantMessage(t, "RotateSecret without a function", rotate("", nil), "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.")
	wantMessage(t, "RotateSecret unknown function", rotate("arn:aws:lambda:us-east-1:123456789012:function:nope", nil), "AccessDeniedException", "cannot invoke the specified Lambda function")
	wantMessage(t, "RotateSecret both", rotate(builtIn, &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(3), ScheduleExpression: aws.String("rate(3 days)")}),
		"InvalidParameterException", "You cannot specify both rotation frequency and schedule expression together.")
	wantAPIError(t, "RotateSecret rate(2 hours)", rotate(builtIn, &types.RotationRulesType{ScheduleExpression: aws.String("rate(2 hours)")}), "InvalidParameterException")
	wantAPIError(t, "RotateSecret cron both days", rotate(builtIn, &types.RotationRulesType{ScheduleExpression: aws.String("cron(0 8 1 * MON *)")}), "InvalidParameterException")
	if err := rotate(builtIn, &types.RotationRulesType{ScheduleExpression: aws.String("cron(0 16 1,15 * ? *)"), Duration: aws.String("4h")}); err != nil {
		t.Fatalf("RotateSecret cron: %v", err)
	}
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("r")}))
	if d.NextRotationDate == nil || d.NextRotationDate.UTC().Hour() != 16 || (d.NextRotationDate.UTC().Day() != 1 && d.NextRotationDate.UTC().Day() != 15) || d.LastRotatedDate != nil {
		t.Fatalf("cron(0 16 1,15 * ? *): NextRotationDate = %v, LastRotatedDate = %v", d.NextRotationDate, d.LastRotatedDate)
	}
	// A pending version not yet current: a rotation is in progress.
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue AWSPENDING")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("r"), SecretString: aws.String(`{"password":"y"}`), VersionStages: []string{"AWSPENDING"}}))
	wantMessage(t, "RotateSecret in progress", rotate(builtIn, nil), "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")
}

// rotatorHook is a rotation function written in the test, served as an
// HTTPS webhook: it checks the signature, then calls sealbox back with the
// SDK exactly as a Lambda rotation function calls Secrets Manager.
type rotatorHook struct {
	t      *testing.T
	c      *secretsmanager.Client
	secret []byte

	mu        sync.Mutex
	failTest  bool // testSecret answers 500
	malformed bool // createSecret puts a value without a password
	steps     []string
	badSig    int
	password  string // the last password it set
}

func (h *rotatorHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(h.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
		h.mu.Lock()
		h.badSig++
		h.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var ev rotation.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.steps = append(h.steps, ev.Step)
	failTest, malformed := h.failTest, h.malformed
	h.mu.Unlock()
	id := aws.String(ev.SecretId)
	var err error
	switch ev.Step {
	case "createSecret":
		if _, err = h.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: id, VersionId: aws.String(ev.ClientRequestToken), VersionStage: aws.String("AWSPENDING")}); err == nil {
			break // done by an earlier attempt
		}
		var cur *secretsmanager.GetSecretValueOutput
		if cur, err = h.c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: id}); err != nil {
			break
		}
		var doc map[string]string
		json.Unmarshal([]byte(*cur.SecretString), &doc)
		pw := must[*secretsmanager.GetRandomPasswordOutput](h.t, "GetRandomPassword")(h.c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{ExcludePunctuation: aws.Bool(true)}))
		doc["password"] = *pw.RandomPassword
		if malformed {
			delete(doc, "password")
		}
		h.mu.Lock()
		h.password = *pw.RandomPassword
		h.mu.Unlock()
		v, _ := json.Marshal(doc)
		_, err = h.c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, ClientRequestToken: aws.String(ev.ClientRequestToken),
			SecretString: aws.String(string(v)), VersionStages: []string{"AWSPENDING"}})
	case "setSecret":
	case "testSecret":
		if failTest {
			http.Error(w, "the database refused the new password", http.StatusInternalServerError)
			return
		}
	case "finishSecret":
		var d *secretsmanager.DescribeSecretOutput
		if d, err = h.c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: id}); err != nil {
			break
		}
		for v, stages := range d.VersionIdsToStages {
			if slices.Contains(stages, "AWSCURRENT") && v != ev.ClientRequestToken {
				_, err = h.c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: id, VersionStage: aws.String("AWSCURRENT"),
					MoveToVersionId: aws.String(ev.ClientRequestToken), RemoveFromVersionId: aws.String(v)})
			}
		}
	}
	if err != nil {
		http.Error(w, "step failed", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (h *rotatorHook) stepCount(step string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, s := range h.steps {
		if s == step {
			n++
		}
	}
	return n
}

const hookARN = "arn:aws:lambda:us-east-1:123456789012:function:db-rotator"

// startWithHook starts an HTTPS webhook rotator and a server whose
// --rotation-targets file registers it for hookARN.
func startWithHook(t *testing.T) (*sealtest.Server, *rotatorHook, *httptest.Server) {
	t.Helper()
	h := &rotatorHook{t: t, secret: []byte("a-shared-hmac-secret-of-32-bytes")}
	hs := httptest.NewTLSServer(h)
	t.Cleanup(hs.Close)
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw})
	os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600)
	os.WriteFile(filepath.Join(dir, "hmac.key"), h.secret, 0o600)
	targets, _ := json.Marshal(webhook.File{Targets: map[string]webhook.TargetConfig{
		hookARN: {URL: hs.URL + "/rotate", SecretFile: "hmac.key", CAFile: "ca.pem", Timeout: "10s"}}})
	path := filepath.Join(dir, "targets.json")
	os.WriteFile(path, targets, 0o600)
	s := sealtest.Start(t, func(c *config.Config) { c.RotationTargets = path })
	h.c = s.SecretsManager()
	return s, h, hs
}

// TestRotateWebhook rotates through an HTTPS webhook that fails testSecret
// at first: AWSCURRENT stays, AWSPENDING is kept, the rotation is retried
// with backoff on later sweeps, and completes when the webhook recovers. The webhook verifies every signature; a wrong secret is
// refused.
func TestRotateWebhook(t *testing.T) {
	s, h, hs := startWithHook(t)
	c := s.SecretsManager()
	const old = `{"username":"app","password":"first-pass"}`
	created := create(t, c, "hook/db", old)
	h.failTest = true
	out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("hook/db"), RotationLambdaARN: aws.String(hookARN),
		RotationRules: &types.RotationRulesType{ScheduleExpression: aws.String("rate(10 days)")}}))
	token := *out.VersionId
	s.WaitRotations()
	if n := countEvents(rotationEvents(t, s, "hook/db"), "RotationFailed"); n != 1 {
		t.Fatalf("the first attempt did not fail (%d RotationFailed); steps = %v", n, h.steps)
	}
	if cur, v := staged(t, c, "hook/db", "AWSCURRENT"); cur != old || v != *created.VersionId {
		t.Fatalf("AWSCURRENT moved after a failed testSecret")
	}
	if _, v := staged(t, c, "hook/db", "AWSPENDING"); v != token {
		t.Fatalf("AWSPENDING = %q, want the rotation's version %s kept", v, token)
	}
	_, err := c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("hook/db")})
	wantMessage(t, "RotateSecret during a failed rotation", err, "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted.")

	// Not before the backoff: a sweep now runs nothing.
	tests := h.stepCount("testSecret")
	sweepAfter(s, s.Config.SweepInterval)
	if h.stepCount("testSecret") != tests {
		t.Fatalf("retried before the backoff elapsed")
	}
	// After the backoff, still failing: a second failed attempt.
	sweepAfter(s, 2*time.Hour)
	if n := countEvents(rotationEvents(t, s, "hook/db"), "RotationFailed"); n != 2 {
		t.Fatalf("no second attempt after the backoff (%d RotationFailed)", n)
	}
	// The webhook recovers; the next attempt completes the same rotation.
	h.mu.Lock()
	h.failTest = false
	h.mu.Unlock()
	sweepAfter(s, 2*time.Hour)
	if _, v := staged(t, c, "hook/db", "AWSCURRENT"); v != token {
		t.Fatalf("the rotation did not complete after the webhook recovered; steps = %v", h.steps)
	}
	if prev, _ := staged(t, c, "hook/db", "AWSPREVIOUS"); prev != old {
		t.Fatalf("AWSPREVIOUS is not the old value")
	}
	cur, _ := staged(t, c, "hook/db", "AWSCURRENT")
	if !strings.Contains(cur, h.password) {
		t.Fatalf("AWSCURRENT does not hold the webhook's new password")
	}
	if h.stepCount("createSecret") != 3 || h.stepCount("finishSecret") != 1 || h.badSig != 0 {
		t.Fatalf("steps = %v, bad signatures = %d", h.steps, h.badSig)
	}
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("hook/db")}))
	if d.LastRotatedDate == nil || !d.NextRotationDate.Equal(s.Clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 10)) {
		t.Fatalf("DescribeSecret = LastRotatedDate %v NextRotationDate %v", d.LastRotatedDate, d.NextRotationDate)
	}

	// Audit: each step with its outcome; the failed testSecret says why.
	events := rotationEvents(t, s, "hook/db")
	var failedTests, okFinish int
	for _, e := range events {
		add := e["additionalEventData"].(map[string]any)
		if e["eventName"] == "RotationStep" && add["step"] == "testSecret" && add["outcome"] == "Failed" && strings.Contains(e["errorMessage"].(string), "HTTP 500") {
			failedTests++
		}
		if e["eventName"] == "RotationStep" && add["step"] == "finishSecret" && add["outcome"] == "Succeeded" && add["versionId"] == token {
			okFinish++
		}
	}
	if failedTests != 2 || okFinish != 1 || countEvents(events, "RotationSucceeded") != 1 {
		t.Fatalf("audit: %d failed testSecret steps, %d finishSecret, want 2 and 1", failedTests, okFinish)
	}
	raw, _ := json.Marshal(sealtest.AuditEvents(t, s.Dir))
	if strings.Contains(string(raw), h.password) || strings.Contains(string(raw), "first-pass") {
		t.Fatalf("a secret value reached the audit trail")
	}

	// A request signed with another secret is refused by the webhook.
	body := []byte(`{"Step":"finishSecret","SecretId":"x","ClientRequestToken":"y","RotationToken":"y"}`)
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/rotate", strings.NewReader(string(body)))
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte("not-the-shared-secret-at-all!!"), time.Now(), body))
	resp, err := hs.Client().Do(req)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("webhook with a wrong signature: %v %v, want 401", resp, err)
	}
	resp.Body.Close()
	if h.badSig != 1 {
		t.Fatalf("bad signatures = %d, want 1", h.badSig)
	}
}

// TestValidationSchema: a secret tagged sealbox:validation-schema refuses a
// malformed value as AWSCURRENT, by PutSecretValue, by
// UpdateSecretVersionStage and by rotation alike, without echoing it.
func TestValidationSchema(t *testing.T) {
	s, h, _ := startWithHook(t)
	c := s.SecretsManager()
	const schema = `{"type":"object","required":["username","password"],"properties":{"password":{"type":"string","minLength":12}}}`
	_, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("v/db"), SecretString: aws.String(`{"username":"app","password":"short"}`),
		Tags: []types.Tag{{Key: aws.String("sealbox:validation-schema"), Value: aws.String(schema)}}})
	wantMessage(t, "CreateSecret malformed", err, "InvalidRequestException", `$.password is shorter than minLength 12`)
	const good = `{"username":"app","password":"a-long-enough-pass"}`
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("v/db"), SecretString: aws.String(good),
		Tags: []types.Tag{{Key: aws.String("sealbox:validation-schema"), Value: aws.String(schema)}}}))

	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("v/db"), SecretString: aws.String(`{"username":"app","password":"tiny-secret"}`)})
	msg := wantAPIError(t, "PutSecretValue malformed", err, "InvalidRequestException")
	if !strings.Contains(msg, "minLength 12") || strings.Contains(msg, "tiny-secret") {
		t.Fatalf("PutSecretValue message = %q: want the rule named and the value not echoed", msg)
	}
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("v/db"), SecretString: aws.String(`{"password":"another-long-pass"}`)})
	wantMessage(t, "PutSecretValue missing username", err, "InvalidRequestException", `lacks the required property "username"`)
	_, err = c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("v/db"), SecretString: aws.String(`not json`)})
	wantMessage(t, "PutSecretValue not JSON", err, "InvalidRequestException", "SecretString is not a JSON document")

	// Staged as AWSPENDING it is stored, but can't become AWSCURRENT.
	p := must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue AWSPENDING")(c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("v/db"), SecretString: aws.String(`{"username":"app"}`), VersionStages: []string{"AWSPENDING"}}))
	_, cur := staged(t, c, "v/db", "AWSCURRENT")
	_, err = c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{SecretId: aws.String("v/db"), VersionStage: aws.String("AWSCURRENT"),
		MoveToVersionId: p.VersionId, RemoveFromVersionId: aws.String(cur)})
	wantMessage(t, "UpdateSecretVersionStage malformed", err, "InvalidRequestException", `lacks the required property "password"`)
	must[*secretsmanager.UpdateSecretVersionStageOutput](t, "remove AWSPENDING")(c.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId: aws.String("v/db"), VersionStage: aws.String("AWSPENDING"), RemoveFromVersionId: p.VersionId}))

	// A webhook rotation that puts a malformed value fails at createSecret.
	h.mu.Lock()
	h.malformed = true
	h.mu.Unlock()
	out := must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("v/db"), RotationLambdaARN: aws.String(hookARN)}))
	s.WaitRotations()
	if countEvents(rotationEvents(t, s, "v/db"), "RotationFailed") != 1 {
		t.Fatalf("the malformed rotation did not fail")
	}
	if v, _ := staged(t, c, "v/db", "AWSCURRENT"); v != good {
		t.Fatalf("a malformed rotation changed AWSCURRENT")
	}
	var why string
	for _, e := range rotationEvents(t, s, "v/db") {
		if add := e["additionalEventData"].(map[string]any); add["step"] == "createSecret" && add["outcome"] == "Failed" {
			why, _ = e["errorMessage"].(string)
		}
	}
	if !strings.Contains(why, `lacks the required property "password"`) || h.stepCount("testSecret") != 0 {
		t.Fatalf("createSecret failure = %q, testSecret calls = %d", why, h.stepCount("testSecret"))
	}
	if _, v := staged(t, c, "v/db", "AWSPENDING"); v != *out.VersionId {
		t.Fatalf("the malformed pending version is not kept for inspection")
	}

	// A built-in rotation whose new password breaks the schema fails too.
	const tight = `{"type":"object","properties":{"password":{"type":"string","maxLength":8}}}`
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret tight")(c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("v/tight"), SecretString: aws.String(`{"password":"short"}`),
		Tags: []types.Tag{{Key: aws.String("sealbox:validation-schema"), Value: aws.String(tight)}}}))
	must[*secretsmanager.RotateSecretOutput](t, "RotateSecret tight")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("v/tight"), RotationLambdaARN: aws.String(builtIn)}))
	s.WaitRotations()
	if countEvents(rotationEvents(t, s, "v/tight"), "RotationFailed") != 1 {
		t.Fatalf("the built-in rotation that breaks the schema did not fail")
	}
	if v, _ := staged(t, c, "v/tight", "AWSCURRENT"); v != `{"password":"short"}` {
		t.Fatalf("a malformed built-in rotation changed AWSCURRENT")
	}

	// A schema the subset does not serve is refused when tagged.
	_, err = c.TagResource(ctx, &secretsmanager.TagResourceInput{SecretId: aws.String("v/db"),
		Tags: []types.Tag{{Key: aws.String("sealbox:validation-schema"), Value: aws.String(`{"type":"object","format":"email"}`)}}})
	wantMessage(t, "TagResource unsupported schema", err, "InvalidParameterException", `keyword "format" is not supported`)
}

// TestRotationResumesAfterRestore: a scheduled rotation that falls due
// while its secret is scheduled for deletion waits; RestoreSecret brings
// the secret back and, once the clock passes the deletion's date, the
// rotation runs. (The scheduler used to move the rotation's index entry
// without saving the due time in the secret's record, and then dropped the
// entry as stale: the restored secret never rotated again.)
func TestRotationResumesAfterRestore(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	create(t, c, "restored/db", `{"username":"app","password":"first-pass"}`)
	must[*secretsmanager.RotateSecretOutput](t, "RotateSecret")(c.RotateSecret(ctx, &secretsmanager.RotateSecretInput{
		SecretId: aws.String("restored/db"), RotationLambdaARN: aws.String(builtIn),
		RotationRules: &types.RotationRulesType{AutomaticallyAfterDays: aws.Int64(30)}}))
	s.WaitRotations()
	first, _ := staged(t, c, "restored/db", "AWSCURRENT")
	if countEvents(rotationEvents(t, s, "restored/db"), "RotationSucceeded") != 1 {
		t.Fatalf("the first rotation did not succeed")
	}

	// Day 25: deleted with a 7-day window (until day 32). Day 31: the
	// rotation is due but the secret is scheduled for deletion.
	sweepAfter(s, 25*24*time.Hour)
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(c.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
		SecretId: aws.String("restored/db"), RecoveryWindowInDays: aws.Int64(7)}))
	sweepAfter(s, 6*24*time.Hour)
	if n := countEvents(rotationEvents(t, s, "restored/db"), "RotationStarted"); n != 1 {
		t.Fatalf("a secret scheduled for deletion rotated: %d RotationStarted", n)
	}

	// Restored on day 31; past day 32 the rotation runs.
	must[*secretsmanager.RestoreSecretOutput](t, "RestoreSecret")(c.RestoreSecret(ctx, &secretsmanager.RestoreSecretInput{SecretId: aws.String("restored/db")}))
	sweepAfter(s, 2*24*time.Hour)
	if v, _ := staged(t, c, "restored/db", "AWSCURRENT"); v == first || countEvents(rotationEvents(t, s, "restored/db"), "RotationSucceeded") != 2 {
		t.Fatalf("the restored secret's rotation did not resume")
	}
	d := must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret")(c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("restored/db")}))
	if !aws.ToBool(d.RotationEnabled) || d.NextRotationDate == nil || !d.NextRotationDate.After(s.Clock.Now()) {
		t.Fatalf("DescribeSecret after the resumed rotation = enabled %v, next %v", aws.ToBool(d.RotationEnabled), d.NextRotationDate)
	}
}
