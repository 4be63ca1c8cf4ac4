package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Sink takes serialised events. Write must not return before the line is
// handed to durable storage as far as the sink promises (see each sink).
type Sink interface {
	Name() string
	Write(ctx context.Context, e *Event, line []byte) error
	Close() error
}

// ErrNoSink is returned by Log when no sink took the event.
var ErrNoSink = errors.New("audit: no sink accepted the event")

// behind is how many events a later sink's queue holds; when it is full,
// Log waits for room (back-pressure) rather than drop or reorder.
const behind = 16384

// laterEvery is how often a later sink writes at most. Each store commit
// costs two fdatasyncs, more CPU here than the thousands of events one
// commit can carry: with a commit every few events Decrypt at concurrency
// 8 lost 36% of its rate to the store sink, with one every 50 ms 13%, every
// 200 ms 10%, and 3% once a commit's events went in blocks (README, Audit
// figures). A Flush does not wait for it.
const laterEvery = 200 * time.Millisecond

// BatchSink is a Sink that can take many events in one write: the store
// sink commits them in one transaction.
type BatchSink interface {
	Sink
	WriteBatch(ctx context.Context, entries []Entry) error
}

// Entry is one event of a WriteBatch, with its serialised line.
type Entry struct {
	Event *Event
	Line  []byte
	// hash is RecordHash(Line) when hashed: computed once for all the
	// Logger's sinks (writeEntry).
	hash   [32]byte
	hashed bool
}

// Logger fans each event out to its sinks. One success is enough (the
// others are logged loudly); none fails the call. Safe for concurrent use.
//
// The sinks are tried in their order: Log answers as soon as one has taken
// the event, and the sinks after it get the event from a queue, each in
// its own goroutine, as many at once as have queued (one WriteBatch for a
// BatchSink). So with "file,store" a call waits for a write(2) to the file,
// not for the store's commit, and the store still gets every event, in
// order, in a few large commits; when the file fails, Log waits for the
// store. Flush waits for the queues.
type Logger struct {
	sinks []Sink
	queue []*queue // queue[i] feeds sinks[i]; nil for the first
	log   *slog.Logger

	names   []string                // the sinks' names
	failing []atomic.Bool           // failing[i]: sinks[i]'s last write failed
	lastErr []atomic.Pointer[error] // lastErr[i]: sinks[i]'s last write error (status.go)

	closeMu sync.RWMutex
	closed  bool
}

// queue is a later sink's backlog and the goroutine that drains it.
type queue struct {
	ch     chan Entry
	mu     sync.Mutex
	cond   *sync.Cond
	queued atomic.Uint64 // entries put in ch
	done   uint64        // entries written (or failed), under mu; ch is FIFO, one reader
	hurry  chan struct{} // Flush wakes a waiting drain
	exited chan struct{}
}

// NewLogger returns a Logger over sinks; logger reports failing sinks.
func NewLogger(logger *slog.Logger, sinks ...Sink) *Logger {
	if logger == nil {
		logger = slog.Default()
	}
	l := &Logger{sinks: sinks, queue: make([]*queue, len(sinks)), log: logger,
		names: make([]string, len(sinks)), failing: make([]atomic.Bool, len(sinks)),
		lastErr: make([]atomic.Pointer[error], len(sinks))}
	for i, s := range sinks {
		l.names[i] = s.Name()
	}
	for i := 1; i < len(sinks); i++ {
		q := &queue{ch: make(chan Entry, behind), hurry: make(chan struct{}, 1), exited: make(chan struct{})}
		q.cond = sync.NewCond(&q.mu)
		l.queue[i] = q
		go l.drain(i, q)
	}
	return l
}

// Log records e. It returns once a sink has taken the event, or ErrNoSink
// (wrapped with the causes) when none did; the caller must then not answer
// the request with success. e must not change afterwards: a later sink may
// still be writing it.
func (l *Logger) Log(ctx context.Context, e *Event) error {
	if p := pendingFrom(ctx); p != nil && p.keep(e) {
		return nil // written with the call's own event (LogPending)
	}
	line, err := encodeLine(e)
	if err != nil {
		return fmt.Errorf("failed to encode audit event: %w", err)
	}
	en := Entry{Event: e, Line: line}
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	var errs []error
	for i, s := range l.sinks {
		err := writeEntry(ctx, s, &en)
		l.setFailing(i, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.names[i], err))
			continue
		}
		for j := i + 1; j < len(l.sinks); j++ {
			l.later(j, en)
		}
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoSink, errors.Join(errs...))
}

// hashingSink is a sink of this package that hashes each record
// (RecordHash): it takes the hash the Logger computed rather than compute
// it again.
type hashingSink interface {
	hashes() bool
	writeHashed(ctx context.Context, e *Event, line []byte, h [32]byte) error
}

// writeEntry writes en to s. The sinks that chain their records (the file
// and the store) hash the same bytes: the first to write en hashes it, and
// the entries queued for the later sinks carry the hash.
func writeEntry(ctx context.Context, s Sink, en *Entry) error {
	if hs, ok := s.(hashingSink); ok && hs.hashes() {
		if !en.hashed {
			en.hash, en.hashed = RecordHash(en.Line), true
		}
		return hs.writeHashed(ctx, en.Event, en.Line, en.hash)
	}
	return s.Write(ctx, en.Event, en.Line)
}

// scratch holds the buffers events are encoded in.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// appendLine appends e's record and its newline to b. What appendEvent
// cannot encode, json.Marshal fails on as it always did (or encodes:
// correct first).
func appendLine(b []byte, e *Event) ([]byte, error) {
	start := len(b)
	nb, err := appendEvent(b, e)
	if err != nil {
		line, err := json.Marshal(e)
		if err != nil {
			return b[:start], err
		}
		nb = append(b[:start], line...)
	}
	return append(nb, '\n'), nil
}

// encodeLine returns e's record and its newline, in a slice of its own: a
// later sink keeps it until its queue is written.
func encodeLine(e *Event) ([]byte, error) {
	bp := scratch.Get().(*[]byte)
	b, err := appendLine((*bp)[:0], e)
	if err != nil {
		scratch.Put(bp)
		return nil, err
	}
	line := bytes.Clone(b)
	if cap(b) <= 64<<10 {
		*bp = b
		scratch.Put(bp)
	}
	return line, nil
}

// encodeLines is encodeLine for each of es, their lines in one allocation:
// each line is a slice of its own capacity, so that appending to one
// cannot write into the next. A call's group of events (a batch read's
// twenty-one) then costs one buffer, not one per event.
func encodeLines(es []*Event) ([]Entry, error) {
	ens := make([]Entry, len(es))
	bp := scratch.Get().(*[]byte)
	b := (*bp)[:0]
	for i, e := range es {
		start := len(b)
		var err error
		if b, err = appendLine(b, e); err != nil {
			scratch.Put(bp)
			return nil, err
		}
		ens[i] = Entry{Event: e, Line: b[start:]} // its length, for now
	}
	all := bytes.Clone(b) // not cleared first, as make would
	if cap(b) <= 64<<10 {
		*bp = b
		scratch.Put(bp)
	}
	start := 0
	for i := range ens {
		end := start + len(ens[i].Line)
		ens[i].Line = all[start:end:end]
		start = end
	}
	return ens, nil
}

// Readier is a Sink (or a Logger) that can say, before a call changes
// anything, whether it could take the call's event.
type Readier interface {
	Ready() error
}

// Ready reports whether some sink could take an event now: a sink that is
// not a Readier counts as ready unless its last write failed. It returns
// ErrNoSink (wrapped with the causes) otherwise. The router asks before a
// write call, so that a call whose event could not be kept is refused
// before it changes anything, not after.
func (l *Logger) Ready() error {
	var errs []error
	for i, s := range l.sinks {
		var err error
		if r, ok := s.(Readier); ok {
			err = r.Ready()
		} else if l.failing[i].Load() {
			err = errors.New("its last write failed")
		}
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
	}
	return fmt.Errorf("%w: %w", ErrNoSink, errors.Join(errs...))
}

// WriteMetrics writes sealbox_audit_sink_up in Prometheus' text format: 1
// for a sink whose last write succeeded and that is Ready (if it can
// tell), 0 for one that fails. Sinks are named by kind (file, store,
// syslog), not by their folder or address.
func (l *Logger) WriteMetrics(w io.Writer) {
	const name = "sealbox_audit_sink_up"
	fmt.Fprintf(w, "# HELP %s Whether the audit sink takes events (1) or fails (0); calls fail only when every sink does.\n# TYPE %s gauge\n", name, name)
	for _, st := range l.SinkStates() {
		v := 0
		if st.Up {
			v = 1
		}
		fmt.Fprintf(w, "%s{sink=%q} %d\n", name, st.Kind, v)
	}
}

// later queues an entry for sinks[i]; after Close it writes it at once.
func (l *Logger) later(i int, en Entry) {
	q := l.queue[i]
	if q == nil || l.closed {
		l.setFailing(i, writeEntry(context.Background(), l.sinks[i], &en))
		return
	}
	q.ch <- en
	q.queued.Add(1)
}

// drain writes a later sink's queue until it is closed: everything queued
// at once, in one WriteBatch when the sink can. The writes outlive the
// requests: the calls happened.
func (l *Logger) drain(i int, q *queue) {
	s := l.sinks[i]
	defer close(q.exited)
	bs, batches := s.(BatchSink)
	var buf []Entry
	var last time.Time
	for en := range q.ch {
		// Let the queue fill a while: a store commit's fdatasyncs cost
		// more than the hundreds of events that one commit can carry.
		if wait := laterEvery - time.Since(last); wait > 0 && len(q.ch) < behind/2 {
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-q.hurry: // a Flush waits
			}
			t.Stop()
		}
		last = time.Now()
		buf = append(buf[:0], en)
	more:
		for len(buf) < behind {
			select {
			case en, ok := <-q.ch:
				if !ok {
					break more
				}
				buf = append(buf, en)
			default:
				break more
			}
		}
		var err error
		if batches {
			err = bs.WriteBatch(context.Background(), buf)
		} else {
			for j := range buf {
				err = errors.Join(err, writeEntry(context.Background(), s, &buf[j]))
			}
		}
		l.setFailing(i, err)
		clear(buf) // let the events go
		q.mu.Lock()
		q.done += uint64(len(buf))
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

// Flush returns once the later sinks have written every event whose Log
// returned before Flush was called, so that a reader of a later sink
// (LookupEvents reads the store) sees every call answered before it asked.
func (l *Logger) Flush() {
	for _, q := range l.queue {
		if q == nil {
			continue
		}
		select {
		case q.hurry <- struct{}{}:
		default:
		}
		q.mu.Lock()
		for t := q.queued.Load(); q.done < t; {
			q.cond.Wait()
		}
		q.mu.Unlock()
	}
}

// setFailing notes how sinks[i]'s last write went, and logs a change. It
// runs for every event: no lock.
func (l *Logger) setFailing(i int, err error) {
	was := l.failing[i].Swap(err != nil)
	name := l.names[i]
	switch {
	case err != nil && !was:
		l.noteErr(i, err)
		l.log.Error("audit sink is failing", "sink", name, "err", err)
	case err != nil:
		l.noteErr(i, err)
	case err == nil && was:
		l.log.Warn("audit sink recovered", "sink", name)
	}
}

// Close writes what the later sinks have queued and closes every sink.
// Events logged after Close go to the (closed) sinks at once, and fail.
func (l *Logger) Close() error {
	l.closeMu.Lock()
	if !l.closed {
		l.closed = true
		for _, q := range l.queue {
			if q != nil {
				close(q.ch)
				<-q.exited
			}
		}
	}
	l.closeMu.Unlock()
	var errs []error
	for _, s := range l.sinks {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
