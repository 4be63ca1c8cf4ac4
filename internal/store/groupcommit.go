package store

import "sync"

// GroupCommit is the group commit behind a backend's Batch. There is no
// timer: the first caller commits at once, and the calls that arrive while
// a commit is in flight form the next one, so a lone writer waits for
// nothing but its own commit and many writers share theirs. The zero value
// is ready; it must not be copied after first use.
//
// C is the backend's call, a pointer to a struct that embeds Queued.
type GroupCommit[C queued] struct {
	// Max bounds the calls that share one commit; 0 is no bound. The calls
	// beyond it wait for the next commit, in their order.
	Max int

	mu      sync.Mutex
	cond    *sync.Cond
	pending []C
	running bool
}

// Queued marks a call of a GroupCommit done. Embed it in the backend's
// call.
type Queued struct {
	done bool // guarded by GroupCommit.mu
}

func (q *Queued) queued() *Queued { return q }

type queued interface{ queued() *Queued }

// Do queues c and returns once a commit that held it has returned: the
// caller that finds no commit running takes every pending call (at most
// Max) and runs commit on them, which sets each call's outcome; the others
// wait for it.
func (g *GroupCommit[C]) Do(c C, commit func(calls []C)) {
	g.mu.Lock()
	if g.cond == nil {
		g.cond = sync.NewCond(&g.mu)
	}
	g.pending = append(g.pending, c)
	for !c.queued().done {
		if g.running {
			g.cond.Wait()
			continue
		}
		calls := g.pending
		if g.Max > 0 && len(calls) > g.Max {
			calls = calls[:g.Max:g.Max]
			g.pending = append([]C(nil), g.pending[g.Max:]...)
		} else {
			g.pending = nil
		}
		g.running = true
		g.mu.Unlock()
		commit(calls)
		g.mu.Lock()
		for _, done := range calls {
			done.queued().done = true // published under the lock the waiters read it with
		}
		g.running = false
		g.cond.Broadcast()
	}
	g.mu.Unlock()
}
