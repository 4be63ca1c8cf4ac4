package server

import (
	"context"
	"net/http"

	"github.com/sealbox/sealbox"
)

// SealServerAction is the IAM action Sealbox.SealServer needs, on resource
// "*". AdministratorAccess has it.
const SealServerAction = "sealbox:SealServer"

// sealServerTarget is SealServer's X-Amz-Target.
const sealServerTarget = "Sealbox.SealServer"

// SealServerInput is Sealbox.SealServer's input: nothing.
type SealServerInput struct{}

// SealServerOutput is Sealbox.SealServer's output.
type SealServerOutput struct {
	Sealed bool
}

// operatorAPI is the operator's signed operations of sealbox's own
// service: the unsigned ones (init, unseal, seal-status) are plain HTTP
// (operator.go), since before the unseal no signature can be checked.
type operatorAPI struct{ s *Server }

// sealAskKey is the context key of a SealServer call's *sealAsk.
type sealAskKey struct{}

// sealAsk is set by SealServer once the caller is allowed: the server seals
// after the router has recorded the call and written its answer, and before
// that answer leaves (serveAPI), so that the event is on the trail before
// the key is dropped.
type sealAsk struct{ allowed bool }

// SealServer seals the server (see Server.seal): it asks the caller for
// sealbox:SealServer on "*", and only a server whose root key is shamir's
// may be sealed (any other would need a restart to unseal).
func (a *operatorAPI) SealServer(ctx context.Context, _ *SealServerInput) (*SealServerOutput, error) {
	if err := a.s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: SealServerAction, Resource: "*"}); err != nil {
		return nil, err
	}
	if a.s.cfg.RootKey != "shamir" {
		return nil, &sealbox.Error{Code: "ValidationException", Status: http.StatusBadRequest,
			Message: "This server's root-key provider is " + a.s.cfg.RootKey + ": it unseals only at start, so it cannot be sealed. Only a server started with --root-key shamir can be."}
	}
	ask, _ := ctx.Value(sealAskKey{}).(*sealAsk)
	if ask == nil {
		return nil, &sealbox.Error{Code: "InternalFailure", Message: "An internal error occurred.", Server: true}
	}
	ask.allowed = true
	return &SealServerOutput{Sealed: true}, nil
}
