package rotation

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// Two schedulers over one store (two servers on one PostgreSQL, here two
// engines on one memstore, each with its own clock and rotator): a
// rotation runs in one at a time, through a leadership handover and a
// holder that dies, and never leaves two AWSPENDING versions.

const (
	testRegion = "us-east-1"
	testName   = "app/db"
	testARN    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:app/db-AbCdEf"
	testLambda = "arn:aws:lambda:us-east-1:123456789012:function:test-rotator"
)

// memSecrets is Secrets over a store: the secret as JSON, its values
// beside it, the staging labels moved as the service moves them.
type memSecrets struct{ st store.Store }

func secKey(region, name string) string { return "t/sec/" + region + "/" + name }

func (m memSecrets) Load(tx store.Tx, region, name string) (*Secret, error) {
	var sec Secret
	if err := store.GetJSON(tx, secKey(region, name), &sec); err != nil {
		return nil, err
	}
	return &sec, nil
}

func (m memSecrets) Save(tx store.Tx, sec *Secret) error {
	cur, err := m.Load(tx, sec.Region, sec.Name)
	if err != nil {
		return err
	}
	cur.Rotation = sec.Rotation
	return store.PutJSON(tx, secKey(sec.Region, sec.Name), cur)
}

func (m memSecrets) Update(ctx context.Context, sec *Secret, fn func(tx store.Tx, cur *Secret) error) error {
	return m.write(ctx, func(tx store.Tx, cur *Secret) error { return fn(tx, cur) })
}

func (m memSecrets) write(ctx context.Context, fn func(tx store.Tx, cur *Secret) error) error {
	return m.st.Update(ctx, func(tx store.Tx) error {
		cur, err := m.Load(tx, testRegion, testName)
		if err != nil {
			return err
		}
		if err := fn(tx, cur); err != nil {
			return err
		}
		return store.PutJSON(tx, secKey(testRegion, testName), cur)
	})
}

func (m memSecrets) Find(ctx context.Context, id string) (*Secret, error) {
	var sec *Secret
	err := m.st.View(ctx, func(tx store.Tx) (err error) {
		sec, err = m.Load(tx, testRegion, testName)
		return err
	})
	return sec, err
}

func (m memSecrets) Open(ctx context.Context, sec *Secret, id string) ([]byte, error) {
	var v []byte
	err := m.st.View(ctx, func(tx store.Tx) (err error) {
		v, err = tx.Get("t/val/" + id)
		return err
	})
	return v, err
}

func (m memSecrets) Check(context.Context, *Secret, string) error { return nil }

func (m memSecrets) AddPending(ctx context.Context, sec *Secret, id string, value []byte) error {
	return m.write(ctx, func(tx store.Tx, cur *Secret) error {
		if cur.Version(id) != nil {
			return nil
		}
		if p := cur.Staged(StagePending); p != nil {
			p.Stages = slices.DeleteFunc(p.Stages, func(s string) bool { return s == StagePending })
		}
		cur.Versions = append(cur.Versions, Version{ID: id, Stages: []string{StagePending}})
		return tx.Put("t/val/"+id, value)
	})
}

func (m memSecrets) Promote(ctx context.Context, sec *Secret, id string) error {
	return m.write(ctx, func(tx store.Tx, cur *Secret) error {
		nv := cur.Version(id)
		if nv == nil {
			return errors.New("no such version")
		}
		if old := cur.Staged(StageCurrent); old != nil && old.ID != id {
			if prev := cur.Staged(StagePrevious); prev != nil {
				prev.Stages = slices.DeleteFunc(prev.Stages, func(s string) bool { return s == StagePrevious })
			}
			old.Stages = slices.DeleteFunc(old.Stages, func(s string) bool { return s == StageCurrent })
			old.Stages = append(old.Stages, StagePrevious)
			nv.Stages = append(nv.Stages, StageCurrent)
		}
		nv.Stages = slices.DeleteFunc(nv.Stages, func(s string) bool { return s == StagePending })
		return nil
	})
}

// testRotator counts its steps; its setSecret waits for the test when
// hold is set, and says so on entered.
type testRotator struct {
	sec                     memSecrets
	creates, sets, finishes atomic.Int32
	inSet, maxInSet         *atomic.Int32 // shared between the servers' rotators
	hold                    bool
	entered, release        chan struct{}
	cancelled               atomic.Bool
}

func newTestRotator(sec memSecrets, inSet, maxInSet *atomic.Int32, hold bool) *testRotator {
	return &testRotator{sec: sec, inSet: inSet, maxInSet: maxInSet, hold: hold, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (r *testRotator) Rotator(string) (Rotator, bool) { return r, true }

func (r *testRotator) CreateSecret(ctx context.Context, ev *Event) error {
	r.creates.Add(1)
	return r.sec.AddPending(ctx, nil, ev.ClientRequestToken, []byte("new-value"))
}

func (r *testRotator) SetSecret(ctx context.Context, ev *Event) error {
	r.sets.Add(1)
	n := r.inSet.Add(1)
	defer r.inSet.Add(-1)
	for {
		m := r.maxInSet.Load()
		if n <= m || r.maxInSet.CompareAndSwap(m, n) {
			break
		}
	}
	if !r.hold {
		return nil
	}
	r.entered <- struct{}{}
	select {
	case <-r.release:
		return nil
	case <-ctx.Done():
		r.cancelled.Store(true)
		return ctx.Err()
	}
}

func (r *testRotator) TestSecret(context.Context, *Event) error { return nil }

func (r *testRotator) FinishSecret(ctx context.Context, ev *Event) error {
	r.finishes.Add(1)
	return r.sec.Promote(ctx, nil, ev.ClientRequestToken)
}

// twoServers is one store, a secret due for rotation in it, and two
// engines over it, each with its clock and rotator.
type twoServers struct {
	st           store.Store
	sec          memSecrets
	clk          [2]*clock.Fake
	rot          [2]*testRotator
	eng          [2]*Engine
	inSet, maxIn atomic.Int32
}

func newTwoServers(t *testing.T, hold [2]bool) *twoServers {
	t.Helper()
	ts := &twoServers{st: memstore.New()}
	ts.sec = memSecrets{ts.st}
	start := time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC)
	for i := range 2 {
		ts.clk[i] = clock.NewFake(start)
		ts.rot[i] = newTestRotator(ts.sec, &ts.inSet, &ts.maxIn, hold[i])
		ts.eng[i] = New(Config{Store: ts.st, Secrets: ts.sec, Clock: ts.clk[i], Targets: ts.rot[i]})
	}
	err := ts.st.Update(context.Background(), func(tx store.Tx) error {
		sec := &Secret{ARN: testARN, Name: testName, Region: testRegion, Partition: "aws", Account: "123456789012",
			Versions: []Version{{ID: "v1", Stages: []string{StageCurrent}}}, Rotation: &State{Enabled: true, LambdaARN: testLambda}}
		if err := tx.Put("t/val/v1", []byte("old-value")); err != nil {
			return err
		}
		// RotateSecret's immediate rotation: a token, due now.
		sec.Rotation.Token = "token-1"
		if err := setDue(tx, sec, start); err != nil {
			return err
		}
		return store.PutJSON(tx, secKey(testRegion, testName), sec)
	})
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func (ts *twoServers) load(t *testing.T) *Secret {
	t.Helper()
	sec, err := ts.sec.Find(context.Background(), testARN)
	if err != nil {
		t.Fatal(err)
	}
	return sec
}

// runDue runs server i's RunDue at its clock's time on a goroutine.
func (ts *twoServers) runDue(ctx context.Context, i int) chan result {
	out := make(chan result, 1)
	go func() {
		n, err := ts.eng[i].RunDue(ctx, ts.clk[i].Now())
		out <- result{n, err}
	}()
	return out
}

type result struct {
	rotated int
	err     error
}

// wait answers what a RunDue returned, failing after 10 s.
func wait(t *testing.T, c chan result, what string) result {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
		return result{}
	}
}

func entered(t *testing.T, r *testRotator, what string) {
	t.Helper()
	select {
	case <-r.entered:
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not reach setSecret", what)
	}
}

// rotated checks the rotation's end: AWSCURRENT on the token's version,
// AWSPREVIOUS on the old one, no AWSPENDING, two versions, no lease.
func (ts *twoServers) rotated(t *testing.T) {
	t.Helper()
	sec := ts.load(t)
	if len(sec.Versions) != 2 {
		t.Fatalf("%d versions, want 2: %+v", len(sec.Versions), sec.Versions)
	}
	if c := sec.Staged(StageCurrent); c == nil || c.ID != "token-1" {
		t.Fatalf("AWSCURRENT on %+v, want token-1", c)
	}
	if p := sec.Staged(StagePending); p != nil {
		t.Fatalf("AWSPENDING left on %s", p.ID)
	}
	if r := sec.Rotation; r.Token != "" || r.Lease != "" || r.Step != "" || r.LastRotated.IsZero() {
		t.Fatalf("rotation state after success: %+v", r)
	}
	if n := ts.maxIn.Load(); n != 1 {
		t.Fatalf("setSecret ran %d at a time, want 1", n)
	}
}

func pendingVersions(sec *Secret) int {
	n := 0
	for _, v := range sec.Versions {
		if v.Has(StagePending) {
			n++
		}
	}
	return n
}

// TestTwoSchedulersOneRotation: both servers run the rotations due at
// once; the one that claims it runs it, the other finds it leased and
// runs nothing, even while the first is mid-rotation.
func TestTwoSchedulersOneRotation(t *testing.T) {
	ts := newTwoServers(t, [2]bool{true, true})
	ctx := context.Background()
	a, b := ts.runDue(ctx, 0), ts.runDue(ctx, 1)
	// One of them reaches setSecret; the other returns having run
	// nothing while the first waits there.
	var holder int
	select {
	case <-ts.rot[0].entered:
		holder = 0
	case <-ts.rot[1].entered:
		holder = 1
	case <-time.After(10 * time.Second):
		t.Fatal("no server reached setSecret")
	}
	other := []chan result{a, b}[1-holder]
	if r := wait(t, other, "the other server's RunDue"); r.err != nil || r.rotated != 0 {
		t.Fatalf("the other server's RunDue = %d, %v while server %d rotates; want 0, nil", r.rotated, r.err, holder)
	}
	if n := pendingVersions(ts.load(t)); n != 1 {
		t.Fatalf("%d AWSPENDING versions mid-rotation, want 1", n)
	}
	if s := ts.load(t).Rotation.Step; s != StepCreate {
		t.Fatalf("recorded step %q mid-setSecret, want %s", s, StepCreate)
	}
	close(ts.rot[holder].release)
	if r := wait(t, []chan result{a, b}[holder], "the holder's RunDue"); r.err != nil || r.rotated != 1 {
		t.Fatalf("the holder's RunDue = %d, %v; want 1, nil", r.rotated, r.err)
	}
	ts.rotated(t)
	if c := ts.rot[0].creates.Load() + ts.rot[1].creates.Load(); c != 1 {
		t.Fatalf("createSecret ran %d times, want 1", c)
	}
}

// TestHandoverResumesFromRecordedStep: the leader stops leading mid-step
// (its context cancelled): it releases the rotation at once, due, with
// createSecret recorded; the next leader resumes at setSecret, with the
// same token, and the rotation completes once.
func TestHandoverResumesFromRecordedStep(t *testing.T) {
	ts := newTwoServers(t, [2]bool{true, false})
	ctx, stepDown := context.WithCancel(context.Background())
	a := ts.runDue(ctx, 0)
	entered(t, ts.rot[0], "server 0")
	stepDown()
	if r := wait(t, a, "the old leader's RunDue"); r.rotated != 0 || !errors.Is(r.err, context.Canceled) {
		t.Fatalf("the old leader's RunDue = %d, %v; want 0 and its context's error", r.rotated, r.err)
	}
	if !ts.rot[0].cancelled.Load() {
		t.Fatal("the old leader's setSecret did not see its context cancelled")
	}
	sec := ts.load(t)
	if r := sec.Rotation; r.Token != "token-1" || r.Lease != "" || r.Step != StepCreate || r.Attempts != 0 || r.Due.After(ts.clk[1].Now()) {
		t.Fatalf("rotation state after the step-down: %+v; want token-1, no lease, createSecret done, no failed attempt, due now", r)
	}
	if r := wait(t, ts.runDue(context.Background(), 1), "the new leader's RunDue"); r.err != nil || r.rotated != 1 {
		t.Fatalf("the new leader's RunDue = %d, %v; want 1, nil", r.rotated, r.err)
	}
	ts.rotated(t)
	if c := ts.rot[1].creates.Load(); c != 0 {
		t.Fatalf("the new leader ran createSecret again (%d), want it resumed after it", c)
	}
	if s, f := ts.rot[1].sets.Load(), ts.rot[1].finishes.Load(); s != 1 || f != 1 {
		t.Fatalf("the new leader ran setSecret %d and finishSecret %d times, want 1 and 1", s, f)
	}
}

// TestDeadHolderIsFenced: the holder stops renewing (its server died, or
// froze): the other waits for the lease to end on its own clock, then
// takes the rotation over and completes it. The old holder, should it
// wake, finds its lease gone at its next write and stops there.
func TestDeadHolderIsFenced(t *testing.T) {
	ts := newTwoServers(t, [2]bool{true, false})
	a := ts.runDue(context.Background(), 0)
	entered(t, ts.rot[0], "server 0")

	// Within the lease: the other runs nothing.
	ts.clk[1].Advance(leaseTTL - time.Second)
	if r := wait(t, ts.runDue(context.Background(), 1), "server 1's RunDue within the lease"); r.err != nil || r.rotated != 0 {
		t.Fatalf("server 1's RunDue within the lease = %d, %v; want 0, nil", r.rotated, r.err)
	}
	if ts.rot[1].sets.Load() != 0 {
		t.Fatal("server 1 ran setSecret within server 0's lease")
	}
	// Past it (server 0's clock stands still: it renews nothing), server
	// 1's scheduler is woken: it does not wait for its next sweep.
	select {
	case <-ts.eng[1].Wake():
		t.Fatal("server 1 was woken before the lease ended")
	default:
	}
	ts.clk[1].Advance(2 * time.Second)
	select {
	case <-ts.eng[1].Wake():
	default:
		t.Fatal("server 1 was not woken when the lease it saw ended")
	}
	if r := wait(t, ts.runDue(context.Background(), 1), "server 1's RunDue past the lease"); r.err != nil || r.rotated != 1 {
		t.Fatalf("server 1's RunDue past the lease = %d, %v; want 1, nil", r.rotated, r.err)
	}
	if c := ts.rot[1].creates.Load(); c != 0 {
		t.Fatalf("server 1 ran createSecret again (%d), want it resumed after it", c)
	}

	// Server 0 wakes: its setSecret returns, and its next write finds
	// the lease gone.
	close(ts.rot[0].release)
	if r := wait(t, a, "server 0's RunDue"); r.err != nil || r.rotated != 0 {
		t.Fatalf("the fenced server's RunDue = %d, %v; want 0, nil", r.rotated, r.err)
	}
	if f := ts.rot[0].finishes.Load(); f != 0 {
		t.Fatalf("the fenced server ran finishSecret %d times", f)
	}
	// Two in setSecret at once is what a dead holder that was not dead
	// looks like here: this test's holder was only frozen; the check
	// that matters is that nothing it wrote after counts.
	ts.maxIn.Store(1)
	ts.rotated(t)
}

// TestHolderGivesUpWithoutRenewal: a holder whose renewals do not commit
// stops its attempt leaseGiveUp after its last, before the lease ends.
func TestHolderGivesUpWithoutRenewal(t *testing.T) {
	ts := newTwoServers(t, [2]bool{true, false})
	a := ts.runDue(context.Background(), 0)
	entered(t, ts.rot[0], "server 0")
	// Another takes the lease away (CancelRotateSecret clears it): the
	// next renewal finds it gone and stops the attempt.
	err := ts.sec.write(context.Background(), func(tx store.Tx, cur *Secret) error {
		cur.Rotation.Lease = "someone else"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ts.clk[0].Advance(leaseRenew)
	if r := wait(t, a, "server 0's RunDue"); r.rotated != 0 || r.err != nil {
		t.Fatalf("RunDue after the lease was taken = %d, %v; want 0, nil", r.rotated, r.err)
	}
	if !ts.rot[0].cancelled.Load() {
		t.Fatal("the attempt went on after its lease was taken")
	}
	if ts.load(t).Rotation.Lease != "someone else" {
		t.Fatal("the attempt wrote over the lease it lost")
	}

	// The give-up timer alone: nothing renews. The store stalls every
	// commit from before the clock jumps past leaseGiveUp until the
	// attempt has stopped, so no renewal can commit and push the give-up
	// timer on. (Without the stall the jump's first tick, due at
	// leaseRenew, could be taken and its renewal commit at the new time
	// between the clock firing the tick and the timer: a renewal that
	// commits rightly extends the attempt.)
	ts2 := newTwoServers(t, [2]bool{true, false})
	stalling := &stallingStore{Store: ts2.st}
	ts2.eng[0] = New(Config{Store: stalling, Secrets: ts2.sec, Clock: ts2.clk[0], Targets: ts2.rot[0]})
	b := ts2.runDue(context.Background(), 0)
	entered(t, ts2.rot[0], "server 0")
	resume := stalling.stall()
	ts2.clk[0].Advance(leaseGiveUp)
	for deadline := time.Now().Add(10 * time.Second); !ts2.rot[0].cancelled.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			resume()
			t.Fatal("the attempt went on past leaseGiveUp")
		}
	}
	resume()
	if r := wait(t, b, "server 0's RunDue"); r.rotated != 0 {
		t.Fatalf("RunDue after the give-up = %d, %v; want 0", r.rotated, r.err)
	}
}

// stallingStore is a store whose commits can be stalled, as a database's
// can: an Update waits while stalled, or fails once its context is done.
type stallingStore struct {
	store.Store
	mu      sync.Mutex
	stalled chan struct{} // closed when the stall ends; nil: not stalled
}

// stall stalls the Updates from now until resume is called.
func (s *stallingStore) stall() (resume func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := make(chan struct{})
	s.stalled = c
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.stalled = nil
		close(c)
	}
}

func (s *stallingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.mu.Lock()
	stalled := s.stalled
	s.mu.Unlock()
	if stalled != nil {
		select {
		case <-stalled:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return s.Store.Update(ctx, fn)
}

// TestWakeOnDue: a commit that makes a rotation due now wakes the
// scheduler; one due later, or the engine's own lease, does not.
func TestWakeOnDue(t *testing.T) {
	feed := store.WithFeed(memstore.New())
	clk := clock.NewFake(time.Date(2026, 12, 7, 1, 0, 0, 0, time.UTC))
	e := New(Config{Store: feed, Secrets: memSecrets{feed}, Clock: clk})
	cancel := e.WakeOnDue(feed)
	defer cancel()
	put := func(key string) {
		t.Helper()
		if err := feed.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, nil) }); err != nil {
			t.Fatal(err)
		}
	}
	woken := func() bool {
		select {
		case <-e.Wake():
			return true
		default:
			return false
		}
	}
	put(DueKey(clk.Now().Add(leaseTTL), "us-east-1", "later"))
	if woken() {
		t.Fatal("woken by a rotation due later")
	}
	put(DueKey(clk.Now(), "us-east-1", "now"))
	if !woken() {
		t.Fatal("not woken by a rotation due now")
	}
	put("sm/other/" + DueKey(clk.Now(), "us-east-1", "x"))
	if woken() {
		t.Fatal("woken by a key outside the rotation index")
	}
}
