// Package sealbox holds the vocabulary every other package shares: who is
// calling (Principal), what a call is about (Request), how resources are
// named (ARN) and the one error type that crosses the wire (Error).
//
// It imports the standard library only, so that every package may import it.
package sealbox

import (
	"context"
	"errors"
	"time"
)

// Principal is the authenticated caller of a request.
type Principal struct {
	// Type is CloudTrail's userIdentity type: "Root", "IAMUser" or "AssumedRole".
	Type string
	// ARN is the caller's ARN, e.g. arn:aws:iam::123456789012:root.
	ARN string
	// AccountID is the 12-digit account the caller belongs to.
	AccountID string
	// PrincipalID is the unique id AWS reports for the caller.
	PrincipalID string
	// AccessKeyID is the key the request was signed with.
	AccessKeyID string
	// UserName is set for IAM users.
	UserName string
	// RoleARN and SessionName are set for assumed roles: a policy that names
	// the role (arn:aws:iam::123456789012:role/deploy) matches its sessions.
	RoleARN     string
	SessionName string
	// IdentityProvider is, for a web identity caller (Type
	// "WebIdentityUser", AssumeRoleWithWebIdentity's), the ARN of the IAM
	// OpenID Connect provider that vouched for it: CloudTrail's
	// identityProvider, and what a trust policy's Federated principal names.
	IdentityProvider string
	// Temporary marks credentials from STS (an ASIA… key with a session
	// token), which CloudTrail shows with their session context.
	Temporary bool
}

// Resource is a resource a call touched, as CloudTrail lists it.
type Resource struct {
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
	ARN       string `json:"ARN"`
}

// Request is what the request path learns about one API call before the
// service runs: its id, where it came from, who signed it and for which
// region. Services add the resources they resolved, for the audit event.
//
// A Request belongs to one call and is not safe for concurrent use.
type Request struct {
	ID        string
	Time      time.Time
	Region    string
	Partition string
	AccountID string
	// Service names the service called, as its model does ("kms",
	// "secretsmanager", "iam").
	Service   string
	Principal Principal
	SourceIP  string
	UserAgent string
	// SecureTransport reports whether the request came over TLS.
	SecureTransport bool
	// ViaService names the AWS service that made this call on the caller's
	// behalf ("ssm.us-east-1.amazonaws.com"), empty for direct calls; it is
	// kms:ViaService in policies and invokedBy in the audit event.
	ViaService string
	Resources  []Resource
	// AuditParameters are members a service adds to the requestParameters
	// of the call's audit event, as CloudTrail records them although the
	// request did not carry them (a Decrypt's keyId, resolved from the
	// ciphertext), each name once (SetAuditParameter). Never a value.
	AuditParameters []AuditParameter

	// The first resources and audit parameters a call adds are held here,
	// in the Request (which the router allocates with its call), rather
	// than in slices of their own. A copy of a Request must set Resources
	// and AuditParameters anew (Via does), as it must to not share them.
	resources       [1]Resource
	auditParameters [2]AuditParameter
}

// AuditParameter is a member of a call's recorded requestParameters.
type AuditParameter struct {
	Name  string
	Value any
}

// SetAuditParameter adds a member to the call's recorded requestParameters
// unless the request already carries it; set again, it takes the new
// value.
func (r *Request) SetAuditParameter(name string, v any) {
	if r == nil {
		return
	}
	for i := range r.AuditParameters {
		if r.AuditParameters[i].Name == name {
			r.AuditParameters[i].Value = v
			return
		}
	}
	if r.AuditParameters == nil {
		r.AuditParameters = r.auditParameters[:0]
	}
	r.AuditParameters = append(r.AuditParameters, AuditParameter{name, v})
}

// AddResource records that the call touched the resource arn of type typ.
func (r *Request) AddResource(typ, arn string) {
	if r == nil {
		return
	}
	for _, res := range r.Resources {
		if res.ARN == arn {
			return
		}
	}
	if r.Resources == nil {
		r.Resources = r.resources[:0]
	}
	r.Resources = append(r.Resources, Resource{AccountID: r.AccountID, Type: typ, ARN: arn})
}

// Via returns a copy of r for a call that the AWS service named by prefix
// ("ssm", "secretsmanager") makes on r's caller's behalf: the same caller,
// with ViaService = <prefix>.<region>.amazonaws.com (kms:ViaService in
// policies) and no resources yet, so that the copy records its own.
func (r *Request) Via(prefix string) *Request {
	c := new(Request)
	r.viaInto(c, prefix)
	return c
}

// viaInto makes *c Via's copy of r.
func (r *Request) viaInto(c *Request, prefix string) {
	*c = *r
	c.ViaService = prefix + "." + r.Region + ".amazonaws.com"
	c.Resources, c.AuditParameters = nil, nil
}

// ViaContext is NewContext(ctx, r.Via(prefix)), the copy and its context
// in one allocation: a batch read makes one per secret.
func (r *Request) ViaContext(ctx context.Context, prefix string) context.Context {
	v := new(viaContext)
	r.viaInto(&v.req, prefix)
	v.RequestContext = RequestContext{Context: ctx, Request: &v.req}
	return &v.RequestContext
}

type viaContext struct {
	RequestContext
	req Request
}

type requestKey struct{}

// NewContext returns a context that carries r.
func NewContext(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, r)
}

// RequestContext is the context NewContext returns, for a caller that
// holds it in a struct it allocates anyway (the router's per-call state):
// set Context and Request, then use its address as the call's context.
type RequestContext struct {
	context.Context
	Request *Request
}

// Value returns the Request for NewContext's key, else the parent's value.
func (c *RequestContext) Value(key any) any {
	if key == (requestKey{}) {
		return c.Request
	}
	return c.Context.Value(key)
}

// RequestFromContext returns the call's Request, or nil outside a call.
func RequestFromContext(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// ErrNoRequest is what MustRequest panics with: a service was called with
// a context that carries no Request.
var ErrNoRequest = errors.New("sealbox: a service was called without a Request in its context")

// MustRequest returns the Request of the call ctx belongs to, for the
// services, which learn from it the caller, the account and the region.
//
// Services are reached only through the request path, which always sets a
// Request (background work sets its own), so a context without one is a
// programming error, never a call to answer for a made-up account or
// region: MustRequest panics with ErrNoRequest. Under go test the panic
// fails the test that made the mistake; in production the request path
// recovers it and answers the call with the service's internal error.
func MustRequest(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	if r == nil {
		panic(ErrNoRequest)
	}
	return r
}
