package server

import (
	"context"
	"net/http"

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
// A success names the key's principal as every call's event does (the
// identity store's, as the signature check found it); the address is the
// resolved client's (clientaddr).
func (s *Server) recordSignIn(r *http.Request, a console.SignIn) error {
	ctx := context.WithoutCancel(r.Context())
	who := sealbox.Principal{Type: "IAMUser", AccountID: s.cfg.AccountID, AccessKeyID: a.AccessKeyID}
	if a.OK {
		k, err := s.ids.LookupAccessKey(ctx, a.AccessKeyID)
		if err != nil {
			return err // gone since it signed: no session without its event
		}
		who = k.Principal
	}
	e := audit.CallEvent(s.serverRequest(who, clientaddr.IP(r), r.UserAgent()), "signin.amazonaws.com", "ConsoleLogin", false)
	e.EventType = "AwsConsoleSignIn"
	outcome := "Failure"
	if a.OK {
		outcome = "Success"
	} else {
		e.ErrorMessage = "Failed authentication"
	}
	e.ResponseElements = map[string]any{"ConsoleLogin": outcome}
	scheme := "http"
	if clientaddr.Secure(r) {
		scheme = "https"
	}
	e.AdditionalData = map[string]any{"LoginTo": scheme + "://" + r.Host + console.Path, "MobileVersion": "No", "MFAUsed": "No"}
	return s.audit.Log(ctx, e)
}

// serverRequest is the Request of an event the server records outside an
// API call (an operator's call, a console sign-in, a command's change):
// its own id and time, the home region, who and from where.
func (s *Server) serverRequest(who sealbox.Principal, sourceIP, userAgent string) *sealbox.Request {
	return &sealbox.Request{
		ID:        ids.UUID(),
		Time:      s.clock.Now().UTC(),
		Region:    homeRegion,
		Partition: "aws",
		AccountID: s.cfg.AccountID,
		Principal: who,
		SourceIP:  sourceIP,
		UserAgent: userAgent,
	}
}
