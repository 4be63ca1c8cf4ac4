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

// TestFileSinkCloseWithAPendingWriter: a writer whose line waits in the
// batch being gathered when Close is called (a write of another batch under
// way) is either written before Close returns, or told it failed; never
// acknowledged and written after, into a file opened again behind Close's
// back. Writes after Close fail.
func TestFileSinkCloseWithAPendingWriter(t *testing.T) {
	e := &Event{EventTime: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)}
	first := []byte(`{"eventVersion":"1.08","n":1}` + "\n")
	pending := []byte(`{"eventVersion":"1.08","n":2}` + "\n")
	for i := range 50 {
		dir := t.TempDir()
		f, err := NewFileSink(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Write(context.Background(), e, first); err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 {
			f.shared = sharedBatches // the writer yields before it writes
		}
		// A write is under way (held here); the pending writer's line
		// waits in the next batch.
		f.mu.Lock()
		f.writing = true
		f.mu.Unlock()
		var wg sync.WaitGroup
		var werr error
		wg.Go(func() { werr = f.Write(context.Background(), e, pending) })
		waitFor(t, f, func() bool { return f.cur != nil && f.cur.waiters == 1 })
		closed := make(chan []byte)
		go func() {
			if err := f.Close(); err != nil {
				t.Error(err)
			}
			data, _ := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
			closed <- data
		}()
		waitFor(t, f, func() bool { return f.closed })
		f.mu.Lock()
		f.writing = false
		f.cond.Broadcast()
		f.mu.Unlock()
		atClose := <-closed
		wg.Wait()
		if werr == nil && !bytes.Contains(atClose, pending) {
			t.Fatalf("round %d: the pending write was acknowledged but not in the file when Close returned", i)
		}
		if err := f.Write(context.Background(), e, []byte(`{"eventVersion":"1.08","n":3}`+"\n")); err == nil {
			t.Fatalf("round %d: a write after Close succeeded", i)
		}
		after, _ := os.ReadFile(filepath.Join(dir, "2026-11-23.jsonl"))
		if !bytes.Equal(after, atClose) {
			t.Fatalf("round %d: the file changed after Close:\n%s\nthen\n%s", i, atClose, after)
		}
		f.mu.Lock()
		open := f.file != nil
		f.mu.Unlock()
		if open {
			t.Fatalf("round %d: the file is open again after Close", i)
		}
	}
}

func waitFor(t *testing.T, f *FileSink, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		f.mu.Lock()
		ok := cond()
		f.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(100 * time.Microsecond)
	}
}
