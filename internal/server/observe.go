package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// GetMetricsAction is the IAM action a signed GET /metrics needs, on
// resource "*". AdministratorAccess has it.
const GetMetricsAction = "sealbox:GetMetrics"

// metricsSigningName is the SigV4 signing name of a signed GET /metrics:
// sealbox's own, as the change feed's.
const metricsSigningName = "sealbox"

// metricsAllowed answers a GET /metrics that may not see the metrics, and
// reports whether it may: one with the metrics token as "Authorization:
// Bearer <token>" (compared in constant time), or signed with SigV4 (the
// router's verification, the one every API call takes) by a principal the
// authorizer allows sealbox:GetMetrics on "*". Without credentials the
// answer is 401, with wrong ones 403; neither says more.
func (s *Server) metricsAllowed(w http.ResponseWriter, r *http.Request) bool {
	auth := r.Header.Get("Authorization")
	if scheme, token, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
		if s.metricsToken.Len() > 0 && s.metricsToken.EqualString(strings.TrimSpace(token)) {
			return true
		}
		s.log.Debug("GET /metrics refused: not the metrics token")
		refuse(w, http.StatusForbidden)
		return false
	}
	if auth == "" && !r.URL.Query().Has("X-Amz-Algorithm") {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sealbox metrics"`)
		refuse(w, http.StatusUnauthorized)
		return false
	}
	ctx, err := s.router.Authenticate(r, metricsSigningName)
	if err == nil {
		err = s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: GetMetricsAction, Resource: "*"})
	}
	if err == nil {
		return true
	}
	if _, ok := sealbox.AsError(err); ok || errors.Is(err, context.Canceled) {
		// A signature refused or a caller denied.
		s.log.Debug("GET /metrics refused", "err", err)
		refuse(w, http.StatusForbidden)
		return false
	}
	s.log.Error("GET /metrics: failed to authorize the caller", "err", err)
	refuse(w, http.StatusServiceUnavailable)
	return false
}

// refuse answers status with its bare text.
func refuse(w http.ResponseWriter, status int) {
	http.Error(w, http.StatusText(status), status)
}

// readyCheck is one condition of /readyz: check returns nil while it
// holds. Its error is logged; the answer names only the check.
type readyCheck struct {
	name  string
	check func(ctx context.Context) error
	// running is set while a run of check is under way: a check that
	// outlives its deadline (a store that ignores it) is not run again
	// until it returns, so that probes cannot pile up behind it.
	running *atomic.Bool
}

// errStillRunning answers a probe while the check's previous run, which
// outlived its deadline, has not returned.
var errStillRunning = errors.New("the previous check has not returned")

// run runs the check, waiting at most readyTimeout for it.
func (c readyCheck) run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errStillRunning
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	done := make(chan error, 1)
	go func() {
		err := c.check(ctx)
		cancel()
		// Cleared before the result is sent: a probe that follows the
		// answer at once must not find this run still going.
		c.running.Store(false)
		done <- err
	}()
	timer := time.NewTimer(readyTimeout + readyTimeout/10)
	defer timer.Stop()
	select {
	case err := <-done:
		return err
	case <-timer.C:
		return fmt.Errorf("no answer within %v", readyTimeout)
	}
}

func newReadyCheck(name string, check func(ctx context.Context) error) readyCheck {
	return readyCheck{name: name, check: check, running: new(atomic.Bool)}
}

// readyTimeout bounds each of /readyz's checks: a load balancer wants an
// answer, not a hung probe.
const readyTimeout = time.Second

// AddReadyCheck adds a condition that GET /readyz requires, after the
// built-in ones (the root key is loaded, the store answers a read within
// a second): check returns nil while the condition holds. The change feed
// across servers adds "feed" (current); until then the feed always is.
// check gets a context that ends after a second. Safe to call while
// serving.
func (s *Server) AddReadyCheck(name string, check func(ctx context.Context) error) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.ready = append(s.ready[:len(s.ready):len(s.ready)], newReadyCheck(name, check))
}

// AddMetrics adds write to what GET /metrics writes, after the built-in
// families: for parts that come after Open (the change feed's lag, the
// leader's state). write must write whole families in Prometheus' text
// format. Safe to call while serving.
func (s *Server) AddMetrics(write func(io.Writer)) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.moreMetrics = append(s.moreMetrics[:len(s.moreMetrics):len(s.moreMetrics)], write)
}

// readyz answers 200 "ready" when every ready check holds, else 503 "not
// ready: <check>" naming the first that fails; a change either way is
// logged, with the cause.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	s.hooksMu.Lock()
	checks := s.ready
	s.hooksMu.Unlock()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !s.serving() {
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, "not ready: sealed\n")
		return
	}
	for _, c := range checks {
		if err := c.run(r.Context()); err != nil {
			if !s.notReady.Swap(true) {
				s.log.Warn("not ready", "check", c.name, "err", err)
			}
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "not ready: "+c.name+"\n")
			return
		}
	}
	if s.notReady.Swap(false) {
		s.log.Info("ready again")
	}
	io.WriteString(w, "ready\n")
}

// rootKeyLoaded holds once the barrier is unsealed.
func (s *Server) rootKeyLoaded(context.Context) error {
	if s.barrier == nil {
		return errors.New("the barrier is sealed")
	}
	return nil
}

// readyProbeKey is the key /readyz reads: never written, so the read is a
// round trip to the store that returns nothing.
const readyProbeKey = "sys/ready-probe"

// storeAnswers holds when the store answers a one-key read in time.
func (s *Server) storeAnswers(ctx context.Context) error {
	err := s.store.View(ctx, func(tx store.Tx) error {
		_, err := tx.Get(readyProbeKey)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		return err
	})
	if err == nil {
		err = ctx.Err() // a store that ignored the deadline
	}
	return err
}
