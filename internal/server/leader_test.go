package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
)

// manualElector leads when the test says so.
type manualElector struct {
	elect, depose chan struct{}
	led, ended    chan struct{} // lead was called; lead returned
	leading       atomic.Bool
}

func newManualElector() *manualElector {
	return &manualElector{elect: make(chan struct{}), depose: make(chan struct{}), led: make(chan struct{}, 4), ended: make(chan struct{}, 4)}
}

func (m *manualElector) Run(ctx context.Context, lead func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.elect:
		}
		lctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		m.leading.Store(true)
		go func() {
			defer close(done)
			m.led <- struct{}{}
			lead(lctx)
		}()
		select {
		case <-ctx.Done():
		case <-m.depose:
		}
		cancel()
		m.leading.Store(false)
		<-done
		m.ended <- struct{}{}
	}
}

func (m *manualElector) Leading() bool { return m.leading.Load() }

func (m *manualElector) WriteMetrics(w io.Writer) {
	v := 0
	if m.Leading() {
		v = 1
	}
	fmt.Fprintf(w, "sealbox_leader %d\n", v)
}

// TestBackgroundWorkOnlyWhileLeading: a server that does not lead runs no
// sweep, however the clock moves; elected, it sweeps at once and at its
// ticks; deposed, its sweeper stops before the elector campaigns again.
func TestBackgroundWorkOnlyWhileLeading(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.AdminAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
	cfg.AdminSecretAccessKey = primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
	cfg.SweepInterval = 10 * time.Millisecond
	cfg.AuditDigestInterval = 10 * time.Millisecond
	clk := clock.NewFake(time.Now().UTC())
	el := newManualElector()
	s, err := Open(context.Background(), cfg, Options{Clock: clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Elector: el})
	if err != nil {
		t.Fatal(err)
	}
	var runs atomic.Int32
	AddSweepJob(s, "counted", func(context.Context, time.Time) { runs.Add(1) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	wait, stop := context.WithTimeout(ctx, 30*time.Second)
	defer stop()

	// A follower: no goroutine of the server sweeps or signs the store
	// trail's digests.
	clk.Advance(cfg.SweepInterval)
	if n := runs.Load(); n != 0 {
		t.Fatalf("a follower swept %d times", n)
	}
	if err := s.WaitDigests(expired(), clk.Now().UTC()); err == nil {
		t.Fatal("a follower signed the store trail's digests")
	}
	if m := scrapeMetrics(s); !strings.Contains(m, "\nsealbox_leader 0\n") {
		t.Fatalf("a follower's metrics:\n%s", m)
	}

	// Elected: a sweep at once, without the clock moving.
	el.elect <- struct{}{}
	<-el.led
	if err := s.WaitSwept(wait, clk.Now().UTC()); err != nil {
		t.Fatalf("no sweep once elected: %v", err)
	}
	if runs.Load() == 0 {
		t.Fatal("the elected server's sweep did not run the job")
	}
	if m := scrapeMetrics(s); !strings.Contains(m, "\nsealbox_leader 1\n") {
		t.Fatalf("the leader's metrics:\n%s", m)
	}
	clk.Advance(cfg.SweepInterval)
	if err := s.WaitSwept(wait, clk.Now().UTC()); err != nil {
		t.Fatalf("no sweep at the leader's tick: %v", err)
	}
	// The leader signs the store trail's digests at its ticks.
	if err := s.WaitDigests(wait, clk.Now().UTC()); err != nil {
		t.Fatalf("no digest at the leader's tick: %v", err)
	}

	// Deposed: by the time the elector hears lead return, the sweeper
	// has stopped, and nothing sweeps however the clock moves.
	el.depose <- struct{}{}
	<-el.ended
	n := runs.Load()
	clk.Advance(cfg.SweepInterval)
	clk.Advance(cfg.SweepInterval)
	if got := runs.Load(); got != n {
		t.Fatalf("a deposed server swept: %d runs, then %d", n, got)
	}

	// Elected again: it sweeps again.
	el.elect <- struct{}{}
	<-el.led
	clk.Advance(cfg.SweepInterval)
	if err := s.WaitSwept(wait, clk.Now().UTC()); err != nil {
		t.Fatalf("no sweep once elected again: %v", err)
	}
	if runs.Load() == n {
		t.Fatal("the server elected again did not sweep")
	}
}

// expired is a context already done: a wait on it reports only what has
// already happened.
func expired() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

// scrapeMetrics is s's GET /metrics, asked with a metrics token given to s.
func scrapeMetrics(s *Server) string {
	const token = "leader-test-metrics-token"
	s.metricsToken = primitive.NewSecret([]byte(token))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	s.Handler().ServeHTTP(rec, req)
	return rec.Body.String()
}
