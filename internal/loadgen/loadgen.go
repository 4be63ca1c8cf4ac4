// Package loadgen drives a running sealbox server with real SigV4-signed
// AWS KMS JSON 1.1 requests and measures it: operations per second and
// latency percentiles per operation and concurrency, next to the server's
// bare GET /healthz (the ceiling) on the same listener.
//
// A run is a grid of cells, one per (operation, concurrency). In a cell,
// each of the concurrency's workers keeps one request in flight on its own
// keep-alive HTTP/1.1 connection, for the warm-up (not measured) and then
// the duration. The client is kept cheap, because on a small machine it
// shares the CPUs with the server: request bodies and their SHA-256 are made
// once per run, and each request is signed freshly with aws-sdk-go-v2's v4
// signer, without the SDK client's middleware stack. Latencies go into a
// fixed-size histogram per worker.
//
// Set-up creates the KMS keys the operations need on the server: a
// symmetric key (and one blob encrypted with it for decrypt), an
// ECC_NIST_P256 and an RSA_2048 signing key (and a signature of each for
// verify), an HMAC_256 key. When the run ends the keys are scheduled for
// deletion after the minimum seven days.
package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// ErrRequestsFailed is returned, wrapped, by Run when any request of the
// run failed: a transport error or a status other than 200. The figures of
// such a run are not to be trusted.
var ErrRequestsFailed = errors.New("requests failed")

// Config is a run's configuration. Endpoint, Region, Ops, Concurrency and
// Duration are required; Credentials unless Ops is only the ceiling.
type Config struct {
	Endpoint    string // the server's base URL: http://127.0.0.1:8777
	Region      string // signing region
	Credentials aws.Credentials
	// TLS is the client's TLS configuration for an https endpoint; nil is
	// the system's roots.
	TLS *tls.Config

	Ops         []Op
	Concurrency []int
	Duration    time.Duration // measured time per cell
	Warmup      time.Duration // unmeasured time per cell before it

	// Progress, if set, is called with each cell's result as it completes.
	Progress func(Result)

	// TreeSize is how many parameters the by-path tree holds, and
	// TotalParameters how many the set-up makes in all (at least TreeSize):
	// by-path latency should not depend on the total.
	TreeSize, TotalParameters int

	// ServerPID, when set, is the server's process on this machine: each
	// cell also measures the CPU time it used over the measured window
	// (Result.ServerCPU), the figure least moved by the load generator
	// sharing the machine's cores.
	ServerPID int
}

// grace is how long past a cell's end a request still in flight may take
// before it is cut off (and counted as an error).
const grace = 10 * time.Second

// Validate says what is wrong with c.
func (c *Config) Validate() error {
	var errs []error
	u, err := url.Parse(c.Endpoint)
	switch {
	case err != nil:
		errs = append(errs, fmt.Errorf("endpoint %q: %v", c.Endpoint, err))
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		errs = append(errs, fmt.Errorf("endpoint %q must be http://host:port or https://host:port", c.Endpoint))
	case u.Path != "" && u.Path != "/" || u.RawQuery != "":
		errs = append(errs, fmt.Errorf("endpoint %q must have no path or query", c.Endpoint))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("region must be set"))
	}
	if len(c.Ops) == 0 {
		errs = append(errs, errors.New("no operations to run"))
	}
	seenOp := map[Op]bool{}
	for _, op := range c.Ops {
		if !op.valid() {
			errs = append(errs, fmt.Errorf("unknown operation %q", op))
		}
		if seenOp[op] {
			errs = append(errs, fmt.Errorf("operation %q is listed twice", op))
		}
		seenOp[op] = true
	}
	if c.signs() && (c.Credentials.AccessKeyID == "" || c.Credentials.SecretAccessKey == "") {
		errs = append(errs, errors.New("credentials are needed for signed operations"))
	}
	if len(c.Concurrency) == 0 {
		errs = append(errs, errors.New("no concurrency levels to run"))
	}
	seenN := map[int]bool{}
	for _, n := range c.Concurrency {
		if n < 1 || n > 4096 {
			errs = append(errs, fmt.Errorf("concurrency %d must be between 1 and 4096", n))
		}
		if seenN[n] {
			errs = append(errs, fmt.Errorf("concurrency %d is listed twice", n))
		}
		seenN[n] = true
	}
	if c.Duration <= 0 {
		errs = append(errs, errors.New("duration must be positive"))
	}
	if c.Warmup < 0 {
		errs = append(errs, errors.New("warm-up must not be negative"))
	}
	if c.ServerPID < 0 {
		errs = append(errs, errors.New("server pid must not be negative"))
	} else if c.ServerPID > 0 {
		if _, err := ProcessCPU(c.ServerPID); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) signs() bool {
	for _, op := range c.Ops {
		if op != Ceiling {
			return true
		}
	}
	return false
}

// Cells is the number of (operation, concurrency) cells of the run.
func (c *Config) Cells() int { return len(c.Ops) * len(c.Concurrency) }

// Estimate is how long the measuring takes, set-up aside.
func (c *Config) Estimate() time.Duration {
	return time.Duration(c.Cells()) * (c.Warmup + c.Duration)
}

// Result is one cell's outcome.
type Result struct {
	Op          Op
	Concurrency int
	// Requests is the number of successful requests started in the measured
	// window; Latency holds their latencies.
	Requests int64
	Latency  *Histogram
	// Elapsed is the measured window: from the end of the warm-up until the
	// last worker's last request returned.
	Elapsed time.Duration
	// Errors counts failed requests, warm-up included; ErrorKinds says what
	// they were, most frequent first.
	Errors     int64
	ErrorKinds []ErrorKind
	// ServerCPU is the CPU time the server process used over the measured
	// window, when Config.ServerPID is set.
	ServerCPU time.Duration
}

// ErrorKind is a distinct failure and how often it happened.
type ErrorKind struct {
	Message string
	Count   int64
}

// OpsPerSec is the successful requests per second of the measured window.
func (r *Result) OpsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// ServerCPUPerOp is the server's CPU time per successful request of the
// measured window; ok is false when it was not measured.
func (r *Result) ServerCPUPerOp() (time.Duration, bool) {
	if r.ServerCPU <= 0 || r.Requests == 0 {
		return 0, false
	}
	return r.ServerCPU / time.Duration(r.Requests), true
}

// Report is a run's outcome.
type Report struct {
	Config  Config
	KeyARN  string   // the symmetric key set-up created; empty if no operation needed one
	KeyARNs []string // every key set-up created, KeyARN first if made
	Results []Result
	Took    time.Duration
	// CleanupErr is set if a bench key could not be scheduled for
	// deletion.
	CleanupErr error
}

// Ceiling returns the ceiling's result at concurrency n, if it was run.
func (r *Report) Ceiling(n int) (*Result, bool) {
	for i := range r.Results {
		if res := &r.Results[i]; res.Op == Ceiling && res.Concurrency == n && res.Requests > 0 {
			return res, true
		}
	}
	return nil, false
}

// Ratio is res's throughput over the ceiling's at the same concurrency; ok
// is false if the ceiling was not run there.
func (r *Report) Ratio(res *Result) (ratio float64, ok bool) {
	c, ok := r.Ceiling(res.Concurrency)
	if !ok || c.OpsPerSec() == 0 {
		return 0, false
	}
	return res.OpsPerSec() / c.OpsPerSec(), true
}

// Errors is the number of failed requests of the run.
func (r *Report) Errors() int64 {
	var n int64
	for _, res := range r.Results {
		n += res.Errors
	}
	return n
}

// Run sets up, runs every cell (by concurrency, then by operation, so that
// an operation and its ceiling run close together in time) and cleans up.
// Results are ordered by operation, then concurrency, as in cfg.
//
// The report is returned with what was measured even when err is not nil.
// If any request failed, err wraps ErrRequestsFailed; a cell in which every
// request failed stops the run there.
func Run(ctx context.Context, cfg Config) (rep *Report, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	started := time.Now()
	rep = &Report{Config: cfg}
	defer func() { rep.Took = time.Since(started) }()

	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	fx, err := c.setup(ctx, cfg.Ops)
	if err != nil {
		return rep, err
	}
	rep.KeyARN, rep.KeyARNs = fx.keyARN, fx.keyARNs()
	if len(rep.KeyARNs) > 0 {
		defer func() { rep.CleanupErr = c.cleanup(rep.KeyARNs) }()
	}
	reqs := make(map[Op]request, len(cfg.Ops))
	for _, op := range cfg.Ops {
		if reqs[op], err = prepare(op, fx); err != nil {
			return rep, err
		}
	}

	defer func() { sortResults(rep.Results, cfg) }()
	for _, n := range cfg.Concurrency {
		for _, op := range cfg.Ops {
			rq := reqs[op]
			res := c.cell(ctx, &rq, n, cfg.Warmup, cfg.Duration, cfg.ServerPID)
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			rep.Results = append(rep.Results, res)
			if cfg.Progress != nil {
				cfg.Progress(res)
			}
			if res.Requests == 0 && res.Errors > 0 {
				return rep, fmt.Errorf("%w: every %s request at concurrency %d failed (%s); stopped", ErrRequestsFailed, op, n, res.ErrorKinds[0].Message)
			}
		}
	}
	if n := rep.Errors(); n > 0 {
		return rep, fmt.Errorf("%w: %d requests failed", ErrRequestsFailed, n)
	}
	return rep, nil
}

func sortResults(rs []Result, cfg Config) {
	index := func(op Op, n int) int {
		oi, ci := 0, 0
		for i, o := range cfg.Ops {
			if o == op {
				oi = i
			}
		}
		for i, c := range cfg.Concurrency {
			if c == n {
				ci = i
			}
		}
		return oi*len(cfg.Concurrency) + ci
	}
	sort.SliceStable(rs, func(i, j int) bool {
		return index(rs[i].Op, rs[i].Concurrency) < index(rs[j].Op, rs[j].Concurrency)
	})
}

// client signs and sends requests to one server.
type client struct {
	base    string // endpoint without a trailing slash
	host    string
	region  string
	creds   aws.Credentials
	tls     *tls.Config
	signer  *v4.Signer
	healthz string

	treeSize, totalParams int // the Parameter Store population
}

func newClient(cfg Config) (*client, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	base := u.Scheme + "://" + u.Host
	return &client{
		base:    base,
		host:    u.Host,
		region:  cfg.Region,
		creds:   cfg.Credentials,
		tls:     cfg.TLS,
		signer:  v4.NewSigner(),
		healthz: base + "/healthz",

		treeSize:    cfg.TreeSize,
		totalParams: cfg.TotalParameters,
	}, nil
}

// transport is a cell's transport: HTTP/1.1 only, so that each of the
// conns workers holds one keep-alive connection; no proxy, no compression.
func (c *client) transport(conns int) *http.Transport {
	t := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		Protocols:           new(http.Protocols),
	}
	t.Protocols.SetHTTP1(true)
	if c.tls != nil {
		t.TLSClientConfig = c.tls.Clone()
	}
	return t
}

func newHTTPClient(t *http.Transport) *http.Client {
	return &http.Client{
		Transport: t,
		// A redirect is a wrong endpoint: report the status, don't follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send makes one request and reads the answer through. A non-nil error
// is a failed request; its text is short and the same for the same cause.
func (c *client) send(ctx context.Context, hc *http.Client, rq *request, out any) error {
	var req *http.Request
	var err error
	if rq.op == Ceiling {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.healthz, nil)
		if err != nil {
			return err
		}
	} else {
		body, hash := rq.pick()
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", rq.target)
		if err := c.signer.SignHTTP(ctx, c.creds, req, hash, rq.service(), c.region, time.Now()); err != nil {
			return fmt.Errorf("failed to sign: %v", err)
		}
	}
	req.Header.Set("User-Agent", "sealbox-bench")
	resp, err := hc.Do(req)
	if err != nil {
		return transportError(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		io.Copy(io.Discard, resp.Body)
		return statusError(resp.StatusCode, body)
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("%s: failed to decode the answer: %v", rq.target, err)
		}
	}
	// Read to EOF so the connection goes back for the next request.
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return transportError(err)
	}
	return nil
}

// transportError drops the URL from a client error, so that the same cause
// reads the same for every request.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return errors.New("no answer in time")
	}
	return err
}

func statusError(status int, body []byte) error {
	var e struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil && e.Type != "" {
		if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
			e.Type = e.Type[i+1:]
		}
		return fmt.Errorf("HTTP %d %s: %s", status, e.Type, e.Message)
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 200 {
		text = text[:200] + "…"
	}
	return fmt.Errorf("HTTP %d: %s", status, text)
}

// setup checks the server is there and makes what ops need: parameters,
// secrets, keys, a blob for decrypt and signatures for verify.
func (c *client) setup(ctx context.Context, ops []Op) (fixture, error) {
	var fx fixture
	t := c.transport(1)
	defer t.CloseIdleConnections()
	hc := newHTTPClient(t)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	needParams, needSecrets, ceiling := false, false, false
	for _, op := range ops {
		ceiling = ceiling || op == Ceiling
		needParams = needParams || op.isSSM()
		needSecrets = needSecrets || op.isSecrets()
	}
	// A peer measured beside sealbox (local-kms) may have no /healthz: with
	// no ceiling to run, the first call of the set-up tells if it is there.
	if ceiling {
		if err := c.send(ctx, hc, &request{op: Ceiling}, nil); err != nil {
			return fx, fmt.Errorf("failed to reach the server: GET %s: %w", c.healthz, err)
		}
	}
	if needParams {
		if err := c.setupParameters(ctx, hc); err != nil {
			return fx, err
		}
	}
	if needSecrets {
		if err := c.setupSecrets(ctx, hc); err != nil {
			return fx, err
		}
	}
	if err := c.setupKeys(ctx, hc, ops, &fx); err != nil {
		return fx, err
	}
	return fx, nil
}

// worker is one connection's loop state.
type worker struct {
	lat      Histogram
	requests int64
	errors   int64
	kinds    map[string]int64
}

// cell runs rq at concurrency n: warm-up, then the measured duration.
func (c *client) cell(ctx context.Context, rq *request, n int, warmup, duration time.Duration, serverPID int) Result {
	t := c.transport(n)
	defer t.CloseIdleConnections()
	hc := newHTTPClient(t)

	begin := time.Now()
	measureFrom := begin.Add(warmup)
	deadline := measureFrom.Add(duration)
	cctx, cancel := context.WithDeadline(ctx, deadline.Add(grace))
	defer cancel()

	// The server's CPU is read when the measured window opens and once the
	// last worker is done, as the window's request count is.
	var cpuFrom time.Duration
	var cpuErr error
	cpuRead := make(chan struct{})
	if serverPID > 0 {
		t := time.AfterFunc(time.Until(measureFrom), func() {
			cpuFrom, cpuErr = ProcessCPU(serverPID)
			close(cpuRead)
		})
		defer t.Stop()
	}
	workers := make([]worker, n)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		wg.Go(func() { w.loop(cctx, ctx, c, hc, rq, measureFrom, deadline) })
	}
	wg.Wait()
	res := Result{Op: rq.op, Concurrency: n, Latency: new(Histogram), Elapsed: time.Since(measureFrom)}
	if serverPID > 0 {
		cpuTo, err := ProcessCPU(serverPID)
		select {
		case <-cpuRead:
			if err == nil && cpuErr == nil {
				res.ServerCPU = cpuTo - cpuFrom
			}
		default: // the run was cut short before the window opened
		}
	}
	kinds := map[string]int64{}
	for i := range workers {
		w := &workers[i]
		res.Latency.Merge(&w.lat)
		res.Requests += w.requests
		res.Errors += w.errors
		for k, v := range w.kinds {
			kinds[k] += v
		}
	}
	for k, v := range kinds {
		res.ErrorKinds = append(res.ErrorKinds, ErrorKind{Message: k, Count: v})
	}
	sort.Slice(res.ErrorKinds, func(i, j int) bool {
		a, b := res.ErrorKinds[i], res.ErrorKinds[j]
		return a.Count > b.Count || a.Count == b.Count && a.Message < b.Message
	})
	return res
}

// loop sends rq back to back until deadline. Requests that start before
// measureFrom warm the connection and are not measured; their failures
// count all the same. A request cut off because parent was cancelled is
// not a failure: the run is being stopped.
func (w *worker) loop(ctx, parent context.Context, c *client, hc *http.Client, rq *request, measureFrom, deadline time.Time) {
	for {
		start := time.Now()
		if !start.Before(deadline) || ctx.Err() != nil {
			return
		}
		err := c.send(ctx, hc, rq, nil)
		took := time.Since(start)
		if err != nil {
			if parent.Err() != nil {
				return
			}
			w.errors++
			if w.kinds == nil {
				w.kinds = map[string]int64{}
			}
			w.kinds[err.Error()]++
			continue
		}
		if start.Before(measureFrom) {
			continue
		}
		w.requests++
		w.lat.Record(took)
	}
}
