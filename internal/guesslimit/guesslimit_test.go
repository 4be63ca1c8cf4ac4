package guesslimit_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/guesslimit"
)

var policy = guesslimit.Policy{Free: 3, Base: time.Second, Max: 8 * time.Second, Forget: time.Hour}

func name(k string) guesslimit.Name { return guesslimit.Name{Key: k, Policy: policy} }

func TestBackoff(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := guesslimit.New(clk)
	a := name("addr:192.0.2.1")
	for i := range 3 {
		if w := l.Try(a); w != 0 {
			t.Fatalf("attempt %d: wait %v, want none (3 free)", i+1, w)
		}
	}
	// Past the free ones: 1 s, then 2, 4, 8, 8.
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 8 * time.Second} {
		if w := l.Try(a); w != want {
			t.Fatalf("Try right after a failure: wait %v, want %v", w, want)
		}
		// Refused attempts add nothing: still the same wait.
		clk.Advance(want / 2)
		if w := l.Try(a); w != want-want/2 {
			t.Fatalf("Try halfway: wait %v, want %v", w, want-want/2)
		}
		clk.Advance(want - want/2)
		if w := l.Try(a); w != 0 {
			t.Fatalf("Try after the wait: %v, want 0", w)
		}
	}
}

func TestSucceedClears(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := guesslimit.New(clk)
	a := name("addr:192.0.2.1")
	for range 3 {
		l.Try(a)
	}
	if w := l.Try(a); w == 0 {
		t.Fatal("the 4th attempt was not slowed")
	}
	l.Succeed(a)
	if w := l.Try(a); w != 0 {
		t.Fatalf("after a success: wait %v, want 0", w)
	}
}

func TestNamesAreApartAndTheLongestWaitWins(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := guesslimit.New(clk)
	a, b, key := name("addr:192.0.2.1"), name("addr:192.0.2.2"), name("key:AKIA1")
	for range 3 {
		l.Try(a)
	}
	if w := l.Try(b, key); w != 0 {
		t.Fatalf("another address is slowed by the first's failures: %v", w)
	}
	if w := l.Try(a, name("key:AKIA2")); w != time.Second {
		t.Fatalf("the slowed address with a fresh key: %v, want 1s", w)
	}
}

func TestForget(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := guesslimit.New(clk)
	a := name("addr:192.0.2.1")
	for range 10 {
		l.Try(a)
		clk.Advance(10 * time.Second)
	}
	clk.Advance(time.Hour)
	if w := l.Try(a); w != 0 {
		t.Fatalf("an hour after the last failure: wait %v, want 0", w)
	}
}

// TestConcurrentAttemptsDoNotOutrunTheCount: of many attempts made at
// once, only the free ones go ahead.
func TestConcurrentAttemptsDoNotOutrunTheCount(t *testing.T) {
	l := guesslimit.New(clock.NewFake(time.Unix(1e9, 0)))
	var ahead atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if l.Try(name("key:AKIA1")) == 0 {
				ahead.Add(1)
			}
		})
	}
	wg.Wait()
	if n := ahead.Load(); n != 3 {
		t.Fatalf("%d of 50 concurrent attempts went ahead, want 3", n)
	}
}

func TestBounded(t *testing.T) {
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := guesslimit.New(clk)
	slowed := name("addr:192.0.2.1")
	for range 5 {
		l.Try(slowed)
	}
	clk.Advance(time.Millisecond)
	for i := range guesslimit.MaxNames + 10 {
		l.Try(name("key:" + strconv.Itoa(i)))
	}
	if n := l.Len(); n > guesslimit.MaxNames {
		t.Fatalf("%d names remembered, want at most %d", n, guesslimit.MaxNames)
	}
}
