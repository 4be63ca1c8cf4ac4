package awsapi

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/spool"
)

// Authenticator verifies a request's signature and says who signed it.
type Authenticator interface {
	VerifyPayload(ctx context.Context, r *http.Request, payloadSHA256, service string) (*sigv4.Result, error)
}

// Auditor records one event per call; an error means the event was not
// recorded and the call must not answer with success.
type Auditor interface {
	Log(ctx context.Context, e *audit.Event) error
}

// Config is what the Router needs. Logger and Clock may be nil.
type Config struct {
	AccountID string
	Auth      Authenticator
	Audit     Auditor
	Logger    *slog.Logger
	Clock     clock.Clock
	// UnsignedRegion is the region of the calls of Unsigned operations,
	// which no signature scopes; "" is us-east-1, STS's global endpoint's.
	UnsignedRegion string
	// MaxBody bounds a request body; 0 means 1 MiB (the largest AWS JSON
	// request sealbox serves is well under it).
	MaxBody int64
	// Spool reads the bodies of services whose MaxBody is over the JSON
	// cap (Lambda's code uploads): before the signature is checked it
	// holds at most its memory limit of a body in memory, the rest in a
	// temporary file, under its budget of concurrent large bodies. nil is
	// spool.New with the defaults.
	Spool *spool.Spooler
	// Prepare, when set, runs before each call's operation with the call's
	// context and returns the context the operation gets (the authorizer
	// reads the caller's policies there, outside any transaction).
	Prepare func(context.Context) (context.Context, error)
	// Unavailable, when set, says whether an unexpected error means the
	// store cannot be reached for now (store.ErrUnavailable): such a call
	// is answered with its service's retryable internal error, or AWS's
	// common ServiceUnavailable (503) where the model has none, and the
	// cause is logged at most every unavailableLogEvery.
	Unavailable func(error) bool
}

// Router serves the registered services over HTTP. Register every service
// before serving; after that it is safe for concurrent use.
type Router struct {
	cfg      Config
	byTarget map[string]*route // JSON 1.1: "TrentService.Encrypt"
	byAction map[string]*route // Query: "CreateRole", "AssumeRole"
	rest     []*restService    // REST-JSON (Lambda): by method and path

	// routes are every registered operation, in order, for WriteMetrics;
	// unknown counts the calls of no registered operation.
	routes  []*route
	unknown opMetrics
	// unavailableLogged is when (Unix ns) the store's unavailability was
	// last logged; unavailableQuiet counts the calls since, not logged.
	unavailableLogged atomic.Int64
	unavailableQuiet  atomic.Uint64
}

// restService is a REST-JSON service: its operations are found by method
// and path in its Table.
type restService struct {
	svc    *Service
	table  *restjson.Table
	byName map[string]*route
}

type route struct {
	svc *Service
	op  *Operation
	in  *model.Shape
	out *model.Shape
	// blobPaths are the input's blob members that REST-JSON streams
	// out of the body (restjson.BlobPaths), when op binds them to a
	// *spool.Blob.
	blobPaths [][]string
	metrics   opMetrics
}

// NewRouter returns a Router with no services.
func NewRouter(cfg Config) *Router {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.Spool == nil {
		cfg.Spool = spool.New(spool.Config{})
	}
	return &Router{cfg: cfg, byTarget: map[string]*route{}, byAction: map[string]*route{}}
}

// Register adds a service. It panics if an operation is not in the service's
// model: the operation table and the model must agree at build time. That
// the operations' Go types match the model is checked by the generator of
// the wire types and, for every service the server registers, by CheckTypes
// in the server's tests, not at each start.
func (rt *Router) Register(s *Service) {
	s.model = model.Load(s.Name)
	s.query = s.model.Metadata.Protocol == "query"
	s.internalModelled = modelsError(s.model, s.InternalError)
	s.errorCodes = errorCodes(s)
	var rs *restService
	if s.model.Metadata.Protocol == "rest-json" {
		rs = &restService{svc: s, table: restjson.NewTable(s.model), byName: map[string]*route{}}
		rt.rest = append(rt.rest, rs)
	}
	for i := range s.Operations {
		op := &s.Operations[i]
		if s.model.Operations[op.Name] == nil {
			panic("awsapi: " + s.Name + " has no operation " + op.Name + " in its model")
		}
		if op.Unsigned && s.model.Operations[op.Name].AuthType != "none" {
			// Only where AWS itself takes no signature: a mistake here
			// would serve an operation to anyone.
			panic("awsapi: " + s.Name + " " + op.Name + " is served unsigned but its model's authtype is not \"none\"")
		}
		op.bind = binderFor(op.in)
		rte := &route{svc: s, op: op, in: s.model.InputShape(op.Name), out: s.model.OutputShape(op.Name)}
		rte.metrics.errors = make([]atomic.Uint64, len(s.errorCodes)+1)
		rt.routes = append(rt.routes, rte)
		switch {
		case rs != nil:
			if hasBlobs(op.in) {
				rte.blobPaths = restjson.BlobPaths(s.model, rte.in)
			}
			rs.byName[op.Name] = rte
		case s.query:
			if prev := rt.byAction[op.Name]; prev != nil {
				panic("awsapi: Query action " + op.Name + " served by both " + prev.svc.Name + " and " + s.Name)
			}
			rt.byAction[op.Name] = rte
		default:
			prefix := s.model.Metadata.TargetPrefix
			rt.byTarget[prefix+"."+op.Name] = rte
			// SDKs built from the Smithy models (aws-sdk-go-v2, the
			// JavaScript v3 SDK) name the service shape alone:
			// "CloudTrail_20131101.LookupEvents" where botocore's model says
			// "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101". AWS
			// answers both.
			if i := strings.LastIndexByte(prefix, '.'); i >= 0 {
				rt.byTarget[prefix[i+1:]+"."+op.Name] = rte
			}
		}
	}
}

// call is the state of one request on its way through the path.
type call struct {
	reqID string
	svc   *Service // the service, once known
	route *route   // the operation, once found
	// What the codec found besides the operation: the Query form, the
	// REST-JSON labels.
	form   url.Values
	labels map[string]string

	body       []byte
	bodyRead   bool
	bodySHA256 string // lower-case hex, for the signature
	// A body over the JSON cap (Lambda's code uploads) is spooled instead
	// of held in body, and the blobs streamed out of it (ZipFile) are
	// blobs, by their member path; close releases both.
	spooled *spool.Blob
	blobs   map[string]any
	header  http.Header    // the answer's, for Retry-After
	err     *sealbox.Error // the error answered, for the metrics

	req     *sealbox.Request
	pending *audit.Pending // the events the call records beside its own
	params  any            // the input as the audit event records it
	// paramsOwned says params is a map made for the event alone.
	paramsOwned bool
	payload     []byte // the output as JSON
	// buf holds payload when it came from the payloads pool; close
	// returns it.
	buf *[]byte

	// The call's Request and contexts (see ServeHTTP), held here rather
	// than allocated each: the call is allocated anyway.
	reqValue   sealbox.Request
	reqCtx     sealbox.RequestContext
	pendingCtx audit.PendingContext

	// The answer's header values, held here rather than in a slice of
	// their own each: the call is allocated anyway.
	idValue, typeValue, lengthValue [1]string
}

// payloads are the buffers answers are encoded into by a generated
// AppendJSON. An answer is written (copied to the connection's buffer) and
// decoded for its audit event before the call ends, so the buffer is
// free again then; a large one is left to the collector.
var payloads = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// maxPooledPayload bounds the buffers kept in payloads.
const maxPooledPayload = 64 << 10

// validRegion is the region a signature may be scoped to: at most 32
// bytes of lower-case letters and digits in runs joined by single dashes
// (`^[a-z0-9]+(-[a-z0-9]+)*$`, without a regexp per call).
func validRegion(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	dash := true // as after a dash: a run must start here
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			dash = false
		case c == '-' && !dash:
			dash = true
		default:
			return false
		}
	}
	return !dash
}

// setHeader sets the answer's header key, in its canonical form, to the
// one value held at *value, without canonicalizing key or allocating a
// slice per call.
func setHeader(h http.Header, key string, value *[1]string, v string) {
	value[0] = v
	h[key] = value[:]
}

// ServeHTTP walks one request down the path, the same for every protocol:
// find the operation, read the body, authenticate, decode the input once,
// validate and record it, call the service, record the audit event, answer.
// The protocols differ only at the edges, in their codec: AWS JSON names
// the operation in X-Amz-Target, AWS Query in Action (both at "/"),
// REST-JSON in the method and path; each has its own answer and error
// shapes.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	c := &call{reqID: ids.UUID(), header: w.Header()}
	defer rt.observe(c, start)
	defer c.close()
	setHeader(c.header, "X-Amzn-Requestid", &c.idValue, c.reqID) // x-amzn-RequestId
	p := rt.codecFor(r)
	if e := p.find(r, c); e != nil {
		c.fail(w, p, e)
		return
	}
	if e := rt.readBody(r, c); e != nil {
		c.fail(w, p, e)
		return
	}
	req, e := rt.authenticate(r, c)
	if e != nil {
		c.fail(w, p, e)
		return
	}
	c.req = req
	var out any
	in, err := p.decode(r, c)
	if err == nil {
		// sealbox.NewContext and audit.WithPending, held in the call.
		c.reqCtx = sealbox.RequestContext{Context: r.Context(), Request: req}
		var ctx context.Context = &c.reqCtx
		if _, ok := rt.cfg.Audit.(pendingAuditor); ok {
			c.pendingCtx.Context = ctx
			ctx, c.pending = &c.pendingCtx, &c.pendingCtx.Pending
			defer rt.flushPending(ctx, c)
		}
		out, err = rt.invoke(ctx, c, in)
	}
	if e := rt.finish(r.Context(), c, out, err); e != nil {
		c.fail(w, p, e)
		return
	}
	if err := p.encode(w, c, out); err != nil {
		rt.cfg.Logger.Error("failed to encode answer", "requestId", c.reqID, "op", c.route.op.Name, "err", err)
		c.fail(w, p, internalError(c.route))
	}
}

// fail answers e in the protocol's error shape and keeps it for the
// metrics.
func (c *call) fail(w http.ResponseWriter, p codec, e *sealbox.Error) {
	c.err = e
	p.encodeError(w, c, e)
}

// observe counts the call in its operation's metrics (or unknown's).
func (rt *Router) observe(c *call, start time.Time) {
	m := &rt.unknown
	if c.route != nil {
		m = &c.route.metrics
	}
	m.observe(c.svc, c.err, statusOf(c, c.err), time.Since(start))
}

// readBody reads the request body, once, bounded by the service's MaxBody
// (the router's before the service is known), and hashes it for the
// signature. A service whose bodies may exceed the router's JSON cap has
// them spooled (readSpooled); every other body is held in c.body.
func (rt *Router) readBody(r *http.Request, c *call) *sealbox.Error {
	if c.bodyRead {
		return nil
	}
	c.bodyRead = true
	if c.svc != nil && c.svc.MaxBody > rt.cfg.MaxBody {
		b, e := rt.readSpooled(r, c)
		if e != nil {
			return e
		}
		c.spooled = b
		sum := b.SHA256()
		c.bodySHA256 = hex.EncodeToString(sum[:])
		return nil
	}
	body, e := rt.readBodyMax(r, 0)
	if e != nil {
		return e
	}
	c.body, c.bodySHA256 = body, sigv4.SHA256Hex(body)
	return nil
}

// readSpooled reads a body of up to the service's MaxBody through the
// spooler, so that at most the spooler's memory limit of it is held in
// memory before the signature is checked; a larger body goes to a
// temporary file, hashed on the way. Over the spooler's budget of large
// bodies the answer is the service's throttling error with Retry-After.
// c.close closes the Blob when the request ends.
func (rt *Router) readSpooled(r *http.Request, c *call) (*spool.Blob, *sealbox.Error) {
	max := c.svc.MaxBody
	b, err := rt.cfg.Spool.Read(r.Body, r.ContentLength, max)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, spool.ErrTooLarge):
		if c.svc.TooLarge != "" && c.route != nil {
			return nil, &sealbox.Error{Code: c.svc.TooLarge, Message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", max+1, c.route.op.Name)}
		}
		return nil, &sealbox.Error{Code: "RequestEntityTooLargeException", Message: "Request body too large."}
	case errors.Is(err, spool.ErrBusy):
		c.header.Set("Retry-After", retryAfterSeconds)
		code := "ThrottlingException"
		if _, _, ok := c.svc.model.ErrorStatus("TooManyRequestsException"); ok {
			code = "TooManyRequestsException"
		}
		return nil, &sealbox.Error{Code: code, Message: "Too many large requests in flight; retry after " + retryAfterSeconds + " s.", Status: http.StatusTooManyRequests}
	}
	rt.cfg.Logger.Debug("failed to read the request body", "requestId", c.reqID, "err", err)
	return nil, &sealbox.Error{Code: "SerializationException", Message: "Failed to read the request body."}
}

// retryAfterSeconds is the Retry-After of a body refused over the spool's
// budget: about the time one large upload takes on a local network.
const retryAfterSeconds = "1"

// restBody returns an authenticated, spooled REST-JSON body for decoding.
// The blob members the operation streams (Lambda's ZipFile) are
// base64-decoded out of the body as it is read, each into its own
// spool.Blob (hashed and counted on the way, spooled to a file beyond the
// memory limit), and are null in the bytes returned; the rest of the body
// is held in memory, up to the JSON cap (MaxBody) or RequestTooLarge.
// c.close closes the blobs.
func (rt *Router) restBody(c *call) ([]byte, error) {
	b := c.spooled
	if data, ok := b.Bytes(); ok && len(c.route.blobPaths) == 0 {
		return data, nil
	}
	rest, blobs, err := restjson.SplitBlobs(b.Open(), c.svc.model, c.route.blobPaths, int(rt.cfg.MaxBody), func(r io.Reader) (any, error) {
		// Derived from a body that holds its place in the budget, and no
		// larger than it.
		return rt.cfg.Spool.ReadAdmitted(r, b.Size())
	})
	c.blobs = blobs
	if errors.Is(err, restjson.ErrRestTooLarge) {
		return nil, &sealbox.Error{Code: "RequestEntityTooLargeException", Message: fmt.Sprintf("The request body must be smaller than %d bytes besides its code.", rt.cfg.MaxBody+1)}
	}
	return rest, err
}

// close releases what the call spooled and its answer's buffer.
func (c *call) close() {
	if c.spooled != nil {
		c.spooled.Close()
	}
	closeBlobs(c.blobs)
	if c.buf != nil && cap(*c.buf) <= maxPooledPayload {
		payloads.Put(c.buf)
	}
	c.buf, c.payload = nil, nil
}

// readBodyMax reads the body up to max bytes (0: the router's MaxBody).
func (rt *Router) readBodyMax(r *http.Request, max int64) ([]byte, *sealbox.Error) {
	if max == 0 {
		max = rt.cfg.MaxBody
	}
	body, err := readUpTo(r.Body, r.ContentLength, max+1)
	if err != nil {
		return nil, &sealbox.Error{Code: "SerializationException", Message: "Failed to read the request body."}
	}
	if int64(len(body)) > max {
		return nil, &sealbox.Error{Code: "RequestEntityTooLargeException", Message: "Request body too large."}
	}
	return body, nil
}

// readUpTo reads r to its end or to limit bytes, whichever comes first,
// as io.ReadAll(io.LimitReader(r, limit)) does, in one buffer of the size
// the request declares (length, when it is under the limit; -1 when
// unknown) rather than one grown from 512 bytes. Memory for more than
// preallocMax is taken only as the bytes arrive, as io.ReadAll would: a
// Content-Length alone does not hold a large buffer.
func readUpTo(r io.Reader, length, limit int64) ([]byte, error) {
	size := int64(512)
	if length >= 0 && length < limit {
		size = min(length+1, preallocMax) // room for the read that finds the end
	}
	b := make([]byte, 0, min(size, limit))
	for int64(len(b)) < limit {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)] // grow: the length was not the body's
		}
		n, err := r.Read(b[len(b):min(int64(cap(b)), limit)])
		b = b[:len(b)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return b, nil
}

const preallocMax = 64 << 10

// authenticate verifies the call's signature, over the body's SHA-256,
// and makes the call's Request. A signature refused is the protocol's
// authentication error; a failure to check it (the store that holds the
// access keys) is the service's internal error.
func (rt *Router) authenticate(r *http.Request, c *call) (*sealbox.Request, *sealbox.Error) {
	if c.route.op.Unsigned {
		return rt.anonymous(r, c), nil
	}
	req, err := rt.verify(r, c.bodySHA256, c.route.svc.Name, c.reqID, &c.reqValue)
	if err == nil {
		return req, nil
	}
	if e, ok := sealbox.AsError(err); ok {
		rt.cfg.Logger.Debug("request not authenticated", "requestId", c.reqID, "op", c.route.op.Name, "err", err)
		return nil, e
	}
	return nil, rt.unexpected(c, err)
}

// anonymous makes the Request of a call of an Unsigned operation: no
// principal, whatever the request carries (a signature on it is neither
// checked nor believed), the region of the server's default.
func (rt *Router) anonymous(r *http.Request, c *call) *sealbox.Request {
	region := rt.cfg.UnsignedRegion
	if region == "" {
		region = "us-east-1"
	}
	c.reqValue = sealbox.Request{
		ID:        c.reqID,
		Time:      rt.cfg.Clock.Now().UTC(),
		Region:    region,
		Partition: sealbox.PartitionFor(region),
		AccountID: rt.cfg.AccountID,
		Service:   c.route.svc.Name,
		// CloudTrail's type for a caller it cannot name; never "" (which
		// some IAM paths read as the account's root). The operation names
		// the caller once it has authenticated it.
		Principal:       sealbox.Principal{Type: "Unknown"},
		SourceIP:        clientaddr.IP(r),
		UserAgent:       r.Header.Get("User-Agent"),
		SecureTransport: clientaddr.Secure(r),
	}
	return &c.reqValue
}

// Authenticate verifies the SigV4 signature of r, a request outside the
// AWS APIs (the server's GET /metrics), for the signing name service,
// through the path every call takes (the same verifier, skew and region
// rules, the body read up to MaxBody and hashed), and returns the context
// a call of the signer would have: its Request, prepared by
// Config.Prepare, for the authorizer. It reads r's body. The error says why
// for the log; it is not meant for the answer.
func (rt *Router) Authenticate(r *http.Request, service string) (context.Context, error) {
	body, e := rt.readBodyMax(r, 0)
	if e != nil {
		return nil, e
	}
	req, err := rt.verify(r, sigv4.SHA256Hex(body), service, ids.UUID(), new(sealbox.Request))
	if err != nil {
		return nil, err
	}
	ctx := sealbox.NewContext(r.Context(), req)
	if rt.cfg.Prepare != nil {
		return rt.cfg.Prepare(ctx)
	}
	return ctx, nil
}

// verify checks r's signature over a body whose SHA-256 is payloadSHA256
// (lower-case hex) for service, and makes the call's Request in req. A
// refused signature is a *sealbox.Error; any other error is a failure to
// check it.
func (rt *Router) verify(r *http.Request, payloadSHA256, service, reqID string, req *sealbox.Request) (*sealbox.Request, error) {
	res, err := rt.cfg.Auth.VerifyPayload(r.Context(), r, payloadSHA256, service)
	if err != nil {
		var ae *sigv4.AuthError
		if errors.As(err, &ae) {
			return nil, authError(ae)
		}
		return nil, err
	}
	if res.UnsignedPayload {
		// The body carries the request: it must be covered by the signature.
		return nil, &sealbox.Error{Code: "InvalidSignatureException", Message: "The request payload must be signed: UNSIGNED-PAYLOAD is not accepted by this service."}
	}
	if !validRegion(res.Region) {
		return nil, &sealbox.Error{Code: "InvalidSignatureException", Message: "Credential should be scoped to a valid region. "}
	}
	*req = sealbox.Request{
		ID:        reqID,
		Time:      rt.cfg.Clock.Now().UTC(),
		Region:    res.Region,
		Partition: sealbox.PartitionFor(res.Region),
		AccountID: rt.cfg.AccountID,
		Service:   service,
		Principal: res.Principal,
		SourceIP:  clientaddr.IP(r),
		UserAgent: r.Header.Get("User-Agent"),

		SecureTransport: clientaddr.Secure(r),
	}
	return req, nil
}

// finish turns the service's result into the answer's JSON payload
// (c.payload) or the error to send, and records the audit event; no event,
// no answer.
func (rt *Router) finish(ctx context.Context, c *call, out any, err error) *sealbox.Error {
	if err == nil {
		if c.payload, err = c.marshal(out); err != nil {
			c.payload = nil
		}
	}
	apiErr := rt.apiError(c, err)
	if aerr := rt.record(ctx, c, c.payload, apiErr); aerr != nil {
		if rt.cfg.Unavailable != nil && rt.cfg.Unavailable(aerr) {
			// The audit trail is in the store, which cannot be reached.
			return rt.unexpected(c, aerr)
		}
		rt.cfg.Logger.Error("audit failed: refusing to answer", "requestId", c.req.ID, "op", c.route.op.Name, "err", aerr)
		return auditUnavailable(c.route)
	}
	return apiErr
}

// marshal encodes out as encoding/json does: by its generated AppendJSON
// into a pooled buffer when it has one, else by reflection.
func (c *call) marshal(out any) ([]byte, error) {
	a, ok := out.(jsonAppender)
	if !ok {
		return json.Marshal(out)
	}
	c.buf = payloads.Get().(*[]byte)
	b, err := a.AppendJSON((*c.buf)[:0])
	if err != nil {
		return nil, err
	}
	*c.buf = b // keep what it grew to
	return b, nil
}

// invoke validates the decoded input against the model, keeps its redacted
// copy for the audit event, binds that same value into the operation's
// input and calls the service, turning a panic into an internal error.
func (rt *Router) invoke(ctx context.Context, c *call, raw map[string]any) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			rt.cfg.Logger.Error("panic serving request", "requestId", c.req.ID, "op", c.route.op.Name, "panic", p, "stack", string(debug.Stack()))
			out, err = nil, errors.New("panic")
		}
	}()
	m := c.route.svc.model
	c.params = m.Redact(c.route.in, raw)
	// Redact copies a structure into a map of its own, which the audit
	// parameters can join (record) rather than be merged into another.
	c.paramsOwned = c.route.in != nil && c.route.in.Type == "structure" && raw != nil
	if err := m.Validate(c.route.in, raw); err != nil {
		var se *model.SerializationError
		if errors.As(err, &se) {
			return nil, &sealbox.Error{Code: "SerializationException", Message: se.Message}
		}
		return nil, &sealbox.Error{Code: "ValidationException", Message: err.Error()}
	}
	if rt.cfg.Prepare != nil && !c.route.op.Unsigned { // an unsigned call has no caller to prepare for
		var err error
		if ctx, err = rt.cfg.Prepare(ctx); err != nil {
			return nil, err
		}
	}
	if !c.route.op.ReadOnly {
		// Fail closed before the call changes anything: a write whose
		// event no sink could take is refused, not done and then hidden.
		if r, ok := rt.cfg.Audit.(audit.Readier); ok { // audit.Logger
			if err := r.Ready(); err != nil {
				rt.cfg.Logger.Error("audit unavailable: refusing a write call", "requestId", c.req.ID, "op", c.route.op.Name, "err", err)
				return nil, auditUnavailable(c.route)
			}
		}
	}
	return c.route.op.call(ctx, c.route.op.bind, raw)
}

func auditUnavailable(rte *route) *sealbox.Error {
	return &sealbox.Error{Code: rte.svc.InternalError, Message: "The request could not be recorded in the audit log.", Server: true}
}

// apiError turns what the service returned into the error the client sees;
// anything that is not a *sealbox.Error is logged and hidden.
func (rt *Router) apiError(c *call, err error) *sealbox.Error {
	if err == nil {
		return nil
	}
	if e, ok := sealbox.AsError(err); ok {
		return e
	}
	return rt.unexpected(c, err)
}

// unexpected logs an error that is not the API's and answers the service's
// internal error. When the store cannot be reached (Config.Unavailable)
// the answer says to retry, and the log says so at most every
// unavailableLogEvery, with how many calls failed so meanwhile.
func (rt *Router) unexpected(c *call, err error) *sealbox.Error {
	if rt.cfg.Unavailable != nil && rt.cfg.Unavailable(err) {
		now := time.Now().UnixNano()
		last := rt.unavailableLogged.Load()
		if now-last >= int64(unavailableLogEvery) && rt.unavailableLogged.CompareAndSwap(last, now) {
			rt.cfg.Logger.Error("store unavailable: answering calls with the retryable internal error", "requestId", c.reqID,
				"op", c.route.op.Name, "err", err, "alsoFailedSinceLastLog", rt.unavailableQuiet.Swap(0))
		} else {
			rt.unavailableQuiet.Add(1)
		}
		return unavailableError(c.route)
	}
	if errors.Is(err, context.Canceled) {
		// The client went away (a long poll it gave up, a closed
		// connection): no one hears the answer, and nothing failed here.
		rt.cfg.Logger.Debug("request canceled by the client", "requestId", c.reqID, "op", c.route.op.Name)
		return internalError(c.route)
	}
	rt.cfg.Logger.Error("internal error", "requestId", c.reqID, "op", c.route.op.Name, "err", err)
	return internalError(c.route)
}

// unavailableLogEvery is how often at most the store's unavailability is
// logged: under load every call fails alike.
const unavailableLogEvery = 10 * time.Second

func internalError(rte *route) *sealbox.Error {
	return &sealbox.Error{Code: rte.svc.InternalError, Message: "An internal error occurred.", Server: true}
}

// modelsError reports whether m has an error shape that answers code (a
// Query service's error code may differ from its shape's name:
// ServiceFailure is IAM's ServiceFailureException).
func modelsError(m *model.Service, code string) bool {
	if _, _, ok := m.ErrorStatus(code); ok {
		return true
	}
	for _, sh := range m.Shapes {
		if sh.Exception && sh.Error != nil && sh.Error.Code == code {
			return true
		}
	}
	return false
}

// unavailableError is the answer to a call the store could not serve for
// now: the service's modelled internal error (a 5xx, which the SDKs retry),
// else AWS's common ServiceUnavailable, 503. It says nothing of the store.
func unavailableError(rte *route) *sealbox.Error {
	const msg = "The service is unavailable for a moment. Retry the request."
	if rte.svc.internalModelled {
		return &sealbox.Error{Code: rte.svc.InternalError, Message: msg, Server: true}
	}
	return &sealbox.Error{Code: "ServiceUnavailable", Message: msg, Server: true, Status: http.StatusServiceUnavailable}
}

// record writes the call's audit event.
func (rt *Router) record(ctx context.Context, c *call, payload []byte, apiErr *sealbox.Error) error {
	if rt.cfg.Audit == nil {
		return nil
	}
	rte := c.route
	e := audit.CallEvent(c.req, rte.svc.EventSource, rte.op.Name, rte.op.ReadOnly)
	e.RequestParameters = c.params
	if params, ok := c.params.(map[string]any); ok && len(c.req.AuditParameters) > 0 {
		if !c.paramsOwned {
			merged := make(map[string]any, len(params)+len(c.req.AuditParameters))
			for k, v := range params {
				merged[k] = v
			}
			params = merged
			e.RequestParameters = merged
		}
		for _, p := range c.req.AuditParameters {
			if _, ok := params[p.Name]; !ok { // what the request carried wins
				params[p.Name] = p.Value
			}
		}
	}
	if apiErr != nil {
		e.ErrorCode, e.ErrorMessage = audit.ErrorCode(apiErr.Code), apiErr.Message
	} else if !rte.op.ReadOnly && !rte.op.NoResponseElements && len(payload) > 0 {
		if v, err := jsonvalue.DecodeNames(payload, rte.svc.model.Names()); err == nil {
			e.ResponseElements = rte.svc.model.Redact(rte.out, v)
		}
	}
	if pa, ok := rt.cfg.Audit.(pendingAuditor); ok && c.pending != nil {
		return pa.LogPending(ctx, c.pending, e)
	}
	return rt.cfg.Audit.Log(ctx, e)
}

// pendingAuditor is an Auditor that can hold the events a call records
// beside its own (a batch's reads, the KMS calls made on its behalf) and
// write them with its own, in one group (audit.Logger.LogPending): one
// write before the answer rather than one each.
type pendingAuditor interface {
	LogPending(ctx context.Context, p *audit.Pending, last *audit.Event) error
}

// flushPending writes what the call gathered if its own event was never
// logged (a path that answers without record): nothing recorded is lost.
func (rt *Router) flushPending(ctx context.Context, c *call) {
	if err := rt.cfg.Audit.(pendingAuditor).LogPending(ctx, c.pending, nil); err != nil {
		rt.cfg.Logger.Error("audit failed for events a call recorded", "requestId", c.reqID, "err", err)
	}
}
