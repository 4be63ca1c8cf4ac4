package boltstore

import (
	"context"
	"sync"

	"github.com/sealbox/sealbox/internal/store"
)

// batcher group-commits Batch calls. There is no timer: the first caller
// commits at once, and the calls that arrive while a commit is in flight
// form the next one, so a lone writer waits for nothing but its own fsync
// and many writers share theirs.
type batcher struct {
	mu      sync.Mutex
	cond    *sync.Cond
	pending []*batchCall
	running bool
}

type batchCall struct {
	ctx  context.Context
	fn   func(store.Tx) error
	err  error // set by the committer before done
	done bool  // guarded by batcher.mu
}

// Batch implements store.Store.
func (s *Store) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	b := &s.batch
	b.mu.Lock()
	if b.cond == nil {
		b.cond = sync.NewCond(&b.mu)
	}
	c := &batchCall{ctx: ctx, fn: fn}
	b.pending = append(b.pending, c)
	for !c.done {
		if b.running {
			b.cond.Wait()
			continue
		}
		calls := b.pending
		b.pending, b.running = nil, true
		b.mu.Unlock()
		s.commit(calls) // sets each call's err
		b.mu.Lock()
		for _, done := range calls {
			done.done = true // published under the lock the waiters read it with
		}
		b.running = false
		b.cond.Broadcast()
	}
	b.mu.Unlock()
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
