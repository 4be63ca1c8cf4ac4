package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileSink appends events as JSON lines to one file a day (UTC) in a folder:
// <dir>/2026-11-23.jsonl. Write returns only once its line has been written
// with write(2), so the event survives the process dying at once; with
// fsync set it is also fsync'd, so it survives the machine losing power.
//
// Concurrent writers are group-committed: while one writes, the lines of
// the others gather in the next batch, which then goes out with one
// write(2) (and one fsync). Safe for concurrent use.
type FileSink struct {
	dir   string
	fsync bool

	mu      sync.Mutex
	cond    *sync.Cond
	cur     *batch // lines waiting to be written, nil if none
	writing bool   // a writer holds the file
	day     string // of the open file
	file    *os.File
	spare   []byte // a written batch's buffer, kept for the next batch
}

type batch struct {
	day  string
	buf  []byte
	done bool
	err  error
}

// NewFileSink returns a sink writing under dir, creating it (mode 0700).
func NewFileSink(dir string, fsync bool) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create audit folder: %w", err)
	}
	f := &FileSink{dir: dir, fsync: fsync}
	f.cond = sync.NewCond(&f.mu)
	return f, nil
}

func (f *FileSink) Name() string { return "file:" + f.dir }

func (f *FileSink) Write(_ context.Context, e *Event, line []byte) error {
	day := e.EventTime.UTC().Format("2006-01-02")
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.cur != nil && f.cur.day != day {
		f.cond.Wait() // at midnight the old day's batch goes first
	}
	if f.cur == nil {
		f.cur = &batch{day: day, buf: f.spare[:0]}
		f.spare = nil
	}
	b := f.cur
	b.buf = append(b.buf, line...)
	for !b.done {
		if f.writing {
			f.cond.Wait()
			continue
		}
		// Become the writer of the waiting batch: ours, or the one ahead.
		w := f.cur
		f.cur, f.writing = nil, true
		f.mu.Unlock()
		err := f.flush(w)
		f.mu.Lock()
		w.done, w.err, f.writing = true, err, false
		if cap(w.buf) <= 1<<20 {
			f.spare = w.buf
		}
		w.buf = nil
		f.cond.Broadcast()
	}
	return b.err
}

// flush writes one batch. Only the writer calls it, so the file needs no
// lock of its own.
func (f *FileSink) flush(b *batch) error {
	if f.file == nil || f.day != b.day {
		if f.file != nil {
			f.file.Close()
		}
		file, err := os.OpenFile(filepath.Join(f.dir, b.day+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			f.file = nil
			return fmt.Errorf("failed to open audit file: %w", err)
		}
		f.file, f.day = file, b.day
	}
	if _, err := f.file.Write(b.buf); err != nil {
		return fmt.Errorf("failed to write audit events: %w", err)
	}
	if f.fsync {
		if err := f.file.Sync(); err != nil {
			return fmt.Errorf("failed to sync audit file: %w", err)
		}
	}
	return nil
}

func (f *FileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for f.writing {
		f.cond.Wait()
	}
	if f.file == nil {
		return nil
	}
	err := f.file.Close()
	f.file = nil
	return err
}
