package audit

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestFileSinkYieldsOnlyWhenShared: writers yield before a write (so that
// concurrent calls share its write(2)) only while batches are being
// shared: a lone writer writes at once, from the start and again
// sharedBatches batches after the last shared one; every line is written.
func TestFileSinkYieldsOnlyWhenShared(t *testing.T) {
	dir := t.TempDir()
	f, err := NewFileSink(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e := &Event{EventTime: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	line := []byte(`{"eventVersion":"1.08"}` + "\n")
	write := func() {
		if err := f.Write(context.Background(), e, line); err != nil {
			t.Fatal(err)
		}
	}
	shared := func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.shared
	}
	for range 10 {
		write()
	}
	if n := shared(); n != 0 {
		t.Fatalf("after one writer alone, shared = %d, want 0 (no yield)", n)
	}
	// Two writers in one batch, waiting while another write is under
	// way (held here), then written together.
	f.mu.Lock()
	f.writing = true
	f.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(write)
	wg.Go(write)
	for waiting := 0; waiting < 2; {
		time.Sleep(time.Millisecond)
		f.mu.Lock()
		if f.cur != nil {
			waiting = f.cur.waiters
		}
		f.mu.Unlock()
	}
	f.mu.Lock()
	f.writing = false
	f.cond.Broadcast()
	f.mu.Unlock()
	wg.Wait()
	if n := shared(); n != sharedBatches {
		t.Fatalf("after a batch of two writers, shared = %d, want %d", n, sharedBatches)
	}
	// Concurrent writers, yielding while they share.
	const writers, rounds = 8, 100
	for range rounds {
		var wg sync.WaitGroup
		for range writers {
			wg.Go(write)
		}
		wg.Wait()
	}
	for range sharedBatches {
		write()
	}
	if n := shared(); n != 0 {
		t.Errorf("%d batches of one writer after shared ones, shared = %d, want 0", sharedBatches, n)
	}
	data, err := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := bytes.Count(data, []byte("\n")), 10+2+writers*rounds+sharedBatches; got != want || len(data) != want*len(line) {
		t.Errorf("%d lines (%d bytes), want %d", got, len(data), want)
	}
}
