package pgstore

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// sender sends a pipeline of statements on a transaction's connection: a
// pgx.Tx, or View's lazyTx.
type sender interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// beginReadOnly begins View's transaction. PostgreSQL takes a REPEATABLE
// READ transaction's snapshot at its first statement, not at BEGIN, so
// sending BEGIN with that statement sees what a BEGIN sent earlier would.
const beginReadOnly = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// lazyTx is View's transaction, begun by its first statement in the same
// round trip: a View whose function reads nothing from the store (its
// records all in a cache) costs PostgreSQL nothing, and one that reads
// once costs two round trips (BEGIN with the read, then ROLLBACK) instead
// of three.
type lazyTx struct {
	s    *Store
	conn *pgxpool.Conn // nil until the first statement
}

var _ sender = (*lazyTx)(nil)

// SendBatch implements sender. The first batch acquires a connection and
// begins on it; a pooled connection that PostgreSQL closed meanwhile fails
// at BEGIN, before anything ran, and another is tried, as Store.begin
// does.
func (l *lazyTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	if l.conn != nil {
		return l.conn.SendBatch(ctx, b)
	}
	full := &pgx.Batch{QueuedQueries: append([]*pgx.QueuedQuery{{SQL: beginReadOnly}}, b.QueuedQueries...)}
	for attempt := 1; ; attempt++ {
		conn, err := l.s.pool.Acquire(ctx)
		if err != nil {
			return errResults{err}
		}
		br := conn.SendBatch(ctx, full)
		_, err = br.Exec()
		if err == nil {
			l.conn = conn
			return br
		}
		br.Close()
		conn.Release() // the pool drops a connection left broken or in a transaction
		var ce *pgconn.ConnectError
		if attempt > l.s.maxConns || ctx.Err() != nil || errors.As(err, &ce) || !cannotReach(err) {
			return errResults{err}
		}
	}
}

// end rolls back the transaction, if it began, and gives the connection
// back.
func (l *lazyTx) end() {
	if l.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l.conn.Exec(ctx, "ROLLBACK") // read only: nothing to commit; a broken connection is dropped by Release
	l.conn.Release()
	l.conn = nil
}

// errResults answers err to every read of a batch that was never sent.
type errResults struct{ err error }

func (e errResults) Exec() (pgconn.CommandTag, error) { return pgconn.CommandTag{}, e.err }
func (e errResults) Query() (pgx.Rows, error)         { return nil, e.err }
func (e errResults) QueryRow() pgx.Row                { return errRow(e) }
func (e errResults) Close() error                     { return e.err }
func (e errResults) Tx() pgx.Tx                       { return nil }

type errRow struct{ err error }

func (e errRow) Scan(...any) error { return e.err }
