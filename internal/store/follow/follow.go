// Package follow carries a shared store's change log to this server's
// watchers: the Follower reads the commits other servers made (a LISTEN
// wakes it, a poll every second is the safety net) and delivers them to the
// server's store.FeedStore as if they had committed here, in commit order,
// so that every cache in the server follows every server's writes.
//
// While it cannot prove it has heard of every commit (the LISTEN connection
// dropped, or a read of the log failed or took longer than Timeout, 1 s:
// the log is read at least every Poll, 1 s, so a follower that has read
// nothing for 2 s says so) it
// suspends the server's caches (cache.Registry.Suspend: they serve and
// keep nothing, the services read the store); once it has read the log
// from where it stopped and delivered what it missed, it resumes them. A
// log pruned past where it stopped (the server was cut off for longer than
// the log keeps changes) cannot be caught up: the caches were emptied when
// they were suspended, and the follower starts over from the newest seq.
package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// Record is one committed transaction's changes, as the log holds them.
type Record struct {
	Seq     int64     // orders the records; a higher seq committed later
	At      time.Time // when it was written, on the database's clock
	Origin  int64     // the writing store's origin (see Config.Origin)
	Changes []store.Change
}

// ErrPruned is wrapped by a Log's ChangesAfter when the records asked for
// have been pruned.
var ErrPruned = errors.New("follow: the change log no longer holds the changes asked for")

// Log is a shared store's change log (pgstore.Store, adapted by the
// server).
type Log interface {
	// Listen answers a channel that receives a seq soon after each
	// commit, closed when the connection is lost or ctx is done.
	Listen(ctx context.Context) (<-chan int64, error)
	// ChangesAfter answers up to limit records after seq, in seq order:
	// one asked for after the last seq it answered misses nothing.
	ChangesAfter(ctx context.Context, seq int64, limit int) ([]Record, error)
	// LatestSeq answers the newest record's seq.
	LatestSeq(ctx context.Context) (int64, error)
}

// Caches are what the follower suspends while it is not current
// (cache.Registry).
type Caches interface {
	Suspend()
	Resume()
	Purge()
}

// Config configures a Follower.
type Config struct {
	Log Log
	// Local hears of the records other stores committed.
	Local *store.FeedStore
	// Origin is this server's store's origin: its records were delivered
	// to Local as they committed, and are not delivered again.
	Origin int64
	// Key maps a key of the log to the key Local's watchers know (the
	// barrier's "v/<key>" to "<key>"); false: none of theirs.
	Key func(raw string) (string, bool)
	// Caches are suspended while the follower is not current.
	Caches Caches
	// Global, if set, hears of every record, this server's own included,
	// in seq order, after Local (the change hub numbers them by seq).
	// Restart, if set, is told the seq the follower starts from, first
	// and after a pruned log: the records before it will not be heard of.
	Global  func(seq int64, changes []store.Change)
	Restart func(seq int64)
	// Poll is how often the log is read without a notification (1 s);
	// Timeout bounds each read of it, and a follower whose last good read
	// is older than Poll+Timeout is not current (1 s).
	Poll, Timeout time.Duration
	Logger        *slog.Logger
}

// batch is how many records one read of the log asks for.
const batch = 1000

// Follower follows a change log; see the package comment. Create it with
// New, run it with Run.
type Follower struct {
	cfg Config

	seq       atomic.Int64 // the last record delivered
	connected atomic.Bool  // the LISTEN connection is up
	lastRead  atomic.Int64 // unix nanos of the last read of the log that succeeded

	mu      sync.Mutex
	current bool          // the caches are resumed
	changed chan struct{} // closed when current changes
	hold    chan struct{} // non-nil: do not connect until it is closed (Hold)
}

// New returns a follower of cfg.Log and suspends cfg.Caches: until Run has
// read the log, the server cannot prove its caches current.
func New(cfg Config) *Follower {
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Second
	}
	if cfg.Key == nil {
		cfg.Key = func(k string) (string, bool) { return k, true }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &Follower{cfg: cfg, changed: make(chan struct{})}
	cfg.Caches.Suspend()
	return f
}

// Run follows the log until ctx is done.
func (f *Follower) Run(ctx context.Context) {
	defer f.setCurrent(false)
	first := true
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		if err := f.waitHold(ctx); err != nil {
			return
		}
		err := f.follow(ctx, &first)
		f.connected.Store(false)
		f.setCurrent(false)
		if ctx.Err() != nil {
			return
		}
		if f.lastRead.Load() > time.Now().Add(-f.cfg.Poll-f.cfg.Timeout).UnixNano() {
			backoff = 50 * time.Millisecond // it was following: a new outage
		}
		f.cfg.Logger.Warn("the change feed is down: caches bypassed until it is back", "err", err, "seq", f.seq.Load())
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// follow connects, catches up, resumes the caches and follows until a
// read fails or the connection drops.
func (f *Follower) follow(ctx context.Context, first *bool) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()                      // closes the LISTEN connection
	notes, err := f.cfg.Log.Listen(ctx) // ctx is the connection's life; connecting is bounded by the store's connect timeout
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	f.connected.Store(true)
	if *first {
		// The caches are empty (suspended since New): nothing to catch up.
		if err := f.restart(ctx); err != nil {
			return err
		}
		*first = false
	}
	if err := f.catchUp(ctx); err != nil {
		return err
	}
	f.setCurrent(true)
	poll := time.NewTicker(f.cfg.Poll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case _, ok := <-notes:
			if !ok {
				return errors.New("the LISTEN connection was lost")
			}
		case <-poll.C:
		}
		if err := f.catchUp(ctx); err != nil {
			return err
		}
		f.setCurrent(true) // again, if a pruned log suspended the caches
	}
}

// restart follows from the newest seq.
func (f *Follower) restart(ctx context.Context) error {
	rctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
	defer cancel()
	seq, err := f.cfg.Log.LatestSeq(rctx)
	if err != nil {
		return fmt.Errorf("read the newest seq: %w", err)
	}
	f.seq.Store(seq)
	if f.cfg.Restart != nil {
		f.cfg.Restart(seq)
	}
	return nil
}

// catchUp reads and delivers every record after the last one delivered.
// A pruned log (the follower was away too long) empties the caches and
// restarts from the newest seq.
func (f *Follower) catchUp(ctx context.Context) error {
	for {
		rctx, cancel := context.WithTimeout(ctx, f.cfg.Timeout)
		recs, err := f.cfg.Log.ChangesAfter(rctx, f.seq.Load(), batch)
		cancel()
		if errors.Is(err, ErrPruned) {
			f.cfg.Logger.Warn("the change log was pruned past this server's position: caches emptied", "seq", f.seq.Load())
			f.setCurrent(false) // suspends, which empties the caches
			f.cfg.Caches.Purge()
			if err := f.restart(ctx); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read the change log: %w", err)
		}
		f.lastRead.Store(time.Now().UnixNano())
		for _, r := range recs {
			f.deliver(r)
		}
		if len(recs) < batch {
			return nil
		}
	}
}

// deliver hands one record to the watchers: this server's caches first,
// then the hub, whose pollers read through those caches.
func (f *Follower) deliver(r Record) {
	changes := make([]store.Change, 0, len(r.Changes))
	for _, c := range r.Changes {
		if k, ok := f.cfg.Key(c.Key); ok {
			c.Key = k
			changes = append(changes, c)
		}
	}
	if r.Origin != f.cfg.Origin && len(changes) > 0 {
		f.cfg.Local.Deliver(changes)
	}
	if f.cfg.Global != nil {
		f.cfg.Global(r.Seq, changes)
	}
	f.seq.Store(r.Seq)
}

// setCurrent suspends or resumes the caches.
func (f *Follower) setCurrent(current bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == current {
		if !current {
			f.cfg.Caches.Suspend() // again: fills since may predate what was missed
		}
		return
	}
	f.current = current
	if current {
		f.cfg.Caches.Resume()
	} else {
		f.cfg.Caches.Suspend()
	}
	close(f.changed)
	f.changed = make(chan struct{})
}

// Current reports whether the follower has heard of every commit up to its
// last read of the log, and that read is recent: the caches serve.
func (f *Follower) Current() bool {
	f.mu.Lock()
	current := f.current
	f.mu.Unlock()
	return current && time.Since(time.Unix(0, f.lastRead.Load())) < f.cfg.Poll+f.cfg.Timeout
}

// WaitCurrent returns once the follower is current (or is not, as
// want says), or with ctx's error.
func (f *Follower) WaitCurrent(ctx context.Context, want bool) error {
	for {
		f.mu.Lock()
		current, changed := f.current, f.changed
		f.mu.Unlock()
		if current == want {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Hold keeps the follower from connecting again, once it has lost its
// connection, until release is called: tests hold it to see a server whose
// feed is down.
func (f *Follower) Hold() (release func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan struct{})
	f.hold = ch
	return sync.OnceFunc(func() {
		f.mu.Lock()
		if f.hold == ch {
			f.hold = nil
		}
		f.mu.Unlock()
		close(ch)
	})
}

func (f *Follower) waitHold(ctx context.Context) error {
	f.mu.Lock()
	hold := f.hold
	f.mu.Unlock()
	if hold == nil {
		return nil
	}
	select {
	case <-hold:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Seq is the seq of the last record delivered.
func (f *Follower) Seq() int64 { return f.seq.Load() }

// WriteMetrics writes the follower's gauges in Prometheus' text format.
func (f *Follower) WriteMetrics(w io.Writer) {
	connected := 0
	if f.connected.Load() {
		connected = 1
	}
	lag := 0.0
	if last := f.lastRead.Load(); last != 0 {
		lag = time.Since(time.Unix(0, last)).Seconds()
	}
	fmt.Fprintf(w, "# HELP sealbox_feed_lag_seconds Time since the change feed was last read to its end (while current, at most the poll interval).\n# TYPE sealbox_feed_lag_seconds gauge\nsealbox_feed_lag_seconds %g\n", lag)
	fmt.Fprintf(w, "# HELP sealbox_feed_seq The seq of the last change delivered from the change feed.\n# TYPE sealbox_feed_seq gauge\nsealbox_feed_seq %d\n", f.seq.Load())
	fmt.Fprintf(w, "# HELP sealbox_feed_connected Whether the change feed's LISTEN connection is up.\n# TYPE sealbox_feed_connected gauge\nsealbox_feed_connected %d\n", connected)
}
