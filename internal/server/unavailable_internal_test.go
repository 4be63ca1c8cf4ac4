package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/server/optable"
	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// failingAudit refuses every event with err.
type failingAudit struct{ err error }

func (a failingAudit) Log(context.Context, *audit.Event) error { return a.err }

// TestAuditInUnavailableStore: an audit trail that fails because the store
// cannot be reached answers the retryable internal error, as the store's
// own failure does; any other audit failure says the call could not be
// recorded.
func TestAuditInUnavailableStore(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		message string
	}{
		{"store unavailable", fmt.Errorf("%w: store: %w", audit.ErrNoSink, store.ErrUnavailable), "The service is unavailable for a moment. Retry the request."},
		{"disk full", fmt.Errorf("%w: file: no space left", audit.ErrNoSink), "The request could not be recorded in the audit log."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := awsapi.NewRouter(awsapi.Config{AccountID: "123456789012", Auth: optabletest.TrustAll{}, Audit: failingAudit{tc.err},
				Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
				Unavailable: func(err error) bool { return errors.Is(err, store.ErrUnavailable) }})
			rt.Register(optable.KMS(kms.New(kms.Config{Store: memstore.New(), Keyring: keyring.New(nil)})))
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"NumberOfBytes":8}`))
			req.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
			w := httptest.NewRecorder()
			rt.ServeHTTP(w, req)
			want := `{"__type":"KMSInternalException","message":"` + tc.message + `"}`
			if w.Code != http.StatusInternalServerError || w.Body.String() != want {
				t.Errorf("GenerateRandom with the audit failing = %d %s, want 500 %s", w.Code, w.Body.String(), want)
			}
		})
	}
}
