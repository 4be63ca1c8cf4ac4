package server

import (
	"context"
	"testing"
	"time"
)

func TestSweepsWait(t *testing.T) {
	var w sweeps
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.wait(ctx, t0); err == nil {
		t.Fatalf("wait(%s) before any sweep = nil, want the context's error", t0)
	}
	got := make(chan error, 1)
	go func() { got <- w.wait(context.Background(), t0) }()
	w.done(t0.Add(-time.Second)) // a sweep that read the clock too early
	select {
	case err := <-got:
		t.Fatalf("wait(%s) returned %v after a sweep at %s", t0, err, t0.Add(-time.Second))
	case <-time.After(20 * time.Millisecond):
	}
	w.done(t0)
	if err := <-got; err != nil {
		t.Fatalf("wait(%s) = %v after a sweep at it", t0, err)
	}
	if err := w.wait(ctx, t0.Add(-time.Hour)); err != nil {
		t.Fatalf("wait for a time already swept = %v", err)
	}
}
