package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/clock"
)

// LockKey is the PostgreSQL advisory lock the leader holds: "sealbox" in
// ASCII. Advisory locks are per database, so deployments on separate
// databases of one cluster never contend; other sealbox locks (the store's
// schema migrations) use other keys.
const LockKey int64 = 0x007365616c626f78

// The timings of a Postgres elector. The old leader must have stopped its
// work before the new one starts, whatever fails:
//
//   - The leader checks its session every CheckInterval with a SELECT 1
//     that may take at most CheckTimeout, and gives leadership up (cancels
//     its work's context) at the first check that fails, or when no check
//     sent in the last HoldLimit has succeeded: at most HoldLimit (2.5 s)
//     after it sent the last check PostgreSQL answered. That check was
//     sent before PostgreSQL freed the lock, however it came to free it.
//   - A server that takes the lock holds it for Grace (3 s) before it
//     starts the work, checking its session all the while: by then the
//     old leader has stopped, HoldLimit after a send that preceded the
//     lock's release, with 0.5 s to spare for its work to see the context
//     cancelled. Grace is what makes a terminated session safe (an
//     administrator's pg_terminate_backend, a backend crash: PostgreSQL
//     frees the lock at once, and the old leader learns of it only at its
//     next check). Only the durations on each machine count, so no clock
//     skew between machines enters. A process paused for longer (SIGSTOP,
//     a frozen VM) can resume believing it leads for a moment: what must
//     never overlap guards itself in the store (see the package comment).
//   - PostgreSQL frees the lock when the session ends: at once when the
//     connection closes (a server stopped or killed: the kernel closes
//     it), else when the session has been idle for IdleSessionTimeout (a
//     partition, a half-open connection, a wedged process: the leader's
//     checks stop arriving) or its TCP keepalives go unanswered for
//     ServerKeepalive (a machine gone without a word), both 4 s. These
//     count from the last check PostgreSQL received, sent no sooner than
//     the one the old leader's HoldLimit counts from: so in those cases
//     the old leader has stopped 1.5 s before the lock is even free, a
//     second margin on top of Grace.
//
// A takeover then takes: after a server stops or dies, up to RetryInterval
// (0.5 s) for a follower's next try plus Grace, 3.5 s; after a partition or
// a wedged or vanished leader, IdleSessionTimeout more, 7.5 s. Both are
// within 10 s.
const (
	RetryInterval      = 500 * time.Millisecond
	CheckInterval      = time.Second
	CheckTimeout       = time.Second
	HoldLimit          = 2500 * time.Millisecond
	Grace              = HoldLimit + 500*time.Millisecond
	IdleSessionTimeout = 4 * time.Second
	// ServerKeepalive is tcp_keepalives_idle plus tcp_keepalives_count
	// probes tcp_keepalives_interval apart, set on the session.
	ServerKeepalive = 2*time.Second + 2*time.Second
	// ConnectTimeout bounds one connection attempt.
	ConnectTimeout = 5 * time.Second
)

// sessionSettings are set on the elector's session. idle_session_timeout
// needs PostgreSQL 14; on an older server the keepalives alone bound a
// partition (a wedged leader process is then noticed only through its
// own HoldLimit).
var sessionSettings = []string{
	"SET tcp_keepalives_idle = 2",
	"SET tcp_keepalives_interval = 1",
	"SET tcp_keepalives_count = 2",
	"SET tcp_user_timeout = 4000",
	"SET idle_session_timeout = 4000",
	"SET application_name = 'sealbox leader election'",
}

// Postgres elects a leader among the servers sharing a PostgreSQL
// database: pg_try_advisory_lock(LockKey) held on a connection of its own
// (not a pooled one: the lock belongs to the session, so the connection
// must go straight to PostgreSQL, never through a pooler in transaction
// mode). Safe for concurrent use; Run once.
type Postgres struct {
	status
	cfg *pgx.ConnConfig
	log *slog.Logger
	clk clock.Clock
}

var _ Elector = (*Postgres)(nil)

// NewPostgres returns an elector over the PostgreSQL database url names
// (a postgres:// URL or key=value string, as the store's). The URL may hold
// a password: it is never logged. clk paces the retries and checks: the
// real clock in production (nil means it).
func NewPostgres(url string, log *slog.Logger, clk clock.Clock) (*Postgres, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		// pgx's parse errors quote the connection string, its password
		// masked only as far as it can tell where the password is.
		return nil, errors.New("leader election: failed to parse the PostgreSQL connection URL (check its syntax; the password is not shown)")
	}
	return NewPostgresConfig(cfg, log, clk), nil
}

// NewPostgresConfig is NewPostgres from a parsed configuration (the
// store's, with the password it found in a file, say), which it copies.
func NewPostgresConfig(cfg *pgx.ConnConfig, log *slog.Logger, clk clock.Clock) *Postgres {
	cfg = cfg.Copy()
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > ConnectTimeout {
		cfg.ConnectTimeout = ConnectTimeout
	}
	// Client-side keepalives too, so that this side notices a dead peer
	// while a check waits (the check's own timeout bounds it sooner).
	d := &net.Dialer{Timeout: cfg.ConnectTimeout, KeepAliveConfig: net.KeepAliveConfig{Enable: true,
		Idle: 2 * time.Second, Interval: time.Second, Count: 2}}
	cfg.DialFunc = d.DialContext
	if log == nil {
		log = slog.Default()
	}
	if clk == nil {
		clk = clock.Real{}
	}
	return &Postgres{cfg: cfg, log: log, clk: clk}
}

// SetPassword replaces the URL's password (the store's, read from a
// file). Call it before Run.
func (p *Postgres) SetPassword(password string) { p.cfg.Password = password }

// Run campaigns until ctx is done: it connects, tries the lock every
// RetryInterval, and leads while it holds it; on any failure it closes the
// connection (PostgreSQL then frees the lock, if it held it) and starts
// again.
func (p *Postgres) Run(ctx context.Context, lead func(ctx context.Context)) {
	failing := false // the last attempt failed and said so: log the next failure quietly
	for ctx.Err() == nil {
		conn, err := p.connect(ctx)
		if err == nil {
			if failing {
				p.log.Info("leader election: connected to PostgreSQL again")
			}
			failing = false
			err = p.campaign(ctx, conn, lead)
			cctx, cancel := context.WithTimeout(context.Background(), CheckTimeout)
			conn.Close(cctx) // ends the session: PostgreSQL frees the lock
			cancel()
		}
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if !failing {
				p.log.Warn("leader election: no session with PostgreSQL; trying again", "every", RetryInterval, "err", err)
			} else {
				p.log.Debug("leader election: still no session with PostgreSQL", "err", err)
			}
			failing = true
		}
		p.pause(ctx, RetryInterval)
	}
}

// connect opens the elector's session and sets its timeouts.
func (p *Postgres) connect(ctx context.Context) (*pgx.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		return nil, err
	}
	for _, s := range sessionSettings {
		qctx, cancel := context.WithTimeout(ctx, CheckTimeout)
		_, err := conn.Exec(qctx, s)
		cancel()
		if err != nil {
			if conn.IsClosed() {
				return nil, err
			}
			p.log.Warn("leader election: a session setting is not supported by this PostgreSQL; a partitioned leader is noticed later", "setting", s, "err", err)
		}
	}
	return conn, nil
}

// campaign tries the lock every RetryInterval on conn and leads while it
// holds it. It returns with the error that ended it, or nil once ctx is
// done or a leadership has ended (the caller closes conn either way, which
// frees the lock).
func (p *Postgres) campaign(ctx context.Context, conn *pgx.Conn, lead func(context.Context)) error {
	t := p.clk.NewTicker(RetryInterval)
	defer t.Stop()
	for {
		sent := p.clk.Now()
		qctx, cancel := context.WithTimeout(ctx, CheckTimeout)
		var got bool
		err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", LockKey).Scan(&got)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("trying the leader lock: %w", err)
		}
		if got {
			return p.hold(ctx, conn, sent, lead)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C():
		}
	}
}

// hold leads while conn stays healthy: after Grace, it runs lead on a
// goroutine with a context it cancels the moment a check fails, or when
// no check sent within HoldLimit has succeeded (sent is when the query
// that took the lock was sent). It returns once lead has returned.
func (p *Postgres) hold(ctx context.Context, conn *pgx.Conn, sent time.Time, lead func(context.Context)) (err error) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.log.Debug("leader election: took the lock; leading after the grace period", "grace", Grace)
	// The watchdog: leadership ends HoldLimit after the send of the last
	// check that succeeded, even if the next check hangs.
	expired := make(chan struct{})
	var once sync.Once // a Reset after it fired arms it again
	watchdog := p.clk.AfterFunc(HoldLimit-p.clk.Since(sent), func() {
		cancel()
		once.Do(func() { close(expired) })
	})
	graceOver := make(chan struct{})
	graceTimer := p.clk.AfterFunc(Grace, func() { close(graceOver) })
	defer graceTimer.Stop()
	grace := graceOver
	var done chan struct{} // closed when lead returns; nil until it starts
	t := p.clk.NewTicker(CheckInterval)
	defer t.Stop()
loop:
	for {
		select {
		case <-lctx.Done():
			break loop
		case <-done:
			break loop // lead gave up on its own: let another lead
		case <-grace:
			grace = nil
			p.set(true)
			p.log.Info("leader election: this server leads; it runs the background work")
			d := make(chan struct{})
			done = d
			go func() {
				defer close(d)
				lead(lctx)
			}()
		case <-t.C():
			sent := p.clk.Now()
			if err = p.check(lctx, conn); err != nil {
				break loop
			}
			if left := HoldLimit - p.clk.Since(sent); left <= 0 || !watchdog.Reset(left) {
				break loop // the watchdog fired meanwhile
			}
		}
	}
	cancel()
	watchdog.Stop()
	select {
	case <-expired:
		if err == nil {
			err = errors.New("the leader's session did not answer within the hold limit")
		}
	default:
	}
	if done == nil {
		if ctx.Err() != nil {
			return nil
		}
		return err // lost within the grace period: never led
	}
	p.set(false)
	switch {
	case ctx.Err() != nil:
		p.log.Info("leader election: stepping down, the server is stopping")
		err = nil
	case err != nil:
		p.log.Warn("leader election: leadership lost; the background work stops here", "err", err)
	default:
		p.log.Warn("leader election: the background work ended on its own; leadership given up")
	}
	<-done
	return err
}

// check is the leader's health check: one round trip on its session.
func (p *Postgres) check(ctx context.Context, conn *pgx.Conn) error {
	if conn.IsClosed() {
		return errors.New("the leader's connection is closed")
	}
	qctx, cancel := context.WithTimeout(ctx, CheckTimeout)
	defer cancel()
	var one int
	if err := conn.QueryRow(qctx, "SELECT 1").Scan(&one); err != nil {
		if ctx.Err() != nil {
			return nil // stepping down anyway
		}
		return fmt.Errorf("checking the leader's session: %w", err)
	}
	return nil
}

// pause waits d on the elector's clock, or until ctx is done.
func (p *Postgres) pause(ctx context.Context, d time.Duration) {
	wake := make(chan struct{})
	t := p.clk.AfterFunc(d, func() { close(wake) })
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-wake:
	}
}
