package audit_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
)

// failing is a sink whose storage is gone.
type failing struct{}

func (failing) Name() string                                      { return "broken" }
func (failing) Write(context.Context, *audit.Event, []byte) error { return errors.New("disk gone") }
func (failing) Close() error                                      { return nil }

func event() *audit.Event {
	return &audit.Event{EventName: "Decrypt", EventSource: "kms.amazonaws.com", EventTime: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
}

func TestOneSinkIsEnough(t *testing.T) {
	dir := t.TempDir()
	file, err := audit.NewFileSink(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	l := audit.NewLogger(slog.New(slog.NewTextHandler(&logs, nil)), failing{}, file)
	if err := l.Log(context.Background(), event()); err != nil {
		t.Fatalf("Log with one working sink = %v, want nil", err)
	}
	if !strings.Contains(logs.String(), "audit sink is failing") || !strings.Contains(logs.String(), "broken") {
		t.Fatalf("a failing sink was not reported: %q", logs.String())
	}
	l.Close()
	data, err := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
	if err != nil || !strings.Contains(string(data), `"eventName":"Decrypt"`) || !strings.HasSuffix(string(data), "\n") {
		t.Fatalf("audit file = %q, %v", data, err)
	}
}

func TestNoSinkFailsTheCall(t *testing.T) {
	l := audit.NewLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), failing{})
	if err := l.Log(context.Background(), event()); !errors.Is(err, audit.ErrNoSink) {
		t.Fatalf("Log with no working sink = %v, want ErrNoSink", err)
	}
}

func TestFileSinkGroupCommitKeepsEveryLine(t *testing.T) {
	dir := t.TempDir()
	file, err := audit.NewFileSink(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(nil, file)
	const writers, each = 16, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := l.Log(context.Background(), event()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	l.Close()
	data, _ := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != writers*each {
		t.Fatalf("%d lines, want %d", len(lines), writers*each)
	}
	for _, line := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("torn or interleaved line %q: %v", line, err)
		}
	}
}

func BenchmarkFileSinkParallel(b *testing.B) {
	file, _ := audit.NewFileSink(b.TempDir(), false)
	l := audit.NewLogger(nil, file)
	b.ReportAllocs()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			l.Log(context.Background(), event())
		}
	})
	reportCPU(b, start)
	l.Close()
}

// gated is a sink whose writes wait for release.
type gated struct {
	release chan struct{}
	mu      sync.Mutex
	got     int
}

func (g *gated) Name() string { return "gated" }
func (g *gated) Write(context.Context, *audit.Event, []byte) error {
	<-g.release
	g.mu.Lock()
	g.got++
	g.mu.Unlock()
	return nil
}
func (g *gated) Close() error { return nil }
func (g *gated) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.got
}

// The answer waits for the first sink only; the later ones get every event
// in the background, and Flush waits for them.
func TestLaterSinksWriteAfterTheAnswer(t *testing.T) {
	file, err := audit.NewFileSink(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	slow := &gated{release: make(chan struct{})}
	l := audit.NewLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), file, slow)
	for range 3 {
		if err := l.Log(context.Background(), event()); err != nil {
			t.Fatalf("Log = %v", err)
		}
	}
	if n := slow.count(); n != 0 {
		t.Fatalf("the later sink has %d events before it could write", n)
	}
	flushed := make(chan struct{})
	go func() { l.Flush(); close(flushed) }()
	select {
	case <-flushed:
		t.Fatal("Flush returned while the later sink was still writing")
	case <-time.After(50 * time.Millisecond):
	}
	close(slow.release)
	<-flushed
	if n := slow.count(); n != 3 {
		t.Fatalf("after Flush the later sink has %d events, want 3", n)
	}
	l.Close()
}

// When the first sink fails, the answer waits for the next one.
func TestFailingFirstSinkWaitsForTheNext(t *testing.T) {
	slow := &gated{release: make(chan struct{})}
	l := audit.NewLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), failing{}, slow)
	done := make(chan error, 1)
	go func() { done <- l.Log(context.Background(), event()) }()
	select {
	case err := <-done:
		t.Fatalf("Log answered (%v) before any sink took the event", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(slow.release)
	if err := <-done; err != nil || slow.count() != 1 {
		t.Fatalf("Log = %v with %d events in the working sink", err, slow.count())
	}
}

// Ready: some sink able to take an event is enough; a sink that cannot say
// counts as ready until a write fails.
func TestReady(t *testing.T) {
	dir := t.TempDir()
	full, err := audit.OpenFileSink(dir, audit.FileOptions{MinFree: 1 << 60})
	if err != nil {
		t.Fatal(err)
	}
	roomy, err := audit.OpenFileSink(t.TempDir(), audit.FileOptions{MinFree: 1})
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	if err := audit.NewLogger(quiet, full, roomy).Ready(); err != nil {
		t.Fatalf("Ready with one sink with room = %v", err)
	}
	if err := audit.NewLogger(quiet, full).Ready(); !errors.Is(err, audit.ErrNoSink) || !strings.Contains(err.Error(), "bytes free") {
		t.Fatalf("Ready with a full file system = %v, want ErrNoSink naming the free space", err)
	}
	l := audit.NewLogger(quiet, failing{})
	if err := l.Ready(); err != nil {
		t.Fatalf("Ready before any write = %v", err)
	}
	l.Log(context.Background(), event())
	if err := l.Ready(); !errors.Is(err, audit.ErrNoSink) {
		t.Fatalf("Ready after the only sink failed = %v, want ErrNoSink", err)
	}
	roomy.Close()
	if err := audit.NewLogger(quiet, roomy).Ready(); err == nil {
		t.Fatal("a closed file sink is ready")
	}
}

// TestSinkUpMetric: sealbox_audit_sink_up is 1 for a sink that takes
// events and 0 for one whose last write failed, named by kind, not path.
func TestSinkUpMetric(t *testing.T) {
	file, err := audit.NewFileSink(t.TempDir(), false)
	if err != nil {
		t.Fatal(err)
	}
	l := audit.NewLogger(slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), failing{}, file)
	defer l.Close()
	if err := l.Log(context.Background(), event()); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	l.WriteMetrics(&b)
	for _, want := range []string{"sealbox_audit_sink_up{sink=\"broken\"} 0\n", "sealbox_audit_sink_up{sink=\"file\"} 1\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("WriteMetrics lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "file:") {
		t.Errorf("WriteMetrics names the file sink's folder:\n%s", b.String())
	}
}
