package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/functions"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/server/optable"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// trustAll authenticates every request as the administrator: the tests
// that use it measure or check what comes after the signature check.
type trustAll struct{}

func (trustAll) VerifyPayload(context.Context, *http.Request, string, string) (*sigv4.Result, error) {
	return &sigv4.Result{Principal: sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::123456789012:root"}, Region: "us-east-1", Service: "kms"}, nil
}

type discard struct{}

func (discard) Log(context.Context, *audit.Event) error { return nil }

// trustingRouter is the real protocol layer over real services on a memory
// store, trusting every caller (the fuzzers build the same in
// internal/server/optable).
func trustingRouter() *awsapi.Router {
	st := memstore.New()
	k := kms.New(kms.Config{Store: st, Keyring: keyring.New(nil)})
	ps := parameters.New(parameters.Config{Store: st, KMS: k})
	sm := secrets.New(secrets.Config{Store: st, KMS: k})
	rt := awsapi.NewRouter(awsapi.Config{AccountID: "123456789012", Auth: trustAll{}, Audit: discard{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rt.Register(optable.KMS(k))
	rt.Register(optable.SSM(ps))
	rt.Register(optable.Secrets(sm))
	rt.Register(optable.Lambda(functions.New(functions.Config{Store: st, KMS: k, Parameters: ps, Secrets: sm})))
	return rt
}
