package server

import (
	"context"
	"path/filepath"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/operator"
)

// minRekeyPassphrase is the shortest passphrase a rekey accepts: the
// passphrase alone guards the data folder from then on.
const minRekeyPassphrase = 12

// rekeyProvider makes the root-key provider Sealbox.RekeyRootKey asks for.
func (s *Server) rekeyProvider(_ context.Context, in *operator.RekeyRootKeyInput) (rootkey.Provider, [][]byte, error) {
	invalid := func(format string, args ...any) (rootkey.Provider, [][]byte, error) {
		return nil, nil, sealbox.Errorf("ValidationException", format, args...)
	}
	switch in.Provider {
	case "file":
		path := in.Settings["root-key-file"]
		if path == "" || !filepath.IsAbs(path) {
			return invalid("The file provider needs Settings root-key-file: an absolute path on the server, where the new root key is kept (made if missing).")
		}
		return rootkey.NewFile(path), nil, nil
	case "passphrase":
		if len(in.Passphrase) < minRekeyPassphrase {
			return invalid("The passphrase provider needs a Passphrase of at least %d characters.", minRekeyPassphrase)
		}
		return rootkey.NewPassphrase([]byte(in.Passphrase)), nil, nil
	}
	return invalid("Provider %q is not one a rekey can move to; choose file or passphrase.", in.Provider)
}

// recordRewrap records a barrier rewrap's end as a service event of
// sealbox's own (AwsServiceEvent, eventSource sealbox, in the home
// region), with the counts and the outcome as its details.
func (s *Server) recordRewrap(ctx context.Context, st operator.RewrapStatus) error {
	const internal = "sealbox"
	details := map[string]any{"term": st.Term, "state": st.State, "scanned": st.Scanned, "rewrapped": st.Rewrapped}
	if st.Error != "" {
		details["errorMessage"] = st.Error
	}
	return s.audit.Log(ctx, &audit.Event{
		EventVersion:        "1.08",
		UserIdentity:        audit.UserIdentity{Type: "AWSService", AccountID: s.cfg.AccountID, InvokedBy: internal},
		EventTime:           s.clock.Now().UTC(),
		EventSource:         "sealbox",
		EventName:           "RewrapBarrierKeys",
		AWSRegion:           homeRegion,
		SourceIPAddress:     internal,
		UserAgent:           internal,
		RequestID:           ids.UUID(),
		EventID:             ids.UUID(),
		EventType:           "AwsServiceEvent",
		ManagementEvent:     true,
		RecipientAccountID:  s.cfg.AccountID,
		EventCategory:       "Management",
		ServiceEventDetails: details,
	})
}
