package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// A call's own event and the events it records beside it (a
// BatchGetSecretValue's GetSecretValue and KMS Decrypt per secret, a cold
// start's references) are all written before its answer leaves. Written one
// by one, a batch of ten is 21 writes and waits; gathered in a Pending and
// written with the call's own event in one group (LogPending), it is one.
// Nothing leaves earlier than before: the answer waits for the group, and a
// group that no sink takes fails the call, as one event would.

// Pending gathers the events logged in a call's context until its own
// event is logged with LogPending. Safe for concurrent use.
type Pending struct {
	mu     sync.Mutex
	events []*Event
	closed bool // LogPending took them: later events are written at once
	// inline holds the first events, and room for the call's own, without
	// an allocation: a read on a caller's behalf records one (its KMS
	// Decrypt).
	inline [2]*Event
}

type pendingKey struct{}

// WithPending returns a context in which Log (and Record) gathers events in
// p rather than writing them, until LogPending writes them.
func WithPending(ctx context.Context) (context.Context, *Pending) {
	p := new(Pending)
	return context.WithValue(ctx, pendingKey{}, p), p
}

// PendingContext is the context WithPending returns, for a caller that
// holds it in a struct it allocates anyway (the router's per-call state):
// set Context, then use its address as the call's context and &Pending as
// WithPending's Pending. Its zero Pending is empty and open.
type PendingContext struct {
	context.Context
	Pending Pending
}

// Value returns the Pending for WithPending's key, else the parent's value.
func (c *PendingContext) Value(key any) any {
	if key == (pendingKey{}) {
		return &c.Pending
	}
	return c.Context.Value(key)
}

// keep gathers e unless p is closed.
func (p *Pending) keep(e *Event) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	if p.events == nil {
		p.events = p.inline[:0]
	}
	p.events = append(p.events, e)
	return true
}

// take closes p and returns what it gathered.
func (p *Pending) take() []*Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	evs := p.events
	p.events = nil
	return evs
}

func pendingFrom(ctx context.Context) *Pending {
	p, _ := ctx.Value(pendingKey{}).(*Pending)
	return p
}

// LogPending writes the events p gathered and then last (the call's own
// event), in that order, as one group: to the first sink that takes them
// all, in one write where the sink can (the file sink), and later to the
// others. From then on, events logged in p's context are written at once.
// An error means none of them is known to be kept, and the call must not
// answer with success.
//
// last may be nil, to write what p gathered, if anything, and close it.
func (l *Logger) LogPending(ctx context.Context, p *Pending, last *Event) error {
	evs := p.take()
	switch {
	case last == nil && len(evs) == 0:
		return nil
	case last == nil:
		return l.LogAll(ctx, evs)
	case len(evs) == 0:
		return l.Log(ctx, last)
	}
	return l.LogAll(ctx, append(evs, last))
}

// LogAll writes es, in order, as one group (see LogPending).
func (l *Logger) LogAll(ctx context.Context, es []*Event) error {
	ens, err := encodeLines(es)
	if err != nil {
		return fmt.Errorf("failed to encode audit event: %w", err)
	}
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	var errs []error
	for i, s := range l.sinks {
		err := writeGroup(ctx, s, ens)
		l.setFailing(i, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.names[i], err))
			continue
		}
		for j := i + 1; j < len(l.sinks); j++ {
			for _, en := range ens {
				l.later(j, en)
			}
		}
		return nil
	}
	return fmt.Errorf("%w: %w", ErrNoSink, errors.Join(errs...))
}

// groupSink is a sink of this package that writes a group of entries at
// once, all or none.
type groupSink interface {
	hashingSink
	writeGroup(ctx context.Context, ens []Entry) error
}

// writeGroup writes ens to s as one group. A sink that cannot write a group
// at once takes it through WriteBatch (one commit), else entry by entry,
// where a failure part way leaves the group to the next sink whole: an
// event may then be in two sinks' trails, never in none.
func writeGroup(ctx context.Context, s Sink, ens []Entry) error {
	if hs, ok := s.(hashingSink); ok && hs.hashes() {
		for i := range ens {
			if en := &ens[i]; !en.hashed {
				en.hash, en.hashed = RecordHash(en.Line), true
			}
		}
	}
	switch gs := s.(type) {
	case groupSink:
		return gs.writeGroup(ctx, ens)
	case BatchSink:
		return gs.WriteBatch(ctx, ens)
	}
	for i := range ens {
		if err := writeEntry(ctx, s, &ens[i]); err != nil {
			return err
		}
	}
	return nil
}
