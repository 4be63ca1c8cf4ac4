package loglimit_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/loglimit"
)

type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *buffer) Write(p []byte) (int, error) { b.mu.Lock(); defer b.mu.Unlock(); return b.b.Write(p) }
func (b *buffer) lines() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := strings.TrimSpace(b.b.String())
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestFloodIsSummarized(t *testing.T) {
	buf := &buffer{}
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := loglimit.New(slog.New(slog.NewTextHandler(buf, nil)), clk, time.Minute)

	for range 1000 {
		l.Warn("refused a request without the right token", "path", "/x")
	}
	l.Warn("too many upstream calls in flight: refusing a miss")
	if got := buf.lines(); len(got) != 2 || !strings.Contains(got[0], "right token") || !strings.Contains(got[1], "in flight") {
		t.Fatalf("1000 floods of one warning and one of another wrote %d lines, want 2 (the first of each):\n%s", len(got), strings.Join(got, "\n"))
	}

	clk.Advance(time.Minute)
	got := buf.lines()
	if len(got) != 3 || !strings.Contains(got[2], "right token (repeated)") || !strings.Contains(got[2], "suppressed=999") {
		t.Fatalf("after the interval: %d lines, want a third saying 999 were suppressed:\n%s", len(got), strings.Join(got, "\n"))
	}

	// Still flooding: counted in the next interval, summarized again.
	l.Warn("refused a request without the right token", "path", "/x")
	l.Warn("refused a request without the right token", "path", "/x")
	if n := len(buf.lines()); n != 3 {
		t.Fatalf("within the second interval %d lines, want still 3", n)
	}
	clk.Advance(time.Minute)
	if got := buf.lines(); len(got) != 4 || !strings.Contains(got[3], "suppressed=2") {
		t.Fatalf("after the second interval: %q, want a summary of 2", got)
	}

	// A quiet interval: the next one is written at once, in full.
	clk.Advance(time.Minute)
	l.Warn("refused a request without the right token", "path", "/y")
	if got := buf.lines(); len(got) != 5 || !strings.Contains(got[4], "path=/y") || strings.Contains(got[4], "repeated") {
		t.Fatalf("after a quiet interval: %q, want the message in full", got)
	}
	if clk.Timers() > 1 {
		t.Errorf("%d timers waiting, want at most 1 (one message counting)", clk.Timers())
	}
}

func TestStopWritesWhatIsHeld(t *testing.T) {
	buf := &buffer{}
	clk := clock.NewFake(time.Unix(1e9, 0))
	l := loglimit.New(slog.New(slog.NewTextHandler(buf, nil)), clk, time.Minute)
	for range 5 {
		l.Warn("refused")
	}
	l.Stop()
	if got := buf.lines(); len(got) != 2 || !strings.Contains(got[1], "suppressed=4") {
		t.Fatalf("Stop wrote %q, want the first and a summary of 4", got)
	}
	if clk.Timers() != 0 {
		t.Errorf("%d timers after Stop, want 0", clk.Timers())
	}
}

func TestConcurrentWarn(t *testing.T) {
	buf := &buffer{}
	l := loglimit.New(slog.New(slog.NewTextHandler(buf, nil)), nil, time.Hour)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.Warn("refused")
			}
		})
	}
	wg.Wait()
	l.Stop()
	if got := buf.lines(); len(got) != 2 || !strings.Contains(got[1], "suppressed=799") {
		t.Fatalf("800 concurrent warnings wrote %q, want the first and a summary of 799", got)
	}
}
