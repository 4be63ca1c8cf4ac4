package clock

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// tick returns the tick waiting on c, if any.
func tick(c <-chan time.Time) (time.Time, bool) {
	select {
	case v := <-c:
		return v, true
	default:
		return time.Time{}, false
	}
}

func wantTick(t *testing.T, what string, c <-chan time.Time, want time.Time) {
	t.Helper()
	got, ok := tick(c)
	if !ok {
		t.Fatalf("%s: no tick, want one at %s", what, want.Sub(t0))
	}
	if !got.Equal(want) {
		t.Fatalf("%s: tick at %s, want %s", what, got.Sub(t0), want.Sub(t0))
	}
}

func wantNoTick(t *testing.T, what string, c <-chan time.Time) {
	t.Helper()
	if got, ok := tick(c); ok {
		t.Fatalf("%s: tick at %s, want none", what, got.Sub(t0))
	}
}

func TestFakeTicker(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(time.Minute)
	defer tk.Stop()
	if n := f.Timers(); n != 1 {
		t.Fatalf("Timers() after NewTicker = %d, want 1", n)
	}
	f.Advance(time.Minute - time.Nanosecond)
	wantNoTick(t, "before the period", tk.C())
	f.Advance(time.Nanosecond)
	wantTick(t, "at the period", tk.C(), t0.Add(time.Minute))

	// 3.5 periods late: one tick (the one due first), the rest dropped;
	// the next falls on the ticker's own beat.
	f.Advance(3*time.Minute + 30*time.Second)
	wantTick(t, "3.5 periods on", tk.C(), t0.Add(2*time.Minute))
	wantNoTick(t, "the missed ticks", tk.C())
	f.Advance(29 * time.Second)
	wantNoTick(t, "before the next beat", tk.C())
	f.Advance(time.Second)
	wantTick(t, "on the next beat", tk.C(), t0.Add(5*time.Minute))

	// A receiver that does not read holds one tick: the first.
	f.Advance(time.Minute)
	f.Advance(time.Minute)
	wantTick(t, "two periods unread", tk.C(), t0.Add(6*time.Minute))
	wantNoTick(t, "two periods unread, second", tk.C())
}

func TestFakeTickerStop(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(time.Second)
	f.Advance(time.Second) // a tick waits unread
	tk.Stop()
	if n := f.Timers(); n != 0 {
		t.Fatalf("Timers() after Stop = %d, want 0", n)
	}
	wantNoTick(t, "a tick made before Stop", tk.C())
	f.Advance(time.Hour)
	wantNoTick(t, "after Stop", tk.C())
	tk.Stop() // twice is fine
}

func TestFakeTickerReset(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(time.Second)
	defer tk.Stop()
	f.Advance(time.Second) // a tick waits unread
	f.Advance(500 * time.Millisecond)
	tk.Reset(time.Minute) // from now: t0+1.5s
	wantNoTick(t, "a tick made before Reset", tk.C())
	f.Advance(59 * time.Second)
	wantNoTick(t, "before the new period", tk.C())
	f.Advance(time.Second)
	wantTick(t, "at the new period", tk.C(), t0.Add(61500*time.Millisecond))

	// Reset starts a stopped ticker again.
	tk.Stop()
	tk.Reset(time.Second)
	f.Advance(time.Second)
	wantTick(t, "after Stop and Reset", tk.C(), t0.Add(62500*time.Millisecond))

	defer func() {
		if recover() == nil {
			t.Errorf("Reset(0) did not panic")
		}
	}()
	tk.Reset(0)
}

func TestFakeNewTickerPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Errorf("NewTicker(0) did not panic")
		}
	}()
	NewFake(t0).NewTicker(0)
}

// TestFakeAfterFuncOrder: what falls due in one move runs in deadline
// order (ties in the order they were made), on the mover's goroutine,
// with the clock already at the new time; a timer stopped by an earlier
// one does not run; one made by an earlier one waits for a later move.
func TestFakeAfterFuncOrder(t *testing.T) {
	f := NewFake(t0)
	var got []string
	var nows []time.Time
	run := func(name string) func() {
		return func() { got = append(got, name); nows = append(nows, f.Now()) }
	}
	f.AfterFunc(3*time.Second, run("c"))
	f.AfterFunc(time.Second, run("a"))
	f.AfterFunc(2*time.Second, run("b1"))
	f.AfterFunc(2*time.Second, run("b2"))
	stopped := f.AfterFunc(4*time.Second, run("stopped by a"))
	late := f.AfterFunc(time.Hour, run("late"))
	f.AfterFunc(1500*time.Millisecond, func() {
		got = append(got, "stopper")
		if !stopped.Stop() {
			t.Errorf("Stop() of a waiting timer = false")
		}
		f.AfterFunc(time.Second, run("made by stopper"))
	})
	f.Advance(10 * time.Second)
	if want := []string{"a", "stopper", "b1", "b2", "c"}; !slices.Equal(got, want) {
		t.Fatalf("ran %q, want %q", got, want)
	}
	for i, n := range nows {
		if !n.Equal(t0.Add(10 * time.Second)) {
			t.Fatalf("%s read the clock at %s, want the new time 10s", got[i], n.Sub(t0))
		}
	}
	if n := f.Timers(); n != 2 {
		t.Fatalf("Timers() = %d, want 2 (late, made by stopper)", n)
	}
	f.Advance(time.Second)
	if got[len(got)-1] != "made by stopper" {
		t.Fatalf("ran %q, want the timer made during the move to run at the next", got)
	}
	if !late.Stop() || late.Stop() {
		t.Fatalf("Stop() of a waiting timer, twice: want true then false")
	}
}

func TestFakeAfterFuncStopReset(t *testing.T) {
	f := NewFake(t0)
	var runs atomic.Int32
	tm := f.AfterFunc(time.Minute, func() { runs.Add(1) })
	if !tm.Reset(2 * time.Minute) {
		t.Fatalf("Reset of a waiting timer = false, want true")
	}
	f.Advance(time.Minute)
	if runs.Load() != 0 {
		t.Fatalf("ran at the deadline Reset moved")
	}
	f.Advance(time.Minute)
	if runs.Load() != 1 {
		t.Fatalf("runs = %d at the new deadline, want 1", runs.Load())
	}
	if tm.Stop() {
		t.Fatalf("Stop() after it ran = true, want false")
	}
	if tm.Reset(time.Second) {
		t.Fatalf("Reset after it ran = true, want false")
	}
	f.Advance(time.Hour)
	if runs.Load() != 2 {
		t.Fatalf("runs = %d after Reset and a move, want 2", runs.Load())
	}
	if n := f.Timers(); n != 0 {
		t.Fatalf("Timers() after the timers ran = %d, want 0", n)
	}

	// d <= 0: at once, on a goroutine of its own, as time.AfterFunc.
	done := make(chan struct{})
	f.AfterFunc(0, func() { close(done) })
	<-done
}

func TestFakeSet(t *testing.T) {
	f := NewFake(t0)
	tk := f.NewTicker(time.Hour)
	defer tk.Stop()
	f.Set(t0.Add(-time.Hour))
	wantNoTick(t, "Set back", tk.C())
	f.Set(t0.Add(59 * time.Minute))
	wantNoTick(t, "Set before the deadline", tk.C())
	f.Set(t0.Add(time.Hour))
	wantTick(t, "Set to the deadline", tk.C(), t0.Add(time.Hour))
	if got := f.Since(t0); got != time.Hour {
		t.Fatalf("Since(t0) = %s, want 1h", got)
	}
}

func TestFakeWaitTimers(t *testing.T) {
	f := NewFake(t0)
	ctx, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	if err := f.WaitTimers(ctx, 1); err == nil {
		t.Fatalf("WaitTimers(1) with none and a done context = nil, want its error")
	}
	if err := f.WaitTimers(context.Background(), 0); err != nil {
		t.Fatalf("WaitTimers(0) = %v", err)
	}
	ticks := make(chan time.Time, 1)
	go func() {
		tk := f.NewTicker(time.Second)
		defer tk.Stop()
		ticks <- <-tk.C()
	}()
	// Without the wait, the move could come before NewTicker and the
	// goroutine would wait for a second that has already passed.
	if err := f.WaitTimers(context.Background(), 1); err != nil {
		t.Fatalf("WaitTimers(1) = %v", err)
	}
	f.Advance(time.Second)
	if got := <-ticks; !got.Equal(t0.Add(time.Second)) {
		t.Fatalf("tick at %s, want 1s", got.Sub(t0))
	}
}

// TestFakeConcurrentAdvance moves the clock from several goroutines while
// another reads a ticker (run with -race): every move counts, every timer
// runs once, and no tick is delivered out of order.
func TestFakeConcurrentAdvance(t *testing.T) {
	const movers, moves = 4, 250
	f := NewFake(t0)
	var runs [movers * moves]atomic.Int32
	for i := range runs {
		f.AfterFunc(time.Duration(i+1)*time.Second, func() { runs[i].Add(1) })
	}
	tk := f.NewTicker(time.Second)
	stop := make(chan struct{})
	var last time.Time
	read := make(chan struct{})
	go func() {
		defer close(read)
		for {
			select {
			case v := <-tk.C():
				if !v.After(last) {
					t.Errorf("tick at %s after one at %s", v.Sub(t0), last.Sub(t0))
				}
				last = v
			case <-stop:
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range movers {
		wg.Go(func() {
			for range moves {
				f.Advance(time.Second)
			}
		})
	}
	wg.Wait()
	close(stop)
	<-read
	tk.Stop()
	if got, want := f.Now(), t0.Add(movers*moves*time.Second); !got.Equal(want) {
		t.Fatalf("Now() = %s, want %s", got.Sub(t0), want.Sub(t0))
	}
	for i := range runs {
		if n := runs[i].Load(); n != 1 {
			t.Fatalf("timer %d ran %d times, want 1", i, n)
		}
	}
}

func TestReal(t *testing.T) {
	var c Clock = Real{}
	tk := c.NewTicker(time.Millisecond)
	<-tk.C()
	tk.Reset(time.Millisecond)
	<-tk.C()
	tk.Stop()
	done := make(chan struct{})
	tm := c.AfterFunc(time.Millisecond, func() { close(done) })
	<-done
	if tm.Stop() {
		t.Fatalf("Stop() after AfterFunc ran = true")
	}
	if c.Since(c.Now().Add(-time.Hour)) < time.Hour {
		t.Fatalf("Since an hour ago < 1h")
	}
}
