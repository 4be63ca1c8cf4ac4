// Package optabletest builds, for tests, the real protocol layer over the
// real services on a memory store, trusting every caller: what fuzzers and
// router benchmarks drive is what follows the signature check.
package optabletest

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

// TrustAll authenticates every request as the account's root.
type TrustAll struct{}

func (TrustAll) VerifyPayload(context.Context, *http.Request, string, string) (*sigv4.Result, error) {
	return &sigv4.Result{Principal: sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::123456789012:root"}, Region: "us-east-1", Service: "kms"}, nil
}

type discard struct{}

func (discard) Log(context.Context, *audit.Event) error { return nil }

// Router is the KMS, SSM, Secrets Manager and Lambda operation tables on a
// router that trusts every caller and audits nowhere.
type Router struct {
	*awsapi.Router
	KMS, SSM, Secrets, Lambda *awsapi.Service
}

// TrustingRouter builds a Router over fresh services on a memory store.
func TrustingRouter() Router {
	st := memstore.New()
	k := kms.New(kms.Config{Store: st, Keyring: keyring.New(nil)})
	ps := parameters.New(parameters.Config{Store: st, KMS: k})
	sm := secrets.New(secrets.Config{Store: st, KMS: k})
	r := Router{
		Router: awsapi.NewRouter(awsapi.Config{AccountID: "123456789012", Auth: TrustAll{}, Audit: discard{},
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}),
		KMS: optable.KMS(k), SSM: optable.SSM(ps), Secrets: optable.Secrets(sm),
		Lambda: optable.Lambda(functions.New(functions.Config{Store: st, KMS: k, Parameters: ps, Secrets: sm})),
	}
	for _, svc := range []*awsapi.Service{r.KMS, r.SSM, r.Secrets, r.Lambda} {
		r.Register(svc)
	}
	return r
}
