package boltstore

import (
	"context"

	"github.com/sealbox/sealbox/internal/store"
)

// batchCall is one Batch call in the store's group commit (store.GroupCommit).
type batchCall struct {
	ctx context.Context
	fn  func(store.Tx) error
	err error // set by the committer before the call is done
	store.Queued
}

// Batch implements store.Store. There is no timer: the first caller
// commits at once, and the calls that arrive while a commit is in flight
// form the next one, so a lone writer waits for nothing but its own fsync
// and many writers share theirs.
func (s *Store) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	c := &batchCall{ctx: ctx, fn: fn}
	s.batch.Do(c, s.commit) // commit sets each call's err
	return c.err
}

// commit runs calls in one transaction and sets each call's err. If one fails, the transaction rolls
// back, the failing call runs alone for its own result, and the others run
// together again.
func (s *Store) commit(calls []*batchCall) {
	for len(calls) > 0 {
		failed := -1
		err := s.run(context.Background(), true, func(tx store.Tx) error {
			for i, c := range calls {
				err := c.ctx.Err()
				if err == nil {
					err = c.fn(tx)
				}
				if err != nil {
					failed = i
					return err
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.err = err
			}
			return
		}
		bad := calls[failed]
		bad.err = s.run(bad.ctx, true, bad.fn)
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
}
