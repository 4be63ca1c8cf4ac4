package agent

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/loglimit"
)

// Options are the agent's collaborators.
type Options struct {
	// AWS is the upstream's SDK configuration: region, credentials,
	// endpoints (AWS_ENDPOINT_URL and the per-service forms), HTTP client.
	// The agent does its own retries; the SDK's are turned off.
	AWS aws.Config
	// Endpoint, if set, overrides the endpoint of both services.
	Endpoint string
	// SecretsManager and ParameterStore, if set, are used in place of
	// clients made from AWS.
	SecretsManager SecretsManager
	ParameterStore ParameterStore
	// Feed is the upstream's change feed; nil runs on TTLs alone.
	Feed Feed
	// Logger receives the agent's log; never a value or the token.
	Logger *slog.Logger
	// Clock tells the cache the time (default the system clock).
	Clock clock.Clock
	// FeedWait bounds how long Start waits for the change feed's first
	// answer before prefetching without it (default 5 s).
	FeedWait time.Duration
}

// Agent is the caching agent: an http.Handler for the extension's and
// aws-secretsmanager-agent's routes over a cache that the upstream's
// change feed keeps current. Create it with New, call Start once, serve it
// with Serve (or any http.Server). Safe for concurrent use.
type Agent struct {
	cfg   Config
	token [sha256.Size]byte // the token's SHA-256
	sm    SecretsManager
	ssm   ParameterStore
	feed  Feed
	log   *slog.Logger
	// refusals writes the warnings a caller can cause at will (a bad
	// token, a refused miss) once a minute each, with a count: a flood of
	// requests must not flood the log.
	refusals *loglimit.Limiter
	clock    clock.Clock
	feedWait time.Duration
	rand     func(int64) int64

	cache  *cache
	flight flight
	m      *metrics
	// inFlight holds a slot for each upstream fetch under way for a
	// request (Config.MaxInFlight).
	inFlight chan struct{}

	prefetchMu   sync.Mutex
	prefetchKeys map[string]bool // the cache keys of prefetched items

	ctx   context.Context // Start's: the agent's lifetime
	ready chan struct{}   // closed when Start is done: prefetched
}

// New makes an agent from a valid cfg.
func New(cfg Config, opts Options) (*Agent, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &Agent{
		cfg: cfg, token: sha256.Sum256([]byte(cfg.Token)), feed: opts.Feed, log: opts.Logger, clock: opts.Clock,
		feedWait: opts.FeedWait, rand: jitter, m: &metrics{}, ready: make(chan struct{}), ctx: context.Background(),
		prefetchKeys: map[string]bool{}, inFlight: make(chan struct{}, cfg.MaxInFlight),
	}
	if a.log == nil {
		a.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if a.clock == nil {
		a.clock = clock.Real{}
	}
	if a.feedWait == 0 {
		a.feedWait = 5 * time.Second
	}
	a.refusals = loglimit.New(a.log, a.clock, loglimit.DefaultInterval)
	a.cache = newCache(cfg.CacheSize, a.m)
	a.m.entries = a.cache.len
	awsCfg := opts.AWS.Copy()
	switch c := awsCfg.HTTPClient.(type) {
	case nil:
		awsCfg.HTTPClient = NewHTTPClient(cfg.MaxConnections)
	case *awshttp.BuildableClient:
		// The SDK's default client (config.LoadDefaultConfig's): bound its
		// connections as the extension's MAX_CONNECTIONS says.
		awsCfg.HTTPClient = c.WithTransportOptions(maxConns(cfg.MaxConnections))
	}
	awsCfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	a.sm = opts.SecretsManager
	if a.sm == nil {
		a.sm = secretsmanager.NewFromConfig(awsCfg, func(o *secretsmanager.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
			o.AppID = "sealbox-agent"
		})
	}
	a.ssm = opts.ParameterStore
	if a.ssm == nil {
		a.ssm = ssm.NewFromConfig(awsCfg, func(o *ssm.Options) {
			if opts.Endpoint != "" {
				o.BaseEndpoint = aws.String(opts.Endpoint)
			}
			o.AppID = "sealbox-agent"
		})
	}
	return a, nil
}

// NewLogger is a text logger at level (debug, info, warn, error; none
// discards everything).
func NewLogger(w io.Writer, level string) *slog.Logger {
	l, ok := logLevels[level]
	if !ok || level == "none" {
		w = io.Discard
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError, "none": slog.LevelError}

// Start subscribes to the change feed (waiting up to FeedWait for its
// first answer, so no change after it is missed), loads the prefetch list,
// and then lets requests through; requests that arrive before wait. The
// feed runs until ctx ends. Call Start once.
func (a *Agent) Start(ctx context.Context) {
	a.ctx = ctx
	defer close(a.ready)
	switch {
	case a.feed == nil || !a.cfg.Feed:
		a.m.feedState.Store(int32(feedOff))
	case !a.cfg.caching():
		a.m.feedState.Store(int32(feedOff))
		a.log.Info("cache disabled: not subscribing to the change feed")
	default:
		first := make(chan struct{})
		go a.runFeed(ctx, first)
		t := time.NewTimer(a.feedWait)
		select {
		case <-first:
		case <-t.C:
			a.log.Warn("the change feed has not answered yet; prefetching without it", "waited", a.feedWait)
		case <-ctx.Done():
		}
		t.Stop()
	}
	if len(a.cfg.Prefetch) > 0 {
		if !a.cfg.caching() {
			a.log.Info("cache disabled: nothing prefetched")
			return
		}
		start := time.Now()
		n, failed := a.prefetch(ctx)
		a.log.Info("prefetched", "items", n, "failed", failed, "took", time.Since(start).Round(time.Millisecond))
	}
}

// Serve serves the agent on ln until ctx ends, then shuts down gracefully.
func (a *Agent) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelDebug),
	}
	// Shutdown waits up to 5 s for a connection that was opened but has
	// sent nothing yet (an HTTP client's spare dial): close those at once.
	var mu sync.Mutex
	fresh := map[net.Conn]bool{}
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		mu.Lock()
		if s == http.StateNew {
			fresh[c] = true
		} else {
			delete(fresh, c)
		}
		mu.Unlock()
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
			return
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut := make(chan struct{})
		go func() { srv.Shutdown(sctx); close(shut) }()
		mu.Lock()
		for c := range fresh {
			c.Close()
		}
		mu.Unlock()
		<-shut
	}()
	err := srv.Serve(ln)
	close(done)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// The routes. /ping answers without a token; everything else needs it.
const (
	routePing     = "/ping"
	routeSecret   = "/secretsmanager/get"
	routeParam    = "/systemsmanager/parameters/get"
	routeV1       = "/v1/"
	routeMetrics  = "/metrics"
	headerToken   = "X-Aws-Parameters-Secrets-Token"
	headerVault   = "X-Vault-Token"
	headerForward = "X-Forwarded-For"
)

var (
	contentJSON = []string{"application/json"}
	contentText = []string{"text/plain; charset=utf-8"}
	contentProm = []string{"text/plain; version=0.0.4; charset=utf-8"}
)

// ServeHTTP answers one request; see the package documentation for the
// routes and their answers.
func (a *Agent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case <-a.ready:
	default:
		select {
		case <-a.ready:
		case <-r.Context().Done():
			return
		}
	}
	route, code := a.serve(w, r)
	a.m.request(route, code)
}

func (a *Agent) serve(w http.ResponseWriter, r *http.Request) (route string, code int) {
	path := r.URL.Path
	route = routeName(path)
	if path == routePing {
		if r.Method != http.MethodGet {
			return route, text(w, http.StatusMethodNotAllowed, "Not allowed")
		}
		return route, text(w, http.StatusOK, "healthy")
	}
	// A page whose name was rebound to 127.0.0.1 (DNS rebinding) reaches
	// the agent as its own origin, free to set headers and try tokens:
	// its request names its own host, never a loopback one.
	if !loopbackHost(r.Host) {
		a.refusals.Warn("refused a request for a host that is not loopback", "path", path)
		return route, text(w, http.StatusForbidden, "Bad Host")
	}
	// The order of aws-secretsmanager-agent: forwarding, token, method.
	if _, ok := r.Header[headerForward]; ok {
		a.refusals.Warn("refused a request with X-Forwarded-For", "path", path)
		return route, text(w, http.StatusBadRequest, "Forwarded")
	}
	if !a.tokenOK(r.Header) {
		a.refusals.Warn("refused a request without the right token", "path", path)
		return route, text(w, http.StatusForbidden, "Bad Token")
	}
	if r.Method != http.MethodGet {
		return route, text(w, http.StatusMethodNotAllowed, "Not allowed")
	}

	var req request
	var err error
	switch {
	case path == routeSecret || path == routeSecret+"/":
		req, err = parseSecretQuery(r.URL.RawQuery, false, "")
	case path == routeParam || path == routeParam+"/":
		req, err = parseParameterQuery(r.URL.RawQuery)
	case strings.HasPrefix(path, routeV1):
		req, err = parseSecretQuery(r.URL.RawQuery, true, strings.TrimPrefix(path, routeV1))
	case path == routeMetrics:
		w.Header()["Content-Type"] = contentProm
		w.WriteHeader(http.StatusOK)
		a.m.write(w)
		return route, http.StatusOK
	default:
		return route, text(w, http.StatusNotFound, "Not found")
	}
	if err != nil {
		return route, text(w, http.StatusBadRequest, err.Error())
	}

	body, ue, source := a.get(r.Context(), req)
	if source == "" {
		return route, 499 // the client went away
	}
	if ue != nil {
		a.log.Info("upstream error", "service", kindNames[req.kind], "id", req.id, "status", ue.status, "code", ue.code)
		w.Header()["Content-Type"] = contentJSON
		w.WriteHeader(ue.status)
		w.Write(ue.body())
		return route, ue.status
	}
	if a.log.Enabled(r.Context(), slog.LevelDebug) {
		a.log.Debug("answered", "service", kindNames[req.kind], "id", req.id, "from", source)
	}
	h := w.Header()
	h["Content-Type"] = contentJSON
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
	return route, http.StatusOK
}

func routeName(path string) string {
	switch {
	case path == routePing:
		return "ping"
	case path == routeSecret || path == routeSecret+"/":
		return "secretsmanager"
	case path == routeParam || path == routeParam+"/":
		return "ssm"
	case strings.HasPrefix(path, routeV1):
		return "v1"
	case path == routeMetrics:
		return "metrics"
	}
	return "other"
}

func text(w http.ResponseWriter, code int, msg string) int {
	w.Header()["Content-Type"] = contentText
	w.WriteHeader(code)
	io.WriteString(w, msg)
	return code
}

// loopbackHost reports whether a request's Host names this machine's
// loopback: a loopback address, localhost or a name under .localhost
// (which resolvers keep on loopback, RFC 6761). An empty Host (HTTP/1.0)
// passes: a browser always sends one.
func loopbackHost(host string) bool {
	if host == "" {
		return true
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	host = strings.ToLower(host)
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// tokenOK reports whether either token header holds the token, in time
// independent of the token's bytes and of its length (both sides are
// hashed first: ConstantTimeCompare answers at once for unequal lengths).
func (a *Agent) tokenOK(h http.Header) bool {
	ok := 0
	for _, name := range [...]string{headerToken, headerVault} {
		if v := h[name]; len(v) == 1 {
			got := sha256.Sum256([]byte(v[0]))
			ok |= subtle.ConstantTimeCompare(got[:], a.token[:])
		}
	}
	return ok == 1
}

// cached reports whether answers of kind k are cached.
func (a *Agent) cached(k kind) bool {
	if !a.cfg.caching() {
		return false
	}
	if k == kindSecret {
		return a.cfg.SecretsTTL > 0
	}
	return a.cfg.ParametersTTL > 0
}

// get answers r: from the cache within the TTL, else from the upstream
// (one call for concurrent misses of the same item), else, on a transient
// upstream failure, from the cache up to MaxStale past the TTL. source
// says which ("hit", "miss", "refresh", "stale"); "" if ctx ended first.
func (a *Agent) get(ctx context.Context, r request) (body []byte, ue *upstreamError, source string) {
	k := r.kind
	cached := a.cached(k)
	key := r.key()
	if cached && !r.refresh {
		if e, fresh := a.lookup(r); e != nil && fresh {
			a.m.hits[k].Add(1)
			return e.body, nil, "hit"
		}
	}
	a.m.misses[k].Add(1)
	fetch := func() (*entry, *upstreamError) {
		select {
		case a.inFlight <- struct{}{}:
			defer func() { <-a.inFlight }()
		default:
			a.refusals.Warn("too many upstream calls in flight: refusing a miss", "service", kindNames[k], "max", cap(a.inFlight))
			return nil, errOverload
		}
		start := a.cache.start()
		e, ue := a.fetch(a.ctx, r)
		if ue == nil && cached {
			e.prefetched = a.isPrefetched(key)
			a.cache.put(e, start)
		}
		return e, ue
	}
	source = "miss"
	flightKey := key
	if r.refresh {
		// refreshNow skips the cache and joins no miss under way, only a
		// refresh of the same item: concurrent refreshes share one call,
		// so that they cannot pile up calls on a stalled upstream. A
		// change the feed reports starts a new flight (flight.forget).
		source, flightKey = "refresh", "r\x00"+key
	}
	e, ue, err := a.flight.do(ctx, flightKey, fetch)
	if err != nil {
		return nil, nil, ""
	}
	if ue == nil {
		return e.body, nil, source
	}
	if cached {
		if ue.transient && !r.refresh && a.cfg.MaxStale > 0 {
			if e, _ := a.lookup(r); e != nil {
				a.m.stale[k].Add(1)
				a.log.Warn("upstream failing: serving a cached value past its TTL", "service", kindNames[k], "id", r.id,
					"age", a.clock.Now().Sub(e.fetched).Round(time.Second), "code", ue.code)
				return e.body, nil, "stale"
			}
		}
		if !ue.transient {
			// Gone, or no longer readable: forget what was cached.
			a.cache.drop(key)
		}
	}
	return nil, ue, source
}

// lookup finds r's entry; a String or StringList parameter's answer is
// the same with or without decryption, so either one serves.
func (a *Agent) lookup(r request) (*entry, bool) {
	now := a.clock.Now()
	e, fresh := a.cache.get(r.key(), now, a.cfg.MaxStale)
	if e == nil && r.kind == kindParam && !r.reference() {
		if alt, f := a.cache.get(r.withDecrypt(!r.decrypt).key(), now, a.cfg.MaxStale); alt != nil && !alt.secure {
			return alt, f
		}
	}
	return e, fresh
}
