package store

import (
	"context"
	"slices"
	"strings"
	"sync"
)

// Change is one key a committed transaction wrote or deleted.
type Change struct {
	Key     string
	Deleted bool
	// Bookkeeping marks a write the server made for its own records (a
	// read's LastAccessedDate): caches must hear of it, but it changes
	// nothing a reader is served. See Bookkeeping.
	Bookkeeping bool
}

type bookkeepingKey struct{}

// Bookkeeping marks the writes made with the returned context as the
// server's own bookkeeping: watchers still hear of them, flagged, so that
// a cache refreshes its copy while the change feed callers read leaves
// them out.
func Bookkeeping(ctx context.Context) context.Context {
	return context.WithValue(ctx, bookkeepingKey{}, true)
}

// IsBookkeeping reports whether ctx was made by Bookkeeping: a store that
// logs its changes itself (pgstore) flags them so.
func IsBookkeeping(ctx context.Context) bool { return ctx.Value(bookkeepingKey{}) != nil }

// Feed is the change feed: it tells watchers which keys each committed
// transaction changed, so that caches invalidate the moment data changes.
// Within one process the Feed wrapper below serves it; on a shared backend
// (PostgreSQL) a follower of the backend's change log (store/follow)
// delivers the other servers' commits to it (FeedStore.Deliver).
type Feed interface {
	// Watch calls fn for every committed change to a key under prefix until
	// cancel is called. fn runs on the committing goroutine after the
	// commit and before Update returns, so it must be quick and must not
	// call back into the store. Watchers are called in the order they were
	// registered: a cache built on another cache (the authorizer's compiled
	// policy sets on the identity store's documents) registers after it,
	// so that by the time it hears of a change the cache it reads from has
	// dropped what the change made stale.
	Watch(prefix string, fn func(Change)) (cancel func())
}

// CommitFeed is a Feed that can also tell a watcher a commit's changes
// together, for a watcher that must not act on half of them (a poller
// woken between the two records of one secret write would be told of it
// twice).
type CommitFeed interface {
	Feed
	// WatchCommits calls fn once per committed transaction that changed
	// keys under prefix, with those changes in order, as Watch does.
	WatchCommits(prefix string, fn func([]Change)) (cancel func())
}

// FeedStore wraps a Store and reports its committed writes to watchers. It
// is itself a Store and a Feed. Safe for concurrent use.
type FeedStore struct {
	Store

	mu       sync.RWMutex
	next     int
	watchers []watcher // in the order they were registered
}

type watcher struct {
	id     int
	prefix string
	fn     func(Change)   // or
	commit func([]Change) // a commit's changes at once
}

// WithFeed wraps s.
func WithFeed(s Store) *FeedStore { return &FeedStore{Store: s} }

// Watch implements Feed.
func (f *FeedStore) Watch(prefix string, fn func(Change)) (cancel func()) {
	return f.watch(watcher{prefix: prefix, fn: fn})
}

// WatchCommits implements CommitFeed.
func (f *FeedStore) WatchCommits(prefix string, fn func([]Change)) (cancel func()) {
	return f.watch(watcher{prefix: prefix, commit: fn})
}

func (f *FeedStore) watch(w watcher) (cancel func()) {
	f.mu.Lock()
	w.id = f.next
	f.next++
	f.watchers = append(f.watchers, w)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		f.watchers = slices.DeleteFunc(f.watchers, func(o watcher) bool { return o.id == w.id })
		f.mu.Unlock()
	}
}

// Update runs fn and, once it has committed, reports the keys it changed.
func (f *FeedStore) Update(ctx context.Context, fn func(Tx) error) error {
	return f.write(ctx, f.Store.Update, fn)
}

// Batch is Update through the underlying store's Batch.
func (f *FeedStore) Batch(ctx context.Context, fn func(Tx) error) error {
	return f.write(ctx, f.Store.Batch, fn)
}

func (f *FeedStore) write(ctx context.Context, commit func(context.Context, func(Tx) error) error, fn func(Tx) error) error {
	var changes []Change
	err := commit(ctx, func(tx Tx) error {
		changes = changes[:0] // a retried fn starts over
		return fn(&recordingTx{Tx: tx, changes: &changes})
	})
	if err != nil || len(changes) == 0 {
		return err
	}
	if IsBookkeeping(ctx) {
		for i := range changes {
			changes[i].Bookkeeping = true
		}
	}
	f.Deliver(changes)
	return nil
}

// Deliver tells the watchers of a transaction another server committed,
// as if it had committed here: the follower of a shared store's change log
// calls it, one commit at a time, in commit order. This server's own
// commits are delivered by Update and Batch, on the committing goroutine,
// before they return (a server reads its own writes at once); the follower
// skips them.
func (f *FeedStore) Deliver(changes []Change) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, w := range f.watchers {
		if w.commit != nil {
			var mine []Change
			for _, c := range changes {
				if strings.HasPrefix(c.Key, w.prefix) {
					mine = append(mine, c)
				}
			}
			if len(mine) > 0 {
				w.commit(mine)
			}
			continue
		}
		for _, c := range changes {
			if strings.HasPrefix(c.Key, w.prefix) {
				w.fn(c)
			}
		}
	}
}

// recordingTx notes the keys a transaction changes.
type recordingTx struct {
	Tx
	changes *[]Change
}

func (t *recordingTx) Put(key string, value []byte) error {
	if err := t.Tx.Put(key, value); err != nil {
		return err
	}
	*t.changes = append(*t.changes, Change{Key: key})
	return nil
}

func (t *recordingTx) Delete(key string) error {
	if err := t.Tx.Delete(key); err != nil {
		return err
	}
	*t.changes = append(*t.changes, Change{Key: key, Deleted: true})
	return nil
}
