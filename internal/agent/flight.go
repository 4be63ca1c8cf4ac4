package agent

import (
	"context"
	"strconv"
	"sync/atomic"

	"golang.org/x/sync/singleflight"
)

// flight makes concurrent misses for the same key one upstream call: the
// first caller starts it, the others wait for its result. The call runs on
// its own (singleflight's DoChan), so a caller that gives up does not
// cancel it for the others (and its answer is still cached). The zero
// value is ready to use; safe for concurrent use.
type flight struct {
	g singleflight.Group
	// gen is part of every call's key: forget moves it on, so that the
	// calls under way keep running but no request joins them.
	gen atomic.Uint64
}

type result struct {
	e   *entry
	err *upstreamError
}

// do returns fn's result for key, running fn only if no call for key is
// under way, or ctx's error if ctx ends first.
func (f *flight) do(ctx context.Context, key string, fn func() (*entry, *upstreamError)) (*entry, *upstreamError, error) {
	ch := f.g.DoChan(strconv.FormatUint(f.gen.Load(), 10)+"\x00"+key, func() (any, error) {
		e, err := fn()
		return result{e, err}, nil
	})
	select {
	case res := <-ch:
		r := res.Val.(result)
		return r.e, r.err, nil
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
}

// forget lets the next request for any key start a new call: the calls
// under way may answer from before a change just seen.
func (f *flight) forget() { f.gen.Add(1) }
