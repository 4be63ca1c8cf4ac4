// Package rotation is Secrets Manager's rotation engine: the schedules
// (rate and cron expressions, windows), the scheduler that runs each
// rotation due, and the built-in password rotator. It sees the secrets
// through the narrow Secrets interface the service implements, and never
// imports the service.
//
// Rotation, as AWS runs it: RotateSecret records the rotation function (the
// RotationLambdaARN) and the schedule, and the scheduler (RunDue) runs each
// rotation as AWS's four steps, createSecret, setSecret, testSecret and
// finishSecret, each an event {"Step", "SecretId", "ClientRequestToken",
// "RotationToken"} given to the rotator the RotationLambdaARN names. The
// ClientRequestToken is the id of the new version.
//
// A rotator is either built in (RotationLambdaARN
// arn:aws:lambda:<region>:<account>:function:<name>, where <name> is
// sealbox-generate-password, sealbox-postgresql-single-user or
// sealbox-postgresql-multi-user, of rotation/postgres), or
// registered by the operator (Targets: an HTTPS webhook in
// sealbox's server). A webhook rotator calls back into sealbox with its own
// credentials, as a Lambda rotation function calls Secrets Manager: it puts
// the new value as AWSPENDING with the ClientRequestToken in createSecret,
// and moves AWSCURRENT to it in finishSecret. The engine only sends the
// events and checks the outcomes: after createSecret a version with the
// token's id carries AWSPENDING (and satisfies the secret's validation
// schema); after finishSecret AWSCURRENT is on it.
//
// A failed step ends the attempt: AWSCURRENT stays where it was, the
// pending version is kept, and the same rotation (same token) is tried
// again after an exponential backoff with jitter, up to maxAttempts; then
// it waits for the next scheduled window, where it is reattempted. Every
// step and its outcome is given to the Notifier (the audit trail), without
// any value.
//
// Several servers may run schedulers over one store (one leads at a time,
// package leader, but a handover is never instantaneous). An attempt claims
// its rotation in a store transaction, under a lease it renews while it
// runs and checks before each write (State.Lease): another scheduler takes
// the rotation only once the lease has ended, and an attempt that lost it
// stops and writes nothing more. Each completed step is recorded
// (State.Step), so that an attempt stopped midway (its server stopped
// leading, or died) resumes on the next holder after it, with the same
// token and so the same AWSPENDING version.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/dueindex"
)

// The four steps.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// Event is the event a rotation function receives, in the shape
// AWS gives a Lambda rotation function.
type Event struct {
	Step               string `json:"Step"`
	SecretId           string `json:"SecretId"` // the secret's ARN
	ClientRequestToken string `json:"ClientRequestToken"`
	RotationToken      string `json:"RotationToken"`
}

// Rotator runs the four steps of a rotation. Each step is retried on a
// later attempt with the same event, so each must be idempotent (as AWS's
// rotation function templates are). The webhook rotator and the built-in
// rotators (password, PostgreSQL) implement it.
type Rotator interface {
	CreateSecret(ctx context.Context, ev *Event) error
	SetSecret(ctx context.Context, ev *Event) error
	TestSecret(ctx context.Context, ev *Event) error
	FinishSecret(ctx context.Context, ev *Event) error
}

// Targets resolves a RotationLambdaARN to the rotator the operator
// registered for it.
type Targets interface {
	Rotator(lambdaARN string) (Rotator, bool)
}

// Notice is one rotation event for the audit trail: the start, a
// step and its outcome, or the attempt's outcome. It never holds a value.
type Notice struct {
	// EventName is "RotationStarted", "RotationStep", "RotationSucceeded"
	// or "RotationFailed"; for RotateSecret's trial, "TestRotationStarted",
	// "RotationStep", "TestRotationSucceeded" or "TestRotationFailed".
	EventName string
	Step      string // for RotationStep
	Failed    bool
	Message   string // why it failed
	Attempt   int
	Region    string
	AccountID string
	Name      string
	ARN       string
	VersionID string // the rotation's ClientRequestToken
	LambdaARN string
	Time      time.Time
}

// Notifier records rotation notices. An error fails the attempt (the audit
// trail fails closed).
type Notifier interface {
	Notify(ctx context.Context, n *Notice) error
}

// State is a secret's rotation configuration and the rotation in
// progress, kept in the secret's record.
type State struct {
	Enabled     bool      `json:"enabled"`
	LambdaARN   string    `json:"lambdaArn,omitempty"`
	Rules       *Rules    `json:"rules,omitempty"`
	LastRotated time.Time `json:"lastRotated,omitzero"`
	Next        time.Time `json:"next,omitzero"` // the next scheduled window
	// Token is the rotation in progress: the id of its pending version.
	Token    string `json:"token,omitempty"`
	Attempts int    `json:"attempts,omitempty"` // failed attempts of Token
	// Due is when the scheduler looks at the secret next, indexed under
	// DueKey (SetDue keeps the two together).
	Due time.Time `json:"due,omitzero"`
	// Trial asks the scheduler for RotateSecret's test of the
	// configuration (RotateImmediately false): testSecret alone.
	Trial bool `json:"trial,omitempty"`
	// Master is the master secret the alternating-users rotator may use:
	// the one the secret named when RotateSecret's caller, who may read
	// it, configured the rotation.
	Master string `json:"master,omitempty"`
	// Lease names the attempt of Token that holds the rotation now (a
	// random id the claim wrote), while Due, moved to the lease's end,
	// keeps other schedulers off. Each of the attempt's writes checks it
	// first, so that an attempt that lost its lease writes nothing.
	Lease string `json:"lease,omitempty"`
	// Step is the last step of Token's rotation that completed: an
	// attempt interrupted (its server stopped leading, or died) resumes
	// after it. A failed attempt clears it: the next starts over, as AWS
	// retries a rotation from createSecret.
	Step string `json:"step,omitempty"`
}

const (
	// BuiltInPasswordRotator is the function name of the built-in rotator:
	// it sets the "password" field of the JSON SecretString to a new
	// random password. sealbox- is a prefix no AWS-managed function uses.
	BuiltInPasswordRotator = "sealbox-generate-password"

	maxAttempts = 5
	backoffBase = time.Minute
	backoffMax  = time.Hour
	stepTimeout = 2 * time.Minute
)

// The lease of a claimed attempt. The claim moves the secret's due entry
// leaseTTL ahead; the attempt renews it every leaseRenew while it runs;
// and it stops (cancels its steps' context) when no renewal sent within
// leaseGiveUp has committed, or the moment a renewal finds the lease taken.
// Another scheduler takes the rotation only once the entry is due on its
// own clock: when the holder has died, leaseTTL after its last renewal at
// most; the holder stops leaseTTL-leaseGiveUp (10 s) before that, which
// is the margin for the holder's delays and for the servers' clocks
// disagreeing (keep them within a few seconds: NTP). An attempt stopped
// on purpose (its server no longer leads) releases the lease at once,
// due now, so that the next leader resumes it at its first sweep.
const (
	leaseTTL    = 30 * time.Second
	leaseRenew  = 5 * time.Second
	leaseGiveUp = 20 * time.Second
)

// errLeaseLost is an attempt finding another holding its rotation.
var errLeaseLost = errors.New("the rotation's lease is held by another attempt")

// DueKey is the key of the rotation index entry of the secret region/name
// due at at.
func DueKey(at time.Time, region, name string) string { return rotations.Key(at, region, name) }

// rotations indexes the secrets by their next rotation ("_" is in no
// region name).
const rotations = dueindex.Index("sm/_rot/")

// SetDue moves the entry of the secret region/name in the rotation index
// to at (zero: none), in tx; the caller saves r with the secret.
func (r *State) SetDue(tx store.Tx, region, name string, at time.Time) error {
	if !r.Due.IsZero() {
		if err := tx.Delete(DueKey(r.Due, region, name)); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	r.Due = at
	if at.IsZero() {
		return nil
	}
	return tx.Put(DueKey(at, region, name), nil)
}

// setDue moves sec's entry in the rotation index to at.
func setDue(tx store.Tx, sec *Secret, at time.Time) error {
	return sec.Rotation.SetDue(tx, sec.Region, sec.Name, at)
}

// backoff is the wait after the nth failed attempt: exponential from
// backoffBase, capped at backoffMax, the upper half jittered.
func backoff(n int) time.Duration {
	d := backoffBase << min(n-1, 10)
	if d > backoffMax {
		d = backoffMax
	}
	return d/2 + time.Duration(rand.N(int(d/2/time.Second)+1))*time.Second
}

// Engine runs the rotations due. Safe for concurrent use; two engines
// over one store (two servers) never run the same attempt (claim).
type Engine struct {
	store    store.Store
	secrets  Secrets
	clock    clock.Clock
	builtIns map[string]Rotator // by function name
	targets  Targets            // nil: only the built-in rotators
	notifier Notifier           // nil: rotation steps are not recorded
	wake     chan struct{}      // Kick asks the scheduler to run now

	// Kick's asks and the RunDue calls that answer them, for WaitIdle.
	mu      sync.Mutex
	asked   uint64        // how many times Kick was called
	askedAt time.Time     // the clock's time at the last Kick
	covered uint64        // the asks a completed RunDue started after
	running int           // RunDue calls in progress
	settled chan struct{} // closed when the engine next becomes idle
	// leaseEnd kicks the scheduler when the earliest lease another
	// attempt holds ends (watchLeases), nil if none is armed.
	leaseEnd clock.Timer
}

// Config configures an Engine.
type Config struct {
	Store   store.Store
	Secrets Secrets
	Clock   clock.Clock // nil: the real clock
	// BuiltIns are the built-in rotators by function name (a
	// RotationLambdaARN arn:aws:lambda:<region>:<account>:function:<name>
	// of the secret's account names them).
	BuiltIns map[string]Rotator
	// Targets resolves the RotationLambdaARN of a secret to the rotator
	// the operator registered for it (nil: only the built-in rotators).
	Targets Targets
	// Notifier records each rotation step and its outcome (the audit
	// trail). nil records nothing.
	Notifier Notifier
}

// New returns an Engine.
func New(c Config) *Engine {
	if c.Clock == nil {
		c.Clock = clock.Real{}
	}
	return &Engine{store: c.Store, secrets: c.Secrets, clock: c.Clock, builtIns: c.BuiltIns, targets: c.Targets,
		notifier: c.Notifier, wake: make(chan struct{}, 1)}
}

// builtIn answers the built-in rotator lambdaARN names in the secret's
// account, or nil.
func (e *Engine) builtIn(sec *Secret, lambdaARN string) Rotator {
	p := strings.Split(lambdaARN, ":")
	if len(p) != 7 || p[0] != "arn" || p[2] != "lambda" || p[4] != sec.Account || p[5] != "function" {
		return nil
	}
	return e.builtIns[p[6]]
}

// Rotator resolves the rotator of sec's lambdaARN: a built-in rotator, or
// one of the Targets; nil if none.
func (e *Engine) Rotator(sec *Secret, lambdaARN string) Rotator {
	if r := e.builtIn(sec, lambdaARN); r != nil {
		return r
	}
	if e.targets != nil {
		if r, ok := e.targets.Rotator(lambdaARN); ok {
			return r
		}
	}
	return nil
}

// MasterARN answers the master secret the built-in rotator lambdaARN
// names will act with for sec (see MasterUser), or "" if it uses none.
// RotateSecret checks that its caller may read that secret.
func (e *Engine) MasterARN(ctx context.Context, sec *Secret, lambdaARN string) (string, error) {
	m, ok := e.builtIn(sec, lambdaARN).(MasterUser)
	if !ok {
		return "", nil
	}
	return m.MasterARN(serviceContext(ctx, sec, e.clock.Now().UTC()), sec)
}

// Wake is signalled when a rotation should start now, so the server's
// scheduler need not wait for its next tick.
func (e *Engine) Wake() <-chan struct{} { return e.wake }

// WakeOnDue signals Wake whenever a commit seen on feed makes a rotation
// due now (RotateSecret's, on this server or, through a feed shared
// across servers, on another), until cancel is called. The server's
// elected leader watches while it leads, so that a rotation asked of any
// server starts on the leader at once rather than at its next sweep. The
// engine's own claims and outcomes move entries into the future, and
// wake nothing.
func (e *Engine) WakeOnDue(feed store.Feed) (cancel func()) {
	return feed.Watch(string(rotations), func(c store.Change) {
		if c.Deleted {
			return
		}
		if at, ok := dueAt(c.Key); ok && !at.After(e.clock.Now()) {
			e.Kick()
		}
	})
}

// dueAt reads the time of a rotation index key (dueindex's layout: the
// prefix, then the due time in Unix nanoseconds in 20 digits).
func dueAt(key string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(key, string(rotations))
	if !ok || len(rest) < 20 {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(rest[:20], 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n), true
}

// Kick signals Wake. WaitIdle waits for a RunDue that starts after it.
func (e *Engine) Kick() {
	e.mu.Lock()
	e.asked++
	e.askedAt = e.clock.Now()
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// WaitIdle returns once the engine is idle, or with ctx's error: no RunDue
// is in progress, and every Kick so far (every rotation RotateSecret
// started) has been followed by a RunDue that started after it, at a time
// not before it, and completed. A rotation due then has had its attempt
// by then, failed or not. RotateSecret answers before its rotation runs,
// as in AWS; a test waits on this, not on the secret's value.
func (e *Engine) WaitIdle(ctx context.Context) error {
	for {
		e.mu.Lock()
		if e.running == 0 && e.covered >= e.asked {
			e.mu.Unlock()
			return nil
		}
		if e.settled == nil {
			e.settled = make(chan struct{})
		}
		settled := e.settled
		e.mu.Unlock()
		select {
		case <-settled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// started notes a RunDue at now beginning, and answers the asks it covers:
// all so far, unless now is before the last (a rotation RotateSecret made
// due after now, which this run may not see).
func (e *Engine) started(now time.Time) uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running++
	if now.Before(e.askedAt) {
		return e.covered
	}
	return e.asked
}

// finished notes a RunDue that covered asks ending, and wakes WaitIdle's
// callers if the engine is idle.
func (e *Engine) finished(asks uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.running--
	e.covered = max(e.covered, asks)
	if e.running == 0 && e.covered >= e.asked && e.settled != nil {
		close(e.settled)
		e.settled = nil
	}
}

// RunDue runs the rotations due by now, one after the other, and returns
// how many completed.
func (e *Engine) RunDue(ctx context.Context, now time.Time) (rotated int, err error) {
	asks := e.started(now)
	defer e.finished(asks)
	var list []dueindex.Entry
	err = e.store.View(ctx, func(tx store.Tx) (err error) {
		list, err = rotations.Due(tx, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, d := range list {
		if err := ctx.Err(); err != nil {
			return rotated, err
		}
		ok, err := e.rotateOnce(ctx, d.Key, d.Region, d.Name, now)
		if err != nil {
			return rotated, err
		}
		if ok {
			rotated++
		}
	}
	return rotated, e.watchLeases(ctx, now)
}

// watchLeases arms a timer that kicks the scheduler when the earliest
// lease another attempt holds (a server that stopped leading, or died,
// mid-rotation) ends, so that this scheduler resumes the rotation then
// rather than at its next sweep. Leases end within leaseTTL of their
// holder's last renewal: it looks no further than twice that.
func (e *Engine) watchLeases(ctx context.Context, now time.Time) error {
	var end time.Time
	err := e.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(string(rotations), "", func(key string, _ []byte) error {
			at, ok := dueAt(key)
			if !ok || !at.After(now) {
				return nil
			}
			if at.After(now.Add(2 * leaseTTL)) {
				return store.ErrStop // keys sort by due time: the rest are later
			}
			region, name, ok := entryName(key)
			if !ok {
				return nil
			}
			sec, err := e.secrets.Load(tx, region, name)
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			if r := sec.Rotation; r != nil && r.Lease != "" && DueKey(r.Due, region, name) == key {
				end = at
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil || end.IsZero() {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leaseEnd != nil {
		e.leaseEnd.Stop()
	}
	e.leaseEnd = e.clock.AfterFunc(end.Sub(e.clock.Now())+time.Millisecond, e.Kick)
	return nil
}

// entryName reads the secret's region and name from a rotation index key.
func entryName(key string) (region, name string, ok bool) {
	rest, ok := strings.CutPrefix(key, string(rotations))
	if !ok {
		return "", "", false
	}
	parts := strings.SplitN(rest, "/", 3)
	if len(parts) != 3 {
		return "", "", false
	}
	return parts[1], parts[2], true
}

// attempt is a claimed rotation attempt, or a trial.
type attempt struct {
	sec       *Secret // as claimed
	token     string
	lambdaARN string
	number    int
	lease     string    // the State.Lease the claim wrote
	claimed   time.Time // the clock's time when the claim began
	done      string    // the last step completed before this attempt (State.Step)
	// trial is RotateSecret's test of the configuration: testSecret
	// alone, on the AWSCURRENT version (token).
	trial bool
}

// claim takes the rotation indexed under key for one attempt, in one
// transaction, so that two schedulers never run the same rotation: it
// starts a scheduled rotation (a new token, or the pending version of one
// not complete), and moves the index entry to the end of a lease.
func (e *Engine) claim(ctx context.Context, key, region, name string, now time.Time) (*attempt, error) {
	var a *attempt
	// The lease runs from the claim, not from now: a RunDue works through
	// its list one rotation after another, and now is when it began.
	claimed := e.clock.Now().UTC()
	err := e.store.Update(ctx, func(tx store.Tx) error {
		a = nil
		sec, err := e.secrets.Load(tx, region, name)
		if errors.Is(err, store.ErrNotFound) {
			return tx.Delete(key)
		}
		if err != nil {
			return err
		}
		r := sec.Rotation
		if r == nil || r.Due.IsZero() || DueKey(r.Due, region, name) != key || r.Due.After(now) {
			return tx.Delete(key) // a stale entry
		}
		if sec.Deleted() {
			// Look again when the deletion is due: a secret restored
			// before then resumes its rotation. The record keeps the
			// new due time with its entry, or the next claim would
			// take the entry for a stale one and drop the rotation.
			if err := setDue(tx, sec, sec.Deletion.Add(time.Second)); err != nil {
				return err
			}
			return e.secrets.Save(tx, sec)
		}
		if r.Token == "" && r.Trial {
			r.Trial = false
			if err := setDue(tx, sec, r.Next); err != nil {
				return err
			}
			if c := sec.Staged(StageCurrent); c != nil && r.Enabled {
				a = &attempt{sec: sec, token: c.ID, lambdaARN: r.LambdaARN, number: 1, trial: true}
			}
			return e.secrets.Save(tx, sec)
		}
		if r.Token == "" {
			if !r.Enabled {
				return setDue(tx, sec, time.Time{})
			}
			r.Token, r.Attempts, r.Step = ids.UUID(), 0, ""
			if p, c := sec.Staged(StagePending), sec.Staged(StageCurrent); p != nil && (c == nil || p.ID != c.ID) {
				r.Token = p.ID // that rotation is reattempted
			}
		}
		if r.Attempts >= maxAttempts {
			r.Attempts = 0 // the next window: a fresh series of attempts
		}
		from := claimed
		if now.After(from) {
			from = now
		}
		if err := setDue(tx, sec, from.Add(leaseTTL)); err != nil {
			return err
		}
		r.Lease = ids.UUID()
		a = &attempt{sec: sec, token: r.Token, lambdaARN: r.LambdaARN, number: r.Attempts + 1, lease: r.Lease, claimed: claimed, done: r.Step}
		return e.secrets.Save(tx, sec)
	})
	return a, err
}

// serviceContext is the context the engine acts in: a request of the
// secret's account, made by Secrets Manager itself. The built-in rotators
// act as the account (its root), as AWS's managed rotation acts with the
// service's own access; KMS sees kms:ViaService = secretsmanager.
func serviceContext(ctx context.Context, sec *Secret, now time.Time) context.Context {
	return sealbox.NewContext(ctx, &sealbox.Request{ID: ids.UUID(), Time: now, Region: sec.Region, Partition: sec.Partition,
		AccountID: sec.Account, SourceIP: "secretsmanager.amazonaws.com", UserAgent: "secretsmanager.amazonaws.com",
		Principal: sealbox.Principal{Type: "Root", ARN: "arn:" + sec.Partition + ":iam::" + sec.Account + ":root",
			AccountID: sec.Account, PrincipalID: sec.Account}})
}

// rotateOnce claims and runs one attempt of the rotation indexed under
// key; it reports whether the rotation completed.
func (e *Engine) rotateOnce(ctx context.Context, key, region, name string, now time.Time) (bool, error) {
	a, err := e.claim(ctx, key, region, name, now)
	if err != nil || a == nil {
		return false, err
	}
	if a.trial {
		return false, e.runAttempt(ctx, a, now)
	}
	actx, release := e.hold(ctx, a)
	defer release()
	return e.runClaimed(ctx, actx, a, now)
}

// runAttempt runs a trial, which holds no lease (its claim took it off the
// index's due work).
func (e *Engine) runAttempt(ctx context.Context, a *attempt, now time.Time) error {
	return e.runTrial(serviceContext(ctx, a.sec, now), a, e.notice(ctx, a))
}

// notice answers the function that gives attempt a's notices to the
// Notifier.
func (e *Engine) notice(ctx context.Context, a *attempt) func(event, step string, failure error) error {
	return func(event, step string, failure error) error {
		if e.notifier == nil {
			return nil
		}
		n := &Notice{EventName: event, Step: step, Attempt: a.number, Region: a.sec.Region, AccountID: a.sec.Account,
			Name: a.sec.Name, ARN: a.sec.ARN, VersionID: a.token, LambdaARN: a.lambdaARN, Time: e.clock.Now().UTC()}
		if failure != nil {
			n.Failed, n.Message = true, failureMessage(failure)
		}
		return e.notifier.Notify(ctx, n)
	}
}

// runClaimed runs the claimed attempt a, its steps in actx (cancelled when
// the lease is lost or ctx is done), and records its outcome: success,
// failure (the next attempt after a backoff), or, stopped before it had
// one, the lease released with the rotation due at once.
func (e *Engine) runClaimed(ctx, actx context.Context, a *attempt, now time.Time) (bool, error) {
	notice := e.notice(ctx, a)
	sctx := serviceContext(actx, a.sec, now)
	var failure error
	if a.done == "" {
		failure = notice("RotationStarted", "", nil)
	}
	if failure == nil {
		failure = e.runSteps(sctx, a, notice)
	}
	if actx.Err() != nil || errors.Is(failure, errLeaseLost) {
		// Stopped, not failed: this server stopped leading or the lease
		// was lost. The steps have returned; let the next holder resume
		// after the last step recorded, at once (if the lease is still
		// this attempt's: otherwise its holder goes on).
		return false, e.letGo(ctx, a)
	}
	ok := failure == nil
	now = e.clock.Now().UTC()
	err := e.secrets.Update(ctx, a.sec, func(tx store.Tx, cur *Secret) error {
		r := cur.Rotation
		if r == nil || r.Token != a.token || r.Lease != a.lease {
			return nil // cancelled, reconfigured or taken over meanwhile
		}
		r.Lease, r.Step = "", ""
		var next time.Time
		if sc, _ := ParseRules(r.Rules); sc != nil && r.Enabled {
			next = sc.Next(now)
		}
		if ok {
			r.LastRotated, r.Token, r.Attempts, r.Next = now, "", 0, next
			return setDue(tx, cur, next)
		}
		r.Attempts = a.number
		if r.Attempts < maxAttempts {
			return setDue(tx, cur, now.Add(backoff(r.Attempts)))
		}
		r.Next = next
		return setDue(tx, cur, next) // zero: no schedule, the rotation waits for the operator
	})
	if err != nil {
		return false, err
	}
	if ok {
		return true, notice("RotationSucceeded", "", nil)
	}
	return false, notice("RotationFailed", "", failure)
}

// hold keeps a's lease while its steps run: it renews the lease every
// leaseRenew, and cancels the context it answers when a renewal finds the
// lease taken or none sent within leaseGiveUp has committed (see
// leaseTTL). release stops it; call it once the steps have returned.
func (e *Engine) hold(ctx context.Context, a *attempt) (actx context.Context, release func()) {
	actx, cancel := context.WithCancel(ctx)
	giveUp := e.clock.AfterFunc(leaseGiveUp-e.clock.Since(a.claimed), cancel)
	t := e.clock.NewTicker(leaseRenew)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-actx.Done():
				return
			case <-t.C():
			}
			sent := e.clock.Now().UTC()
			err := e.touch(actx, a, "", sent)
			if errors.Is(err, errLeaseLost) {
				cancel()
				return
			}
			if err == nil {
				if left := leaseGiveUp - e.clock.Since(sent); left <= 0 || !giveUp.Reset(left) {
					cancel()
					return
				}
			}
			// Any other error: the next renewal may commit; the give-up
			// timer decides.
		}
	}()
	return actx, func() {
		close(stop)
		t.Stop()
		<-done
		giveUp.Stop()
		cancel()
	}
}

// touch renews a's lease from sent, and records step (if not "") as
// completed, in one transaction that first checks the lease is still a's.
// The write is the engine's bookkeeping: the change feed's callers are
// not told of it.
func (e *Engine) touch(ctx context.Context, a *attempt, step string, sent time.Time) error {
	return e.store.Update(store.Bookkeeping(ctx), func(tx store.Tx) error {
		sec, err := e.secrets.Load(tx, a.sec.Region, a.sec.Name)
		if errors.Is(err, store.ErrNotFound) {
			return errLeaseLost
		}
		if err != nil {
			return err
		}
		r := sec.Rotation
		if r == nil || sec.ARN != a.sec.ARN || r.Token != a.token || r.Lease != a.lease {
			return errLeaseLost
		}
		if step != "" {
			r.Step = step
		}
		if err := setDue(tx, sec, sent.Add(leaseTTL)); err != nil {
			return err
		}
		return e.secrets.Save(tx, sec)
	})
}

// letGo releases a's lease after its steps stopped short of an outcome:
// the rotation is due at once, to resume after its recorded step. It
// writes even when ctx is done (a server stepping down), briefly.
func (e *Engine) letGo(ctx context.Context, a *attempt) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	now := e.clock.Now().UTC()
	err := e.store.Update(store.Bookkeeping(wctx), func(tx store.Tx) error {
		sec, err := e.secrets.Load(tx, a.sec.Region, a.sec.Name)
		if err != nil {
			return err
		}
		r := sec.Rotation
		if r == nil || sec.ARN != a.sec.ARN || r.Token != a.token || r.Lease != a.lease {
			return nil // another holds it, or it is gone or reconfigured
		}
		r.Lease = ""
		if err := setDue(tx, sec, now); err != nil {
			return err
		}
		return e.secrets.Save(tx, sec)
	})
	if errors.Is(err, store.ErrNotFound) {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("failed to release the rotation of %s after it was stopped (another server takes it when its lease ends): %w", a.sec.ARN, err)
	}
	return ctx.Err()
}

// runTrial runs RotateSecret's test of a rotation configured without
// RotateImmediately: as AWS does, the rotation function's testSecret step
// alone, here on the AWSCURRENT version, so that nothing changes and a
// rotator checks what it can (the built-in database rotators log in with
// the current credentials and, for alternating users, the master's). Its
// outcome is recorded as TestRotationStarted, the step, and
// TestRotationSucceeded or TestRotationFailed.
func (e *Engine) runTrial(ctx context.Context, a *attempt, notice func(event, step string, failure error) error) error {
	if err := notice("TestRotationStarted", "", nil); err != nil {
		return err
	}
	var failure error
	if rot := e.Rotator(a.sec, a.lambdaARN); rot == nil {
		failure = fmt.Errorf("no rotation target is registered for %s", a.lambdaARN)
	} else {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		failure = rot.TestSecret(sctx, &Event{Step: StepTest, SecretId: a.sec.ARN, ClientRequestToken: a.token, RotationToken: a.token})
		cancel()
	}
	if err := notice("RotationStep", StepTest, failure); err != nil {
		return err
	}
	if failure != nil {
		return notice("TestRotationFailed", "", failure)
	}
	return notice("TestRotationSucceeded", "", nil)
}

// failureMessage words a step's failure for the audit trail: the
// service's own error message, or the rotator's error.
func failureMessage(err error) string {
	if e, ok := sealbox.AsError(err); ok {
		return e.Code + ": " + e.Message
	}
	return err.Error()
}

// runSteps runs the four steps of attempt a and checks their outcomes.
func (e *Engine) runSteps(ctx context.Context, a *attempt, notice func(event, step string, failure error) error) error {
	eng := e // the loop below shadows e
	rot := e.Rotator(a.sec, a.lambdaARN)
	ev := &Event{SecretId: a.sec.ARN, ClientRequestToken: a.token, RotationToken: a.token}
	steps := []struct {
		name  string
		run   func(context.Context, *Event) error
		check func(context.Context) error
	}{
		{StepCreate, nil, func(ctx context.Context) error { return e.checkPending(ctx, a) }},
		{StepSet, nil, nil},
		{StepTest, nil, nil},
		{StepFinish, nil, func(ctx context.Context) error { return e.checkFinished(ctx, a) }},
	}
	if rot != nil {
		steps[0].run, steps[1].run, steps[2].run, steps[3].run = rot.CreateSecret, rot.SetSecret, rot.TestSecret, rot.FinishSecret
	}
	resume := 0 // the steps before it completed in an earlier, interrupted attempt
	for i, st := range steps {
		if st.name == a.done {
			resume = i + 1
		}
	}
	for _, st := range steps[resume:] {
		e := *ev
		e.Step = st.name
		var err error
		if st.run == nil {
			err = fmt.Errorf("no rotation target is registered for %s", a.lambdaARN)
		} else {
			sctx, cancel := context.WithTimeout(ctx, stepTimeout)
			err = st.run(sctx, &e)
			if err == nil && st.check != nil {
				err = st.check(sctx)
			}
			cancel()
		}
		if nerr := notice("RotationStep", st.name, err); nerr != nil && err == nil {
			err = nerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		if st.name != StepFinish {
			// Recorded with the lease renewed: a later attempt resumes
			// after it. A lease found lost stops the attempt here.
			if err := eng.touch(ctx, a, st.name, eng.clock.Now().UTC()); err != nil {
				return fmt.Errorf("%s: recording the step: %w", st.name, err)
			}
		}
	}
	return nil
}

// reload reads a's secret afresh.
func (e *Engine) reload(ctx context.Context, a *attempt) (*Secret, error) {
	var sec *Secret
	err := e.store.View(ctx, func(tx store.Tx) (err error) {
		sec, err = e.secrets.Load(tx, a.sec.Region, a.sec.Name)
		return err
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && sec.ARN != a.sec.ARN {
		return nil, errGone
	}
	return sec, err
}

// checkPending checks createSecret's outcome: the version of the token
// carries AWSPENDING and satisfies the secret's validation schema.
func (e *Engine) checkPending(ctx context.Context, a *attempt) error {
	sec, err := e.reload(ctx, a)
	if err != nil {
		return err
	}
	v := sec.Version(a.token)
	if v == nil || !v.Has(StagePending) && !v.Has(StageCurrent) {
		return fmt.Errorf("createSecret did not leave a version %s labelled AWSPENDING", a.token)
	}
	return e.secrets.Check(ctx, sec, v.ID)
}

// checkFinished checks finishSecret's outcome: AWSCURRENT is on the
// token's version.
func (e *Engine) checkFinished(ctx context.Context, a *attempt) error {
	sec, err := e.reload(ctx, a)
	if err != nil {
		return err
	}
	if c := sec.Staged(StageCurrent); c == nil || c.ID != a.token {
		return fmt.Errorf("finishSecret did not move AWSCURRENT to version %s", a.token)
	}
	return nil
}
