package agent

import (
	"context"
	"errors"
	"time"
)

// Change is one change to a parameter or a secret, as a change feed
// reports it.
type Change struct {
	Service string // "ssm" or "secretsmanager"
	Region  string
	// Name is the parameter's name (a deleted one's possibly without its
	// leading slash) or the secret's name.
	Name string
	// ARN is the parameter's ARN or the secret's full ARN ("" if unknown;
	// for a secret that is gone, possibly a pattern ending in -??????).
	ARN string
	// Deleted says the parameter or secret is gone or scheduled for
	// deletion.
	Deleted bool
	// Time is when the server committed the change.
	Time time.Time
}

// Feed is an upstream's change feed.
type Feed interface {
	// Next waits a while for changes after the feed's cursor and returns
	// them, possibly none. reset says changes may have been missed (first
	// call, server restarted, fell behind): drop everything cached. An
	// error wrapping ErrFeedUnsupported says the upstream has no feed.
	Next(ctx context.Context) (changes []Change, reset bool, err error)
}

// ErrFeedUnsupported is the error a Feed wraps when the upstream has no
// change feed (it is AWS, or an older sealbox).
var ErrFeedUnsupported = errors.New("the upstream has no change feed")

// runFeed applies the feed's changes to the cache until ctx ends,
// reconnecting with backoff and full jitter. It closes first after the
// first answer (or first failure), and returns for good if the upstream
// has no feed.
func (a *Agent) runFeed(ctx context.Context, first chan struct{}) {
	closeFirst := func() {
		if first != nil {
			close(first)
			first = nil
		}
	}
	defer closeFirst()
	a.m.feedState.Store(int32(feedConnecting))
	failures := 0
	initial := true
	for ctx.Err() == nil {
		chs, reset, err := a.feed.Next(ctx)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, ErrFeedUnsupported) {
			a.m.feedState.Store(int32(feedUnsupported))
			a.log.Info("the upstream has no change feed (it is not sealbox): cached values refresh after their TTL")
			return
		}
		if err != nil {
			a.m.feedErrors.Add(1)
			a.m.feedState.Store(int32(feedRetrying))
			wait := backoff(failures, a.cfg.RetryBase, a.cfg.RetryCap, a.rand)
			if failures == 0 {
				a.log.Warn("change feed failed; reconnecting with backoff (the TTL bounds staleness meanwhile)", "err", err)
			} else {
				a.log.Debug("change feed failed", "err", err, "attempt", failures+1, "wait", wait)
			}
			failures++
			closeFirst()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		if failures > 0 {
			a.log.Info("change feed reconnected", "failures", failures)
		}
		failures = 0
		a.m.feedState.Store(int32(feedConnected))
		a.apply(chs, reset, initial)
		initial = false
		closeFirst()
	}
}

// apply evicts what chs name, after dropping everything on reset. Evicted
// prefetched items are fetched again in the background, so they stay
// ready.
func (a *Agent) apply(chs []Change, reset, initial bool) {
	if reset {
		n := a.cache.reset()
		a.flight.forget()
		a.m.feedResets.Add(1)
		if initial {
			a.log.Debug("change feed subscribed", "dropped", n)
		} else {
			a.log.Info("change feed reset: changes may have been missed; cache dropped", "entries", n)
		}
		// The first answer comes before the prefetch unless the feed was
		// down at start: then the prefetched items just dropped are
		// loaded again, as after any later reset.
		if (n > 0 || !initial) && len(a.cfg.Prefetch) > 0 {
			go a.prefetch(a.ctx)
		}
	}
	now := time.Now()
	var reload []request
	for _, ch := range chs {
		evicted := a.cache.invalidate(changeIDs(ch))
		a.flight.forget()
		a.m.feedChanges.Add(1)
		if !ch.Time.IsZero() {
			lag := now.Sub(ch.Time)
			a.m.feedLag.observe(lag)
			a.m.feedLastLag.Store(int64(lag))
		}
		a.log.Debug("change", "service", ch.Service, "name", ch.Name, "deleted", ch.Deleted, "evicted", len(evicted))
		if ch.Deleted {
			continue
		}
		for _, e := range evicted {
			if e.prefetched {
				reload = append(reload, e.req)
			}
		}
	}
	if len(reload) > 0 {
		go a.load(a.ctx, reload)
	}
}

// changeIDs are the identities a change makes stale: a secret's name and
// ARN (every version and label of it, and every reference to it through
// Parameter Store), or a parameter's name and ARN.
func changeIDs(ch Change) []string {
	var ids []string
	switch ch.Service {
	case "secretsmanager":
		if ch.Name != "" {
			ids = append(ids, secretID(ch.Name))
		}
		if n := secretNameFromARN(ch.ARN); n != "" && n != ch.Name {
			ids = append(ids, secretID(n))
		}
	case "ssm":
		if ch.Name != "" {
			ids = append(ids, paramID(ch.Name))
		}
	}
	if ch.ARN != "" {
		ids = append(ids, arnID(ch.ARN))
	}
	return ids
}
