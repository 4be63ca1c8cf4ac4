package server

import (
	"context"
	"net/http"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/console"
	"github.com/sealbox/sealbox/internal/ids"
)

// recordSignIn writes a console sign-in's event as CloudTrail writes the
// AWS console's: eventSource signin.amazonaws.com, eventName ConsoleLogin,
// eventType AwsConsoleSignIn, responseElements {"ConsoleLogin": "Success"
// or "Failure"}, and errorMessage "Failed authentication" for a failure.
// The address is the resolved client's (clientaddr).
func (s *Server) recordSignIn(r *http.Request, a console.SignIn) error {
	req := &sealbox.Request{
		ID:        ids.UUID(),
		Time:      s.clock.Now().UTC(),
		Region:    homeRegion,
		Partition: "aws",
		AccountID: s.cfg.AccountID,
		SourceIP:  clientaddr.IP(r),
		UserAgent: r.UserAgent(),
	}
	e := audit.CallEvent(req, "signin.amazonaws.com", "ConsoleLogin", false)
	e.EventType = "AwsConsoleSignIn"
	e.UserIdentity = audit.UserIdentity{Type: "IAMUser", AccountID: s.cfg.AccountID, AccessKeyID: a.AccessKeyID}
	outcome := "Failure"
	if a.OK {
		outcome = "Success"
		e.UserIdentity = signInIdentity(a)
	} else {
		e.ErrorMessage = "Failed authentication"
	}
	e.ResponseElements = map[string]any{"ConsoleLogin": outcome}
	scheme := "http"
	if clientaddr.Secure(r) {
		scheme = "https"
	}
	e.AdditionalData = map[string]any{"LoginTo": scheme + "://" + r.Host + console.Path, "MobileVersion": "No", "MFAUsed": "No"}
	return s.audit.Log(context.WithoutCancel(r.Context()), e)
}

// signInIdentity is the userIdentity of a principal that signed in, from
// what GetCallerIdentity told of it.
func signInIdentity(a console.SignIn) audit.UserIdentity {
	u := audit.UserIdentity{PrincipalID: a.UserID, ARN: a.Principal, AccountID: a.Account, AccessKeyID: a.AccessKeyID}
	_, resource, _ := strings.Cut(a.Principal, ":"+a.Account+":")
	switch {
	case resource == "root":
		u.Type = "Root"
	case strings.HasPrefix(resource, "user/"):
		u.Type, u.UserName = "IAMUser", resource[strings.LastIndexByte(resource, '/')+1:]
	case strings.HasPrefix(resource, "assumed-role/"):
		u.Type = "AssumedRole"
	case strings.HasPrefix(resource, "federated-user/"):
		u.Type = "FederatedUser"
	default:
		u.Type = "Unknown"
	}
	return u
}
