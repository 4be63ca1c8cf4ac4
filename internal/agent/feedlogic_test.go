//go:build !fuzzbinary

package agent_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// startWithFakeFeed starts an agent whose change feed the test drives:
// its first answer is a reset, as a real feed's is.
func startWithFakeFeed(t *testing.T, srv *sealtest.Server, change ...func(*setup)) (*harness, *fakeFeed) {
	t.Helper()
	f := &fakeFeed{batches: make(chan batch)}
	h := startAgent(t, srv, append([]func(*setup){func(s *setup) { s.opts.Feed = f; s.noStart = true }}, change...)...)
	go func() { f.batches <- batch{reset: true} }()
	h.a.Start(h.ctx)
	return h, f
}

// push hands the agent a batch and waits until it has applied it.
func (h *harness) push(t *testing.T, f *fakeFeed, b batch) {
	t.Helper()
	changes := h.metric(t, "sealbox_agent_feed_changes_total")
	resets := h.metric(t, "sealbox_agent_feed_resets_total")
	errs := h.metric(t, "sealbox_agent_feed_errors_total")
	f.batches <- b
	if !sealtest.Eventually(t, 5*time.Second, func() bool {
		return h.metric(t, "sealbox_agent_feed_changes_total") == changes+float64(len(b.changes)) &&
			h.metric(t, "sealbox_agent_feed_resets_total") == resets+map[bool]float64{true: 1}[b.reset] &&
			h.metric(t, "sealbox_agent_feed_errors_total") == errs+map[bool]float64{true: 1}[b.err != nil]
	}) {
		t.Fatalf("the agent did not apply %+v", b)
	}
}

// TestFeedEvictsByIdentity: a secret's change evicts every entry of it
// (each version and label, by name or ARN, through /v1/ and through the
// Parameter Store reference); a parameter's, every version and label of
// it; a reset, everything.
func TestFeedEvictsByIdentity(t *testing.T) {
	srv := sealtest.Start(t)
	f := makeFixture(t, srv)
	newSecret(t, srv, "other", "o")
	h, feed := startWithFakeFeed(t, srv)
	q := url.QueryEscape
	secretPaths := []string{
		"/secretsmanager/get?secretId=prod/db",
		"/secretsmanager/get?secretId=prod/db&versionStage=AWSPREVIOUS",
		"/secretsmanager/get?secretId=" + q(f.secretARN),
		"/secretsmanager/get?secretId=prod/db&versionId=" + f.firstVersion,
		"/systemsmanager/parameters/get?withDecryption=true&name=" + q("/aws/reference/secretsmanager/prod/db"),
		"/systemsmanager/parameters/get?withDecryption=true&label=AWSPREVIOUS&name=" + q("/aws/reference/secretsmanager/prod/db"),
	}
	paramPaths := []string{
		"/systemsmanager/parameters/get?name=" + q("/app/url"),
		"/systemsmanager/parameters/get?name=" + q("/app/url") + "&version=1",
		"/systemsmanager/parameters/get?name=" + q("/app/url") + "&label=blue",
		"/systemsmanager/parameters/get?name=" + q(f.paramARN),
	}
	otherPaths := []string{"/v1/other", "/systemsmanager/parameters/get?name=flat"}
	all := append(append(append([]string{}, secretPaths...), paramPaths...), otherPaths...)
	for _, p := range all {
		if code, body := h.get(t, p); code != 200 {
			t.Fatalf("GET %s = %d %s", p, code, body)
		}
	}
	entries := func() float64 { return h.metric(t, "sealbox_agent_cache_entries") }
	// /v1/other and /secretsmanager/get?secretId=other share one entry.
	if n := entries(); n != float64(len(all)) {
		t.Fatalf("entries = %v, want %d", n, len(all))
	}
	cached := func(p string) bool {
		before := h.upstream.count("secretsmanager.GetSecretValue") + h.upstream.count("AmazonSSM.GetParameter")
		h.get(t, p)
		return h.upstream.count("secretsmanager.GetSecretValue")+h.upstream.count("AmazonSSM.GetParameter") == before
	}

	h.push(t, feed, batch{changes: []agent.Change{{Service: "secretsmanager", Region: "us-east-1", Name: "prod/db", ARN: f.secretARN, Time: time.Now()}}})
	if n := entries(); n != float64(len(paramPaths)+len(otherPaths)) {
		t.Fatalf("after the secret's change: entries = %v, want %d", n, len(paramPaths)+len(otherPaths))
	}
	for _, p := range paramPaths {
		if !cached(p) {
			t.Fatalf("GET %s went upstream after a change to another item", p)
		}
	}
	for _, p := range secretPaths {
		if cached(p) {
			t.Fatalf("GET %s was served from the cache after its secret changed", p)
		}
	}

	// A deleted parameter without its leading slash, as the feed may name it.
	h.push(t, feed, batch{changes: []agent.Change{{Service: "ssm", Name: "app/url", Deleted: true, Time: time.Now()}}})
	for _, p := range paramPaths {
		if cached(p) {
			t.Fatalf("GET %s was served from the cache after its parameter changed", p)
		}
	}
	// A secret named only by its ARN's pattern (a secret that is gone).
	h.push(t, feed, batch{changes: []agent.Change{{Service: "secretsmanager", ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:other-??????", Deleted: true}}})
	if cached("/secretsmanager/get?secretId=other") {
		t.Fatalf("the secret named by its ARN pattern was not evicted")
	}
	if !cached("/systemsmanager/parameters/get?name=flat") {
		t.Fatalf("flat went upstream")
	}

	h.push(t, feed, batch{reset: true})
	if n := entries(); n != 0 {
		t.Fatalf("after a reset entries = %v, want 0", n)
	}
	if n := h.metric(t, `sealbox_agent_cache_evictions_total{reason="reset"}`); n == 0 {
		t.Fatalf("reset evictions = 0")
	}
	if n := h.metric(t, "sealbox_agent_feed_lag_seconds_count"); n != 2 {
		t.Fatalf("lag observations = %v, want 2 (the changes with a time)", n)
	}
}

// TestFeedChangeDuringFetch: an answer fetched while a change to its item
// arrives is given to the requests waiting for it but not cached, since
// it may be from before the change; and a request after the change does
// not join that fetch.
func TestFeedChangeDuringFetch(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "racy", "old")
	h, feed := startWithFakeFeed(t, srv)
	gate := h.upstream.hold()
	p := "/secretsmanager/get?secretId=racy"
	done := make(chan string)
	go func() { _, body := h.get(t, p); done <- body }()
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return h.upstream.held.Load() == 1 }) {
		t.Fatal("the fetch did not start")
	}
	h.push(t, feed, batch{changes: []agent.Change{{Service: "secretsmanager", Name: "racy"}}})
	// A request after the change starts its own fetch.
	go func() { _, body := h.get(t, p); done <- body }()
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return h.upstream.held.Load() == 2 }) {
		t.Fatal("the request after the change joined the fetch from before it")
	}
	h.upstream.release(gate)
	for range 2 {
		if v := secretString(t, <-done); v != "old" {
			t.Fatalf("answer %q", v)
		}
	}
	// The first fetch was not cached; the second was.
	calls := h.upstream.count("secretsmanager.GetSecretValue")
	within(t, h, time.Now(), 0, p, "old", secretString)
	if n := h.upstream.count("secretsmanager.GetSecretValue") - calls; n != 0 {
		t.Fatalf("the fetch begun after the change was not cached (%d upstream calls)", n)
	}
}

// TestFeedReconnects: a failing feed is retried with backoff, said once at
// warning level, and the agent keeps serving meanwhile.
func TestFeedReconnects(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "s", "v")
	h, feed := startWithFakeFeed(t, srv)
	h.push(t, feed, batch{err: errFeedDown})
	if n := h.metric(t, `sealbox_agent_feed_state{state="retrying"}`); n != 1 {
		t.Fatalf("state retrying = %v", n)
	}
	within(t, h, time.Now(), 0, "/secretsmanager/get?secretId=s", "v", secretString)
	h.push(t, feed, batch{err: errFeedDown})
	h.push(t, feed, batch{})
	if n := h.metric(t, `sealbox_agent_feed_state{state="connected"}`); n != 1 {
		t.Fatalf("state connected = %v", n)
	}
	logs := h.logs.String()
	if n := strings.Count(logs, "level=WARN msg=\"change feed failed"); n != 1 {
		t.Fatalf("%d warnings for two failures in a row, want 1:\n%s", n, logs)
	}
	if !strings.Contains(logs, "change feed reconnected") {
		t.Fatalf("no word of the reconnection:\n%s", logs)
	}
}

// TestValuesNeverLogged runs reads of every kind at debug level, errors
// included, and finds no value in the log.
func TestValuesNeverLogged(t *testing.T) {
	srv := sealtest.Start(t)
	makeFixture(t, srv)
	must[*ssm.PutParameterOutput](t, "PutParameter")(srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/log/p"), Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("param-value-never-logged")}))
	h := startAgent(t, srv, func(s *setup) {
		s.cfg.Prefetch = []agent.PrefetchItem{{Kind: "secret", Value: "prod/db"}, {Kind: "param-path", Value: "/log/"}}
	})
	for _, p := range []string{
		"/secretsmanager/get?secretId=prod/db", "/secretsmanager/get?secretId=prod/db&refreshNow=true", "/v1/prod/db?versionStage=AWSPREVIOUS",
		"/systemsmanager/parameters/get?withDecryption=true&name=%2Flog%2Fp", "/systemsmanager/parameters/get?withDecryption=true&name=%2Fapp%2Fpass",
		"/systemsmanager/parameters/get?name=%2Faws%2Freference%2Fsecretsmanager%2Fprod%2Fdb", "/secretsmanager/get?secretId=nope",
	} {
		h.get(t, p)
	}
	h.do(t, "GET", "/v1/prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": "a-wrong-token-guess"})
	putSecret(t, srv, "prod/db", `{"password":"changed-value-never-logged"}`)
	within(t, h, time.Now(), pushed, "/secretsmanager/get?secretId=prod/db", `{"password":"changed-value-never-logged"}`, secretString)
	logs := h.logs.String()
	if !strings.Contains(logs, "level=DEBUG") {
		t.Fatalf("no debug log: %s", logs)
	}
	for _, v := range []string{"first-pass-9f2", "second-pass-4c1", "param-value-never-logged", secure, "changed-value-never-logged", token, "a-wrong-token-guess"} {
		if strings.Contains(logs, v) {
			t.Errorf("the log holds %q:\n%s", v, logs)
		}
	}
}

// TestFeedDownAtStart: with the feed down at start the agent prefetches
// and serves on TTLs; when the feed comes up, its reset drops the cache
// and the prefetch list is loaded again, so prefetched items stay hits.
func TestFeedDownAtStart(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "pre", "v")
	f := &fakeFeed{batches: make(chan batch)}
	h := startAgent(t, srv, func(s *setup) {
		s.opts.Feed, s.noStart = f, true
		s.cfg.Prefetch = []agent.PrefetchItem{{Kind: "secret", Value: "pre"}}
	})
	go func() { f.batches <- batch{err: errFeedDown} }()
	h.a.Start(h.ctx)
	if n := h.metric(t, `sealbox_agent_feed_state{state="retrying"}`); n != 1 {
		t.Fatalf("state retrying = %v", n)
	}
	if n := h.upstream.count("secretsmanager.GetSecretValue"); n != 1 {
		t.Fatalf("prefetch calls = %d, want 1", n)
	}
	h.push(t, f, batch{reset: true})
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return h.upstream.count("secretsmanager.GetSecretValue") == 2 }) {
		t.Fatal("the prefetch list was not loaded again after the reset")
	}
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return h.metric(t, "sealbox_agent_cache_entries") == 1 }) {
		t.Fatal("the reloaded item is not cached")
	}
	within(t, h, time.Now(), 0, "/secretsmanager/get?secretId=pre", "v", secretString)
	if n := h.upstream.count("secretsmanager.GetSecretValue"); n != 2 {
		t.Fatalf("upstream calls = %d, want 2 (the read was a hit)", n)
	}
}
