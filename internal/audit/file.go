package audit

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
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
// write(2) (and one fsync). While batches are being shared (calls are
// concurrent), a writer first yields once to the goroutines ready to run,
// so that more lines join its batch: at 8 concurrent Decrypts on two
// cores, about two calls a write(2) rather than one. Safe for concurrent
// use.
//
// With a Signer (OpenFileSink), each day's file is a hash-chained trail and
// the sink signs a digest of its new lines every interval into
// <dir>/digests/<day>.jsonl (chain.go); the lines themselves stay plain
// CloudTrail records.
type FileSink struct {
	dir      string
	sinkName string // "file:" + dir
	fsync    bool
	minFree  int64
	closed   bool       // guarded by mu
	chain    *fileChain // nil: no digests

	mu      sync.Mutex
	cond    *sync.Cond
	cur     *batch // lines waiting to be written, nil if none
	free    *batch // a batch done with, for the next one
	writing bool   // a writer holds the file
	day     day    // of the open file
	name    string // the open file's: day + ".jsonl"
	file    *os.File
	// spare holds written batches' buffers, kept for the next batches:
	// two, as one batch gathers while the one ahead is written.
	spare       [2][]byte
	spareEvents [2][]pendingEvent // and their events
	pathAt      time.Time         // when the writer last compared the path with the file
	// shared counts down the batches written since the last that held
	// the lines of more than one writer: while it is above zero, calls
	// are concurrent, and a writer yields once before it writes
	// (writeDay).
	shared  int
	failing bool // the last batch failed (mu)
	log     *slog.Logger
	// lastWrite is the newest event written, Unix ns (status.go).
	lastWrite atomic.Int64
}

// sharedBatches is how many batches of one writer each it takes to stop
// yielding before a write (FileSink.shared): a lone caller (one client at
// a time) soon writes at once again.
const sharedBatches = 64

// pathEvery is how often, at most, the writer checks that its file is
// still the one at its path (a stat of the path: a folder renamed, a file
// moved away and another put in its place). Whether the file was deleted,
// or its folder, or replaced by a rename over it, it checks after every
// batch with an fstat of the open file (its link count), which costs less:
// measured here, an fstat 0.8-1.1 µs, a stat of the path 2.8-3.3 µs, the
// batch's write(2) itself 3-3.5 µs.
var pathEvery = 50 * time.Millisecond

type batch struct {
	day    day
	buf    []byte
	events []pendingEvent // with a chain: one per line, in order
	done   bool
	err    error
	// waiters is how many writers have lines in it and have not read
	// err yet; the last one gives it back (FileSink.free).
	waiters int
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
	Clock   clock.Clock  // nil: the real clock (digest times and the digest ticker)
	Logger  *slog.Logger // nil: slog.Default (failing digests)
	// State, with a Signer, is where the sink keeps each file's head at
	// its last digest, sealed (the server gives the barrier): at start it
	// checks its files against it, since the digests beside them can be
	// deleted with them.
	State store.Store
	// Node names this sink's trail among the servers sharing State (each
	// keeps its own heads there); "" for a store one server opens.
	Node string
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
	f := &FileSink{dir: dir, sinkName: "file:" + dir, fsync: o.Fsync, minFree: o.MinFree, log: o.Logger}
	if f.log == nil {
		f.log = slog.Default()
	}
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

func (f *FileSink) Name() string { return f.sinkName }

func (f *FileSink) Write(ctx context.Context, e *Event, line []byte) error {
	var h [32]byte
	if f.chain != nil {
		h = RecordHash(line)
	}
	return f.writeHashed(ctx, e, line, h)
}

// hashes says whether the sink hashes its records (hashingSink, log.go).
func (f *FileSink) hashes() bool { return f.chain != nil }

// writeHashed is Write with the record's hash, RecordHash(line).
func (f *FileSink) writeHashed(_ context.Context, e *Event, line []byte, h [32]byte) error {
	en := [1]Entry{{Event: e, Line: line, hash: h, hashed: true}}
	return f.writeDay(dayOf(e.EventTime), en[:])
}

// writeGroup writes the entries of one call (Logger.LogAll) together: in
// the batch being gathered, so in one write(2) with the others waiting,
// all of a day's or none. Their hashes are set when the sink chains.
func (f *FileSink) writeGroup(_ context.Context, ens []Entry) error {
	for len(ens) > 0 {
		d, n := dayOf(ens[0].Event.EventTime), 1
		for n < len(ens) && dayOf(ens[n].Event.EventTime) == d {
			n++
		}
		if err := f.writeDay(d, ens[:n]); err != nil {
			return err
		}
		ens = ens[n:]
	}
	return nil
}

// writeDay appends the lines of ens, all of day d, to the batch being
// gathered and returns once that batch is written: the first writer
// waiting writes the batch ahead, and everyone in it learns its outcome.
func (f *FileSink) writeDay(d day, ens []Entry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.closed && f.cur != nil && f.cur.day != d {
		f.cond.Wait() // at midnight the old day's batch goes first
	}
	if f.closed {
		// Close writes the batch it finds gathering; nothing joins one
		// after, and the file is never opened again behind its back.
		return errSinkClosed
	}
	if f.cur == nil {
		b := f.free
		if b == nil {
			b = new(batch)
		}
		*b = batch{day: d, buf: takeSpare(&f.spare)[:0], events: takeSpare(&f.spareEvents)[:0]}
		f.cur, f.free = b, nil
	}
	b := f.cur
	b.waiters++
	for i := range ens {
		en := &ens[i]
		b.buf = append(b.buf, en.Line...)
		if f.chain != nil {
			b.events = append(b.events, pendingEvent{hash: en.hash, size: int64(len(en.Line)), time: en.Event.EventTime.UnixNano()})
		}
	}
	yielded := false
	for !b.done {
		if f.writing {
			f.cond.Wait()
			continue
		}
		if !yielded && f.shared > 0 {
			// Writers have been sharing batches: let the goroutines
			// ready to run (the other calls) go first, so that those that
			// reach here join this batch, which one of us then writes,
			// one write(2) for all. Nothing leaves earlier: each waits
			// for the batch that holds its lines.
			yielded = true
			f.mu.Unlock()
			runtime.Gosched()
			f.mu.Lock()
			continue
		}
		// Become the writer of the waiting batch: ours, or the one ahead.
		f.writeCur()
	}
	err := b.err
	if b.waiters--; b.waiters == 0 {
		f.free = b // the last to read it: the next batch's
	}
	return err
}

// writeCur writes the batch being gathered, f.cur, as the writer: f.mu is
// held, and released while the batch is written. Everyone with lines in it
// learns its outcome.
func (f *FileSink) writeCur() {
	w := f.cur
	f.cur, f.writing = nil, true
	f.mu.Unlock()
	err := f.flush(w)
	f.mu.Lock()
	w.done, w.err, f.writing = true, err, false
	f.failing = err != nil
	switch {
	case w.waiters > 1:
		f.shared = sharedBatches
	case f.shared > 0:
		f.shared--
	}
	if cap(w.buf) <= 1<<20 {
		keepSpare(&f.spare, w.buf)
	}
	if cap(w.events) <= 1<<14 {
		keepSpare(&f.spareEvents, w.events) // appended copied them
	}
	w.buf, w.events = nil, nil
	f.cond.Broadcast()
}

// errSinkClosed fails a write to a closed file sink.
var errSinkClosed = errors.New("the audit file sink is closed")

// takeSpare takes a kept buffer out of spares, nil if none.
func takeSpare[T any](spares *[2][]T) []T {
	for i, b := range spares {
		if b != nil {
			spares[i] = nil
			return b
		}
	}
	return nil
}

// keepSpare keeps b in spares if there is room.
func keepSpare[T any](spares *[2][]T, b []T) {
	for i := range spares {
		if spares[i] == nil {
			spares[i] = b
			return
		}
	}
}

// day is a UTC date, which names a day's file.
type day struct {
	y int
	m time.Month
	d int
}

// dayOf is t's UTC date; formatting it for every event cost an allocation.
func dayOf(t time.Time) day {
	y, m, d := t.UTC().Date()
	return day{y, m, d}
}

// name is the day's file name: "2026-11-23.jsonl".
func (d day) name() string {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC).Format("2006-01-02") + ".jsonl"
}

// flush writes one batch. Only the writer calls it, so the file needs no
// lock of its own.
//
// A batch written to a file that is no longer in the folder (deleted, or
// its folder deleted, renamed or replaced) is lost to the trail: flush
// then re-creates the folder and the file, as a new segment of its trail
// when it is chained (filechain.go, restart), and writes the batch again.
// When it cannot, the batch fails, and the Logger gives its events to the
// next sink or fails the calls.
func (f *FileSink) flush(b *batch) error {
	name := f.name
	if f.file == nil || f.day != b.day {
		name = b.day.name()
	}
	if err := f.write(b, name); err != nil {
		return err
	}
	why := f.vanished(name)
	if why == "" {
		f.chain.appended(name, b.events)
		f.noteWritten(b)
		return nil
	}
	f.file.Close()
	f.file = nil
	f.log.Error("audit sink is failing", "sink", f.Name(), "file", name, "reason", why)
	if err := f.recreate(name, why); err != nil {
		return fmt.Errorf("the audit file %s: %s, and could not be made again: %w", name, why, err)
	}
	if err := f.write(b, name); err != nil {
		return err
	}
	if why := f.vanished(name); why != "" {
		f.file.Close()
		f.file = nil
		return fmt.Errorf("the audit file %s: %s, again", name, why)
	}
	f.chain.appended(name, b.events)
	f.noteWritten(b)
	f.log.Warn("audit sink recovered", "sink", f.Name(), "file", name, "how", "made its folder and file again")
	return nil
}

// write opens the batch's day file if need be and writes the batch.
func (f *FileSink) write(b *batch, name string) error {
	if f.chain != nil {
		// The trail's state must match the file before its lines are
		// added: on the day's first batch, and after a failed write.
		if err := f.chain.ensure(name); err != nil {
			return err
		}
	}
	if f.file == nil || f.day != b.day {
		if f.file != nil {
			f.file.Close()
		}
		file, err := os.OpenFile(filepath.Join(f.dir, name), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			f.file = nil
			return fmt.Errorf("failed to open audit file: %w", err)
		}
		f.file, f.day, f.name, f.pathAt = file, b.day, name, time.Time{}
	}
	if _, err := f.file.Write(b.buf); err != nil {
		f.chain.broken(name)
		return fmt.Errorf("failed to write audit events: %w", err)
	}
	if f.fsync {
		if err := f.file.Sync(); err != nil {
			f.chain.broken(name)
			return fmt.Errorf("failed to sync audit file: %w", err)
		}
	}
	return nil
}

// vanished says why the open file is no longer the trail's file, or "".
func (f *FileSink) vanished(name string) string {
	gone, err := unlinked(f.file)
	switch {
	case err != nil:
		return fmt.Sprintf("its open file cannot be read (%v)", err)
	case gone:
		return "its file was deleted (or its folder) while the server ran"
	}
	now := time.Now()
	if now.Sub(f.pathAt) < pathEvery {
		return ""
	}
	f.pathAt = now
	fi, err := f.file.Stat()
	if err != nil {
		return fmt.Sprintf("its open file cannot be read (%v)", err)
	}
	at, err := os.Stat(filepath.Join(f.dir, name))
	switch {
	case err != nil:
		return fmt.Sprintf("its file is no longer at its path (%v): its folder was deleted, moved or replaced", err)
	case !os.SameFile(fi, at):
		return "another file is at its path: it was moved away or replaced while the server ran"
	}
	return ""
}

// recreate makes the folder and the file name again after they vanished:
// a new segment of the file's trail (what was at the path set aside) and
// the public key exported again.
func (f *FileSink) recreate(name, why string) error {
	if err := os.MkdirAll(f.dir, 0o700); err != nil {
		return err
	}
	if f.chain == nil {
		path := filepath.Join(f.dir, name)
		if _, err := os.Lstat(path); err == nil {
			return os.Rename(path, fmt.Sprintf("%s.set-aside-%d", path, time.Now().UnixNano()))
		}
		return nil
	}
	c := f.chain
	c.sealMu.Lock()
	c.mu.Lock()
	t := c.files[name]
	c.mu.Unlock()
	if t == nil {
		t = &fileTrail{}
	}
	lost := t.sealedLines + uint64(len(t.events))
	reason := fmt.Sprintf("%s; lines 1 to %d are lost to the file; it starts again as segment %d", why, lost, t.segment+1)
	err := c.restart(name, t, reason)
	c.sealMu.Unlock()
	if err != nil {
		return err
	}
	if err := c.signer.ExportPublicKey(f.dir); err != nil {
		f.log.Error("failed to export the audit public key again", "dir", f.dir, "err", err)
	}
	c.find(Finding{File: name, First: 1, Last: lost, Reason: reason})
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
	closed, failing := f.closed, f.failing
	f.mu.Unlock()
	if closed {
		return errSinkClosed
	}
	if failing {
		// Look closer than the free space: something is in the way.
		if fi, err := os.Stat(f.dir); err == nil && !fi.IsDir() {
			return fmt.Errorf("audit folder: %s is not a folder", f.dir)
		}
	}
	err := hasFree(f.dir, f.minFree)
	if errors.Is(err, fs.ErrNotExist) && os.MkdirAll(f.dir, 0o700) == nil {
		// The folder was deleted: made again, the next write makes the
		// file again too (flush).
		err = hasFree(f.dir, f.minFree)
	}
	return err
}

// Close waits for the batch being written, writes the one gathering
// behind it (its writers wait for it: a writer that yielded, or waited
// for the write ahead, is answered as the others), closes the file and,
// with a Signer, signs the last digest. Writes after Close fail.
func (f *FileSink) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for f.writing || f.cur != nil {
		if f.writing {
			f.cond.Wait()
			continue
		}
		f.writeCur()
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
