package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
)

// FileSink appends events as JSON lines to one file a day (UTC) in a folder:
// <dir>/2026-11-23.jsonl. Write returns only once its line has been written
// with write(2), so the event survives the process dying at once; with
// fsync set it is also fsync'd, so it survives the machine losing power.
//
// Concurrent writers are group-committed: while one writes, the lines of
// the others gather in the next batch, which then goes out with one
// write(2) (and one fsync). Safe for concurrent use.
//
// With a Signer (OpenFileSink), each day's file is a hash-chained trail and
// the sink signs a digest of its new lines every interval into
// <dir>/digests/<day>.jsonl (chain.go); the lines themselves stay plain
// CloudTrail records.
type FileSink struct {
	dir     string
	fsync   bool
	minFree int64
	closed  bool       // guarded by mu
	chain   *fileChain // nil: no digests

	mu      sync.Mutex
	cond    *sync.Cond
	cur     *batch // lines waiting to be written, nil if none
	writing bool   // a writer holds the file
	day     string // of the open file
	file    *os.File
	spare   []byte // a written batch's buffer, kept for the next batch
}

type batch struct {
	day    string
	buf    []byte
	events []pendingEvent // with a chain: one per line, in order
	done   bool
	err    error
}

// FileOptions configure OpenFileSink. The zero value is NewFileSink's
// sink without fsync.
type FileOptions struct {
	// Fsync fsyncs each batch (and each digest) before Write returns.
	Fsync bool
	// Signer, when set, chains each day's lines and signs digests of them.
	Signer *Signer
	// DigestInterval is how often digests are signed; 0 means a minute.
	// A digest is also signed as soon as 10,000 lines wait.
	DigestInterval time.Duration
	// MinFree is the free space (bytes) Ready wants on the folder's file
	// system; 0 checks only that the folder is there.
	MinFree int64
	Clock   clock.Clock  // nil: the real clock (digest times)
	Logger  *slog.Logger // nil: slog.Default (failing digests)
	// State, with a Signer, is where the sink keeps each file's head at
	// its last digest, sealed (the server gives the barrier): at start it
	// checks its files against it, since the digests beside them can be
	// deleted with them.
	State store.Store
	// Witness, with a Signer, holds the same events (the store sink): the
	// lines found at start after a file's last digest are signed only if
	// it holds them (filechain.go, load).
	Witness Witness
}

// NewFileSink returns a sink writing under dir, creating it (mode 0700).
func NewFileSink(dir string, fsync bool) (*FileSink, error) {
	return OpenFileSink(dir, FileOptions{Fsync: fsync})
}

// OpenFileSink returns a sink writing under dir, creating it (mode 0700).
// With o.Signer it first finds the lines of earlier runs that no digest
// covers yet (a crash between two digests) and signs them in its first
// digest; a torn last line is ended with a newline so that the next line
// starts clean (it stays in the trail, as written).
func OpenFileSink(dir string, o FileOptions) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create audit folder: %w", err)
	}
	f := &FileSink{dir: dir, fsync: o.Fsync, minFree: o.MinFree}
	f.cond = sync.NewCond(&f.mu)
	if o.Signer != nil {
		c, err := openFileChain(dir, o)
		if err != nil {
			return nil, err
		}
		f.chain = c
	}
	return f, nil
}

func (f *FileSink) Name() string { return "file:" + f.dir }

func (f *FileSink) Write(_ context.Context, e *Event, line []byte) error {
	day := e.EventTime.UTC().Format("2006-01-02")
	var pe pendingEvent
	if f.chain != nil {
		pe = pendingEvent{hash: RecordHash(line), size: int64(len(line)), time: e.EventTime.UnixNano()}
	}
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
	if f.chain != nil {
		b.events = append(b.events, pe)
	}
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
		w.buf, w.events = nil, nil
		f.cond.Broadcast()
	}
	return b.err
}

// flush writes one batch. Only the writer calls it, so the file needs no
// lock of its own.
func (f *FileSink) flush(b *batch) error {
	if f.chain != nil {
		// The trail's state must match the file before its lines are
		// added: on the day's first batch, and after a failed write.
		if err := f.chain.ensure(b.day + ".jsonl"); err != nil {
			return err
		}
	}
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
		f.chain.broken(b.day + ".jsonl")
		return fmt.Errorf("failed to write audit events: %w", err)
	}
	if f.fsync {
		if err := f.file.Sync(); err != nil {
			f.chain.broken(b.day + ".jsonl")
			return fmt.Errorf("failed to sync audit file: %w", err)
		}
	}
	f.chain.appended(b.day+".jsonl", b.events)
	return nil
}

// Seal signs a digest of the lines written since the last one, now rather
// than at the next interval. Without a Signer it does nothing.
func (f *FileSink) Seal() error {
	if f.chain == nil {
		return nil
	}
	return f.chain.seal()
}

// Findings returns what the sink found wrong with its trail at start (and
// since, until OnFinding is set), and forgets it.
func (f *FileSink) Findings() []Finding {
	if f.chain == nil {
		return nil
	}
	f.chain.mu.Lock()
	defer f.chain.mu.Unlock()
	out := f.chain.findings
	f.chain.findings = nil
	return out
}

// OnFinding has fn called with each finding from now on (a file deleted
// or replaced while the sink runs), from the goroutine that found it: fn
// must not log to this sink's Logger in that goroutine.
func (f *FileSink) OnFinding(fn func(Finding)) {
	if f.chain == nil {
		return
	}
	f.chain.mu.Lock()
	f.chain.onBreak = fn
	f.chain.mu.Unlock()
}

// Ready reports whether the sink can take events: it is open, its folder
// is there, and its file system has MinFree bytes free. The Logger asks
// before a call changes anything (fail closed: a full disk refuses the
// write rather than leave a change without its event).
func (f *FileSink) Ready() error {
	f.mu.Lock()
	closed := f.closed
	f.mu.Unlock()
	if closed {
		return errors.New("the file sink is closed")
	}
	return hasFree(f.dir, f.minFree)
}

// Close waits for the batch being written, closes the file and, with a
// Signer, signs the last digest.
func (f *FileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for f.writing {
		f.cond.Wait()
	}
	var err error
	if f.file != nil {
		err = f.file.Close()
		f.file = nil
	}
	if f.chain != nil {
		err = errors.Join(err, f.chain.close())
	}
	return err
}
