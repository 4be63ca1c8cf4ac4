// Package server wires sealbox together: the data folder, the store behind
// the barrier, the services, the request path and the HTTP listener, with a
// graceful shutdown. It is the one package that imports every service.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox/internal/atomicfile"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/changes/hub"
	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/cloudtrail"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/console"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/leader"
	"github.com/sealbox/sealbox/internal/loglimit"
	"github.com/sealbox/sealbox/internal/metrics"
	"github.com/sealbox/sealbox/internal/oidc"
	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/server/optable"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/spool"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/follow"
	"github.com/sealbox/sealbox/internal/webhook"
)

// Interface guards: where the services' consumer-side interfaces meet the
// implementations.
// changeFeedLength is how many changes the change feed keeps for pollers
// that fall behind; one further behind starts over (GetChanges' Reset).
const changeFeedLength = 10000

var (
	_ kms.Keyring          = (*keyring.Ring)(nil)
	_ parameters.KMS       = (*kms.Service)(nil)
	_ parameters.Notifier  = (*policyNotifier)(nil)
	_ kms.Notifier         = (*kmsNotifier)(nil)
	_ secrets.KMS          = (*kms.Service)(nil)
	_ rotation.Notifier    = (*rotationNotifier)(nil)
	_ rotation.Rotator     = (*webhookRotator)(nil)
	_ parameters.Secrets   = (*secrets.Service)(nil)
	_ functions.KMS        = (*onBehalfKMS)(nil)
	_ secrets.KMS          = (*onBehalfKMS)(nil)
	_ parameters.KMS       = (*onBehalfKMS)(nil)
	_ functions.Parameters = (*parameters.Service)(nil)
	_ functions.Secrets    = (*secrets.Service)(nil)
	_ functions.Roles      = (*stsapi.Service)(nil)
	_ hub.Secrets          = (*secrets.Service)(nil)
	_ hub.Parameters       = (*parameters.Service)(nil)
	_ sigv4.Credentials    = (*identity.Store)(nil)
	_ awsapi.Auditor       = (*audit.Logger)(nil)
	_ cloudtrail.Events    = (*audit.StoreSink)(nil)
	_ awsapi.Authenticator = (*sigv4.Verifier)(nil)
	_ store.Store          = (*barrier.Barrier)(nil)
)

// Options are the parts a caller may inject; the zero value is production.
type Options struct {
	Clock  clock.Clock  // nil: the real clock
	Logger *slog.Logger // nil: text logs on stderr at cfg.LogLevel
	// Prompt asks for the passphrase when the passphrase provider is chosen
	// and none is in the environment. nil: no prompt, an error instead.
	Prompt func() ([]byte, error)
	// Elector elects the server that runs the background work among those
	// sharing the store. nil: this one always does (leader.Always), as it
	// must on bbolt, which one process opens at a time.
	Elector leader.Elector
	// WrapStore, when set, wraps the store the services see (above the
	// barrier): tests make it fail.
	WrapStore func(store.Store) store.Store
}

// Server is a running sealbox. Make one with Open; Serve it; it closes its
// store when Serve returns.
type Server struct {
	cfg     config.Config
	console *console.Console // nil when --console=false
	clock   clock.Clock
	log     *slog.Logger
	store   store.Store
	audit   *audit.Logger
	kms     *kms.Service
	ssm     *parameters.Service
	sm      *secrets.Service
	fn      *functions.Service
	// runner runs functions on Invoke; endpoint is the URL they reach
	// this server at (behind a pointer, as op: printing a Server must not
	// read what Serve writes).
	runner   *lambdarun.Runner
	endpoint *endpointURL
	// changes numbers the store's changes for the change feed.
	changes *hub.Hub
	ids     *identity.Store
	sts     *stsapi.Service
	authz   *authz.Authorizer
	caches  *cache.Registry
	router  *awsapi.Router
	spool   *spool.Spooler
	// clients finds each request's client through the trusted proxies
	// (--trusted-proxies), before any handler reads r.RemoteAddr or r.TLS;
	// refusals writes the warnings a caller can cause at will.
	clients  *clientaddr.Resolver
	refusals *loglimit.Limiter
	// timed times the store's transactions for /metrics.
	timed *timedStore
	// barrier is the barrier over raw; with the shamir provider it starts
	// sealed, and may be sealed again (operator.go).
	barrier *barrier.Barrier
	// raw is the store under the barrier, and opts Open's options: kept
	// for the setup at the first unseal (unsealed).
	raw  store.Store
	opts Options
	// setUp is closed once unsealed has set up what needs the barrier:
	// the background work waits for it.
	setUp chan struct{}
	// op is the state of the operator's seal and unseal (operator.go); a
	// pointer, so that printing the Server reads none of it.
	op *operatorState
	// rootKey is the root-key provider that unsealed it, released by Close.
	rootKey rootkey.Provider
	// metricsToken is the token GET /metrics accepts; empty: none.
	metricsToken primitive.Secret
	// ready are the checks GET /readyz makes, in order; notReady is
	// whether the last answer was 503, to log changes only. hooksMu
	// guards ready and moreMetrics.
	hooksMu  sync.Mutex
	ready    []readyCheck
	notReady atomic.Bool
	// moreMetrics write the metrics of parts added after Open (AddMetrics).
	moreMetrics []func(io.Writer)

	// auditStore is the store sink (LookupEvents, retention); nil if
	// --audit-sinks leaves it out.
	auditStore *audit.StoreSink
	// auditFile is the file sink, nil if not configured (GetTrailStatus).
	auditFile *audit.FileSink
	// auditSigner signs both sinks' digests; its key is forgotten while
	// the server is sealed.
	auditSigner *audit.Signer
	// started is when Open began: the trail's StartLoggingTime.
	started time.Time

	// AdminAccessKeyID and AdminSecretAccessKey are the administrator's
	// pair, also written to AdminCredentialsFile.
	AdminAccessKeyID     string
	AdminSecretAccessKey primitive.Secret
	AdminCredentialsFile string
	// CAFile is the certificate to trust when --tls=auto made one.
	CAFile string
	// AuditPublicKey is the audit trail's public key (PEM) when this start
	// made it: the first. Keep a copy away from the data folder.
	AuditPublicKey string

	tlsConfig *tls.Config
	closeOnce sync.Once
	// operator serves the barrier key operations (Sealbox.RotateBarrierKey
	// and the rest).
	operator *operator.Service
	// elector elects the server that runs the background work (lead).
	elector leader.Elector
	// follower follows a shared store's change log (feed.go), nil on
	// bbolt; sharedIdentity is the database's identity, the hub's epoch;
	// stopFeed stops the follower.
	follower       *follow.Follower
	sharedIdentity string
	stopFeed       context.CancelFunc
	// feed is the store's change feed: the leader watches it for
	// rotations made due.
	feed store.Feed
	// sweepTick paces the sweeper, and digestTick the store trail's
	// digests (nil without a store sink), on the server's clock. Open
	// makes them, so that a test's clock can move as soon as Open
	// returns.
	sweepTick  clock.Ticker
	digestTick clock.Ticker
	// localTick paces the work every server does for itself, leader or
	// not (local), and flushed records its runs.
	localTick clock.Ticker
	flushed   sweeps
	swept     sweeps
	sealed    sweeps // the store trail's digests signed, as swept
	// bg runs the sweeper's jobs and the server's goroutines under
	// recover, and Close waits for the goroutines.
	bg     *background
	jobsMu sync.Mutex
	jobs   []sweepJob // what a sweep runs, in order
}

// Job names, as the log and sealbox_background_panics_total give them.
const (
	jobKeys        = "key deletions and rotations"
	jobParameters  = "parameter policies"
	jobSecrets     = "secret deletions and rotations"
	jobRotateNow   = "secret rotations asked for"
	jobSessions    = "expired sessions"
	jobAuditExpiry = "audit retention"
	jobDigests     = "audit store digests"
	jobTampering   = "audit tampering recorder"
	jobKeyUsage    = "key usage bookkeeping"
	jobRewrap      = "barrier rewrap"
)

// sweepJob is one job of the sweep: it runs at now, the clock time the
// sweep read.
type sweepJob struct {
	name string
	run  func(ctx context.Context, now time.Time)
}

// Open prepares a server from cfg: it creates or opens the data folder,
// unseals the barrier with the root key, and makes the administrator (the
// IAM user admin and its access key) on first start. Nothing is served
// until Serve.
func Open(ctx context.Context, cfg config.Config, opts Options) (srv *Server, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Absolute, so that the paths the server prints and writes work from
	// any folder.
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("failed to find the data folder: %w", err)
	}
	cfg.DataDir = dir
	s := &Server{cfg: cfg, clock: opts.Clock, log: opts.Logger, elector: opts.Elector, op: &operatorState{}, endpoint: &endpointURL{}}
	if s.clock == nil {
		s.clock = clock.Real{}
	}
	s.started = s.clock.Now().UTC()
	if s.log == nil {
		s.log = NewLogger(os.Stderr, cfg.LogLevel)
	}
	if s.clients, err = clientaddr.New(cfg.TrustedProxies, cfg.ForwardedHeader); err != nil {
		return nil, err
	}
	s.refusals = loglimit.New(s.log, s.clock, loglimit.DefaultInterval)
	if s.elector == nil {
		var password string
		if cfg.StorePasswordFile != "" {
			if password, err = ReadPasswordFile(cfg.StorePasswordFile); err != nil {
				return nil, err
			}
		}
		if s.elector, err = newElector(string(cfg.Store), password, s.log); err != nil {
			return nil, err
		}
	}
	s.bg = newBackground(s.log, jobKeys, jobParameters, jobSecrets, jobRotateNow, jobSessions, jobAuditExpiry, jobDigests, jobTampering, jobKeyUsage, jobRewrap)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the data folder: %w", err)
	}
	raw, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if s.audit != nil {
				s.audit.Close()
			}
			raw.Close()
			CloseRootKey(s.rootKey)
		}
	}()
	if err := s.setupTLS(); err != nil {
		return nil, err
	}
	if s.metricsToken, err = cfg.ReadMetricsToken(); err != nil {
		return nil, err
	}
	s.ready = []readyCheck{newReadyCheck("root key", s.rootKeyLoaded), newReadyCheck("store", s.storeAnswers)}
	s.setUp = make(chan struct{})
	s.op.servingCh = make(chan struct{})
	if cfg.RootKey == config.RootKeyShamir {
		// Sealed until threshold shares are given (operator.go): what
		// needs the barrier is set up then, by unsealed.
		b, err := barrier.OpenSealed(ctx, raw)
		if err != nil {
			return nil, err
		}
		if st, err := b.Status(ctx); err != nil {
			return nil, err
		} else if st.Initialized && st.Provider != "shamir" {
			// Told now, not at the first share.
			return nil, &barrier.ProviderMismatchError{Sealed: st.Provider, Given: "shamir"}
		}
		s.raw, s.barrier, s.opts = raw, b, opts
		return s, nil
	}
	provider, err := RootKeyProvider(ctx, cfg, opts.Prompt)
	if err != nil {
		return nil, err
	}
	s.rootKey = provider
	b, err := barrier.Open(ctx, raw, provider)
	if err != nil {
		if sp, perr := config.ParseStore(string(cfg.Store)); perr == nil && sp.Kind == config.StorePostgres && cfg.RootKey == config.RootKeyFile &&
			(errors.Is(err, rootkey.ErrWrongRootKey) || errors.Is(err, rootkey.ErrRootKeyMissing)) {
			// The usual cause: a server started with the root key its
			// own data folder made, not the one the database was sealed with.
			err = fmt.Errorf("%w (every server on one database needs the same root key: give each --root-key-file with a copy of the first server's)", err)
		}
		return nil, err
	}
	s.barrier = b
	if err := s.unsealed(ctx, raw, opts); err != nil {
		return nil, err
	}
	s.op.setUp.Store(true)
	s.op.open.Store(true)
	return s, nil
}

// unsealed sets up what needs the unsealed barrier: the caches and the
// change feed, the administrator, the audit trail, the services, the router
// and the console, and the background work's tickers. Open runs it at once
// for the providers that unseal at start; for shamir the first unseal runs
// it (operator.go), and a later unseal reuses what it built. It fails
// with nothing served: the caller closes raw, or stays sealed.
func (s *Server) unsealed(ctx context.Context, raw store.Store, opts Options) (err error) {
	cfg := s.cfg
	b := s.barrier
	defer func() {
		if err != nil && s.audit != nil {
			s.audit.Close()
			s.audit = nil
		}
	}()
	var seen store.Store = b
	if opts.WrapStore != nil {
		seen = opts.WrapStore(seen)
	}
	s.timed = &timedStore{Store: seen}
	// The feed tells caches the moment a record changes. Every cache is
	// made over cacheFeed, which lists it in s.caches.
	feed := store.WithFeed(s.timed)
	s.store, s.feed = feed, feed
	s.caches = cache.NewRegistry()
	cacheFeed := s.caches.Feed(feed)
	// On a shared store, the follower of its change log (feed.go).
	if err := s.followShared(ctx, raw, feed); err != nil {
		return err
	}

	s.ids = identity.New(feed, cacheFeed, cfg.AccountID, s.clock)
	if err := s.ensureAdmin(ctx); err != nil {
		return err
	}

	if err := s.openAudit(ctx, b); err != nil {
		return err
	}

	// One authorizer for every service. It reads identity policies from
	// the identity store, which asks no authorizer (that would be a cycle).
	// It is made after the identity store: its cache of compiled policy
	// sets is built on the identity store's cache, so its watcher must run
	// after the identity store's (the feed calls them in that order).
	az := authz.New(s.ids, cacheFeed, s.clock, s.log)
	s.authz = az
	issuerRoots, err := oidcRoots(cfg.OIDCCAFile)
	if err != nil {
		return err
	}
	s.sts = stsapi.New(s.ids, stsapi.Config{Checker: authz.Checker{A: az},
		Web: oidc.New(oidc.Config{RootCAs: issuerRoots, Clock: s.clock})})
	s.kms = kms.New(kms.Config{Store: feed, Feed: cacheFeed, Keyring: keyring.New(cacheFeed), Clock: s.clock, Authorizer: az,
		Recorder: s.audit, Notifier: &kmsNotifier{audit: s.audit, accountID: cfg.AccountID}, Principals: s.ids})
	var targets rotation.Targets
	if path := cfg.RotationTargetsPath(); path != "" {
		loaded, err := webhook.Load(path, os.Getenv)
		if err != nil {
			return err
		}
		targets = webhookTargets(loaded)
	}
	onBehalf := &onBehalfKMS{k: s.kms, rec: s.audit}
	s.sm = secrets.New(secrets.Config{Store: feed, Feed: cacheFeed, KMS: onBehalf, Clock: s.clock, Authorizer: az,
		RotationTargets: targets, Notifier: &rotationNotifier{audit: s.audit, accountID: cfg.AccountID}, Recorder: s.audit, Principals: s.ids})
	s.ssm = parameters.New(parameters.Config{Store: feed, Feed: cacheFeed, KMS: onBehalf, Clock: s.clock, Authorizer: az,
		Notifier: &policyNotifier{audit: s.audit, accountID: cfg.AccountID}, Secrets: s.sm})
	runner, err := newRunner(cfg, feed, s)
	if err != nil {
		return err
	}
	s.runner = runner
	s.fn = functions.New(functions.Config{Store: feed, Feed: cacheFeed, KMS: onBehalf, Clock: s.clock, Authorizer: az,
		Parameters: s.ssm, Secrets: s.sm, Roles: s.sts, Recorder: s.audit, Principals: s.ids, UnmaskEnvironment: !cfg.MaskEnvironment,
		Runner: runner, Sessions: &roleSessions{sts: s.sts, ids: s.ids, az: az}, Endpoint: s.endpoint.get, Agent: cfg.LambdaAgent, Logger: s.log,
		AsyncRetryDelay: cfg.LambdaAsyncRetryDelay})
	s.spool = spool.New(spool.Config{Dir: cfg.BodySpoolDir, MaxFiles: cfg.LargeBodies})
	s.router = awsapi.NewRouter(awsapi.Config{
		AccountID: cfg.AccountID,
		// Signatures are checked against the real clock even when tests
		// move the services' clock: clients sign with the real time.
		Auth:   &sigv4.Verifier{Credentials: s.ids},
		Audit:  s.audit,
		Logger: s.log,
		Clock:  s.clock,
		Prepare: func(ctx context.Context) (context.Context, error) {
			s.ids.NoteKeyUse(ctx) // GetAccessKeyLastUsed
			return az.Prepare(ctx)
		},
		Spool: s.spool,
		// A call in flight as the server is sealed finds the barrier
		// sealed: it is told to retry, as while the store is away.
		Unavailable: func(err error) bool { return errors.Is(err, store.ErrUnavailable) || errors.Is(err, barrier.ErrSealed) },
	})
	s.router.Register(optable.KMS(s.kms))
	s.router.Register(optable.SSM(s.ssm))
	s.router.Register(optable.Secrets(s.sm))
	s.router.Register(optable.Lambda(s.fn))
	if s.follower != nil {
		s.changes = hub.NewShared(s.sharedIdentity, changeFeedLength)
	} else {
		s.changes = hub.NewHub(feed, changeFeedLength)
	}
	s.operator = operator.New(operator.Config{Barrier: b, Authorizer: az, NewProvider: s.rekeyProvider, Clock: s.clock,
		Logger: s.log, Go: func(fn func()) { s.bg.start(jobRewrap, fn) }, RewrapEnded: s.recordRewrap})
	s.router.Register(changesService(hub.NewService(s.changes, s.sm, s.ssm), s.operator, &operatorAPI{s}))
	s.router.Register(optable.IAM(iamapi.New(s.ids, iamapi.Config{Checker: authz.Checker{A: az}, Authorizer: az}), &authz.Simulator{A: az, ID: s.ids}))
	s.router.Register(optable.STS(s.sts))
	s.router.Register(optable.CloudTrail(cloudtrail.New(cloudtrail.Config{Events: s.trailEvents(), Authorizer: az,
		Trail: trailStatus{s}, AccountID: cfg.AccountID, HomeRegion: homeRegion})))

	if cfg.Console {
		// The console's calls go to the router as any client's do.
		if s.console, err = console.New(console.Options{API: s.router, Secure: s.tlsConfig != nil,
			IdleTimeout: cfg.ConsoleIdleTimeout, MaxSession: cfg.ConsoleMaxSession, Clock: s.clock, Logger: s.log,
			RecordSignIn: s.recordSignIn}); err != nil {
			return err
		}
	}
	s.jobs = s.sweepJobs()
	s.sweepTick = s.clock.NewTicker(cfg.SweepInterval)
	s.localTick = s.clock.NewTicker(cfg.SweepInterval)
	if s.auditStore != nil {
		s.digestTick = s.clock.NewTicker(s.auditStore.DigestInterval())
	}
	s.startFollowing()
	close(s.setUp)
	return nil
}

// ensureAdmin makes the administrator (the IAM user admin and its access
// key) on the first start, and makes sure the credentials file holds its
// key; later starts respect a deleted admin user or key (see
// identity.Store.EnsureAdmin) and only log it. A data folder whose
// administrator key is the account root's keeps it, and the log says once
// how to move to the admin user.
func (s *Server) ensureAdmin(ctx context.Context) error {
	admin, err := s.ids.EnsureAdmin(ctx, s.cfg.AdminAccessKeyID, s.cfg.AdminSecretAccessKey)
	if err != nil {
		return err
	}
	s.AdminAccessKeyID, s.AdminSecretAccessKey = admin.AccessKeyID, admin.SecretAccessKey
	s.AdminCredentialsFile = filepath.Join(s.cfg.DataDir, CredentialsFileName)
	if admin.Absent != "" {
		// A lock-down is respected: nothing is made, the file is left.
		attrs := []any{"dataDir", s.cfg.DataDir}
		if s.cfg.AdminAccessKeyID != "" {
			attrs = append(attrs, "presetIgnored", s.cfg.AdminAccessKeyID)
		}
		s.log.Warn("no administrator access key: "+admin.Absent+" after the first start, so none was made; "+
			"an IAM administrator can make one, or break glass with 'sealbox iam root-credentials --data "+s.cfg.DataDir+"'", attrs...)
		return nil
	}
	if admin.Root() {
		s.log.Warn("the administrator access key is the account root's, which AWS advises never to create: "+
			"stop the server and run 'sealbox iam migrate-admin --data "+s.cfg.DataDir+"' to move to an IAM user admin with AdministratorAccess",
			"accessKeyId", admin.AccessKeyID)
	}
	if _, err := os.Stat(s.AdminCredentialsFile); err == nil && !admin.Changed {
		return nil
	}
	who := "IAM user " + admin.UserName
	if admin.Root() {
		who = "the account root"
	}
	return WriteCredentials(s.AdminCredentialsFile, who, admin.AccessKeyID, admin.SecretAccessKey)
}

// CredentialsFileName is the administrator's credentials file in the data
// folder.
const CredentialsFileName = "admin-credentials"

// WriteCredentials writes the access key of who (the administrator) to an
// AWS shared-credentials file at path (profile sealbox, mode 0600). path
// must be absolute: the comment the file starts with says how to use it
// from any folder.
func WriteCredentials(path, who, id string, secret primitive.Secret) error {
	// The boundary: the file is where the secret is meant to go.
	content := fmt.Sprintf("# The sealbox administrator's access key (%s). From any folder:\n"+
		"#   export AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=sealbox\n"+
		"[sealbox]\naws_access_key_id = %s\naws_secret_access_key = %s\n", who, path, id, secret.Bytes())
	if err := writeFileAtomic(path, []byte(content), 0o600); err != nil {
		return fmt.Errorf("failed to write the admin credentials: %w", err)
	}
	return nil
}

// Handler is the server's HTTP handler: /healthz, /readyz, /metrics and
// the AWS APIs. /healthz (alive) and /readyz (able to serve) answer anyone
// and say nothing of what the server holds; /metrics (Prometheus' text
// format) answers only the metrics token or a signed request allowed
// sealbox:GetMetrics (see metricsAllowed), since its counters tell about
// the secrets' use.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	s.operatorRoutes(mux)
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !s.serving() {
			// Nothing to count yet, nor anyone to authorize.
			refuse(w, http.StatusServiceUnavailable)
			return
		}
		if !s.metricsAllowed(w, r) {
			return
		}
		w.Header().Set("Content-Type", metrics.ContentType)
		s.router.WriteMetrics(w)
		s.timed.WriteMetrics(w)
		s.audit.WriteMetrics(w)
		s.authz.WriteMetrics(w)
		s.caches.WriteMetrics(w)
		s.bg.WriteMetrics(w)
		s.elector.WriteMetrics(w)
		s.hooksMu.Lock()
		more := s.moreMetrics
		s.hooksMu.Unlock()
		for _, write := range more {
			write(w)
		}
	})
	// The console and the router are made at the first unseal with the
	// shamir provider: they are looked up when a request comes, behind
	// the gate (operator.go).
	if s.cfg.Console {
		page := s.gate(func(w http.ResponseWriter, r *http.Request) { s.console.ServeHTTP(w, r) }, true)
		mux.Handle(console.Path, page)
		mux.Handle("GET /console", page)
	}
	mux.Handle("/", s.gate(s.serveAPI, false))
	// Every handler sees the client where net/http puts the peer: the
	// resolved address in r.RemoteAddr, its TLS in r.TLS (clientaddr).
	return s.clients.Handler(mux, func(r *http.Request, err error) {
		s.refusals.Warn("refused a request whose trusted proxy's forwarding header cannot be read", "peer", r.RemoteAddr, "err", err)
	})
}

// Caches describes the server's caches, by name.
func (s *Server) Caches() []cache.Info { return s.caches.Caches() }

// DataDir is the data folder's absolute path.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// KMS returns the KMS service (tests drive the sweeper through it).
func (s *Server) KMS() *kms.Service { return s.kms }

// Parameters returns the Parameter Store service (tests drive its policies
// through it).
func (s *Server) Parameters() *parameters.Service { return s.ssm }

// Secrets returns the Secrets Manager service (tests drive its deletion
// sweeper through it).
func (s *Server) Secrets() *secrets.Service { return s.sm }

// Changes returns the change feed's hub (tests wait on its long polls).
func (s *Server) Changes() *hub.Hub { return s.changes }

// BodySpool returns the spooler that reads large request bodies (tests
// read its counters).
func (s *Server) BodySpool() *spool.Spooler { return s.spool }

// Functions returns the Lambda configuration service.
func (s *Server) Functions() *functions.Service { return s.fn }

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops
// accepting, lets in-flight requests finish (up to 30 s), stops the
// background work and closes the store. It closes ln. The background work
// (lead) runs while the elector says this server leads.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	defer s.Close()
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	s.endpoint.set(ln.Addr(), s.tlsConfig != nil)
	if s.tlsConfig != nil {
		hs.TLSConfig = s.tlsConfig
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	sweepCtx, stopSweep := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(2)
	// The background work needs the unsealed barrier's services: with
	// the shamir provider it waits for the first unseal.
	go func() {
		defer wg.Done()
		// A sealed server does not campaign, and one sealed again steps
		// down (operator.go), so that another server on the store takes
		// the background work over.
		for {
			lctx, stop, ok := s.leadContext(sweepCtx)
			if !ok {
				return
			}
			s.elector.Run(lctx, s.lead)
			stop()
		}
	}()
	go func() {
		defer wg.Done()
		if s.waitSetUp(sweepCtx) {
			s.local(sweepCtx)
		}
	}()
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down: finishing requests in flight")
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err = hs.Shutdown(sctx)
		cancel()
		<-errc
	}
	stopSweep()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// lead runs the background work that one server among those sharing the
// store does, while it leads (ctx is cancelled the moment it stops
// leading): the sweeper, the rotations asked for, and the store trail's
// digests. It returns once they have stopped.
//
// A rotation RotateSecret asked of another server reaches this one
// through the change feed: the leader watches the rotation index, and a
// commit that makes a rotation due now wakes its scheduler, a few
// milliseconds after the other server committed it (feed.go;
// TestFeedWakesTheLeadersRotations); a wake lost with the feed is found
// by the next sweep, in the store.
//
// The file trail's digests are not here: each server signs its own file
// trail, leader or not (audit.FileSink).
func (s *Server) lead(ctx context.Context) {
	stopWake := s.sm.WakeRotationsOnDue(s.feed)
	defer stopWake()
	var wg sync.WaitGroup
	if s.digestTick != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.sealDigests(ctx)
		}()
	}
	s.sweep(ctx)
	wg.Wait()
}

// local runs, every SweepInterval until ctx is done, the background work
// each server does for itself whether it leads or not: what it keeps in
// its own memory and no other server can write. Today that is the KMS
// key uses it noted (GetKeyLastUsage). When ctx is done it flushes them a
// last time, so that a graceful stop loses none. (Its audit file trail
// signs its own digests, audit.FileSink; its sessions and access key uses
// are written to the store as they happen.)
func (s *Server) local(ctx context.Context) {
	flush := func(ctx context.Context) {
		if s.barrier.Sealed() {
			return // kept for after the unseal
		}
		now := s.clock.Now().UTC()
		s.bg.run(jobKeyUsage, func() {
			if err := s.kms.FlushUsage(ctx); err != nil && ctx.Err() == nil {
				s.log.Warn("failed to write the KMS key uses noted: kept for the next try", "err", err)
				return
			}
			s.flushed.done(now)
		})
	}
	for {
		select {
		case <-ctx.Done():
			stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			flush(stop)
			cancel()
			return
		case <-s.localTick.C():
			flush(ctx)
		}
	}
}

// sealDigests signs the store trail's digests every DigestInterval, and
// when many events wait, until ctx is done.
func (s *Server) sealDigests(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.digestTick.C():
		case <-s.auditStore.SealWake():
		}
		if s.barrier.Sealed() {
			continue
		}
		now := s.clock.Now().UTC()
		s.bg.run(jobDigests, func() {
			if err := s.auditStore.Seal(ctx); err != nil {
				if ctx.Err() == nil {
					s.log.Error("audit digest failed: the events stored since the last digest are not signed yet", "sink", "store", "err", err)
				}
				return
			}
			s.sealed.done(now)
		})
	}
}

// sweep runs due key deletions and rotations, due parameter policies and
// due secret deletions and rotations, drops expired STS sessions and
// expired audit events, every SweepInterval of the server's clock (and at
// once when elected); and secret rotations at once when RotateSecret asks.
// Each job runs under recover (background): one that panics is logged and
// counted, and the others and the next sweep run as ever.
func (s *Server) sweep(ctx context.Context) {
	// A server elected among several sweeps at once, taking over the
	// work due rather than one interval later; one alone on its store
	// (leader.Always) leads from its start and sweeps at its ticks.
	if _, alone := s.elector.(*leader.Always); !alone {
		s.sweepOnce(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.sm.RotationWake():
			// RotateSecret asked for a rotation now.
			if s.barrier.Sealed() {
				continue // the next sweep after the unseal finds it due
			}
			s.bg.run(jobRotateNow, func() {
				if _, n, err := s.sm.RunDue(ctx, s.clock.Now().UTC()); err != nil && ctx.Err() == nil {
					s.log.Error("secret rotation failed to run", "err", err)
				} else if n > 0 {
					s.log.Info("sweep", "secretsRotated", n)
				}
			})
		case <-s.sweepTick.C():
			s.sweepOnce(ctx)
		}
	}
}

// sweepOnce runs every job of a sweep at the clock's time.
func (s *Server) sweepOnce(ctx context.Context) {
	if s.barrier.Sealed() {
		return // sealed again (operator.go): nothing can be read
	}
	now := s.clock.Now().UTC()
	s.jobsMu.Lock()
	jobs := s.jobs
	s.jobsMu.Unlock()
	for _, j := range jobs {
		if ctx.Err() != nil {
			return // no longer the leader, or stopping: the sweep is not complete
		}
		s.bg.run(j.name, func() { j.run(ctx, now) })
	}
	s.swept.done(now)
}

// sweepJobs are the jobs of a sweep.
func (s *Server) sweepJobs() []sweepJob {
	return []sweepJob{
		{jobKeys, func(ctx context.Context, now time.Time) {
			deleted, rotated, err := s.kms.RunDue(ctx, now)
			if err != nil && ctx.Err() == nil {
				s.log.Error("sweep failed", "err", err)
			}
			if deleted+rotated > 0 {
				s.log.Info("sweep", "keysDeleted", deleted, "keysRotated", rotated)
			}
		}},
		{jobParameters, func(ctx context.Context, now time.Time) {
			if expired, notified, err := s.ssm.RunDue(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("parameter policy sweep failed", "err", err)
			} else if expired+notified > 0 {
				s.log.Info("sweep", "parametersExpired", expired, "policyNotifications", notified)
			}
		}},
		{jobSecrets, func(ctx context.Context, now time.Time) {
			if n, r, err := s.sm.RunDue(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("secret deletion and rotation sweep failed", "err", err)
			} else if n+r > 0 {
				s.log.Info("sweep", "secretsDeleted", n, "secretsRotated", r)
			}
		}},
		{jobSessions, func(ctx context.Context, now time.Time) {
			if n, err := s.sts.SweepExpired(ctx, now); err != nil && ctx.Err() == nil {
				s.log.Error("session sweep failed", "err", err)
			} else if n > 0 {
				s.log.Info("sweep", "sessionsExpired", n)
			}
		}},
		{jobAuditExpiry, func(ctx context.Context, _ time.Time) { s.expireAudit(ctx) }},
	}
}

// BackgroundPanics reports how many background jobs panicked (and were
// recovered) since Open.
func (s *Server) BackgroundPanics() uint64 { return s.bg.Panics() }

// Close closes the audit sinks and the store. Serve calls it; call it
// yourself only for a server that was opened and never served.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		if !s.isSetUp() {
			// Sealed since Open: only the raw store is open. (A shamir
			// server's setup runs under op.mu: wait for one under way.)
			s.op.mu.Lock()
			defer s.op.mu.Unlock()
			if !s.isSetUp() {
				err = s.raw.Close()
				return
			}
		}
		s.sweepTick.Stop()
		s.localTick.Stop()
		if s.digestTick != nil {
			s.digestTick.Stop()
		}
		if s.stopFeed != nil {
			s.stopFeed()
		}
		if s.operator != nil {
			s.operator.Close() // a rewrap stops; what it moved stays moved
		}
		// The goroutines write to the audit trail and the store: they
		// end before those close, and none starts after.
		s.bg.close()
		if s.fn != nil {
			s.fn.Close() // Event invocations' retries end before the runner
		}
		if s.runner != nil {
			s.runner.Close()
		}
		if s.changes != nil {
			s.changes.Close()
		}
		err = errors.Join(s.audit.Close(), s.store.Close(), CloseRootKey(s.rootKey))
	})
	return err
}

// NewLogger returns the server's structured text logger at level.
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// writeFileAtomic writes a file the server makes so that a crash leaves the
// old file or the new one, never a torn one (atomicfile).
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	return atomicfile.Write(path, data, mode)
}
