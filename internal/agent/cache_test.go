//go:build !fuzzbinary

package agent_test

import (
	"fmt"
	"net"
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

func newSecret(t *testing.T, srv *sealtest.Server, name, value string) {
	t.Helper()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}))
}

func putSecret(t *testing.T, srv *sealtest.Server, name, value string) {
	t.Helper()
	must[*secretsmanager.PutSecretValueOutput](t, "PutSecretValue")(srv.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String(name), SecretString: aws.String(value)}))
}

func noFeed(s *setup) { s.cfg.Feed = false }

// TestTTL: without the feed a value is served from the cache for its TTL
// and then asked again; each service has its own TTL.
func TestTTL(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "ttl/s", "v1")
	must[*ssm.PutParameterOutput](t, "PutParameter")(srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/ttl/p"), Type: ssmtypes.ParameterTypeString, Value: aws.String("p1")}))
	h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.SecretsTTL, s.cfg.ParametersTTL = time.Minute, 2*time.Minute })
	sp, pp := "/secretsmanager/get?secretId=ttl/s", "/systemsmanager/parameters/get?name=/ttl/p"
	within(t, h, time.Now(), 0, sp, "v1", secretString)
	within(t, h, time.Now(), 0, pp, "p1", parameterValue)
	putSecret(t, srv, "ttl/s", "v2")
	must[*ssm.PutParameterOutput](t, "PutParameter")(srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/ttl/p"), Type: ssmtypes.ParameterTypeString, Value: aws.String("p2"), Overwrite: aws.Bool(true)}))

	h.clock.Advance(time.Minute - time.Millisecond)
	within(t, h, time.Now(), 0, sp, "v1", secretString) // within the TTL: the cached value
	h.clock.Advance(time.Millisecond)
	within(t, h, time.Now(), 0, sp, "v2", secretString) // the TTL is over
	within(t, h, time.Now(), 0, pp, "p1", parameterValue)
	h.clock.Advance(time.Minute)
	within(t, h, time.Now(), 0, pp, "p2", parameterValue)
	if hits, misses := h.metric(t, `sealbox_agent_cache_hits_total{service="secretsmanager"}`), h.metric(t, `sealbox_agent_cache_misses_total{service="secretsmanager"}`); hits != 1 || misses != 2 {
		t.Fatalf("secrets hits %v, misses %v; want 1 and 2", hits, misses)
	}
}

// TestBypass: the extension's ways to turn caching off each send every
// request upstream.
func TestBypass(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "b/s", "v")
	for _, c := range []struct {
		name string
		set  func(*agent.Config)
	}{
		{"CACHE_ENABLED=FALSE", func(c *agent.Config) { c.CacheEnabled = false }},
		{"CACHE_SIZE=0", func(c *agent.Config) { c.CacheSize = 0 }},
		{"SECRETS_MANAGER_TTL=0", func(c *agent.Config) { c.SecretsTTL = 0 }},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := startAgent(t, srv, func(s *setup) { c.set(&s.cfg) })
			for range 3 {
				if code, body := h.get(t, "/secretsmanager/get?secretId=b/s"); code != 200 || secretString(t, body) != "v" {
					t.Fatalf("GET = %d %s", code, body)
				}
			}
			if n := h.upstream.count("secretsmanager.GetSecretValue"); n != 3 {
				t.Fatalf("upstream GetSecretValue calls = %d, want 3", n)
			}
		})
	}
}

// TestLRU: past CacheSize the least recently used item goes.
func TestLRU(t *testing.T) {
	srv := sealtest.Start(t)
	for i := range 3 {
		newSecret(t, srv, fmt.Sprintf("lru/%d", i), fmt.Sprint(i))
	}
	h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.CacheSize = 2 })
	get := func(i int) { h.get(t, fmt.Sprintf("/secretsmanager/get?secretId=lru/%d", i)) }
	get(0)
	get(1)
	get(0) // 0 is now the most recent
	get(2) // 1 goes
	before := h.upstream.count("secretsmanager.GetSecretValue")
	get(0)
	get(2)
	if n := h.upstream.count("secretsmanager.GetSecretValue") - before; n != 0 {
		t.Fatalf("0 and 2 should be cached; %d upstream calls", n)
	}
	get(1)
	if n := h.upstream.count("secretsmanager.GetSecretValue") - before; n != 1 {
		t.Fatalf("1 should have been evicted; %d upstream calls", n)
	}
	if n := h.metric(t, `sealbox_agent_cache_evictions_total{reason="size"}`); n != 2 {
		t.Fatalf("size evictions = %v, want 2", n)
	}
	if n := h.metric(t, "sealbox_agent_cache_entries"); n != 2 {
		t.Fatalf("entries = %v, want 2", n)
	}
}

// TestRefreshNow skips the cache, and caches what it got.
func TestRefreshNow(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "r/s", "v1")
	h := startAgent(t, srv, noFeed)
	p := "/secretsmanager/get?secretId=r/s"
	within(t, h, time.Now(), 0, p, "v1", secretString)
	putSecret(t, srv, "r/s", "v2")
	within(t, h, time.Now(), 0, p, "v1", secretString)
	within(t, h, time.Now(), 0, p+"&refreshNow=TRUE", "v2", secretString)
	within(t, h, time.Now(), 0, p, "v2", secretString)
	within(t, h, time.Now(), 0, "/v1/r/s", "v2", secretString)
}

// TestSingleflight: a hundred concurrent misses for one item make one
// upstream call, and all hundred get its answer.
func TestSingleflight(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "burst", "cold-start")
	h := startAgent(t, srv, noFeed)
	gate := h.upstream.hold()
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, body := h.get(t, "/secretsmanager/get?secretId=burst")
			if code != 200 || secretString(t, body) != "cold-start" {
				errs <- fmt.Sprintf("%d %s", code, body)
			}
		}()
	}
	// Every request has missed and waits on the one call held upstream.
	if !sealtest.Eventually(t, 10*time.Second, func() bool {
		return h.upstream.held.Load() == 1 && h.metric(t, `sealbox_agent_cache_misses_total{service="secretsmanager"}`) == n
	}) {
		t.Fatalf("misses = %v, held upstream calls = %d; want %d and 1", h.metric(t, `sealbox_agent_cache_misses_total{service="secretsmanager"}`), h.upstream.held.Load(), n)
	}
	h.upstream.release(gate)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Errorf("a request got %s", e)
	}
	if c := h.upstream.count("secretsmanager.GetSecretValue"); c != 1 {
		t.Fatalf("%d concurrent misses made %d upstream calls, want 1", n, c)
	}
	if c := h.metric(t, `sealbox_agent_upstream_requests_total{service="secretsmanager",outcome="ok"}`); c != 1 {
		t.Fatalf("the metrics count %v upstream calls, want 1", c)
	}
}

// TestStaleOnError: while the upstream is down, a value past its TTL is
// served up to MaxStale longer, after the retries; then the agent says
// what went wrong (502).
func TestStaleOnError(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "st/s", "kept")
	h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.SecretsTTL, s.cfg.MaxStale = time.Minute, time.Hour })
	p := "/secretsmanager/get?secretId=st/s"
	within(t, h, time.Now(), 0, p, "kept", secretString)
	srv.Stop()

	h.clock.Advance(time.Minute + 30*time.Minute)
	within(t, h, time.Now(), 0, p, "kept", secretString)
	if n := h.metric(t, `sealbox_agent_cache_stale_served_total{service="secretsmanager"}`); n != 1 {
		t.Fatalf("stale served = %v, want 1", n)
	}
	// Each stale answer came after the full retries, with backoff.
	if n := h.metric(t, `sealbox_agent_upstream_requests_total{service="secretsmanager",outcome="connection"}`); n != 3 {
		t.Fatalf("failed attempts = %v, want 3 (Attempts)", n)
	}
	h.clock.Advance(30 * time.Minute)
	code, body := h.get(t, p)
	if code != 502 || body != `{"__type":"ConnectionError","message":"Read Error"}` {
		t.Fatalf("past TTL+MaxStale with the upstream down: %d %s, want 502 ConnectionError", code, body)
	}
	if !strings.Contains(h.logs.String(), "serving a cached value past its TTL") {
		t.Fatalf("the stale answer is not logged")
	}
}

// TestNoStaleAfterNotFound: an answer saying the item is gone drops it;
// a value the upstream denies is not served from the cache.
func TestNoStaleAfterNotFound(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "gone", "v")
	h := startAgent(t, srv, noFeed)
	p := "/secretsmanager/get?secretId=gone"
	within(t, h, time.Now(), 0, p, "v", secretString)
	must[*secretsmanager.DeleteSecretOutput](t, "DeleteSecret")(srv.SecretsManager().DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("gone"), ForceDeleteWithoutRecovery: aws.Bool(true)}))
	h.clock.Advance(301 * time.Second)
	if code, body := h.get(t, p); code != 400 || !strings.Contains(body, `"__type":"ResourceNotFoundException"`) {
		t.Fatalf("GET a deleted secret past its TTL = %d %s, want 400 ResourceNotFoundException", code, body)
	}
	if n := h.metric(t, `sealbox_agent_cache_evictions_total{reason="error"}`); n != 1 {
		t.Fatalf("error evictions = %v, want 1", n)
	}
}

// TestUpstreamFailures: a connection failure answers 502, a timeout 504,
// each after the attempts, with full-jitter backoff between them.
func TestUpstreamFailures(t *testing.T) {
	t.Run("502", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + ln.Addr().String()
		ln.Close()
		h := startAgent(t, nil, noFeed, func(s *setup) { s.opts.Endpoint = closed })
		for _, p := range []string{"/secretsmanager/get?secretId=x", "/systemsmanager/parameters/get?name=x"} {
			if code, body := h.get(t, p); code != 502 || body != `{"__type":"ConnectionError","message":"Read Error"}` {
				t.Fatalf("GET %s with the upstream refusing connections = %d %s, want 502 ConnectionError", p, code, body)
			}
		}
		if n := h.metric(t, `sealbox_agent_upstream_requests_total{service="ssm",outcome="connection"}`); n != 3 {
			t.Fatalf("attempts = %v, want 3", n)
		}
	})
	t.Run("504", func(t *testing.T) {
		srv := sealtest.Start(t)
		newSecret(t, srv, "slow", "v")
		h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.SecretsTimeout, s.cfg.Attempts = 50*time.Millisecond, 2 })
		gate := h.upstream.hold()
		defer h.upstream.release(gate)
		start := time.Now()
		code, body := h.get(t, "/secretsmanager/get?secretId=slow")
		if code != 504 || body != `{"__type":"TimeoutError","message":"Timeout"}` {
			t.Fatalf("GET with the upstream slower than SECRETS_MANAGER_TIMEOUT_MILLIS = %d %s, want 504 TimeoutError", code, body)
		}
		if took := time.Since(start); took < 100*time.Millisecond || took > 5*time.Second {
			t.Fatalf("two attempts of 50 ms took %v", took)
		}
		if n := h.metric(t, `sealbox_agent_upstream_requests_total{service="secretsmanager",outcome="timeout"}`); n != 2 {
			t.Fatalf("timed-out attempts = %v, want 2", n)
		}
	})
	t.Run("transient then success", func(t *testing.T) {
		srv := sealtest.Start(t)
		newSecret(t, srv, "flaky", "v")
		h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.SecretsTimeout, s.cfg.Attempts = 100*time.Millisecond, 3 })
		gate := h.upstream.hold()
		go func() {
			// Let the first attempt time out, then open the gate.
			sealtest.Eventually(t, 5*time.Second, func() bool {
				return h.metric(t, `sealbox_agent_upstream_requests_total{service="secretsmanager",outcome="timeout"}`) == 1
			})
			h.upstream.release(gate)
		}()
		within(t, h, time.Now(), 0, "/secretsmanager/get?secretId=flaky", "v", secretString)
	})
}
