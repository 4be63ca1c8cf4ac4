package functions

import (
	"context"
	"encoding/json"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/lambdarun"
)

// outcome is how an Event invocation ended, for its destination.
type outcome struct {
	t         *target
	inv       *lambdarun.Invocation
	condition string // Success, RetriesExhausted, EventAgeExceeded
	attempts  int
	res       *lambdarun.Result // the last attempt's answer; nil if none ran
}

// invocationRecord is the record Lambda sends a destination, in its
// members and order ("Retaining records of asynchronous invocations").
type invocationRecord struct {
	Version        string           `json:"version"`
	Timestamp      string           `json:"timestamp"`
	RequestContext recordContext    `json:"requestContext"`
	RequestPayload json.RawMessage  `json:"requestPayload"`
	Response       *responseContext `json:"responseContext,omitempty"`
	Answer         json.RawMessage  `json:"responsePayload,omitempty"`
}

type recordContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type responseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// asJSON is a payload as a JSON value: itself when it is JSON, else its
// text as a JSON string; null for none.
func asJSON(b []byte) json.RawMessage {
	switch {
	case len(b) == 0:
		return json.RawMessage("null")
	case json.Valid(b):
		return json.RawMessage(b)
	}
	s, _ := json.Marshal(string(b))
	return s
}

// record is o's invocation record.
func (s *Service) record(o outcome) []byte {
	arn := o.t.arn
	if arn == o.t.fn.ARN {
		arn = qualified(arn, latest) // Lambda names the version invoked
	}
	rec := invocationRecord{Version: "1.0", Timestamp: s.clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: recordContext{RequestID: o.inv.RequestID, FunctionArn: arn, Condition: o.condition, ApproximateInvokeCount: o.attempts},
		RequestPayload: asJSON(o.inv.Payload)}
	if o.res != nil {
		rec.Response = &responseContext{StatusCode: 200, ExecutedVersion: o.t.cfg.Version, FunctionError: o.res.FunctionError}
		rec.Answer = asJSON(o.res.Payload)
	}
	b, _ := json.Marshal(rec) // raw JSON and strings: cannot fail
	return b
}

// deliver sends o's record to destination ("" for none). A function served
// here is invoked asynchronously with it, as the function's execution role
// (which must be allowed lambda:InvokeFunction on it, by its policies or
// the destination's function policy); a queue, topic, bus or bucket is
// not delivered to: sealbox does not serve those services. Either way an
// audit event, AsyncDestination, says what became of it, and a failure is
// logged.
func (s *Service) deliver(ctx context.Context, destination string, o outcome) {
	if destination == "" {
		return
	}
	delivered, why := s.deliverTo(ctx, destination, o)
	attrs := []any{"function", o.t.arn, "request", o.inv.RequestID, "condition", o.condition, "destination", destination}
	if delivered {
		s.log.Info("an Event invocation's record was sent to its destination", attrs...)
	} else {
		s.log.Warn("an Event invocation's record was not delivered to its destination: "+why, attrs...)
	}
	if s.recorder == nil {
		return
	}
	rec := &sealbox.Record{
		EventSource:       lambdaService,
		EventName:         "AsyncDestination",
		RequestParameters: map[string]any{"functionName": o.t.arn, "destination": destination},
		Resources:         []sealbox.Resource{{AccountID: o.t.fn.Account, Type: resourceType, ARN: o.t.fn.ARN}},
		AdditionalData: map[string]any{"invocationRequestId": o.inv.RequestID, "condition": o.condition,
			"delivered": delivered},
	}
	if !delivered {
		rec.ErrorCode, rec.ErrorMessage = "DestinationNotDelivered", why
	}
	own := *sealbox.MustRequest(ctx)
	own.Time = s.clock.Now().UTC()
	if err := s.recorder.Record(sealbox.NewContext(ctx, &own), rec); err != nil {
		s.log.Warn("an Event invocation's destination event was not recorded", "function", o.t.arn, "request", o.inv.RequestID, "error", err)
	}
}

// maxChain is how many functions a chain of destinations may run in a
// row (a destination whose own destination is the first, and so on):
// Lambda's recursive loop detection stops such a loop after 16.
const maxChain = 16

// chainKey carries, in an Event invocation's context, how many
// destinations led to it.
type chainKey struct{}

// deliverTo sends o's record to destination: whether it was, and why not.
func (s *Service) deliverTo(ctx context.Context, destination string, o outcome) (bool, string) {
	a, err := sealbox.ParseARN(destination)
	if err != nil {
		return false, "not an ARN"
	}
	if a.Service != "lambda" {
		return false, "sealbox does not serve " + a.Service + ": records are delivered to Lambda functions only"
	}
	fn, cfg := o.t.fn, o.t.cfg
	if a.Region != fn.Region || a.AccountID != fn.Account {
		return false, "the destination function is not in the function's account and Region"
	}
	if s.sessions == nil || s.runner == nil {
		return false, "this server runs no functions"
	}
	depth, _ := ctx.Value(chainKey{}).(int)
	if depth+1 >= maxChain {
		return false, "a loop of destinations: this record would be the 16th invocation in a row"
	}
	ctx = context.WithValue(ctx, chainKey{}, depth+1)
	// As Lambda does it: as the function's execution role.
	sess, err := s.sessions.RoleSession(ctx, cfg.Role, fn.Name)
	if err != nil {
		return false, "the execution role could not be assumed: " + errorCode(err)
	}
	own := *sealbox.MustRequest(ctx)
	own.Principal = sess.Principal
	own.Time = s.clock.Now().UTC()
	own.Resources, own.AuditParameters = nil, nil
	own.SourceIP, own.UserAgent = lambdaService, lambdaService
	sctx, err := s.sessions.Prepare(sealbox.NewContext(ctx, &own))
	if err != nil {
		return false, "the execution role's session could not be readied: " + errorCode(err)
	}
	ref, err := parseFunction(&own, destination, "")
	if err != nil {
		return false, "not a function ARN"
	}
	t, err := s.access(sctx, "lambda:InvokeFunction", ref, nil)
	if err != nil {
		if isDenied(err) {
			return false, "the execution role may not invoke it (lambda:InvokeFunction)"
		}
		return false, errorCode(err)
	}
	if t.cfg.PackageType == packageImage || !runnable[t.cfg.Runtime] {
		return false, "sealbox does not run the destination's runtime"
	}
	inv := &lambdarun.Invocation{RequestID: ids.UUID(), FunctionARN: t.arn, Payload: s.record(o)}
	if err := s.invokeAsync(sctx, ref, t, s.spec(sctx, t), inv); err != nil {
		return false, errorCode(s.runError(err))
	}
	return true, ""
}
