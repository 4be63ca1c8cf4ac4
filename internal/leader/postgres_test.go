package leader_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/leader"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// takeover is the bound the issue sets: when the leader dies another
// leads within 10 s.
const takeover = 10 * time.Second

// event is a candidate elected or losing leadership, when.
type event struct {
	who     int
	elected bool
	at      time.Time
}

// candidate is one server's elector, running.
type candidate struct {
	e      *leader.Postgres
	cancel context.CancelFunc
	done   chan struct{}
}

// field runs candidates over one database and reports their events.
type field struct {
	t      *testing.T
	events chan event
	cands  []*candidate
}

func newField(t *testing.T) *field {
	return &field{t: t, events: make(chan event, 100)}
}

// add starts a candidate on url.
func (f *field) add(url string) int {
	f.t.Helper()
	e, err := leader.NewPostgres(url, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.Real{})
	if err != nil {
		f.t.Fatal(err)
	}
	who := len(f.cands)
	ctx, cancel := context.WithCancel(context.Background())
	c := &candidate{e: e, cancel: cancel, done: make(chan struct{})}
	f.cands = append(f.cands, c)
	go func() {
		defer close(c.done)
		e.Run(ctx, func(ctx context.Context) {
			f.events <- event{who, true, time.Now()}
			<-ctx.Done()
			f.events <- event{who, false, time.Now()}
		})
	}()
	f.t.Cleanup(func() { c.stop() })
	return who
}

func (c *candidate) stop() {
	c.cancel()
	<-c.done
}

// next waits for the next event, up to d.
func (f *field) next(d time.Duration, what string) event {
	f.t.Helper()
	select {
	case ev := <-f.events:
		return ev
	case <-time.After(d):
		f.t.Fatalf("no %s within %v", what, d)
		return event{}
	}
}

// elected waits up to d for a candidate to be elected, and answers which.
func (f *field) elected(d time.Duration) event {
	f.t.Helper()
	ev := f.next(d, "election")
	if !ev.elected {
		f.t.Fatalf("candidate %d lost leadership while none was expected to", ev.who)
	}
	return ev
}

// leaders answers which candidates say they lead.
func (f *field) leaders() []int {
	var out []int
	for i, c := range f.cands {
		if c.e.Leading() {
			out = append(out, i)
		}
	}
	return out
}

// sessions waits until n elector sessions are connected to c.
func sessions(t *testing.T, c *pgtest.Cluster, n int) {
	t.Helper()
	deadline := time.Now().Add(takeover)
	for {
		if got := count(t, c, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'sealbox leader election'"); got == n {
			return
		} else if time.Now().After(deadline) {
			t.Fatalf("%d elector sessions after %v, want %d", got, takeover, n)
		}
		time.Sleep(50 * time.Millisecond) // polling PostgreSQL's view: there is no signal to wait on
	}
}

func count(t *testing.T, c *pgtest.Cluster, q string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.SuperURL())
	if err != nil {
		t.Fatalf("superuser login: %v", err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestOneOfThreeLeads(t *testing.T) {
	t.Parallel() // a cluster of its own; mostly waiting out leases
	c := pgtest.Start(t, pgtest.Options{})
	url := c.CreateDatabase("elect", "elect-pass")
	f := newField(t)
	for range 3 {
		f.add(url)
	}
	first := f.elected(takeover)
	// All three are in: two try the lock and fail, again and again.
	sessions(t, c, 3)
	if got := f.leaders(); len(got) != 1 || got[0] != first.who {
		t.Fatalf("leaders %v, want only %d", got, first.who)
	}
	if n := count(t, c, fmt.Sprintf("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %d AND objid = %d",
		leader.LockKey>>32, leader.LockKey&0xffffffff)); n != 1 {
		t.Fatalf("%d holders of the leader lock, want 1", n)
	}
	select {
	case ev := <-f.events:
		t.Fatalf("a second event while one leads: %+v", ev)
	default:
	}

	// The leader stops (its server shuts down): another leads.
	f.cands[first.who].stop()
	lost := f.next(time.Second, "step-down")
	if lost.who != first.who || lost.elected {
		t.Fatalf("got %+v, want candidate %d stepping down", lost, first.who)
	}
	next := f.elected(takeover)
	t.Logf("takeover after a shutdown: %v", next.at.Sub(lost.at))
	if d := next.at.Sub(lost.at); d < leader.Grace {
		t.Errorf("the next leader started %v after the old one stopped, before the grace period %v", d, leader.Grace)
	}
	if next.who == first.who {
		t.Fatalf("the stopped candidate %d was elected again", first.who)
	}
	if got := f.leaders(); len(got) != 1 || got[0] != next.who {
		t.Fatalf("leaders %v, want only %d", got, next.who)
	}
	if f.cands[first.who].e.Changes() != 2 {
		t.Fatalf("the first leader counted %d changes, want 2", f.cands[first.who].e.Changes())
	}
	var m strings.Builder
	f.cands[next.who].e.WriteMetrics(&m)
	if !strings.Contains(m.String(), "\nsealbox_leader 1\n") || !strings.Contains(m.String(), "\nsealbox_leader_changes_total 1\n") {
		t.Fatalf("metrics:\n%s", m.String())
	}
}

// TestTerminatedBackend: the leader's session is killed under it (an
// administrator, a PostgreSQL restart of the backend): it stops leading,
// and one of the candidates leads again.
func TestTerminatedBackend(t *testing.T) {
	t.Parallel() // a cluster of its own; mostly waiting out leases
	c := pgtest.Start(t, pgtest.Options{})
	url := c.CreateDatabase("elect", "elect-pass")
	f := newField(t)
	for range 2 {
		f.add(url)
	}
	first := f.elected(takeover)
	c.Exec(fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %d AND objid = %d",
		leader.LockKey>>32, leader.LockKey&0xffffffff))
	killed := time.Now()
	lost := f.next(takeover, "loss of leadership")
	if lost.who != first.who || lost.elected {
		t.Fatalf("got %+v, want candidate %d losing leadership", lost, first.who)
	}
	t.Logf("the leader noticed its session gone after %v", lost.at.Sub(killed))
	if d := lost.at.Sub(killed); d > leader.CheckInterval+leader.CheckTimeout+time.Second {
		t.Errorf("the leader noticed after %v", d)
	}
	next := f.elected(takeover)
	t.Logf("candidate %d leads %v after the kill", next.who, next.at.Sub(killed))
	if !next.at.After(lost.at) {
		t.Errorf("candidate %d led before the old leader stopped", next.who)
	}
	if d := next.at.Sub(killed); d > takeover {
		t.Errorf("a leader again only after %v", d)
	}
	if got := f.leaders(); len(got) != 1 {
		t.Fatalf("leaders %v, want one", got)
	}
}

// TestPostgresStopped: with PostgreSQL down no one leads; when it is back,
// one does within 10 s.
func TestPostgresStopped(t *testing.T) {
	t.Parallel() // a cluster of its own; mostly waiting out leases
	c := pgtest.Start(t, pgtest.Options{})
	url := c.CreateDatabase("elect", "elect-pass")
	f := newField(t)
	for range 3 {
		f.add(url)
	}
	first := f.elected(takeover)
	c.Stop()
	// While PostgreSQL shuts down, another candidate's session may take
	// the lock the moment the leader's is gone, before its own is
	// ended: follow the events until no one leads, by the events and by
	// the electors (one may say it leads before its event is sent).
	leading := map[int]bool{first.who: true}
	deadline := time.Now().Add(2 * takeover)
	for len(leading) > 0 || len(f.leaders()) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("leaders %v (by the events %v) %v after PostgreSQL stopped", f.leaders(), leading, 2*takeover)
		}
		select {
		case ev := <-f.events:
			if ev.elected {
				leading[ev.who] = true
			} else {
				delete(leading, ev.who)
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	c.Start()
	started := time.Now()
	next := f.elected(takeover)
	t.Logf("candidate %d leads %v after PostgreSQL is back", next.who, next.at.Sub(started))
	if got := f.leaders(); len(got) != 1 {
		t.Fatalf("leaders %v, want one", got)
	}
}

// TestPartitionedLeader: the leader's packets stop flowing both ways, the
// TCP connection left open (a network partition, a half-open connection).
// It must stop leading before PostgreSQL frees the lock, and another must
// lead within 10 s.
func TestPartitionedLeader(t *testing.T) {
	t.Parallel() // a cluster of its own; mostly waiting out leases
	c := pgtest.Start(t, pgtest.Options{})
	url := c.CreateDatabase("elect", "elect-pass")
	p := newProxy(t, fmt.Sprintf("127.0.0.1:%d", c.Port))
	f := newField(t)
	f.add(strings.Replace(url, fmt.Sprintf(":%d/", c.Port), fmt.Sprintf(":%d/", p.port()), 1))
	first := f.elected(takeover)
	if first.who != 0 {
		t.Fatalf("candidate %d leads", first.who)
	}
	f.add(url) // the second goes straight to PostgreSQL
	sessions(t, c, 2)
	p.freeze()
	frozen := time.Now()
	lost := f.next(takeover, "loss of leadership")
	if lost.who != 0 || lost.elected {
		t.Fatalf("got %+v, want candidate 0 losing leadership", lost)
	}
	next := f.elected(takeover)
	if next.who != 1 {
		t.Fatalf("candidate %d leads, want 1", next.who)
	}
	t.Logf("the partitioned leader stopped after %v; candidate 1 leads after %v", lost.at.Sub(frozen), next.at.Sub(frozen))
	if d := lost.at.Sub(frozen); d > leader.HoldLimit+time.Second {
		t.Errorf("the partitioned leader led on for %v, past its hold limit %v", d, leader.HoldLimit)
	}
	if !next.at.After(lost.at) {
		t.Errorf("candidate 1 was elected before the partitioned leader stopped")
	}
	if d := next.at.Sub(frozen); d > takeover {
		t.Errorf("a leader again only after %v", d)
	}
}

// proxy forwards TCP connections to a target until frozen, when it
// stops forwarding without closing anything.
type proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	frozen chan struct{}
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, frozen: make(chan struct{})}
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
	})
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, in, out)
			p.mu.Unlock()
			go p.pipe(in, out)
			go p.pipe(out, in)
		}
	}()
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) freeze() { close(p.frozen) }

// pipe copies from src to dst until frozen; then it holds what it read.
func (p *proxy) pipe(src, dst net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-p.frozen:
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}
