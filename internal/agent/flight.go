package agent

import (
	"context"
	"sync"
)

// flight makes concurrent misses for the same key one upstream call: the
// first caller starts it, the others wait for its result. The call runs on
// its own, so a caller that gives up does not cancel it for the others
// (and its answer is still cached). Safe for concurrent use.
type flight struct {
	mu    sync.Mutex
	calls map[string]*call
}

type call struct {
	done chan struct{}
	e    *entry
	err  *upstreamError
}

// do returns fn's result for key, running fn only if no call for key is
// under way, or ctx's error if ctx ends first.
func (f *flight) do(ctx context.Context, key string, fn func() (*entry, *upstreamError)) (*entry, *upstreamError, error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*call{}
	}
	c := f.calls[key]
	if c == nil {
		c = &call{done: make(chan struct{})}
		f.calls[key] = c
		go func() {
			c.e, c.err = fn()
			f.mu.Lock()
			if f.calls[key] == c {
				delete(f.calls, key)
			}
			f.mu.Unlock()
			close(c.done)
		}()
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.e, c.err, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// forget lets the next request for any key start a new call: the calls
// under way may answer from before a change just seen.
func (f *flight) forget() {
	f.mu.Lock()
	clear(f.calls)
	f.mu.Unlock()
}
