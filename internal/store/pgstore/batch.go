package pgstore

import (
	"context"
	"errors"

	"github.com/sealbox/sealbox/internal/store"
)

// maxBatch bounds the calls that share one transaction. Each runs under
// its own savepoint, a subtransaction: PostgreSQL tracks up to 64 of them
// per transaction cheaply, and beyond that every other session's
// visibility checks slow down (subtransaction cache overflow).
const maxBatch = 48

const savepointSQL = "SAVEPOINT sealbox_call"

// batchCall is one Batch call in the store's group commit
// (store.GroupCommit, as boltstore's, bounded by maxBatch).
type batchCall struct {
	ctx   context.Context
	fn    func(store.Tx) error
	err   error // set by the committer before the call is done
	own   bool  // err is the call's own (fn's, or its ctx's), not the transaction's
	panic any   // what fn panicked with, re-raised on the caller's goroutine
	store.Queued
}

// Batch implements store.Store: calls that arrive together share one
// serializable transaction, each under a savepoint. An error from one fn
// rolls back that fn's writes only and fails only its call; a conflict
// with another transaction runs them all again.
func (s *Store) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if err := s.usable(ctx); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, fn: fn}
	s.batch.Do(c, s.commitBatch) // commitBatch sets each call's err
	if c.panic != nil {
		panic(c.panic)
	}
	return c.err
}

// commitBatch runs calls in one transaction, again on a conflict, and
// sets each call's err.
func (s *Store) commitBatch(calls []*batchCall) {
	// The transaction serves several callers, so it runs under none of
	// their contexts (one caller giving up would break it for all), but
	// under a deadline of its own.
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.BatchTimeout)
	defer cancel()
	err := s.retry(ctx, func() error { return s.batchOnce(ctx, calls) })
	for _, c := range calls {
		if !c.own {
			c.err = err
		}
	}
}

// batchOnce is one attempt at committing calls. It sets the errors the
// calls own and answers the transaction's.
func (s *Store) batchOnce(ctx context.Context, calls []*batchCall) (err error) {
	for _, c := range calls {
		c.err, c.own, c.panic = nil, false, nil
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	ptx, err := s.begin(ctx, serializable)
	if err != nil {
		return s.failed(ctx, "begin", err)
	}
	committed := false
	defer func() {
		if !committed {
			rollback(ptx)
		}
	}()
	// A call's writes and the RELEASE of its savepoint are not sent when
	// its function returns, but carried to the next call and sent with
	// its SAVEPOINT and first read: a call that reads once costs one
	// round trip. A carried statement that fails fails the transaction
	// (every call), not the next call; only a function's own error is
	// its call's alone.
	var carry []heldStmt
	var ok []*tx // the calls that succeeded, in order
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.err, c.own = err, true
			continue
		}
		t := &tx{ctx: ctx, ptx: ptx, writable: true, bookkeeping: store.IsBookkeeping(c.ctx),
			held: append(carry, heldStmt{sql: savepointSQL})}
		inherited := len(carry)
		carry = nil
		ferr := runCall(c, t)
		if t.inheritedErr != nil {
			return t.inheritedErr
		}
		if t.err != nil && (isConflict(t.err) || isUnavailable(t.err)) {
			return t.err // the transaction is lost, not just this call
		}
		if ferr == nil && c.panic == nil {
			carry = inherit(t.held) // its writes, then RELEASE (runCall)
			ok = append(ok, t)
			continue
		}
		if t.savepointSent { // with everything held before it
			carry = []heldStmt{
				{sql: "ROLLBACK TO SAVEPOINT sealbox_call", inherited: true},
				{sql: "RELEASE SAVEPOINT sealbox_call", inherited: true},
			}
		} else { // nothing of the call's reached PostgreSQL
			carry = t.held[:inherited]
		}
		c.err, c.own = ferr, true
	}
	last := &tx{ctx: ctx, ptx: ptx, held: carry}
	if err := last.flush(); err != nil {
		return err
	}
	var all changeSet
	for _, t := range ok {
		all.merge(&t.changes)
	}
	if err := s.logChanges(ctx, ptx, all.keys); err != nil {
		return err
	}
	committed = true
	if err := ptx.Commit(ctx); err != nil {
		return s.failed(ctx, "commit", err)
	}
	s.afterCommit(len(all.keys) > 0)
	return nil
}

// inherit marks held as made by an earlier call.
func inherit(held []heldStmt) []heldStmt {
	for i := range held {
		held[i].inherited = true
	}
	return held
}

// runCall runs c's fn on t, catching a panic for the caller to re-raise.
func runCall(c *batchCall, t *tx) (err error) {
	defer func() {
		t.done = true
		if p := recover(); p != nil {
			c.panic, c.own = p, true
			err = errors.New("pgstore: batched function panicked")
		}
	}()
	err = c.fn(t)
	if err == nil && t.err == nil {
		t.hold(heldStmt{sql: "RELEASE SAVEPOINT sealbox_call"}) // sent by batchOnce, with what follows
	}
	if err == nil && t.err != nil {
		err = t.err // a failed statement fn ignored: its writes are not whole
	}
	return err
}
