package pgstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/store"
)

var (
	errTxDone   = errors.New("pgstore: transaction used after its function returned")
	errEmptyKey = errors.New("pgstore: empty key")
)

// pageRows is how many rows one query of a Scan reads: the rows are held
// in memory while the callback runs (the connection cannot run the
// callback's own statements while a query's rows are open).
const pageRows = 128

// The Scan queries: a lower bound that is the prefix (>=) or after (>),
// and an upper bound, the prefix's successor, when it has one. Separate
// statements, so that each plan is an index range scan bounded both ways.
var scanQueries = func() (q [2][2]string) {
	for _, strict := range []bool{false, true} {
		for _, upper := range []bool{false, true} {
			op, where := ">=", ""
			if strict {
				op = ">"
			}
			if upper {
				where = " AND key < $3"
			}
			q[b2i(strict)][b2i(upper)] = fmt.Sprintf("SELECT key, value FROM sealbox_kv WHERE key %s $1%s ORDER BY key LIMIT $2", op, where)
		}
	}
	return q
}()

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// tx is one store.Tx: statements on the connection of a PostgreSQL
// transaction (in a Batch, one call's share of it).
type tx struct {
	ctx      context.Context
	ptx      sender
	writable bool
	done     bool
	// bookkeeping: the writes were made under store.Bookkeeping.
	bookkeeping bool
	// err is the first statement that failed: PostgreSQL has aborted the
	// transaction (or the savepoint), so every later statement would fail
	// too, and it must not commit whatever fn makes of the error.
	err     error
	changes changeSet
	// held is the statements (writes, a savepoint) not sent yet: they go
	// to PostgreSQL with the next read, or at the end of the function,
	// in one round trip (see send).
	held []heldStmt
	// inheritedErr is set when a statement t inherited from an earlier
	// call of its Batch failed: the transaction fails, not t's call.
	inheritedErr error
	// savepointSent: a held SAVEPOINT has been sent.
	savepointSent bool
}

// heldStmt is a statement a tx holds back until its next round trip.
type heldStmt struct {
	sql  string
	args []any
	// key is the key a write changes (for a DELETE, if it removed a
	// row), noted in t.changes when the statement has run, in order.
	key     string
	deleted bool
	// changes is where the change is noted: the changes of the tx that
	// made the statement, which in a Batch may be an earlier call's.
	changes     *changeSet
	bookkeeping bool
	// inherited: made by an earlier call of the Batch (see batchOnce).
	inherited bool
}

func (t *tx) usable() error {
	if t.done {
		return errTxDone
	}
	return t.err
}

// fail records err as the statement failure that aborts the transaction
// and answers it, classified.
func (t *tx) fail(err error) error {
	if t.ctx.Err() == nil && !isConflict(err) {
		err = unavailable(err)
	}
	if t.err == nil {
		t.err = err
	}
	return err
}

// Get implements store.Tx. The value is the caller's to keep.
func (t *tx) Get(key string) ([]byte, error) {
	if err := t.usable(); err != nil {
		return nil, err
	}
	var v []byte
	err := t.send("SELECT value FROM sealbox_kv WHERE key = $1", []any{[]byte(key)}, func(br pgx.BatchResults) error {
		return br.QueryRow().Scan(&v)
	})
	if t.err != nil {
		return nil, t.err // a held statement failed
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, t.fail(err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Put implements store.Tx.
func (t *tx) Put(key string, value []byte) error {
	if err := t.usable(); err != nil {
		return err
	}
	if !t.writable {
		return store.ErrReadOnly
	}
	if key == "" {
		return errEmptyKey
	}
	if value == nil {
		value = []byte{} // nil would be NULL
	}
	// Copied: the statement is sent later, and the caller may reuse
	// value once Put returns.
	t.hold(heldStmt{sql: "INSERT INTO sealbox_kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
		args: []any{[]byte(key), bytes.Clone(value)}, key: key})
	return nil
}

// Delete implements store.Tx.
func (t *tx) Delete(key string) error {
	if err := t.usable(); err != nil {
		return err
	}
	if !t.writable {
		return store.ErrReadOnly
	}
	t.hold(heldStmt{sql: "DELETE FROM sealbox_kv WHERE key = $1", args: []any{[]byte(key)}, key: key, deleted: true})
	return nil
}

// hold keeps st for the next round trip. The writes of a transaction need
// no answer before it reads again or ends, so a function that reads one
// record and writes three costs two round trips rather than four.
func (t *tx) hold(st heldStmt) {
	if st.key != "" {
		st.changes, st.bookkeeping = &t.changes, t.bookkeeping
	}
	t.held = append(t.held, st)
}

// send sends the held statements, then sql with args unless sql is empty,
// in one round trip (a pipeline: PostgreSQL runs them in order, and stops
// at the first that fails), and hands sql's result to read. A held
// statement that fails is recorded as t.err and answered; read's error is
// answered as it is, for the caller to classify.
func (t *tx) send(sql string, args []any, read func(pgx.BatchResults) error) error {
	if len(t.held) == 0 {
		if sql == "" {
			return nil
		}
		// One statement: no pipeline needed.
		br := t.ptx.SendBatch(t.ctx, batchOf(sql, args))
		err := read(br)
		if cerr := br.Close(); err == nil && cerr != nil {
			err = cerr
		}
		return err
	}
	b := &pgx.Batch{}
	for _, st := range t.held {
		b.Queue(st.sql, st.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	held := t.held
	t.held = nil
	br := t.ptx.SendBatch(t.ctx, b)
	for _, st := range held {
		t.savepointSent = t.savepointSent || st.sql == savepointSQL
	}
	for _, st := range held {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			err = t.fail(err)
			if st.inherited && t.inheritedErr == nil {
				t.inheritedErr = err
			}
			return err
		}
		if st.changes != nil && (!st.deleted || tag.RowsAffected() > 0) {
			st.changes.note(store.Change{Key: st.key, Deleted: st.deleted, Bookkeeping: st.bookkeeping})
		}
	}
	var err error
	if sql != "" {
		err = read(br)
	}
	if cerr := br.Close(); err == nil && cerr != nil {
		err = cerr
	}
	return err
}

func batchOf(sql string, args []any) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(sql, args...)
	return b
}

// flush sends the held statements.
func (t *tx) flush() error {
	if err := t.send("", nil, nil); err != nil {
		return err
	}
	return t.err
}

// Scan implements store.Tx, a page of pageRows keys at a time: keys the
// callback writes ahead of the scan's position are visited, as in bbolt.
func (t *tx) Scan(prefix, after string, fn func(key string, value []byte) error) error {
	if err := t.usable(); err != nil {
		return err
	}
	upper, bounded := successor(prefix)
	from, strict := prefix, false
	if after != "" && after >= prefix {
		from, strict = after, true
	}
	type row struct{ k, v []byte }
	page := make([]row, 0, pageRows)
	for {
		args := []any{[]byte(from), pageRows}
		if bounded {
			args = append(args, upper)
		}
		page = page[:0]
		err := t.send(scanQueries[b2i(strict)][b2i(bounded)], args, func(br pgx.BatchResults) error {
			rows, err := br.Query()
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.k, &r.v); err != nil {
					return err
				}
				page = append(page, r)
			}
			return rows.Err()
		})
		if t.err != nil {
			return t.err
		}
		if err != nil {
			return t.fail(err)
		}
		for _, r := range page {
			if err := fn(string(r.k), r.v); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
			if err := t.usable(); err != nil {
				return err // the callback's own statement failed
			}
		}
		if len(page) < pageRows {
			return nil
		}
		from, strict = string(page[len(page)-1].k), true
	}
}

// successor answers the least key greater than every key that starts with
// prefix, and false when there is none (prefix is empty or all 0xff).
func successor(prefix string) ([]byte, bool) {
	b := []byte(prefix)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return b[:i+1], true
		}
	}
	return nil, false
}

// changeSet is the keys a transaction changed, in the order first
// changed, each with whether its last change deleted it, and whether
// every change to it was bookkeeping.
type changeSet struct {
	keys  []store.Change
	index map[string]int
}

func (c *changeSet) note(ch store.Change) {
	if i, ok := c.index[ch.Key]; ok {
		c.keys[i].Deleted = ch.Deleted
		c.keys[i].Bookkeeping = c.keys[i].Bookkeeping && ch.Bookkeeping
		return
	}
	if c.index == nil {
		c.index = map[string]int{}
	}
	c.index[ch.Key] = len(c.keys)
	c.keys = append(c.keys, ch)
}

func (c *changeSet) merge(o *changeSet) {
	for _, ch := range o.keys {
		c.note(ch)
	}
}
