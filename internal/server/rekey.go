package server

import (
	"context"
	"flag"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/operator"
)

// minRekeyPassphrase is the shortest passphrase a rekey accepts: the
// passphrase alone guards the data folder from then on.
const minRekeyPassphrase = 12

// rekeySettings are the settings a rekey may give, named as the server's
// flags; the rest of the configuration is this server's.
var rekeySettings = map[string]bool{
	"root-key-file":         true,
	"pkcs11-module":         true,
	"pkcs11-token-label":    true,
	"pkcs11-slot":           true,
	"pkcs11-key-label":      true,
	"pkcs11-pin-file":       true,
	"pkcs11-generate-key":   true,
	"root-key-kms-key-id":   true,
	"root-key-kms-endpoint": true,
	"root-key-kms-region":   true,
}

// rekeyProvider makes the root-key provider Sealbox.RekeyRootKey asks for:
// its settings are parsed as the server's flags would be (a PKCS#11 PIN
// only from a file on the server), and checked by the same rules.
func (s *Server) rekeyProvider(ctx context.Context, in *operator.RekeyRootKeyInput) (rootkey.Provider, [][]byte, error) {
	invalid := func(format string, args ...any) (rootkey.Provider, [][]byte, error) {
		return nil, nil, sealbox.Errorf("ValidationException", format, args...)
	}
	names := slices.Sorted(maps.Keys(in.Settings))
	for _, name := range names {
		if !rekeySettings[name] {
			return invalid("Setting %q is not a root-key setting; give the new provider's as its server flags are named (root-key-file, pkcs11-*, root-key-kms-*).", name)
		}
	}
	switch in.Provider {
	case config.RootKeyFile:
		if path := in.Settings["root-key-file"]; path == "" || !filepath.IsAbs(path) {
			return invalid("The file provider needs Settings root-key-file: an absolute path on the server, where the new root key is kept (made if missing).")
		}
	case config.RootKeyPassphrase:
		if len(in.Passphrase) < minRekeyPassphrase {
			return invalid("The passphrase provider needs a Passphrase of at least %d characters.", minRekeyPassphrase)
		}
		return rootkey.NewPassphrase([]byte(in.Passphrase)), nil, nil
	case config.RootKeyShamir:
		if in.KeyShares == nil || in.KeyThreshold == nil {
			return invalid("The shamir provider needs KeyShares and KeyThreshold.")
		}
		p, shares, err := rootkey.NewShamir(int(*in.KeyShares), int(*in.KeyThreshold))
		if err != nil {
			return invalid("KeyShares and KeyThreshold: %v.", err)
		}
		return p, shares, nil
	case config.RootKeyPKCS11, config.RootKeyKMS:
	default:
		return invalid("Provider %q is not one a rekey can move to; choose file, passphrase, shamir, pkcs11 or kms.", in.Provider)
	}
	cfg := config.Default()
	fs := flag.NewFlagSet("rekey", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.Bind(fs, func(string) string { return "" }) // nothing from this server's environment
	args := []string{"--root-key=" + in.Provider}
	for _, name := range names {
		args = append(args, "--"+name+"="+in.Settings[name])
	}
	if err := fs.Parse(args); err != nil {
		return invalid("The settings do not parse: %v.", err)
	}
	cfg.AccountID, cfg.DataDir = s.cfg.AccountID, s.cfg.DataDir
	if err := cfg.ValidateRootKey(); err != nil {
		return invalid("%s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	p, err := RootKeyProvider(ctx, cfg, nil)
	if err != nil {
		return invalid("The new root-key provider cannot be used: %v", err)
	}
	return p, nil, nil
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
