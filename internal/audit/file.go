package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// FileSink appends events as JSON lines to one file a day (UTC) in a folder:
// <dir>/2026-11-23.jsonl. Each line is written with one write(2) before
// Write returns, so it survives the process dying at once; with Sync set it
// is also fsync'd, so it survives the machine losing power. Safe for
// concurrent use.
type FileSink struct {
	dir  string
	sync bool

	mu   sync.Mutex
	day  string
	file *os.File
}

// NewFileSink returns a sink writing under dir, creating it (mode 0700).
func NewFileSink(dir string, fsync bool) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create audit folder: %w", err)
	}
	return &FileSink{dir: dir, sync: fsync}, nil
}

func (f *FileSink) Name() string { return "file:" + f.dir }

func (f *FileSink) Write(_ context.Context, e *Event, line []byte) error {
	day := e.EventTime.UTC().Format("2006-01-02")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.file == nil || f.day != day {
		if f.file != nil {
			f.file.Close()
		}
		file, err := os.OpenFile(filepath.Join(f.dir, day+".jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			f.file = nil
			return fmt.Errorf("failed to open audit file: %w", err)
		}
		f.file, f.day = file, day
	}
	if _, err := f.file.Write(line); err != nil {
		return fmt.Errorf("failed to write audit event: %w", err)
	}
	if f.sync {
		if err := f.file.Sync(); err != nil {
			return fmt.Errorf("failed to sync audit file: %w", err)
		}
	}
	return nil
}

func (f *FileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.file == nil {
		return nil
	}
	err := f.file.Close()
	f.file = nil
	return err
}
