package audit

import (
	"context"
	"errors"
	"strings"
	"unsafe"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
)

// CallEvent is the event of a call req made, before its outcome: the
// caller, when and from where, as CloudTrail records an AwsApiCall.
func CallEvent(req *sealbox.Request, source, name string, readOnly bool) *Event {
	return callEvent(req, source, name, readOnly, req.Resources)
}

// callEvent is CallEvent with the event's resources. Every call makes one
// or more (a BatchGetSecretValue of 10, 11), so it allocates little: the
// event with its session context and its first resource in one piece.
func callEvent(req *sealbox.Request, source, name string, readOnly bool, resources []sealbox.Resource) *Event {
	var e *Event
	var one *[1]ResourceRef // room for the one resource most calls name
	var id *[36]byte        // the event id's text
	if req.Principal.Temporary {
		a := new(struct {
			e  Event
			sc SessionContext
			si SessionIssuer
			r  [1]ResourceRef
			id [36]byte
		})
		e, one, id = &a.e, &a.r, &a.id
		identity(&e.UserIdentity, req.Principal, &a.sc, &a.si)
	} else {
		a := new(struct {
			e  Event
			r  [1]ResourceRef
			id [36]byte
		})
		e, one, id = &a.e, &a.r, &a.id
		identity(&e.UserIdentity, req.Principal, nil, nil)
	}
	e.EventVersion = "1.08"
	e.EventTime = req.Time
	e.EventSource = source
	e.EventName = name
	e.AWSRegion = req.Region
	e.SourceIPAddress = req.SourceIP
	e.UserAgent = req.UserAgent
	e.RequestID = req.ID
	// The id's text is written once, here, and never again: the string
	// can be its bytes, in the event's own allocation.
	ids.UUIDInto(id)
	e.EventID = unsafe.String(&id[0], len(id))
	e.ReadOnly = readOnly
	e.EventType = "AwsApiCall"
	e.ManagementEvent = true
	e.RecipientAccountID = req.AccountID
	e.EventCategory = "Management"
	if req.ViaService != "" {
		// CloudTrail names the service that called on the caller's
		// behalf without its region: "secretsmanager.amazonaws.com".
		svc, _, _ := strings.Cut(req.ViaService, ".")
		e.UserIdentity.InvokedBy = serviceHost(svc)
	}
	switch len(resources) {
	case 0:
	case 1:
		one[0] = ResourceRef(resources[0])
		e.Resources = one[:]
	default:
		e.Resources = make([]ResourceRef, len(resources))
		for i, res := range resources {
			e.Resources[i] = ResourceRef(res)
		}
	}
	return e
}

// serviceHost is svc + ".amazonaws.com", without an allocation for the
// services that call others on a caller's behalf.
func serviceHost(svc string) string {
	switch svc {
	case "secretsmanager":
		return "secretsmanager.amazonaws.com"
	case "ssm":
		return "ssm.amazonaws.com"
	case "lambda":
		return "lambda.amazonaws.com"
	case "kms":
		return "kms.amazonaws.com"
	}
	return svc + ".amazonaws.com"
}

// Identity is CloudTrail's userIdentity for p.
func Identity(p sealbox.Principal) UserIdentity {
	var u UserIdentity
	var sc *SessionContext
	var si *SessionIssuer
	if p.Temporary {
		sc = new(SessionContext)
		if p.RoleARN != "" {
			si = new(SessionIssuer)
		}
	}
	identity(&u, p, sc, si)
	return u
}

// mfaNotAuthenticated is every session context's attributes: shared by
// the events, never changed (SessionContext.Attributes).
var mfaNotAuthenticated = map[string]string{"mfaAuthenticated": "false"}

// identity sets u to p's identity, with sc and si as its session context
// and issuer when p's credentials are temporary.
func identity(u *UserIdentity, p sealbox.Principal, sc *SessionContext, si *SessionIssuer) {
	u.Type = p.Type
	u.PrincipalID = p.PrincipalID
	u.ARN = p.ARN
	u.AccountID = p.AccountID
	u.AccessKeyID = p.AccessKeyID
	u.UserName = p.UserName
	u.IdentityProvider = p.IdentityProvider
	if p.Temporary {
		*sc = SessionContext{Attributes: mfaNotAuthenticated}
		u.SessionContext = sc
		if p.RoleARN != "" {
			roleID, _, _ := strings.Cut(p.PrincipalID, ":")
			*si = SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: p.RoleARN,
				AccountID: p.AccountID, UserName: p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:]}
			sc.SessionIssuer = si
		}
	}
}

var errNoRequest = errors.New("audit: a record outside a call")

// Record logs r as an event of the call in ctx: the same caller, request
// id and time as the call's own event, with its own event id.
func (l *Logger) Record(ctx context.Context, r *sealbox.Record) error {
	req := sealbox.RequestFromContext(ctx)
	if req == nil {
		return errNoRequest
	}
	e := callEvent(req, r.EventSource, r.EventName, r.ReadOnly, r.Resources)
	if r.RequestParameters != nil {
		e.RequestParameters = r.RequestParameters
	} else if r.Params != nil {
		e.RequestParameters = &r.Params // a pointer: boxed without an allocation
	}
	e.ErrorCode, e.ErrorMessage, e.AdditionalData = ErrorCode(r.ErrorCode), r.ErrorMessage, r.AdditionalData
	return l.Log(ctx, e)
}

var _ sealbox.Recorder = (*Logger)(nil)

// ErrorCode is the errorCode CloudTrail records for an API error code: a
// denial is "AccessDenied" whatever the service calls it on the wire, so
// that one filter finds every denied call.
func ErrorCode(code string) string {
	if code == "AccessDeniedException" {
		return "AccessDenied"
	}
	return code
}
