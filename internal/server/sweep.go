package server

import (
	"context"
	"sync"
	"time"
)

// sweeps tells waiters which clock time the sweeper has swept up to, so
// that a test that moves the clock waits for the work itself rather than
// for the wall clock. The zero value is ready to use.
type sweeps struct {
	mu    sync.Mutex
	at    time.Time     // the clock time the last completed sweep ran at
	ready chan struct{} // closed when the next sweep completes
}

// done records a completed sweep that ran at now and wakes the waiters.
func (w *sweeps) done(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.at = now
	if w.ready != nil {
		close(w.ready)
		w.ready = nil
	}
}

// wait returns once a sweep that ran at t or later has completed, or with
// ctx's error.
func (w *sweeps) wait(ctx context.Context, t time.Time) error {
	for {
		w.mu.Lock()
		if !w.at.Before(t) {
			w.mu.Unlock()
			return nil
		}
		if w.ready == nil {
			w.ready = make(chan struct{})
		}
		ready := w.ready
		w.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// WaitSwept returns once the sweeper has completed a whole sweep (key
// deletions and rotations, parameter policies, secret deletions and
// rotations, expired sessions, audit retention) that read the clock at t
// or later, or with ctx's error. Tests call it after moving the clock.
func (s *Server) WaitSwept(ctx context.Context, t time.Time) error {
	return s.swept.wait(ctx, t)
}

// WaitFlushed returns once this server has written the KMS key uses it
// noted (its own work, leader or not) at clock time t or later, or with
// ctx's error. Tests call it after moving the clock by the sweep interval.
func (s *Server) WaitFlushed(ctx context.Context, t time.Time) error {
	return s.flushed.wait(ctx, t)
}

// WaitDigests returns once the leader has signed the store trail's digests
// (every event stored so far) at clock time t or later, or with ctx's
// error. Tests call it after moving the clock by the digest interval.
func (s *Server) WaitDigests(ctx context.Context, t time.Time) error {
	return s.sealed.wait(ctx, t)
}

// WaitBackground waits until the background goroutines started so far
// (the audit tampering recorder's) have finished: a test that changes the
// audit folder under the server waits for the server's own writes first.
func (s *Server) WaitBackground() { s.bg.wait() }
