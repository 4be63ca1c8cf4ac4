package cli_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/webhook"
)

const e2eHookARN = "arn:aws:lambda:us-east-1:123456789012:function:e2e-rotator"

// TestClusterEndToEnd is issue 17's end-to-end test: one PostgreSQL and
// three `sealbox server` processes on loopback ports, driven with
// aws-sdk-go-v2.
//
//  1. Round robin: a parameter written on one server is what the two others
//     answer next (within the propagation window: a read is retried for up
//     to a second; the test logs how often the first read was stale).
//  2. An agent in front of server A serves a secret while it is rotated
//     through server B by an HTTPS webhook rotator. The rotation runs on the
//     leader, L; the webhook holds its setSecret step, and L is killed with
//     SIGKILL right then (so its lease on the rotation is not released: the
//     next leader takes it over when the lease ends, up to 30 s later). A
//     parameter whose Expiration falls after the kill is deleted by the
//     next leader's sweeper. The rotation completes once, never with two
//     AWSPENDING versions, and the agent serves the new AWSCURRENT (pushed
//     by the change feed: its TTL is an hour).
//  3. PostgreSQL is stopped and started again under a load of writes that
//     retry on the other server: every acknowledged write is read back
//     through a server started afterwards.
func TestClusterEndToEnd(t *testing.T) {
	t.Parallel() // mostly waits (PostgreSQL, three servers starting, leases ending): beside the CPU-bound smoke tests
	began := time.Now()
	pg := pgtest.Start(t, pgtest.Options{MaxConnections: 150, Durable: true})
	url := pg.CreateDatabase("sealbox", "e2e-db-pass-7c2a")
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "root.key")
	const metricsToken = "e2e-test-metrics-token-0123456789"
	tokenFile := filepath.Join(dir, "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := &e2eRotator{t: t, secret: []byte("e2e-shared-hmac-secret-of-32-byt"), entered: make(chan struct{}), release: make(chan struct{})}
	hs := httptest.NewTLSServer(hook)
	t.Cleanup(hs.Close)
	targets := writeTargets(t, dir, hs, hook.secret)
	start := func() *sealboxProc {
		return startSealbox(t, "--store", url, "--root-key-file", keyFile, "--metrics-token-file", tokenFile,
			"--rotation-targets", targets, "--sweep-interval", "100ms")
	}
	procs := []*sealboxProc{start(), start(), start()}
	creds := readCredentials(t, procs[0].credFile)
	ctx := context.Background()
	t.Logf("PostgreSQL and three servers started in %v", time.Since(began).Round(time.Millisecond))

	// 1. Round robin: write on i, read on i+1 and i+2.
	ssms := make([]*ssm.Client, len(procs))
	for i, p := range procs {
		ssms[i] = ssmClient(p.endpoint, creds)
	}
	stale, reads := 0, 0
	for i := range 30 {
		value := fmt.Sprintf("round-%d", i)
		if _, err := ssms[i%3].PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/e2e/rr"), Value: aws.String(value),
			Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(i > 0)}); err != nil {
			t.Fatalf("PutParameter on server %d: %v", i%3, err)
		}
		for _, r := range []int{(i + 1) % 3, (i + 2) % 3} {
			reads++
			if !readsSoon(t, func() bool {
				out, err := ssms[r].GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/e2e/rr")})
				return err == nil && aws.ToString(out.Parameter.Value) == value
			}) {
				stale++
			}
		}
	}
	t.Logf("round robin: %d of %d first reads on another server were stale (each saw the write within a second)", stale, reads)

	// 2. The leader L; the agent's server A and the rotation's server B are
	// the two others.
	li := leaderOf(t, procs, metricsToken, -1)
	ai, bi := (li+1)%3, (li+2)%3
	t.Logf("server %d leads; the agent is in front of server %d, the rotation is asked of server %d", li, ai, bi)
	smB := smClient(procs[bi].endpoint, creds)
	hook.c = smB
	const first = `{"username":"app","password":"first-pass-e2e-0000"}`
	created, err := smB.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String(first)})
	if err != nil {
		t.Fatalf("CreateSecret: %v", err)
	}
	ag := startE2EAgent(t, procs[ai].endpoint, creds)
	if got := ag.secret(t, "app/db"); got != first {
		t.Fatalf("the agent serves %q before the rotation", got)
	}

	// Watch AWSPENDING through A for the whole rotation.
	var pendingMax atomic.Int32
	watchDone, stopWatch := make(chan struct{}), make(chan struct{})
	smA := smClient(procs[ai].endpoint, creds)
	go func() {
		defer close(watchDone)
		for {
			select {
			case <-stopWatch:
				return
			default:
			}
			d, err := smA.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")})
			if err == nil {
				n := 0
				for _, stages := range d.VersionIdsToStages {
					if slices.Contains(stages, "AWSPENDING") {
						n++
					}
				}
				if int32(n) > pendingMax.Load() {
					pendingMax.Store(int32(n))
				}
			}
			time.Sleep(20 * time.Millisecond) // sampling another process's state: nothing to wait on
		}
	}()

	rotated, err := smB.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("app/db"), RotationLambdaARN: aws.String(e2eHookARN)})
	if err != nil {
		t.Fatalf("RotateSecret on server %d: %v", bi, err)
	}
	select {
	case <-hook.entered:
	case <-time.After(15 * time.Second):
		t.Fatalf("the leader did not reach setSecret within 15 s (steps %v)", hook.stepList())
	}
	// Expires after the kill: only the next leader's sweeper can delete it.
	expires := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339Nano)
	if _, err := ssms[bi].PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/e2e/expiring"), Value: aws.String("short-lived"),
		Type: ssmtypes.ParameterTypeString, Tier: ssmtypes.ParameterTierAdvanced,
		Policies: aws.String(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"` + expires + `"}}]`)}); err != nil {
		t.Fatalf("PutParameter with an Expiration: %v", err)
	}
	if err := procs[li].cmd.Process.Kill(); err != nil { // SIGKILL, mid-setSecret
		t.Fatal(err)
	}
	<-procs[li].done
	procs[li].stopped = true
	killedAt := time.Now()
	close(hook.release)
	next := leaderOf(t, procs, metricsToken, li)
	t.Logf("server %d leads %v after server %d, the leader, was killed in setSecret", next, time.Since(killedAt).Round(time.Millisecond), li)

	// The sweeper carries on: the parameter is gone once expired.
	var expiredAfter time.Duration
	if !eventuallyWall(20*time.Second, func() bool {
		_, err := ssms[bi].GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/e2e/expiring")})
		var nf *ssmtypes.ParameterNotFound
		if errorsAs(err, &nf) {
			expiredAfter = time.Since(killedAt)
			return true
		}
		return false
	}) {
		t.Errorf("the parameter with an Expiration 3 s after the kill is still there 20 s later")
	} else {
		t.Logf("the next leader's sweeper deleted the expired parameter %v after the kill", expiredAfter.Round(time.Millisecond))
	}

	// The rotation completes on the next leader (after the dead one's lease
	// ends): AWSCURRENT is the rotation's version, no AWSPENDING is left.
	var newValue string
	if !eventuallyWall(45*time.Second, func() bool {
		out, err := smB.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
		if err == nil && aws.ToString(out.VersionId) == aws.ToString(rotated.VersionId) {
			newValue = aws.ToString(out.SecretString)
			return true
		}
		return false
	}) {
		t.Fatalf("the rotation did not complete within 45 s of the kill (steps %v)", hook.stepList())
	}
	t.Logf("the rotation completed %v after the leader was killed; webhook steps %v", time.Since(killedAt).Round(time.Millisecond), hook.stepList())
	close(stopWatch)
	<-watchDone
	if n := pendingMax.Load(); n > 1 {
		t.Errorf("%d versions held AWSPENDING at once during the rotation", n)
	}
	d, err := smB.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/db")})
	if err != nil {
		t.Fatal(err)
	}
	for v, stages := range d.VersionIdsToStages {
		switch {
		case slices.Contains(stages, "AWSPENDING") && !slices.Contains(stages, "AWSCURRENT"):
			// As in AWS, AWSPENDING may stay on the version made current
			// (the rotator's finishSecret moves AWSCURRENT only); on any
			// other version it would be a rotation left in progress.
			t.Errorf("version %s, not AWSCURRENT, holds AWSPENDING after the rotation", v)
		case slices.Contains(stages, "AWSPREVIOUS") && v != aws.ToString(created.VersionId):
			t.Errorf("AWSPREVIOUS is on %s, want the first version %s", v, aws.ToString(created.VersionId))
		}
	}
	if c := hook.count("createSecret"); c != 1 {
		t.Errorf("createSecret ran %d times; want once (the next leader resumes after it)", c)
	}
	if c := hook.count("finishSecret"); c != 1 {
		t.Errorf("finishSecret ran %d times, want once", c)
	}
	if strings.Contains(newValue, "first-pass-e2e-0000") || !strings.Contains(newValue, hook.lastPassword()) {
		t.Fatalf("the rotated value is not the rotator's new password")
	}
	pushed := time.Now()
	if !eventuallyWall(5*time.Second, func() bool { return ag.secret(t, "app/db") == newValue }) {
		t.Fatalf("the agent in front of server %d does not serve the new AWSCURRENT 5 s after the rotation (its TTL is an hour)", ai)
	}
	t.Logf("the agent served the new AWSCURRENT %v after the rotation was seen complete", time.Since(pushed).Round(time.Millisecond))

	// 3. PostgreSQL restarted under load on the two survivors.
	var live []*ssm.Client
	for i := range procs {
		if i != li {
			live = append(live, ssms[i])
		}
	}
	l := startRetryingLoad(live, 4)
	l.waitAcked(t, 100)
	pg.Stop()
	stoppedAt := time.Now()
	l.waitFailed(t, 10)
	pg.Start()
	backAt := time.Now()
	l.waitAckedAfter(t, backAt, 100)
	acked := l.finish(t)
	t.Logf("PostgreSQL down %v; writes acknowledged again %v after it was back; %d acknowledged, %d failed tries (%v)",
		backAt.Sub(stoppedAt).Round(time.Millisecond), l.firstAfter(backAt).Round(time.Millisecond), len(acked), l.errs.Load(), l.failures())

	fresh := ssmClient(start().endpoint, creds)
	lost := 0
	for name, value := range acked {
		p, err := fresh.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil || aws.ToString(p.Parameter.Value) != value {
			if lost++; lost <= 5 {
				t.Errorf("the acknowledged write of %s: GetParameter = %v", name, err)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	for i, p := range procs {
		out := p.stdout.String() + p.stderr.String()
		for _, secret := range []string{"e2e-db-pass-7c2a", "first-pass-e2e-0000", hook.lastPassword()} {
			if strings.Contains(out, secret) {
				t.Errorf("server %d printed a secret", i)
			}
		}
	}
	t.Logf("end to end in %v", time.Since(began).Round(time.Millisecond))
}

// readsSoon reports whether read held at once; if not it retries for up to
// a second (another process: nothing to wait on but its answer) and fails
// the test if it never held.
func readsSoon(t *testing.T, read func() bool) (first bool) {
	t.Helper()
	if read() {
		return true
	}
	if !eventuallyWall(time.Second, read) {
		t.Fatalf("another server still answers the old value a second after the write was answered")
	}
	return false
}

// eventuallyWall polls cond every few milliseconds until it holds or
// timeout passes: for what other processes do.
func eventuallyWall(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}

// writeTargets writes a --rotation-targets file registering hs for
// e2eHookARN, with absolute paths (each server has its own data folder).
func writeTargets(t *testing.T, dir string, hs *httptest.Server, secret []byte) string {
	t.Helper()
	ca := filepath.Join(dir, "hook-ca.pem")
	key := filepath.Join(dir, "hook-hmac.key")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hs.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(webhook.File{Targets: map[string]webhook.TargetConfig{
		e2eHookARN: {URL: hs.URL + "/rotate", SecretFile: key, CAFile: ca, Timeout: "20s"}}})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "targets.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func smClient(endpoint string, creds aws.Credentials) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	})
}

// e2eRotator is a rotation function served as an HTTPS webhook, calling
// sealbox back with the SDK as a Lambda rotation function does. The first
// setSecret it receives closes entered and holds until release is closed
// or its caller goes away (the leader killed under it); later ones pass.
type e2eRotator struct {
	t       *testing.T
	secret  []byte
	c       *secretsmanager.Client
	entered chan struct{}
	release chan struct{}

	mu       sync.Mutex
	steps    []string
	held     bool
	password string
}

func (h *e2eRotator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify(h.secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), 0); err != nil {
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
	hold := ev.Step == "setSecret" && !h.held
	if hold {
		h.held = true
	}
	h.mu.Unlock()
	ctx := context.Background()
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
		if err = json.Unmarshal([]byte(aws.ToString(cur.SecretString)), &doc); err != nil {
			break
		}
		var pw *secretsmanager.GetRandomPasswordOutput
		if pw, err = h.c.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{ExcludePunctuation: aws.Bool(true)}); err != nil {
			break
		}
		doc["password"] = aws.ToString(pw.RandomPassword)
		h.mu.Lock()
		h.password = doc["password"]
		h.mu.Unlock()
		v, _ := json.Marshal(doc)
		_, err = h.c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: id, ClientRequestToken: aws.String(ev.ClientRequestToken),
			SecretString: aws.String(string(v)), VersionStages: []string{"AWSPENDING"}})
	case "setSecret":
		if hold {
			close(h.entered)
			select {
			case <-h.release:
			case <-r.Context().Done():
			}
			http.Error(w, "held until the leader died", http.StatusServiceUnavailable)
			return
		}
	case "testSecret":
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

func (h *e2eRotator) count(step string) int {
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

func (h *e2eRotator) stepList() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.steps)
}

func (h *e2eRotator) lastPassword() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.password
}

// e2eAgent is an in-process agent (as `sealbox agent` runs) in front of
// one server, following its change feed, with TTLs of an hour: only the
// feed can make it serve a change within the test.
type e2eAgent struct{ a *agent.Agent }

const e2eAgentToken = "e2e-agent-token"

func startE2EAgent(t *testing.T, endpoint string, creds aws.Credentials) *e2eAgent {
	t.Helper()
	cfg := agent.Default()
	cfg.Port, cfg.Token = 0, e2eAgentToken
	cfg.SecretsTTL, cfg.ParametersTTL = time.Hour, time.Hour
	awsCfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
	}
	a, err := agent.New(cfg, agent.Options{AWS: awsCfg, Feed: agent.NewSealboxFeed(awsCfg, endpoint), Logger: agent.NewLogger(io.Discard, "info")})
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a.Start(ctx)
	return &e2eAgent{a: a}
}

// secret is the SecretString the agent answers for id, or the error
// answer.
func (ag *e2eAgent) secret(t *testing.T, id string) string {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://localhost:2773/secretsmanager/get?secretId="+id, nil)
	req.Header.Set("X-Aws-Parameters-Secrets-Token", e2eAgentToken)
	rec := httptest.NewRecorder()
	ag.a.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		return fmt.Sprintf("%d %s", rec.Code, rec.Body.String())
	}
	var out struct{ SecretString string }
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("the agent's answer: %v", err)
	}
	return out.SecretString
}

func errorsAs(err error, target any) bool { return err != nil && errors.As(err, target) }

// retryingLoad writes distinct parameters through clients, each write sent
// to the next client and, on failure, to the one after, until one
// acknowledges it.
type retryingLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup
	errs atomic.Int64

	mu      sync.Mutex
	acked   map[string]string
	ackedAt []time.Time
	failed  map[string]int
	wrong   []string
}

func startRetryingLoad(clients []*ssm.Client, writers int) *retryingLoad {
	l := &retryingLoad{stop: make(chan struct{}), acked: map[string]string{}, failed: map[string]int{}}
	for g := range writers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				name, value := fmt.Sprintf("/e2e/load/%d/%d", g, i), fmt.Sprintf("value-%d-%d", g, i)
				for try := 0; ; try++ {
					select {
					case <-l.stop:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					_, err := clients[(g+i+try)%len(clients)].PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
						Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
					cancel()
					l.mu.Lock()
					if err == nil {
						l.acked[name] = value
						l.ackedAt = append(l.ackedAt, time.Now())
						l.mu.Unlock()
						break
					}
					l.errs.Add(1)
					l.failed[describeErr(err)]++
					if !retryable(err) {
						l.wrong = append(l.wrong, err.Error())
					}
					l.mu.Unlock()
					time.Sleep(10 * time.Millisecond) // a client's backoff before it tries again
				}
			}
		}()
	}
	return l
}

func describeErr(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return "no answer"
}

func (l *retryingLoad) count(cond func(at time.Time) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, at := range l.ackedAt {
		if cond(at) {
			n++
		}
	}
	return n
}

func (l *retryingLoad) waitAcked(t *testing.T, n int) {
	t.Helper()
	if !eventuallyWall(60*time.Second, func() bool { return l.count(func(time.Time) bool { return true }) >= n }) {
		t.Fatalf("fewer than %d writes acknowledged in 60 s", n)
	}
}

func (l *retryingLoad) waitAckedAfter(t *testing.T, since time.Time, n int) {
	t.Helper()
	if !eventuallyWall(60*time.Second, func() bool { return l.count(since.Before) >= n }) {
		t.Fatalf("fewer than %d writes acknowledged in the 60 s after PostgreSQL was back", n)
	}
}

func (l *retryingLoad) waitFailed(t *testing.T, n int64) {
	t.Helper()
	from := l.errs.Load()
	if !eventuallyWall(30*time.Second, func() bool { return l.errs.Load() >= from+n }) {
		t.Fatalf("fewer than %d calls failed in the 30 s PostgreSQL was stopped", n)
	}
}

// firstAfter is how long after since the first write was acknowledged.
func (l *retryingLoad) firstAfter(since time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, at := range l.ackedAt {
		if at.After(since) {
			return at.Sub(since)
		}
	}
	return -1
}

func (l *retryingLoad) failures() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.failed)
}

// finish stops the load, checks every failure was a retryable 5xx (or a
// call that got no answer), and answers what was acknowledged.
func (l *retryingLoad) finish(t *testing.T) map[string]string {
	t.Helper()
	close(l.stop)
	l.wg.Wait()
	for _, w := range l.wrong {
		t.Errorf("a write failed with what is not a retryable 5xx: %s", w)
	}
	return l.acked
}
