package audit

import (
	"context"
	"errors"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
)

// CallEvent is the event of a call req made, before its outcome: the
// caller, when and from where, as CloudTrail records an AwsApiCall.
func CallEvent(req *sealbox.Request, source, name string, readOnly bool) *Event {
	e := &Event{
		EventVersion:       "1.08",
		UserIdentity:       Identity(req.Principal),
		EventTime:          req.Time,
		EventSource:        source,
		EventName:          name,
		AWSRegion:          req.Region,
		SourceIPAddress:    req.SourceIP,
		UserAgent:          req.UserAgent,
		RequestID:          req.ID,
		EventID:            ids.UUID(),
		ReadOnly:           readOnly,
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: req.AccountID,
		EventCategory:      "Management",
	}
	if req.ViaService != "" {
		// CloudTrail names the service that called on the caller's
		// behalf without its region: "secretsmanager.amazonaws.com".
		svc, _, _ := strings.Cut(req.ViaService, ".")
		e.UserIdentity.InvokedBy = svc + ".amazonaws.com"
	}
	for _, res := range req.Resources {
		e.Resources = append(e.Resources, ResourceRef(res))
	}
	return e
}

// Identity is CloudTrail's userIdentity for p.
func Identity(p sealbox.Principal) UserIdentity {
	u := UserIdentity{
		Type:        p.Type,
		PrincipalID: p.PrincipalID,
		ARN:         p.ARN,
		AccountID:   p.AccountID,
		AccessKeyID: p.AccessKeyID,
		UserName:    p.UserName,
	}
	if p.Temporary {
		u.SessionContext = &SessionContext{Attributes: map[string]string{"mfaAuthenticated": "false"}}
		if p.RoleARN != "" {
			roleID, _, _ := strings.Cut(p.PrincipalID, ":")
			u.SessionContext.SessionIssuer = &SessionIssuer{Type: "Role", PrincipalID: roleID, ARN: p.RoleARN,
				AccountID: p.AccountID, UserName: p.RoleARN[strings.LastIndexByte(p.RoleARN, '/')+1:]}
		}
	}
	return u
}

var errNoRequest = errors.New("audit: a record outside a call")

// Record logs r as an event of the call in ctx: the same caller, request
// id and time as the call's own event, with its own event id.
func (l *Logger) Record(ctx context.Context, r *sealbox.Record) error {
	req := sealbox.RequestFromContext(ctx)
	if req == nil {
		return errNoRequest
	}
	e := CallEvent(req, r.EventSource, r.EventName, r.ReadOnly)
	e.Resources = nil
	for _, res := range r.Resources {
		e.Resources = append(e.Resources, ResourceRef(res))
	}
	if r.RequestParameters != nil {
		e.RequestParameters = r.RequestParameters
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
