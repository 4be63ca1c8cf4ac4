// Package guesslimit slows online guessing of credentials: every attempt
// under a name (a client address, an access key id) counts as a failure
// until it is known to have succeeded; after a few, the next attempt must
// wait, twice as long after each further one, up to a cap. A success
// clears the name. The cap, and failures forgotten after a quiet while,
// keep a guesser from locking a real user out for long.
package guesslimit

import (
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
)

// Policy is how a name's failures slow it down.
type Policy struct {
	// Free is how many failures in a row cost nothing.
	Free int
	// Base is the wait after the first failure past Free; each further
	// one doubles it, up to Max.
	Base, Max time.Duration
	// Forget drops a name's failures this long after its last one.
	Forget time.Duration
}

// wait is how long after its last failure a name with n failures waits.
func (p Policy) wait(n int) time.Duration {
	if n < p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free; i < n && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Limiter counts failures by name, under one Policy each kind of name
// has. It holds at most MaxNames names: when full, the forgotten go first,
// then the quietest. Safe for concurrent use.
type Limiter struct {
	clock clock.Clock

	mu    sync.Mutex
	names map[string]*record
}

// MaxNames bounds the names a Limiter remembers.
const MaxNames = 10000

type record struct {
	policy   Policy
	failures int
	last     time.Time // the last failure
}

// New makes a Limiter on clk (nil: the system clock).
func New(clk clock.Clock) *Limiter {
	if clk == nil {
		clk = clock.Real{}
	}
	return &Limiter{clock: clk, names: map[string]*record{}}
}

// Name is a name under its policy, for Try.
type Name struct {
	Key    string
	Policy Policy
}

// Try asks whether an attempt under every one of names may go ahead now.
// If any must wait, it answers the longest wait and records nothing: a
// refused attempt is not checked, so it can neither succeed nor add to the
// wait. Otherwise it counts the attempt as a failure of each name (so that
// attempts made at once cannot outrun the count) and answers 0; Succeed
// takes it back.
func (l *Limiter) Try(names ...Name) time.Duration {
	now := l.clock.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	var wait time.Duration
	for _, n := range names {
		r := l.names[n.Key]
		if r == nil {
			continue
		}
		if now.Sub(r.last) >= r.policy.Forget {
			delete(l.names, n.Key)
			continue
		}
		if left := r.last.Add(r.policy.wait(r.failures)).Sub(now); left > wait {
			wait = left
		}
	}
	if wait > 0 {
		return wait
	}
	for _, n := range names {
		r := l.names[n.Key]
		if r == nil {
			l.makeRoom(now)
			r = &record{}
			l.names[n.Key] = r
		}
		r.policy = n.Policy
		r.failures++
		r.last = now
	}
	return 0
}

// Succeed clears names: their attempt was right.
func (l *Limiter) Succeed(names ...Name) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range names {
		delete(l.names, n.Key)
	}
}

// makeRoom drops forgotten names, or the quietest, when the Limiter is
// full. The caller holds l.mu.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.names) < MaxNames {
		return
	}
	var quietest string
	var quietestLast time.Time
	for k, r := range l.names {
		if now.Sub(r.last) >= r.policy.Forget {
			delete(l.names, k)
			continue
		}
		if quietest == "" || r.last.Before(quietestLast) {
			quietest, quietestLast = k, r.last
		}
	}
	if len(l.names) >= MaxNames {
		delete(l.names, quietest)
	}
}

// Len is how many names the Limiter remembers.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.names)
}
