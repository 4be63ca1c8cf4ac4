package server

import (
	"context"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/store"
)

var (
	_ functions.Runner   = (*lambdarun.Runner)(nil)
	_ functions.Sessions = (*roleSessions)(nil)
)

// newRunner makes the runner Invoke runs functions with, as cfg says, and
// has the store's change feed drop the execution environments whose
// function, key, parameter or secret changes (the server's own writes and,
// on a shared store, every other server's).
func newRunner(cfg config.Config, feed store.Feed, s *Server) (*lambdarun.Runner, error) {
	c := lambdarun.Config{Emulator: cfg.LambdaRIE, MaxEnvironments: cfg.LambdaConcurrency, Idle: cfg.LambdaIdle, Logger: s.log,
		Helper: cfg.LambdaAgent, PortGuard: lambdarun.PortGuardMode(cfg.LambdaPortGuard)}
	if ids, err := cfg.LambdaCredential(); err != nil {
		return nil, err
	} else if ids[0] != 0 {
		c.User = &lambdarun.Credential{UID: ids[0], GID: ids[1]}
	}
	r, err := lambdarun.New(c)
	if err != nil {
		return nil, err
	}
	for _, prefix := range []string{"fn/", "kms/", "sm/", "ssm/"} {
		feed.Watch(prefix, func(ch store.Change) {
			if !ch.Bookkeeping {
				r.Stale(ch.Key)
			}
		})
	}
	return r, nil
}

// roleSessions makes the sessions of execution roles Lambda assumes: an
// STS session the role's trust policy allows lambda.amazonaws.com, and
// the principal the SigV4 verifier finds for it.
type roleSessions struct {
	sts *stsapi.Service
	ids *identity.Store
	az  *authz.Authorizer
}

func (r *roleSessions) Prepare(ctx context.Context) (context.Context, error) {
	return r.az.Prepare(ctx)
}

func (r *roleSessions) RoleSession(ctx context.Context, roleARN, sessionName string) (*functions.RoleSession, error) {
	creds, err := r.sts.ServiceSession(ctx, roleARN, "lambda.amazonaws.com", sessionName, functionsSessionDuration)
	if err != nil {
		return nil, err
	}
	key, err := r.ids.LookupAccessKey(ctx, creds.AccessKeyId)
	if err != nil {
		return nil, err
	}
	return &functions.RoleSession{Principal: key.Principal, AccessKeyID: creds.AccessKeyId,
		SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}, nil
}

// endpointURL is the URL functions reach this server at, set by Serve
// from its listener: a loopback address for a wildcard one.
type endpointURL struct{ v atomic.Pointer[string] }

func (e *endpointURL) get() string {
	if p := e.v.Load(); p != nil {
		return *p
	}
	return ""
}

func (e *endpointURL) set(addr net.Addr, tls bool) {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	scheme := "http://"
	if tls {
		scheme = "https://"
	}
	u := scheme + net.JoinHostPort(strings.Trim(host, "[]"), port)
	e.v.CompareAndSwap(nil, &u)
}

// functionsSessionDuration is how long an execution environment's role
// session lasts (environments stop when idle, well before).
const functionsSessionDuration = time.Hour

// Runner returns the runner of functions (tests count its environments).
func (s *Server) Runner() *lambdarun.Runner { return s.runner }
