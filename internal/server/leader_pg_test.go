package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/leader"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// signalElector tells the test when its server is elected and when its
// background work has stopped.
type signalElector struct {
	leader.Elector
	who           int
	elected, lost chan int
}

func (e *signalElector) Run(ctx context.Context, lead func(context.Context)) {
	e.Elector.Run(ctx, func(lctx context.Context) {
		e.elected <- e.who
		lead(lctx)
		e.lost <- e.who // lead has returned: the sweeper has stopped
	})
}

// TestTwoServersOneSweeper: two servers (each on its own bbolt folder,
// elected through one PostgreSQL) sweep only while they lead; when the
// leader's session is killed its sweeper stops and the other's starts.
func TestTwoServersOneSweeper(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	pg := pgtest.Start(t, pgtest.Options{})
	url := pg.CreateDatabase("elect", "elect-pass")
	elected, lost := make(chan int, 8), make(chan int, 8)
	type running struct {
		s    *Server
		clk  *clock.Fake
		runs atomic.Int32
	}
	var srv [2]*running
	for i := range srv {
		cfg := config.Default()
		cfg.Listen = "127.0.0.1:0"
		cfg.DataDir = t.TempDir()
		cfg.AdminAccessKeyID = "AKIAIOSFODNN7EXAMPLE"
		cfg.AdminSecretAccessKey = primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
		cfg.SweepInterval = 10 * time.Millisecond
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		pgElector, err := leader.NewPostgres(url, log, clock.Real{})
		if err != nil {
			t.Fatal(err)
		}
		r := &running{clk: clock.NewFake(time.Now().UTC())}
		r.s, err = Open(context.Background(), cfg, Options{Clock: r.clk, Logger: log,
			Elector: &signalElector{Elector: pgElector, who: i, elected: elected, lost: lost}})
		if err != nil {
			t.Fatal(err)
		}
		AddSweepJob(r.s, "counted", func(context.Context, time.Time) { r.runs.Add(1) })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- r.s.Serve(ctx, ln) }()
		t.Cleanup(func() {
			cancel()
			if err := <-served; err != nil {
				t.Errorf("Serve: %v", err)
			}
		})
		srv[i] = r
	}
	next := func(c chan int, what string) int {
		t.Helper()
		select {
		case who := <-c:
			return who
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
			return -1
		}
	}
	wait, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()

	first := next(elected, "election")
	other := 1 - first
	if err := srv[first].s.WaitSwept(wait, srv[first].clk.Now().UTC()); err != nil {
		t.Fatalf("the leader did not sweep once elected: %v", err)
	}
	srv[other].clk.Advance(time.Second)
	if n := srv[other].runs.Load(); n != 0 {
		t.Fatalf("the follower swept %d times", n)
	}

	pg.Exec(fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %d AND objid = %d",
		leader.LockKey>>32, leader.LockKey&0xffffffff))
	killed := time.Now()
	if who := next(lost, "loss of leadership"); who != first {
		t.Fatalf("server %d lost leadership, want %d", who, first)
	}
	// Its sweeper has stopped: nothing it does moves its count.
	n := srv[first].runs.Load()
	srv[first].clk.Advance(time.Second)
	if got := srv[first].runs.Load(); got != n {
		t.Fatalf("the deposed server swept on: %d runs, then %d", n, got)
	}
	now := next(elected, "new election")
	t.Logf("server %d leads %v after the old leader's session was killed", now, time.Since(killed))
	if err := srv[now].s.WaitSwept(wait, srv[now].clk.Now().UTC()); err != nil {
		t.Fatalf("the new leader did not sweep: %v", err)
	}
}
