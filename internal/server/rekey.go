package server

import (
	"context"
	"path/filepath"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
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
