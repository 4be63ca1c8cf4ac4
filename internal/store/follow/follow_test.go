package follow

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// fakeLog is a change log in memory: append records, drop the LISTEN
// connection, prune.
type fakeLog struct {
	mu     sync.Mutex
	recs   []Record
	pruned int64
	listen chan int64
}

func (l *fakeLog) Listen(ctx context.Context) (<-chan int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listen = make(chan int64, 100)
	return l.listen, nil
}

func (l *fakeLog) ChangesAfter(ctx context.Context, seq int64, limit int) ([]Record, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq < l.pruned {
		return nil, fmt.Errorf("%w: after %d", ErrPruned, seq)
	}
	var out []Record
	for _, r := range l.recs {
		if r.Seq > seq && len(out) < limit {
			out = append(out, r)
		}
	}
	return out, nil
}

func (l *fakeLog) LatestSeq(ctx context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.recs) == 0 {
		return l.pruned, nil
	}
	return l.recs[len(l.recs)-1].Seq, nil
}

// add appends a record of origin writing keys and notifies, if connected.
func (l *fakeLog) add(origin int64, keys ...string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	seq := int64(len(l.recs) + 1)
	r := Record{Seq: seq, At: time.Now(), Origin: origin}
	for _, k := range keys {
		r.Changes = append(r.Changes, store.Change{Key: k})
	}
	l.recs = append(l.recs, r)
	if l.listen != nil {
		l.listen <- seq
	}
	return seq
}

// drop loses the LISTEN connection.
func (l *fakeLog) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.listen)
	l.listen = nil
}

type fakeCaches struct {
	mu    sync.Mutex
	calls []string
}

func (c *fakeCaches) note(s string) { c.mu.Lock(); c.calls = append(c.calls, s); c.mu.Unlock() }
func (c *fakeCaches) Suspend()      { c.note("suspend") }
func (c *fakeCaches) Resume()       { c.note("resume") }
func (c *fakeCaches) Purge()        { c.note("purge") }
func (c *fakeCaches) took(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Contains(c.calls, s)
}

const own = 7

type harness struct {
	t      *testing.T
	log    *fakeLog
	caches *fakeCaches
	f      *Follower

	mu       sync.Mutex
	local    []string // keys Local's watcher heard of
	global   []string // "seq:keys" the hub heard of
	restarts []int64
	heard    chan struct{} // a Global call
	restart  chan int64    // a Restart call
}

func start(t *testing.T, log *fakeLog) *harness {
	h := &harness{t: t, log: log, caches: &fakeCaches{}, heard: make(chan struct{}, 1000), restart: make(chan int64, 100)}
	local := store.WithFeed(memstore.New())
	local.Watch("", func(c store.Change) {
		h.mu.Lock()
		h.local = append(h.local, c.Key)
		h.mu.Unlock()
	})
	h.f = New(Config{Log: log, Local: local, Origin: own, Caches: h.caches,
		Key: func(raw string) (string, bool) { return strings.CutPrefix(raw, "v/") },
		Global: func(seq int64, cs []store.Change) {
			var keys []string
			for _, c := range cs {
				keys = append(keys, c.Key)
			}
			h.mu.Lock()
			h.global = append(h.global, fmt.Sprintf("%d:%s", seq, strings.Join(keys, ",")))
			h.mu.Unlock()
			h.heard <- struct{}{}
		},
		Restart: func(seq int64) {
			h.mu.Lock()
			h.restarts = append(h.restarts, seq)
			h.mu.Unlock()
			h.restart <- seq
		},
		Poll: time.Hour, // no polls: notifications and reconnections only
	})
	if !h.caches.took("suspend") {
		t.Fatal("New did not suspend the caches")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); h.f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	h.wait(true)
	return h
}

func (h *harness) wait(current bool) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.f.WaitCurrent(ctx, current); err != nil {
		h.t.Fatalf("WaitCurrent(%v) = %v", current, err)
	}
}

// hear waits until the hub has heard of n records in all.
func (h *harness) hear(n int) {
	h.t.Helper()
	for {
		h.mu.Lock()
		got := len(h.global)
		h.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-h.heard:
		case <-time.After(10 * time.Second):
			h.t.Fatalf("the hub heard of %d records, want %d", got, n)
		}
	}
}

func (h *harness) check(local, global []string) {
	h.t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if !slices.Equal(h.local, local) || !slices.Equal(h.global, global) {
		h.t.Fatalf("local heard %q, hub heard %q; want %q and %q", h.local, h.global, local, global)
	}
}

// The follower starts at the newest seq, delivers other servers' commits
// to the local feed (keys mapped, the barrier's own keys left out) and
// every commit to the hub, in order; this server's own it does not
// deliver locally again.
func TestFollowDelivers(t *testing.T) {
	log := &fakeLog{}
	log.add(1, "v/before") // before the start: not delivered
	h := start(t, log)
	log.add(1, "v/a", "barrier/keyring")
	log.add(own, "v/mine")
	log.add(2, "v/b")
	h.hear(3)
	h.check([]string{"a", "b"}, []string{"2:a", "3:mine", "4:b"})
	// The follower moves its seq on after the hub has heard the commit.
	for deadline := time.Now().Add(5 * time.Second); h.f.Seq() != 4 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if h.restarts[0] != 1 || h.f.Seq() != 4 {
		t.Fatalf("restarts %v, seq %d; want [1], 4", h.restarts, h.f.Seq())
	}
}

// A lost connection suspends the caches until the follower is back and has
// delivered every commit made meanwhile.
func TestFollowCatchesUp(t *testing.T) {
	log := &fakeLog{}
	h := start(t, log)
	release := h.f.Hold()
	log.drop()
	h.wait(false)
	if h.f.Current() {
		t.Fatal("Current() = true while the connection is down")
	}
	log.add(1, "v/missed1")
	log.add(1, "v/missed2")
	h.caches.mu.Lock()
	h.caches.calls = nil
	h.caches.mu.Unlock()
	release()
	h.wait(true)
	h.hear(2)
	h.check([]string{"missed1", "missed2"}, []string{"1:missed1", "2:missed2"})
	if !h.f.Current() || !h.caches.took("resume") {
		t.Fatalf("after catching up: Current() = %v, caches %v", h.f.Current(), h.caches.calls)
	}
}

// A log pruned past the follower's position cannot be caught up: the
// caches are emptied and the follower (and the hub) start over from the
// newest seq.
func TestFollowAfterPrunedLog(t *testing.T) {
	log := &fakeLog{}
	h := start(t, log)
	release := h.f.Hold()
	log.drop()
	h.wait(false)
	log.add(1, "v/gone")
	log.add(1, "v/gone2")
	log.mu.Lock()
	log.pruned = 2
	log.mu.Unlock()
	h.caches.mu.Lock()
	h.caches.calls = nil
	h.caches.mu.Unlock()
	release()
	h.wait(true)
	if !h.caches.took("purge") {
		t.Fatalf("caches %v after a pruned log; want a purge", h.caches.calls)
	}
	h.mu.Lock()
	restarts := slices.Clone(h.restarts)
	h.mu.Unlock()
	if !slices.Equal(restarts, []int64{0, 2}) || h.f.Seq() != 2 {
		t.Fatalf("restarts %v, seq %d; want [0 2], 2", restarts, h.f.Seq())
	}
	log.add(1, "v/after")
	h.hear(1)
	h.check([]string{"after"}, []string{"3:after"})
}

// A log pruned past the follower's position while it follows (it fell
// behind): the caches are emptied, the follower starts over from the
// newest seq, and the caches serve again.
func TestFollowPrunedWhileFollowing(t *testing.T) {
	log := &fakeLog{}
	h := start(t, log)
	log.mu.Lock()
	log.recs = append(log.recs, Record{Seq: 1}, Record{Seq: 2})
	log.pruned = 2
	log.mu.Unlock()
	h.caches.mu.Lock()
	h.caches.calls = nil
	h.caches.mu.Unlock()
	log.add(1, "v/lost") // seq 3, notified: the follower finds the log pruned and starts after 3
	<-h.restart          // the start's
	select {
	case seq := <-h.restart:
		if seq != 3 {
			t.Fatalf("restarted from %d; want 3", seq)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the follower did not restart after the log was pruned")
	}
	log.add(1, "v/after") // seq 4
	h.hear(1)
	h.check([]string{"after"}, []string{"4:after"})
	h.wait(true)
	h.caches.mu.Lock()
	calls := slices.Clone(h.caches.calls)
	h.caches.mu.Unlock()
	if !slices.Contains(calls, "purge") || calls[len(calls)-1] != "resume" {
		t.Fatalf("caches %v after the log was pruned under the follower; want a purge, then resumed", calls)
	}
}
