// Package loglimit keeps a warning that anyone can cause (a refused
// request, a throttled miss) from flooding the log: the first of each
// message is written at once, the ones that follow within the interval are
// counted, and one summary line says how many there were when the interval
// ends. A message quiet for a whole interval is written at once again.
package loglimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
)

// DefaultInterval is how often a repeated message is summarized.
const DefaultInterval = time.Minute

// Limiter writes warnings through a slog.Logger, at most one line per
// message per interval, plus a summary of those it held back. It is safe
// for concurrent use; its zero value is not usable (New).
type Limiter struct {
	log   *slog.Logger
	clock clock.Clock
	every time.Duration

	mu   sync.Mutex
	msgs map[string]*window
}

// window is one message's interval: how many were held back in it.
type window struct {
	held  int
	timer clock.Timer
}

// New makes a Limiter writing to log, summarizing every interval (0 means
// DefaultInterval) on clk's timers (nil: the system clock).
func New(log *slog.Logger, clk clock.Clock, every time.Duration) *Limiter {
	if clk == nil {
		clk = clock.Real{}
	}
	if every <= 0 {
		every = DefaultInterval
	}
	return &Limiter{log: log, clock: clk, every: every, msgs: map[string]*window{}}
}

// Warn writes msg with args at warning level unless msg was written less
// than an interval ago; then it only counts it. Messages are told apart by
// msg alone: the first one's args stand for the rest.
func (l *Limiter) Warn(msg string, args ...any) {
	l.mu.Lock()
	if w, ok := l.msgs[msg]; ok {
		w.held++
		l.mu.Unlock()
		return
	}
	w := &window{}
	l.msgs[msg] = w
	w.timer = l.clock.AfterFunc(l.every, func() { l.close(msg, w) })
	l.mu.Unlock()
	l.log.Warn(msg, args...)
}

// close ends msg's interval: a summary if any were held back (and another
// interval to count in), else forget msg.
func (l *Limiter) close(msg string, w *window) {
	l.mu.Lock()
	if l.msgs[msg] != w { // Stop came first
		l.mu.Unlock()
		return
	}
	held := w.held
	if held == 0 {
		delete(l.msgs, msg)
		l.mu.Unlock()
		return
	}
	w.held = 0
	w.timer.Reset(l.every)
	l.mu.Unlock()
	l.log.LogAttrs(context.Background(), slog.LevelWarn, msg+" (repeated)",
		slog.Int("suppressed", held), slog.Duration("interval", l.every))
}

// Stop stops the timers and writes the summaries of what is held back:
// for a clean shutdown.
func (l *Limiter) Stop() {
	l.mu.Lock()
	type pending struct {
		msg  string
		held int
	}
	var out []pending
	for msg, w := range l.msgs {
		w.timer.Stop()
		if w.held > 0 {
			out = append(out, pending{msg, w.held})
		}
		delete(l.msgs, msg)
	}
	l.mu.Unlock()
	for _, p := range out {
		l.log.LogAttrs(context.Background(), slog.LevelWarn, p.msg+" (repeated)",
			slog.Int("suppressed", p.held), slog.Duration("interval", l.every))
	}
}
