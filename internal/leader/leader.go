// Package leader elects the one server that runs sealbox's background
// work: the sweeper (deletions, parameter policies, key rotations and
// material expiry, sessions, audit retention), the secret rotation
// scheduler and the store trail's digests. Several servers share one
// PostgreSQL store; each campaigns, and one at a time leads.
//
// An Elector calls its lead function with a context that is cancelled the
// moment leadership is lost, so that the leader's work stops at once; it
// campaigns again only once that function has returned, so that one
// process never runs two leaders' work. Always is the elector of a single
// server (bbolt: there is no other); Postgres holds a PostgreSQL advisory
// lock on a connection of its own (see Postgres for the timings that bound
// a takeover).
//
// Leadership is for work done exactly once. It is not the only guard of
// what must never run twice: a server that stalls can still act for a
// moment after the others have moved on, so the work that must never
// overlap (a secret's rotation) also claims what it works on in the
// store, under a lease (package rotation).
package leader

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"
)

// Elector elects the server that leads.
type Elector interface {
	// Run campaigns until ctx is done. Each time this server is elected,
	// Run calls lead with a context cancelled the moment leadership is
	// lost (or ctx is done), and waits for lead to return before it
	// campaigns again. Run returns once ctx is done and lead has returned.
	Run(ctx context.Context, lead func(ctx context.Context))
	// Leading reports whether this server leads now.
	Leading() bool
	// WriteMetrics writes sealbox_leader (1 while this server leads, else
	// 0) and sealbox_leader_changes_total in Prometheus' text format.
	WriteMetrics(w io.Writer)
}

// status is what every elector reports: whether it leads, and how often
// that changed.
type status struct {
	leading atomic.Bool
	changes atomic.Uint64
}

func (s *status) set(leading bool) {
	if s.leading.Swap(leading) != leading {
		s.changes.Add(1)
	}
}

// Leading reports whether this server leads now.
func (s *status) Leading() bool { return s.leading.Load() }

// Changes reports how many times this server became or stopped being the
// leader.
func (s *status) Changes() uint64 { return s.changes.Load() }

// WriteMetrics writes sealbox_leader and sealbox_leader_changes_total.
func (s *status) WriteMetrics(w io.Writer) {
	v := 0
	if s.Leading() {
		v = 1
	}
	fmt.Fprintf(w, "# HELP sealbox_leader 1 while this server is the elected leader that runs the background work, else 0.\n"+
		"# TYPE sealbox_leader gauge\nsealbox_leader %d\n", v)
	fmt.Fprintf(w, "# HELP sealbox_leader_changes_total Times this server became or stopped being the leader.\n"+
		"# TYPE sealbox_leader_changes_total counter\nsealbox_leader_changes_total %d\n", s.Changes())
}

// Always is the elector of a server that is alone on its store (bbolt,
// which one process opens at a time): it always leads. The zero value is
// ready to use.
type Always struct{ status }

var _ Elector = (*Always)(nil)

// Run leads at once, until ctx is done.
func (a *Always) Run(ctx context.Context, lead func(ctx context.Context)) {
	if ctx.Err() != nil {
		return
	}
	a.set(true)
	defer a.set(false)
	lead(ctx)
}
