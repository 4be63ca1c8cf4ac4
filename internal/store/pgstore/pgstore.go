// Package pgstore is the store.Store that several sealbox servers share:
// PostgreSQL, through pgx's connection pool.
//
// Every key is one row of sealbox_kv, key and value as bytea, so the
// database orders keys bytewise whatever its collation, and a key may hold
// any byte. A Scan is a range query (prefix <= key < the prefix's
// successor) read in pages of pageRows, so a huge prefix is never in memory
// at once.
//
// # Transactions
//
// View is a READ ONLY, REPEATABLE READ transaction: one snapshot of
// committed data. Update and Batch are SERIALIZABLE. Their functions read
// what they decide on (a Get of a key that must not exist yet, a Scan that
// checks a name is free) and write after: REPEATABLE READ with row locks
// cannot lock a row that does not exist, so two servers could both see a
// name free and both take it (write skew). PostgreSQL's serializable
// isolation detects that, predicate reads over ranges included, and fails
// one of the two with SQLSTATE 40001; a deadlock (40P01) fails one too.
// Either way the store rolls back and runs the function again, from the
// start, after a jittered backoff, up to maxAttempts times: callers of
// Update see one commit or an error, never a lost update. (Hence
// store.Update's rule that fn may run more than once.) A View may see a
// state no serial order of the writers produces (PostgreSQL's read-only
// anomaly, which only SERIALIZABLE READ ONLY DEFERRABLE avoids, at the
// price of waiting); it sees committed data, consistently, and writes
// nothing, which is all the services ask of it.
//
// Batch group-commits: calls that arrive while a batch is committing share
// the next PostgreSQL transaction, each under its own SAVEPOINT, so an
// error a function returns rolls back only its writes and fails only its
// call. (A write PostgreSQL refuses may fail the transaction, every call
// of it: a call's last writes are sent with the next call's first read.)
//
// Round trips. A transaction's writes are held and sent pipelined with its
// next read or at its end (tx.send); View's BEGIN goes with its first
// read, and a View that reads nothing (its records cached) never begins.
//
// # The change log
//
// Every read-write transaction that changed keys appends, in the same
// transaction, one row to sealbox_changes (its seq from a sequence, the
// keys, which were deletions, which were store.Bookkeeping) and NOTIFYs sealbox_changes with the seq;
// see ChangesAfter, LatestSeq and Listen, which the cross-server change
// feed follows.
//
// # Failures
//
// Every operation honours its context; connecting has a timeout
// (Options.ConnectTimeout) and so has every statement (statement_timeout).
// An error that says PostgreSQL cannot be reached wraps
// store.ErrUnavailable.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sealbox/sealbox/internal/store"
)

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// Password, when set, is the password to log in with, in place of
	// the URL's (or PGPASSWORD's, or PGPASSFILE's, which pgx reads when
	// the URL has none).
	Password string
	// ConnectTimeout bounds each connection attempt when the URL sets no
	// connect_timeout. Zero means 5 s.
	ConnectTimeout time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for the store's
	// sessions. Zero means 30 s.
	StatementTimeout time.Duration
	// BatchTimeout bounds one batch transaction, which serves several
	// callers and so runs under none of their contexts. Zero means 30 s.
	BatchTimeout time.Duration
	// ChangeRetention is how long change-log rows are kept: older ones
	// are pruned, in bounded steps, as writes go on. Zero means 24 h.
	ChangeRetention time.Duration
}

func (o *Options) defaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = 30 * time.Second
	}
	if o.BatchTimeout <= 0 {
		o.BatchTimeout = 30 * time.Second
	}
	if o.ChangeRetention <= 0 {
		o.ChangeRetention = 24 * time.Hour
	}
}

// serializable is Update's and Batch's isolation; View's is in
// beginReadOnly.
var serializable = pgx.TxOptions{IsoLevel: pgx.Serializable}

// begin begins a transaction. A pooled connection that PostgreSQL closed
// meanwhile (a restart, an administrator) fails at BEGIN, before anything
// ran: begin tries another, so that a restart costs callers nothing once
// the database is back. A database that cannot be reached fails at once.
func (s *Store) begin(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error) {
	for attempt := 1; ; attempt++ {
		ptx, err := s.pool.BeginTx(ctx, opts)
		var ce *pgconn.ConnectError
		if err == nil || attempt > s.maxConns || ctx.Err() != nil || errors.As(err, &ce) || !cannotReach(err) {
			return ptx, err
		}
	}
}

// maxAttempts bounds how often a transaction runs when it keeps
// conflicting with others (SQLSTATE 40001, 40P01).
const maxAttempts = 30

// Store is a store.Store on one PostgreSQL database. Create it with Open;
// the zero value is not usable. Safe for concurrent use.
type Store struct {
	pool   *pgxpool.Pool
	opts   Options
	closed atomic.Bool
	batch  store.GroupCommit[*batchCall]

	bgMu    sync.Mutex     // orders goBackground's Add before Close's Wait
	bg      sync.WaitGroup // pruning, listeners
	stop    context.CancelFunc
	stopCtx context.Context

	origin   int64        // see Origin
	written  atomic.Int64 // change rows this store appended, for pruning
	pruning  atomic.Bool
	migrated bool // Open ran migrations (tests)
	maxConns int  // the pool's size
}

var _ store.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at url (postgres://... or
// postgresql://..., or a key=value connection string; sslmode and the
// other libpq settings as pgx reads them), brings its schema up to the
// version this code knows (see migrate), and answers the store. It fails
// with an error wrapping ErrSchemaTooNew on a database a newer sealbox has
// migrated, and wrapping store.ErrUnavailable when PostgreSQL cannot be
// reached.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	opts.defaults()
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the connection string, password and
		// all: say what is wrong without it.
		return nil, errors.New("failed to parse the PostgreSQL connection URL (check its syntax; the password is not shown)")
	}
	cc := cfg.ConnConfig
	if opts.Password != "" {
		cc.Password = opts.Password
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = opts.ConnectTimeout
	}
	if cc.RuntimeParams == nil {
		cc.RuntimeParams = map[string]string{}
	}
	cc.RuntimeParams["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	// A server that dies mid-transaction must not hold its locks for
	// long.
	cc.RuntimeParams["idle_in_transaction_session_timeout"] = strconv.FormatInt((2 * opts.StatementTimeout).Milliseconds(), 10)
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "sealbox"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, unavailable(fmt.Errorf("failed to connect to PostgreSQL: %w", err))
	}
	s := &Store{pool: pool, opts: opts, maxConns: int(cfg.MaxConns), origin: newOrigin()}
	s.batch.Max = maxBatch
	s.stopCtx, s.stop = context.WithCancel(context.Background())
	if s.migrated, err = migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// View runs fn in a read-only transaction on a snapshot of committed data,
// begun with fn's first statement (see lazyTx).
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	lazy := &lazyTx{s: s}
	t := &tx{ctx: ctx, ptx: lazy}
	defer func() {
		t.done = true
		lazy.end()
	}()
	ferr := fn(t)
	if t.err != nil && (ferr == nil || isUnavailable(t.err)) {
		return t.err
	}
	return ferr
}

// Update runs fn in a serializable read-write transaction and commits it
// if fn returns nil. When the transaction conflicts with another (this
// server's or another's), it is rolled back and fn runs again.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	return s.retry(ctx, func() error { return s.update(ctx, fn) })
}

// retry runs attempt until it returns anything but a serialization
// failure or deadlock, at most maxAttempts times, backing off between.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	for n := 0; ; n++ {
		err := attempt()
		if !isConflict(err) {
			return err
		}
		if n+1 >= maxAttempts {
			return fmt.Errorf("failed to commit after %d attempts, each conflicting with another transaction: %w", maxAttempts, err)
		}
		if err := sleep(ctx, backoff(n)); err != nil {
			return err
		}
	}
}

// backoff is the wait before attempt n+1: full jitter over a doubling
// ceiling, 1 ms to 100 ms.
func backoff(n int) time.Duration {
	ceiling := time.Millisecond << min(n, 7)
	return time.Duration(rand.Int64N(int64(min(ceiling, 100*time.Millisecond)))) + 100*time.Microsecond
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// update is one attempt of Update.
func (s *Store) update(ctx context.Context, fn func(store.Tx) error) (err error) {
	ptx, err := s.begin(ctx, serializable)
	if err != nil {
		return s.failed(ctx, "begin", err)
	}
	t := &tx{ctx: ctx, ptx: ptx, writable: true, bookkeeping: store.IsBookkeeping(ctx)}
	committed := false
	defer func() {
		t.done = true
		if !committed {
			rollback(ptx) // also when fn panics; the panic goes on
		}
	}()
	ferr := fn(t)
	if ferr == nil && t.err == nil {
		t.flush() // the writes fn made last; a failure is t.err
	}
	if t.err != nil && (ferr == nil || isConflict(t.err) || isUnavailable(t.err)) {
		// A statement failed: the transaction is aborted whatever fn
		// made of it.
		return t.err
	}
	if ferr != nil {
		return ferr
	}
	if err := s.logChanges(ctx, ptx, t.changes.keys); err != nil {
		return err
	}
	committed = true
	if err := ptx.Commit(ctx); err != nil {
		return s.failed(ctx, "commit", err)
	}
	s.afterCommit(len(t.changes.keys) > 0)
	return nil
}

func rollback(ptx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ptx.Rollback(ctx) // a broken connection is discarded by the pool
}

// usable answers why a transaction may not start: a done ctx or a closed
// store.
func (s *Store) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	return nil
}

// Close stops the store's background work, waits for the transactions in
// flight, and closes the pool. Later View, Update and Batch calls return
// store.ErrClosed. Closing twice is not an error.
func (s *Store) Close() error {
	s.bgMu.Lock()
	already := s.closed.Swap(true)
	s.bgMu.Unlock()
	if already {
		return nil
	}
	s.stop()
	s.bg.Wait()
	s.pool.Close()
	return nil
}

// failed turns err, from doing what, into the error to return: ctx's own
// when ctx is done, ErrClosed when the store is, store.ErrUnavailable
// wrapped when the database cannot be reached.
func (s *Store) failed(ctx context.Context, what string, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	if isConflict(err) {
		return err
	}
	return unavailable(fmt.Errorf("failed to %s a PostgreSQL transaction: %w", what, err))
}

// unavailable wraps err in store.ErrUnavailable when it says the database
// cannot be reached (or answer).
func unavailable(err error) error {
	if isUnavailable(err) {
		return err
	}
	if !cannotReach(err) {
		return err
	}
	return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
}

// cannotReach tells an error that says the database is out of reach (or
// not answering) from one that says something else is wrong.
func cannotReach(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return unavailableCode(pe.Code)
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		pgconn.Timeout(err) || pgconn.SafeToRetry(err) || errors.Is(err, context.DeadlineExceeded) ||
		strings.Contains(err.Error(), "conn closed") // pgx's word for a connection it lost earlier
}

func isUnavailable(err error) bool { return errors.Is(err, store.ErrUnavailable) }

// unavailableCode tells the SQLSTATEs that mean "not now": connection
// exceptions (class 08), the server shutting down or starting (57P01-3),
// too many connections (53300), and a statement that ran out of time
// (57014, which statement_timeout raises).
func unavailableCode(code string) bool {
	switch code {
	case "57P01", "57P02", "57P03", "53300", "57014":
		return true
	}
	return len(code) == 5 && code[:2] == "08"
}

// isConflict reports a serialization failure or deadlock: the transaction
// may succeed if run again.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// newOrigin draws a Store's origin: random, not 0 (rows written before
// origins were recorded carry 0).
func newOrigin() int64 {
	for {
		if o := rand.Int64(); o != 0 {
			return o
		}
	}
}
