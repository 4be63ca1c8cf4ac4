package awsapi

import (
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/metrics"
)

// Outcomes of a call, as sealbox_requests_total's outcome label names them.
const (
	outcomeOK = iota
	outcomeClient
	outcomeServer
	outcomes
)

var outcomeNames = [outcomes]string{"ok", "client_error", "server_error"}

// opMetrics are one operation's counters, laid out when its service is
// registered: the request path only adds to them.
type opMetrics struct {
	calls   [outcomes]atomic.Uint64
	denied  atomic.Uint64 // answered AccessDenied(Exception)
	latency metrics.Histogram
	// errors count the errors answered by code: errors[i] is
	// svc.errorCodes[i]'s, the last any other code's. nil for unknown.
	errors []atomic.Uint64
}

// errorCodes are the codes a service's calls may answer, as the wire
// names them: its model's errors, the errors every service shares in its
// protocol, its internal error and ServiceUnavailable. Sorted: the index
// of sealbox_request_errors_total's code label.
func errorCodes(s *Service) []string {
	var codes []string
	for name, sh := range s.model.Shapes {
		if !sh.Exception {
			continue
		}
		if sh.Error != nil && sh.Error.Code != "" {
			name = sh.Error.Code
		}
		codes = append(codes, name)
	}
	for code := range commonStatus {
		codes = append(codes, wireCode(s, code))
	}
	codes = append(codes, s.InternalError, "ServiceUnavailable", "InvalidAction")
	if s.TooLarge != "" {
		codes = append(codes, s.TooLarge)
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

// wireCode is code as s's protocol answers it (Query names the shared
// errors its own way).
func wireCode(s *Service, code string) string {
	if s.query {
		if q, ok := queryNames[code]; ok {
			return q.code
		}
	}
	return code
}

// observe counts a call that took d and ended with e (nil: success).
func (m *opMetrics) observe(svc *Service, e *sealbox.Error, status int, d time.Duration) {
	o := outcomeOK
	switch {
	case e == nil:
	case e.Server || status >= 500:
		o = outcomeServer
	default:
		o = outcomeClient
		if e.Code == "AccessDeniedException" || e.Code == "AccessDenied" {
			m.denied.Add(1)
		}
	}
	if e != nil && m.errors != nil {
		i, ok := slices.BinarySearch(svc.errorCodes, wireCode(svc, e.Code))
		if !ok {
			i = len(svc.errorCodes)
		}
		m.errors[i].Add(1)
	}
	m.calls[o].Add(1)
	m.latency.Observe(d)
}

// WriteMetrics writes the router's counters in Prometheus' text format:
// sealbox_requests_total{service,operation,outcome},
// sealbox_request_duration_seconds{service,operation} and
// sealbox_authz_denials_total{service,operation}. The labels are the
// registered services' and operations' names, never the request's words:
// a request for no served operation counts as service and operation
// "unknown". An operation not called since the start has no samples.
func (rt *Router) WriteMetrics(w io.Writer) {
	type row struct {
		labels string
		m      *opMetrics
		svc    *Service
	}
	rows := make([]row, 0, len(rt.routes)+1)
	if rt.unknown.latency.Count() > 0 {
		rows = append(rows, row{metrics.Labels("service", "unknown", "operation", "unknown"), &rt.unknown, nil})
	}
	for _, r := range rt.routes {
		if r.metrics.latency.Count() > 0 {
			rows = append(rows, row{metrics.Labels("service", r.svc.Name, "operation", r.op.Name), &r.metrics, r.svc})
		}
	}
	const calls, seconds, denials, errs = "sealbox_requests_total", "sealbox_request_duration_seconds", "sealbox_authz_denials_total", "sealbox_request_errors_total"
	metrics.Header(w, calls, "counter", "AWS API calls answered, by service, operation and outcome (ok, client_error: a 4xx, server_error: a 5xx).")
	for _, r := range rows {
		for o := range outcomes {
			if n := r.m.calls[o].Load(); n > 0 {
				metrics.Value(w, calls, r.labels+`,outcome="`+outcomeNames[o]+`"`, n)
			}
		}
	}
	metrics.Header(w, errs, "counter", "AWS API errors answered, by service, operation and code: the service's modelled and common codes, \"other\" for any else.")
	for _, r := range rows {
		for i := range r.m.errors {
			if n := r.m.errors[i].Load(); n > 0 {
				code := "other"
				if i < len(r.svc.errorCodes) {
					code = r.svc.errorCodes[i]
				}
				metrics.Value(w, errs, r.labels+`,code="`+code+`"`, n)
			}
		}
	}
	metrics.Header(w, denials, "counter", "AWS API calls answered AccessDenied: the authorizer refused the caller.")
	for _, r := range rows {
		if n := r.m.denied.Load(); n > 0 {
			metrics.Value(w, denials, r.labels, n)
		}
	}
	metrics.Header(w, seconds, "histogram", "Time from a call's arrival to its answer's last byte handed to the connection.")
	for _, r := range rows {
		metrics.WriteHistogram(w, seconds, r.labels, &r.m.latency)
	}
}

// statusOf is the HTTP status e is answered with by the call's protocol,
// for counting: 5xx or not.
func statusOf(c *call, e *sealbox.Error) int {
	if e == nil {
		return http.StatusOK
	}
	return status(c.model(), e)
}
