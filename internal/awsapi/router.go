package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/sigv4"
)

// Authenticator verifies a request's signature and says who signed it.
type Authenticator interface {
	Verify(ctx context.Context, r *http.Request, body []byte, service string) (*sigv4.Result, error)
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
	// MaxBody bounds a request body; 0 means 1 MiB (the largest AWS JSON
	// request sealbox serves is well under it).
	MaxBody int64
	// Prepare, when set, runs before each call's operation with the call's
	// context and returns the context the operation gets (the authorizer
	// reads the caller's policies there, outside any transaction).
	Prepare func(context.Context) (context.Context, error)
}

// Router serves the registered services over HTTP. Register every service
// before serving; after that it is safe for concurrent use.
type Router struct {
	cfg      Config
	byTarget map[string]*route // JSON 1.1: "TrentService.Encrypt"
	byAction map[string]*route // Query: "CreateRole", "AssumeRole"
	rest     []*restService    // REST-JSON (Lambda): by method and path
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
	return &Router{cfg: cfg, byTarget: map[string]*route{}, byAction: map[string]*route{}}
}

// Register adds a service. It panics if an operation is not in the service's
// model, or its Go types do not match the model: the operation table and the
// model must agree at build time.
func (rt *Router) Register(s *Service) {
	s.model = model.Load(s.Name)
	s.query = s.model.Metadata.Protocol == "query"
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
		if problems := checkShape(s.model, op.in, s.model.InputShape(op.Name), op.Name+" input"); len(problems) > 0 {
			panic("awsapi: " + s.Name + " does not match its model: " + strings.Join(problems, "; "))
		}
		if problems := checkShape(s.model, op.out, s.model.OutputShape(op.Name), op.Name+" output"); len(problems) > 0 {
			panic("awsapi: " + s.Name + " does not match its model: " + strings.Join(problems, "; "))
		}
		op.bind = binderFor(op.in)
		rte := &route{svc: s, op: op, in: s.model.InputShape(op.Name), out: s.model.OutputShape(op.Name)}
		switch {
		case rs != nil:
			rs.byName[op.Name] = rte
		case s.query:
			if prev := rt.byAction[op.Name]; prev != nil {
				panic("awsapi: Query action " + op.Name + " served by both " + prev.svc.Name + " and " + s.Name)
			}
			rt.byAction[op.Name] = rte
		default:
			rt.byTarget[s.model.Metadata.TargetPrefix+"."+op.Name] = rte
		}
	}
}

// call is the state of one request on its way through the path.
type call struct {
	req    *sealbox.Request
	route  *route
	params any
}

var regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// ServeHTTP walks one request down the path: find the operation, read the
// body, authenticate, decode and validate the input, call the service,
// record the audit event, answer. The three protocols differ only in how
// the operation and input are found and how answers are written: AWS JSON
// names the operation in X-Amz-Target, AWS Query in Action (both at "/"),
// REST-JSON in the method and path.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := ids.UUID()
	w.Header().Set("x-amzn-RequestId", reqID)
	if r.Header.Get("X-Amz-Target") == "" && r.URL.Path != "/" && len(rt.rest) > 0 {
		rt.serveREST(w, r, reqID)
		return
	}
	if query.IsQuery(r) {
		rt.serveQuery(w, r, reqID)
		return
	}
	rte := rt.byTarget[r.Header.Get("X-Amz-Target")]
	if r.Method != http.MethodPost || rte == nil {
		writeJSONError(w, nil, &sealbox.Error{Code: "UnknownOperationException"})
		return
	}
	body, apiErr := rt.readBody(r)
	if apiErr != nil {
		writeJSONError(w, rte.svc.model, apiErr)
		return
	}
	req, apiErr := rt.authenticate(r, body, rte, reqID)
	if apiErr != nil {
		writeJSONError(w, rte.svc.model, apiErr)
		return
	}
	c := &call{req: req, route: rte}
	raw, err := jsonvalue.DecodeObject(body)
	var out any
	if err != nil {
		err = errSerialization(err)
	} else {
		out, err = rt.invoke(sealbox.NewContext(r.Context(), req), c, raw)
	}
	payload, apiErr := rt.finish(r.Context(), c, out, err)
	if apiErr != nil {
		writeJSONError(w, rte.svc.model, apiErr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(payload)
}

// serveQuery serves an AWS Query request (IAM, STS).
func (rt *Router) serveQuery(w http.ResponseWriter, r *http.Request, reqID string) {
	body, apiErr := rt.readBody(r)
	if apiErr != nil {
		query.EncodeError(w, nil, 0, queryCode(apiErr), apiErr.Message, reqID, !apiErr.Server)
		return
	}
	action, _, form, err := query.ParseRequest(r, body)
	if err != nil {
		e, _ := sealbox.AsError(err)
		query.EncodeError(w, nil, e.Status, e.Code, e.Message, reqID, true)
		return
	}
	rte := rt.byAction[action]
	if rte == nil {
		query.EncodeError(w, nil, http.StatusBadRequest, "InvalidAction", "Could not find operation "+action+" for version NO_VERSION_SPECIFIED", reqID, true)
		return
	}
	m := rte.svc.model
	req, apiErr := rt.authenticate(r, body, rte, reqID)
	if apiErr != nil {
		writeQueryError(w, rte, apiErr, reqID)
		return
	}
	c := &call{req: req, route: rte}
	var out any
	raw, err := query.Decode(form, m, rte.in)
	if err == nil {
		out, err = rt.invoke(sealbox.NewContext(r.Context(), req), c, raw)
	}
	if _, apiErr := rt.finish(r.Context(), c, out, err); apiErr != nil {
		writeQueryError(w, rte, apiErr, reqID)
		return
	}
	var buf bytes.Buffer
	if err := query.Encode(&buf, m, rte.op.Name, rte.out, out, reqID); err != nil {
		rt.cfg.Logger.Error("failed to encode answer", "requestId", reqID, "op", rte.op.Name, "err", err)
		writeQueryError(w, rte, internalError(rte), reqID)
		return
	}
	w.Header().Set("Content-Type", query.ContentType)
	w.Write(buf.Bytes())
}

// serveREST serves an AWS REST-JSON request (Lambda): the operation is the
// one whose method and URI template match, its input is gathered from the
// labels, query, headers and body into the shape an AWS JSON request of it
// has, and from there the path is the shared one.
func (rt *Router) serveREST(w http.ResponseWriter, r *http.Request, reqID string) {
	var rs *restService
	var rte *route
	var labels map[string]string
	for _, s := range rt.rest {
		// RequestURI, not URL.Path: a label may hold an escaped slash.
		if op, l, ok := s.table.Match(r.Method, r.URL.RequestURI()); ok {
			rs, rte, labels = s, s.byName[op], l
			break
		}
	}
	if rte == nil {
		var m *model.Service
		if rs != nil {
			m = rs.svc.model
		}
		restjson.EncodeError(w, m, http.StatusNotFound, "UnknownOperationException", "", reqID)
		return
	}
	m := rs.svc.model
	body, apiErr := rt.readBodyMax(r, rs.svc.MaxBody)
	if apiErr != nil {
		if apiErr.Code == "RequestEntityTooLargeException" && rs.svc.TooLarge != "" {
			apiErr.Code, apiErr.Message = rs.svc.TooLarge, fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", rs.svc.MaxBody+1, rte.op.Name)
		}
		writeRESTError(w, m, apiErr, reqID)
		return
	}
	req, apiErr := rt.authenticate(r, body, rte, reqID)
	if apiErr != nil {
		writeRESTError(w, m, apiErr, reqID)
		return
	}
	c := &call{req: req, route: rte}
	var out any
	raw, err := restjson.Decode(r, body, m, rte.in, labels)
	if err == nil {
		out, err = rt.invoke(sealbox.NewContext(r.Context(), req), c, raw)
	}
	if _, apiErr := rt.finish(r.Context(), c, out, err); apiErr != nil {
		writeRESTError(w, m, apiErr, reqID)
		return
	}
	if err := restjson.Encode(w, m, rte.op.Name, rte.out, out, reqID); err != nil {
		rt.cfg.Logger.Error("failed to encode answer", "requestId", reqID, "op", rte.op.Name, "err", err)
		writeRESTError(w, m, internalError(rte), reqID)
	}
}

// writeRESTError writes the REST-JSON error shape, with the status the
// error carries or the one REST-JSON gives its code (a refused signature
// is 403 there).
func writeRESTError(w http.ResponseWriter, m *model.Service, e *sealbox.Error, reqID string) {
	restjson.EncodeError(w, m, e.Status, e.Code, e.Message, reqID)
}

func (rt *Router) readBody(r *http.Request) ([]byte, *sealbox.Error) {
	return rt.readBodyMax(r, 0)
}

// readBodyMax reads the body up to max bytes (0: the router's MaxBody).
func (rt *Router) readBodyMax(r *http.Request, max int64) ([]byte, *sealbox.Error) {
	if max == 0 {
		max = rt.cfg.MaxBody
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &sealbox.Error{Code: "SerializationException", Message: "Failed to read the request body."}
	}
	if int64(len(body)) > max {
		return nil, &sealbox.Error{Code: "RequestEntityTooLargeException", Message: "Request body too large."}
	}
	return body, nil
}

// authenticate verifies the signature and makes the call's Request.
func (rt *Router) authenticate(r *http.Request, body []byte, rte *route, reqID string) (*sealbox.Request, *sealbox.Error) {
	res, err := rt.cfg.Auth.Verify(r.Context(), r, body, rte.svc.Name)
	if err != nil {
		rt.cfg.Logger.Debug("request not authenticated", "requestId", reqID, "op", rte.op.Name, "err", err)
		return nil, authError(err)
	}
	if res.UnsignedPayload {
		// The body carries the request: it must be covered by the signature.
		return nil, &sealbox.Error{Code: "InvalidSignatureException", Message: "The request payload must be signed: UNSIGNED-PAYLOAD is not accepted by this service."}
	}
	if !regionPattern.MatchString(res.Region) || len(res.Region) > 32 {
		return nil, &sealbox.Error{Code: "InvalidSignatureException", Message: "Credential should be scoped to a valid region. "}
	}
	return &sealbox.Request{
		ID:        reqID,
		Time:      rt.cfg.Clock.Now().UTC(),
		Region:    res.Region,
		Partition: sealbox.PartitionFor(res.Region),
		AccountID: rt.cfg.AccountID,
		Principal: res.Principal,
		SourceIP:  sourceIP(r),
		UserAgent: r.Header.Get("User-Agent"),

		SecureTransport: r.TLS != nil,
	}, nil
}

// finish turns the service's result into the answer's JSON payload or the
// error to send, and records the audit event; no event, no answer.
func (rt *Router) finish(ctx context.Context, c *call, out any, err error) ([]byte, *sealbox.Error) {
	var payload []byte
	if err == nil {
		if payload, err = json.Marshal(out); err != nil {
			payload = nil
		}
	}
	apiErr := rt.apiError(c, err)
	if aerr := rt.record(ctx, c, payload, apiErr); aerr != nil {
		rt.cfg.Logger.Error("audit failed: refusing to answer", "requestId", c.req.ID, "op", c.route.op.Name, "err", aerr)
		return nil, auditUnavailable(c.route)
	}
	return payload, apiErr
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
	if err := m.Validate(c.route.in, raw); err != nil {
		var se *model.SerializationError
		if errors.As(err, &se) {
			return nil, &sealbox.Error{Code: "SerializationException", Message: se.Message}
		}
		return nil, &sealbox.Error{Code: "ValidationException", Message: err.Error()}
	}
	if rt.cfg.Prepare != nil {
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
	rt.cfg.Logger.Error("internal error", "requestId", c.req.ID, "op", c.route.op.Name, "err", err)
	return internalError(c.route)
}

func internalError(rte *route) *sealbox.Error {
	return &sealbox.Error{Code: rte.svc.InternalError, Message: "An internal error occurred.", Server: true}
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
		merged := make(map[string]any, len(params)+len(c.req.AuditParameters))
		for k, v := range c.req.AuditParameters {
			merged[k] = v
		}
		for k, v := range params {
			merged[k] = v // what the request carried wins
		}
		e.RequestParameters = merged
	}
	if apiErr != nil {
		e.ErrorCode, e.ErrorMessage = audit.ErrorCode(apiErr.Code), apiErr.Message
	} else if !rte.op.ReadOnly && len(payload) > 0 {
		if v, err := jsonvalue.Decode(payload); err == nil {
			e.ResponseElements = rte.svc.model.Redact(rte.out, v)
		}
	}
	return rt.cfg.Audit.Log(ctx, e)
}

// writeJSONError writes the AWS JSON error shape.
func writeJSONError(w http.ResponseWriter, m *model.Service, e *sealbox.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status(m, e))
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.Code, e.Message})
	w.Write(b)
}

// writeQueryError writes the AWS Query error shape, with the Query names of
// the errors every protocol shares.
func writeQueryError(w http.ResponseWriter, rte *route, e *sealbox.Error, reqID string) {
	code := queryCode(e)
	st := e.Status
	if st == 0 {
		if s, ok := query.Status(rte.svc.model, code); ok {
			st = s
		}
	}
	query.EncodeError(w, rte.svc.model, st, code, e.Message, reqID, !e.Server)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return strings.TrimPrefix(host, "::ffff:")
}
