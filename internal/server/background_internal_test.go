package server

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestBackgroundClose: close waits for the goroutines start started, and
// start after close runs nothing and says so: the tampering recorder's
// late finding is not written to an audit trail being closed.
func TestBackgroundClose(t *testing.T) {
	var mu sync.Mutex
	var logs bytes.Buffer
	b := newBackground(slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return logs.Write(p)
	}), nil)))
	release, finished := make(chan struct{}), make(chan struct{})
	b.start("slow", func() {
		<-release
		close(finished)
	})
	closed := make(chan struct{})
	go func() {
		b.close()
		close(closed)
	}()
	select {
	case <-closed:
		t.Fatal("close returned while a goroutine it must wait for was running")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-closed
	select {
	case <-finished:
	default:
		t.Fatal("close returned before the goroutine finished")
	}
	b.start("late", func() { t.Error("a job started after close ran") })
	b.close()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `msg="background job not run: the server is closing" job=late`) {
		t.Fatalf("the late job was not logged:\n%s", logs.String())
	}
}

// TestBackgroundRun: a panic is recovered, counted by job and described
// without the data a value may carry.
func TestBackgroundRun(t *testing.T) {
	var logs bytes.Buffer
	b := newBackground(slog.New(slog.NewTextHandler(&logs, nil)), "quiet")
	if !b.run("fine", func() {}) {
		t.Fatal("run of a job that returned = false")
	}
	if b.run("data", func() { panic(struct{ Secret string }{"hunter2"}) }) {
		t.Fatal("run of a job that panicked = true")
	}
	var m []int
	b.run("index", func() { _ = m[3] })
	if b.Panics() != 2 {
		t.Fatalf("Panics = %d, want 2", b.Panics())
	}
	if strings.Contains(logs.String(), "hunter2") || !strings.Contains(logs.String(), `panic="a value of type struct { Secret string }"`) ||
		!strings.Contains(logs.String(), "index out of range") {
		t.Fatalf("log:\n%s", logs.String())
	}
	var metrics strings.Builder
	b.WriteMetrics(&metrics)
	for _, want := range []string{`sealbox_background_panics_total{job="data"} 1`, `sealbox_background_panics_total{job="fine"} 0`, `sealbox_background_panics_total{job="quiet"} 0`} {
		if !strings.Contains(metrics.String(), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, metrics.String())
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
