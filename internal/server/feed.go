package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/follow"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// jobFeed names the follower of the shared store's change log (counted in
// sealbox_background_panics_total from its start: bg.start registers it).
const jobFeed = "change feed"

// The change feed across servers. Every server on one PostgreSQL database
// follows its change log (store/follow): its own commits reach its caches
// on the committing goroutine, before the write is answered (it reads its
// own writes at once); the other servers' commits reach them when the
// NOTIFY wakes the follower, a millisecond or so later (and within a
// second if a notification is lost: the follower also polls). While the
// follower cannot prove it has heard of every commit its caches serve and
// keep nothing (cache.Registry.Suspend) and /readyz says not ready.
//
// The change hub (Sealbox.GetChanges) hears of every commit, this
// server's own included, from the follower, in the log's order: its
// cursors are the log's seqs under the database's identity, the same on
// every server.
//
// Not strictly consistent: a read on B in the millisecond between A's
// answer and B's NOTIFY may be served B's cached, older value (measured in
// TestFeedPropagation). Making it strict would cost every cached read a
// round trip to the database (the latest seq), which is what the cache
// exists to save.

// followShared makes the follower of raw's change log, if raw is shared
// (PostgreSQL), and the change hub to go with it. The follower suspends
// the caches at once: none is proven current until it has read the log.
func (s *Server) followShared(ctx context.Context, raw store.Store, feed *store.FeedStore) error {
	pg, ok := raw.(*pgstore.Store)
	if !ok {
		return nil
	}
	identity, err := pg.Identity(ctx)
	if err != nil {
		return fmt.Errorf("failed to read the database's identity: %w", err)
	}
	s.sharedIdentity = identity
	s.follower = follow.New(follow.Config{
		Log:     pgLog{pg},
		Local:   feed,
		Origin:  pg.Origin(),
		Key:     s.followedKey,
		Caches:  s.caches,
		Global:  func(seq int64, cs []store.Change) { s.changes.Record(seq, cs) },
		Restart: func(seq int64) { s.changes.Restart(seq) },
		Logger:  s.log.With("part", "feed"),
	})
	return nil
}

// followedKey maps a key of the shared change log to the barrier's user
// key. A change of the keyring (another server rotated the barrier key)
// makes this server learn the new term, so its writes use it too.
func (s *Server) followedKey(raw string) (string, bool) {
	if barrier.IsKeyring(raw) && s.barrier != nil && !s.barrier.Sealed() {
		if err := s.barrier.Refresh(context.Background()); err != nil {
			s.log.Error("failed to learn the barrier key term another server made", "err", err)
		}
	}
	return barrier.UserKey(raw)
}

// startFollowing runs the follower under the background's recover until
// Close; one that panics starts again a second later, the caches
// suspended meanwhile (Run's deferred work).
func (s *Server) startFollowing() {
	if s.follower == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopFeed = cancel
	s.bg.start(jobFeed, func() {
		for ctx.Err() == nil {
			if s.bg.run(jobFeed, func() { s.follower.Run(ctx) }) {
				continue
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	})
	s.AddReadyCheck("feed", func(context.Context) error {
		if !s.follower.Current() {
			return errors.New("the change feed is not current: caches bypassed")
		}
		return nil
	})
	s.AddMetrics(s.follower.WriteMetrics)
}

// Feed returns the follower of the shared store's change log, nil on a
// store of its own (tests hold it and wait on it).
func (s *Server) Feed() *follow.Follower { return s.follower }

// pgLog is pgstore's change log as the follower reads it.
type pgLog struct{ s *pgstore.Store }

func (l pgLog) Listen(ctx context.Context) (<-chan int64, error) { return l.s.Listen(ctx) }

func (l pgLog) LatestSeq(ctx context.Context) (int64, error) { return l.s.LatestSeq(ctx) }

func (l pgLog) ChangesAfter(ctx context.Context, seq int64, limit int) ([]follow.Record, error) {
	recs, err := l.s.ChangesAfter(ctx, seq, limit)
	if errors.Is(err, pgstore.ErrChangesPruned) {
		return nil, fmt.Errorf("%w: %w", follow.ErrPruned, err)
	}
	if err != nil {
		return nil, err
	}
	out := make([]follow.Record, len(recs))
	for i, r := range recs {
		out[i] = follow.Record{Seq: r.Seq, At: r.At, Origin: r.Origin, Changes: r.Changes}
	}
	return out, nil
}
