package awsapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi/model"
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
}

// Router serves the registered services over HTTP. Register every service
// before serving; after that it is safe for concurrent use.
type Router struct {
	cfg      Config
	byTarget map[string]*route
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
	return &Router{cfg: cfg, byTarget: map[string]*route{}}
}

// Register adds a service. It panics if an operation is not in the service's
// model: the operation table and the model must agree at build time.
func (rt *Router) Register(s *Service) {
	s.model = model.Load(s.Name)
	prefix := s.model.Metadata.TargetPrefix
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
		rt.byTarget[prefix+"."+op.Name] = &route{svc: s, op: op, in: s.model.InputShape(op.Name), out: s.model.OutputShape(op.Name)}
	}
}

// call is the state of one request on its way through the path.
type call struct {
	req    *sealbox.Request
	route  *route
	params any
}

var regionPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := ids.UUID()
	h := w.Header()
	h.Set("x-amzn-RequestId", reqID)
	target := r.Header.Get("X-Amz-Target")
	rte := rt.byTarget[target]
	if r.Method != http.MethodPost || rte == nil {
		rt.writeError(w, nil, &sealbox.Error{Code: "UnknownOperationException", Message: ""})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, rt.cfg.MaxBody+1))
	if err != nil {
		rt.writeError(w, rte.svc.model, &sealbox.Error{Code: "SerializationException", Message: "Failed to read the request body."})
		return
	}
	if int64(len(body)) > rt.cfg.MaxBody {
		rt.writeError(w, rte.svc.model, &sealbox.Error{Code: "RequestEntityTooLargeException", Message: "Request body too large."})
		return
	}
	ctx := r.Context()
	res, err := rt.cfg.Auth.Verify(ctx, r, body, rte.svc.Name)
	if err != nil {
		rt.cfg.Logger.Debug("request not authenticated", "requestId", reqID, "op", rte.op.Name, "err", err)
		rt.writeError(w, rte.svc.model, authErrorJSON(err))
		return
	}
	if res.UnsignedPayload {
		// The body carries the request: it must be covered by the signature.
		rt.writeError(w, rte.svc.model, &sealbox.Error{Code: "InvalidSignatureException", Message: "The request payload must be signed: UNSIGNED-PAYLOAD is not accepted by this service."})
		return
	}
	if !regionPattern.MatchString(res.Region) || len(res.Region) > 32 {
		rt.writeError(w, rte.svc.model, &sealbox.Error{Code: "InvalidSignatureException", Message: "Credential should be scoped to a valid region. "})
		return
	}
	req := &sealbox.Request{
		ID:        reqID,
		Time:      rt.cfg.Clock.Now().UTC(),
		Region:    res.Region,
		Partition: sealbox.PartitionFor(res.Region),
		AccountID: rt.cfg.AccountID,
		Principal: res.Principal,
		SourceIP:  sourceIP(r),
		UserAgent: r.Header.Get("User-Agent"),

		SecureTransport: r.TLS != nil,
	}
	c := &call{req: req, route: rte}
	out, err := rt.invoke(sealbox.NewContext(ctx, req), c, body)
	var payload []byte
	if err == nil {
		payload, err = json.Marshal(out)
		if err != nil {
			err = &sealbox.Error{Code: rte.svc.InternalError, Message: "An internal error occurred.", Server: true}
			payload = nil
		}
	}
	apiErr := rt.apiError(c, err)
	if aerr := rt.record(ctx, c, payload, apiErr); aerr != nil {
		rt.cfg.Logger.Error("audit failed: refusing to answer", "requestId", reqID, "op", rte.op.Name, "err", aerr)
		rt.writeError(w, rte.svc.model, &sealbox.Error{Code: rte.svc.InternalError, Message: "The request could not be recorded in the audit log.", Server: true})
		return
	}
	if apiErr != nil {
		rt.writeError(w, rte.svc.model, apiErr)
		return
	}
	h.Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(payload)
}

// invoke validates the input against the model and calls the service,
// turning a panic into an internal error.
func (rt *Router) invoke(ctx context.Context, c *call, body []byte) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			rt.cfg.Logger.Error("panic serving request", "requestId", c.req.ID, "op", c.route.op.Name, "panic", p, "stack", string(debug.Stack()))
			out, err = nil, errors.New("panic")
		}
	}()
	raw, err := decodeRaw(body)
	if err != nil {
		return nil, errSerialization(err)
	}
	m := c.route.svc.model
	if err := m.Validate(c.route.in, raw); err != nil {
		var se *model.SerializationError
		if errors.As(err, &se) {
			return nil, &sealbox.Error{Code: "SerializationException", Message: se.Message}
		}
		c.params = m.Redact(c.route.in, raw)
		return nil, &sealbox.Error{Code: "ValidationException", Message: err.Error()}
	}
	c.params = m.Redact(c.route.in, raw)
	return c.route.op.call(ctx, body)
}

// decodeRaw decodes a JSON body generically, for validation; an empty body
// is an empty object, as botocore sends for operations without input.
func decodeRaw(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("unexpected data after the JSON value")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, errors.New("the request body must be a JSON object")
	}
	return v, nil
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
	return &sealbox.Error{Code: c.route.svc.InternalError, Message: "An internal error occurred.", Server: true}
}

// record writes the call's audit event.
func (rt *Router) record(ctx context.Context, c *call, payload []byte, apiErr *sealbox.Error) error {
	if rt.cfg.Audit == nil {
		return nil
	}
	rte := c.route
	e := &audit.Event{
		EventVersion:       "1.08",
		UserIdentity:       identity(c.req.Principal),
		EventTime:          c.req.Time,
		EventSource:        rte.svc.EventSource,
		EventName:          rte.op.Name,
		AWSRegion:          c.req.Region,
		SourceIPAddress:    c.req.SourceIP,
		UserAgent:          c.req.UserAgent,
		RequestParameters:  c.params,
		RequestID:          c.req.ID,
		EventID:            ids.UUID(),
		ReadOnly:           rte.op.ReadOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: c.req.AccountID,
		EventCategory:      "Management",
	}
	for _, res := range c.req.Resources {
		e.Resources = append(e.Resources, audit.ResourceRef(res))
	}
	if apiErr != nil {
		e.ErrorCode, e.ErrorMessage = apiErr.Code, apiErr.Message
	} else if !rte.op.ReadOnly && len(payload) > 0 {
		if v, err := decodeRaw(payload); err == nil {
			e.ResponseElements = rte.svc.model.Redact(rte.out, v)
		}
	}
	return rt.cfg.Audit.Log(ctx, e)
}

func identity(p sealbox.Principal) audit.UserIdentity {
	return audit.UserIdentity{
		Type:        p.Type,
		PrincipalID: p.PrincipalID,
		ARN:         p.ARN,
		AccountID:   p.AccountID,
		AccessKeyID: p.AccessKeyID,
		UserName:    p.UserName,
	}
}

func (rt *Router) writeError(w http.ResponseWriter, m *model.Service, e *sealbox.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	st := status(m, e)
	w.WriteHeader(st)
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.Code, e.Message})
	w.Write(b)
}

func sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return strings.TrimPrefix(host, "::ffff:")
}
