package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestServerCPUPerOp: with ServerPID set, each cell reports the server
// process's CPU over its window. The server here is in this process (so
// is the load), which bounds the figure by the window's wall time on
// every CPU.
func TestServerCPUPerOp(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("Linux only")
	}
	s := sealtest.Start(t)
	cfg := Config{
		Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair,
		Ops: []Op{Ceiling, Decrypt}, Concurrency: []int{2},
		Duration: 400 * time.Millisecond, Warmup: 50 * time.Millisecond,
		ServerPID: os.Getpid(),
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		per, ok := r.ServerCPUPerOp()
		if !ok {
			t.Fatalf("%s: no server CPU measured (ServerCPU %v, %d requests)", r.Op, r.ServerCPU, r.Requests)
		}
		limit := r.Elapsed*time.Duration(runtime.NumCPU()) + 20*time.Millisecond // two ticks of slack
		if r.ServerCPU > limit {
			t.Errorf("%s: server CPU %v over a %v window on %d CPUs", r.Op, r.ServerCPU, r.Elapsed, runtime.NumCPU())
		}
		t.Logf("%s: %d requests, server CPU %v, %v a request", r.Op, r.Requests, r.ServerCPU, per)
	}

	// Without it, nothing is measured.
	cfg.ServerPID, cfg.Ops = 0, []Op{Ceiling}
	rep, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rep.Results[0].ServerCPUPerOp(); ok {
		t.Error("server CPU reported without a ServerPID")
	}

	cfg.ServerPID = 1 << 30 // no such process
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "server process") {
		t.Errorf("Run with a missing server process: err = %v, want it named", err)
	}
}

// TestPeerWithoutHealthz: a peer with no /healthz (local-kms) is driven as
// long as no ceiling is asked of it; asked, the run says it cannot reach it.
func TestPeerWithoutHealthz(t *testing.T) {
	s := sealtest.Start(t)
	u, _ := url.Parse(s.URL)
	proxy := httputil.NewSingleHostReverseProxy(u)
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			http.NotFound(w, r)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer peer.Close()
	cfg := Config{
		Endpoint: peer.URL, Region: "us-east-1", Credentials: adminPair,
		Ops: []Op{Encrypt, Decrypt, GenerateDataKey}, Concurrency: []int{1},
		Duration: 100 * time.Millisecond, Warmup: 10 * time.Millisecond,
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run without a ceiling against a peer with no /healthz: %v", err)
	}
	for _, r := range rep.Results {
		if r.Requests == 0 {
			t.Errorf("%s: no requests", r.Op)
		}
	}
	cfg.Ops = []Op{Ceiling, Decrypt}
	if _, err := Run(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "failed to reach the server") {
		t.Errorf("Run with a ceiling against a peer with no /healthz: err = %v, want it unreachable", err)
	}
}
