//go:build !fuzzbinary

package agent_test

// A stalled upstream (a listener that accepts and never answers) must not
// let a token holder pile up fetches without bound.

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// stallSwitch sends the agent's upstream calls to next until stall is
// set, then to a real listener that accepts connections and never
// answers, counting those calls.
type stallSwitch struct {
	next    aws.HTTPClient
	stall   atomic.Bool
	stalled atomic.Int64
	client  *http.Client
}

func newStallSwitch(t *testing.T, next aws.HTTPClient) *stallSwitch {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read or answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	addr := ln.Addr().String()
	var d net.Dialer
	return &stallSwitch{next: next, client: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
	}}}
}

func (s *stallSwitch) Do(r *http.Request) (*http.Response, error) {
	if !s.stall.Load() {
		return s.next.Do(r)
	}
	s.stalled.Add(1)
	return s.client.Do(r)
}

// fire sends n GETs at once, each given up after wait, and counts the
// answers by status (0: no answer in time).
func fire(t *testing.T, h *harness, n int, wait time.Duration, path func(i int) string) map[int]int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: wait}
	var mu sync.Mutex
	got := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, h.url+path(i), nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			status := 0
			if resp, err := c.Do(req); err == nil {
				status = resp.StatusCode
				resp.Body.Close()
			}
			mu.Lock()
			got[status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	c.CloseIdleConnections()
	return got
}

// settles waits up to 5 s for the goroutines to come down to at most max.
func settles(max int) int {
	n := runtime.NumGoroutine()
	for end := time.Now().Add(5 * time.Second); n > max && time.Now().Before(end); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// TestStalledUpstreamIsBounded: with the upstream stalled and no timeout
// (the extension's default), refreshNow calls for many items hold at most
// MaxInFlight fetches; the rest are answered 429 at once, /ping and the
// cache still answer, and the goroutines stay bounded.
func TestStalledUpstreamIsBounded(t *testing.T) {
	const maxInFlight, n = 4, 100
	var sw *stallSwitch
	h := startAgent(t, nil, func(s *setup) {
		s.cfg.MaxInFlight = maxInFlight
		sw = newStallSwitch(t, s.opts.AWS.HTTPClient)
		s.opts.AWS.HTTPClient = sw
	})
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(h.srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("cached"), SecretString: aws.String("still-served")}))
	h.warm(t, "/secretsmanager/get?secretId=cached")
	h.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the warm-up's connections close
	before := runtime.NumGoroutine()

	sw.stall.Store(true)
	got := fire(t, h, n, 500*time.Millisecond, func(i int) string {
		return fmt.Sprintf("/secretsmanager/get?secretId=item-%d&refreshNow=true", i)
	})
	if got[0] != maxInFlight || got[429] != n-maxInFlight {
		t.Fatalf("answers by status = %v, want %d without an answer (stalled) and %d × 429", got, maxInFlight, n-maxInFlight)
	}
	if c := sw.stalled.Load(); c != maxInFlight {
		t.Errorf("calls to the stalled upstream = %d, want %d", c, maxInFlight)
	}
	// The stalled fetches hold a goroutine each and their connections';
	// without the bound it was n of each.
	after := settles(before + 40)
	t.Logf("goroutines: %d before, %d after", before, after)
	if after > before+40 {
		t.Errorf("goroutines: %d before, %d after %d stalled requests", before, after, n)
	}

	if code, body := h.do(t, http.MethodGet, "/ping", nil); code != 200 || body != "healthy" {
		t.Errorf("/ping with the upstream stalled = %d %s", code, body)
	}
	if code, body := h.get(t, "/secretsmanager/get?secretId=cached"); code != 200 || !strings.Contains(body, "still-served") {
		t.Errorf("cached secret with the upstream stalled = %d %s", code, body)
	}
	code, body := h.get(t, "/secretsmanager/get?secretId=another")
	if code != 429 || !strings.Contains(body, `"__type":"TooManyRequestsException"`) {
		t.Errorf("a miss with every slot held = %d %s, want 429 TooManyRequestsException", code, body)
	}
}

// TestConcurrentRefreshesShareOneCall: refreshNow calls for the same item
// under way together make one upstream call, not one each.
func TestConcurrentRefreshesShareOneCall(t *testing.T) {
	var sw *stallSwitch
	h := startAgent(t, nil, func(s *setup) {
		sw = newStallSwitch(t, s.opts.AWS.HTTPClient)
		s.opts.AWS.HTTPClient = sw
	})
	sw.stall.Store(true)
	got := fire(t, h, 20, 300*time.Millisecond, func(int) string { return "/secretsmanager/get?secretId=same&refreshNow=true" })
	if got[0] != 20 {
		t.Fatalf("answers by status = %v, want 20 without an answer (stalled)", got)
	}
	if c := sw.stalled.Load(); c != 1 {
		t.Errorf("calls to the stalled upstream = %d, want 1", c)
	}
}

// TestStalledCallTimesOut: with a per-attempt timeout set, a stalled call
// ends 504 TimeoutError and gives its slot back.
func TestStalledCallTimesOut(t *testing.T) {
	var sw *stallSwitch
	h := startAgent(t, nil, func(s *setup) {
		s.cfg.MaxInFlight, s.cfg.SecretsTimeout, s.cfg.Attempts = 1, 100*time.Millisecond, 1
		sw = newStallSwitch(t, s.opts.AWS.HTTPClient)
		s.opts.AWS.HTTPClient = sw
	})
	sw.stall.Store(true)
	for i := range 3 {
		code, body := h.get(t, fmt.Sprintf("/secretsmanager/get?secretId=s%d", i))
		if code != 504 || !strings.Contains(body, "TimeoutError") {
			t.Fatalf("call %d to a stalled upstream = %d %s, want 504 TimeoutError", i, code, body)
		}
	}
}
