// Package clock lets time be injected: production code reads Real, tests
// use a Fake they move by hand, so no test sleeps to see time pass.
//
// Background work (sweeps, digests, expiries) waits on the clock's tickers
// and timers rather than on package time's, so a test moves a Fake and
// waits on the work itself, never on the wall. The shape follows
// tailscale's tstime.Clock.
package clock

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock tells the time and makes tickers and timers that follow it.
// Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
	// Since is Now().Sub(t).
	Since(t time.Time) time.Duration
	// NewTicker is time.NewTicker on this clock: it panics if d <= 0.
	NewTicker(d time.Duration) Ticker
	// AfterFunc is time.AfterFunc on this clock: f runs once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Ticker is a time.Ticker on a Clock.
type Ticker interface {
	// C delivers the ticks. Its buffer holds one: a receiver that falls
	// behind misses ticks, as with time.Ticker.
	C() <-chan time.Time
	// Stop turns the ticker off; no tick is received after it returns.
	Stop()
	// Reset stops the ticker and restarts it with period d, from now.
	Reset(d time.Duration)
}

// Timer is what AfterFunc returns; *time.Timer is one.
type Timer interface {
	// Stop prevents f from running; it reports whether it did (false: f
	// has run or is running, or the timer was stopped).
	Stop() bool
	// Reset makes f run after d from now, and reports whether the timer
	// was waiting.
	Reset(d time.Duration) bool
}

// Real is the system clock.
type Real struct{}

func (Real) Now() time.Time                  { return time.Now() }
func (Real) Since(t time.Time) time.Duration { return time.Since(t) }

func (Real) NewTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time   { return r.t.C }
func (r realTicker) Stop()                 { r.t.Stop() }
func (r realTicker) Reset(d time.Duration) { r.t.Reset(d) }

// Fake is a Clock that moves only when told, by Advance or Set. Safe for
// concurrent use.
//
// Its tickers and timers fire when the clock moves to or past their
// deadlines. A move is a jump: the clock reads the new time first, then
// what fell due fires, one at a time in deadline order (ties in the order
// they were made). A ticker fires at most once per move: like a
// time.Ticker whose receiver fell behind, it drops the ticks it missed,
// and its next tick is the first of its periods after the new time. A tick
// carries the time it was due. AfterFunc's f runs on the goroutine that
// moved the clock, before Advance or Set returns, so it must not move the
// clock itself.
type Fake struct {
	move sync.Mutex // one Advance or Set at a time, so that firing is in order

	mu      sync.Mutex
	now     time.Time
	waiting []*fakeTimer  // the tickers and timers not stopped or fired
	made    uint64        // how many were made: orders deadline ties
	grew    chan struct{} // closed when waiting grows (WaitTimers)
}

// NewFake returns a Fake that reads t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *Fake) Since(t time.Time) time.Duration { return f.Now().Sub(t) }

// Advance moves the clock forward by d and fires what fell due.
func (f *Fake) Advance(d time.Duration) {
	f.move.Lock()
	defer f.move.Unlock()
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
	f.fire()
}

// Set moves the clock to t and fires what fell due. Moving it back fires
// nothing: deadlines stay where they were.
func (f *Fake) Set(t time.Time) {
	f.move.Lock()
	defer f.move.Unlock()
	f.mu.Lock()
	f.now = t
	f.mu.Unlock()
	f.fire()
}

// fire fires the earliest due ticker or timer, one at a time, until none
// is due. Stopping or resetting one from an AfterFunc takes effect before
// the next is chosen. The caller holds f.move.
func (f *Fake) fire() {
	for {
		f.mu.Lock()
		var next *fakeTimer
		for _, t := range f.waiting {
			if t.when.After(f.now) {
				continue
			}
			if next == nil || t.when.Before(next.when) || t.when.Equal(next.when) && t.seq < next.seq {
				next = t
			}
		}
		if next == nil {
			f.mu.Unlock()
			return
		}
		due := next.when
		if next.period > 0 {
			// The first of its periods after now: the ones in between
			// are dropped.
			next.when = due.Add(next.period * (f.now.Sub(due)/next.period + 1))
		} else {
			f.remove(next)
		}
		fn := next.fn
		if fn == nil {
			select {
			case next.c <- due:
			default: // the receiver has not taken the last tick
			}
		}
		f.mu.Unlock()
		if fn != nil {
			fn()
		}
	}
}

// Timers reports how many tickers and timers wait on the clock: made and
// neither stopped nor (for a timer) fired.
func (f *Fake) Timers() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiting)
}

// WaitTimers returns once at least n tickers and timers wait on the clock,
// or with ctx's error. A test calls it before moving the clock, so that
// the background work it wants to drive is waiting on the clock by then
// and cannot miss the move.
func (f *Fake) WaitTimers(ctx context.Context, n int) error {
	for {
		f.mu.Lock()
		if len(f.waiting) >= n {
			f.mu.Unlock()
			return nil
		}
		if f.grew == nil {
			f.grew = make(chan struct{})
		}
		grew := f.grew
		f.mu.Unlock()
		select {
		case <-grew:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (f *Fake) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("clock: non-positive interval for NewTicker")
	}
	t := &fakeTimer{f: f, period: d, c: make(chan time.Time, 1)}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.arm(t, d)
	return fakeTicker{t}
}

func (f *Fake) AfterFunc(d time.Duration, fn func()) Timer {
	t := &fakeTimer{f: f, fn: fn}
	t.Reset(d)
	return t
}

// arm makes t due d from now and puts it among the waiting. The caller
// holds f.mu.
func (f *Fake) arm(t *fakeTimer, d time.Duration) {
	t.when = f.now.Add(d)
	f.made++
	t.seq = f.made
	if !slices.Contains(f.waiting, t) {
		f.waiting = append(f.waiting, t)
		if f.grew != nil {
			close(f.grew)
			f.grew = nil
		}
	}
}

// remove takes t from the waiting and reports whether it was there. The
// caller holds f.mu.
func (f *Fake) remove(t *fakeTimer) bool {
	i := slices.Index(f.waiting, t)
	if i < 0 {
		return false
	}
	f.waiting = slices.Delete(f.waiting, i, i+1)
	return true
}

// fakeTimer is a Fake's ticker (period > 0, ticks on c) or AfterFunc timer
// (fn).
type fakeTimer struct {
	f      *Fake
	period time.Duration
	c      chan time.Time
	fn     func()
	when   time.Time // the next deadline, while waiting
	seq    uint64    // when it was last armed, among the Fake's timers
}

// fakeTicker is a Fake's ticker as a Ticker.
type fakeTicker struct{ t *fakeTimer }

func (k fakeTicker) C() <-chan time.Time   { return k.t.c }
func (k fakeTicker) Stop()                 { k.t.Stop() }
func (k fakeTicker) Reset(d time.Duration) { k.t.Reset(d) }

// Stop is Ticker.Stop and Timer.Stop: as with package time since Go 1.23,
// no tick made before it is received after it.
func (t *fakeTimer) Stop() bool {
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.drain()
	return t.f.remove(t)
}

// Reset is Ticker.Reset and Timer.Reset. A timer reset to d <= 0 runs its
// f at once on a goroutine of its own, as time.AfterFunc does.
func (t *fakeTimer) Reset(d time.Duration) bool {
	if t.period > 0 && d <= 0 {
		panic("clock: non-positive interval for Ticker.Reset")
	}
	t.f.mu.Lock()
	defer t.f.mu.Unlock()
	t.drain()
	if t.period > 0 {
		t.period = d
	}
	if d <= 0 {
		was := t.f.remove(t)
		go t.fn()
		return was
	}
	was := slices.Contains(t.f.waiting, t)
	t.f.arm(t, d)
	return was
}

// drain drops a tick not yet received.
func (t *fakeTimer) drain() {
	select {
	case <-t.c:
	default:
	}
}

var (
	_ Clock = Real{}
	_ Clock = (*Fake)(nil)
)
