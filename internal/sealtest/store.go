package sealtest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// EditStore stops the server, runs fn in one transaction over its data
// (through the barrier, as the server reads it) and starts it again on a new
// port. It stands for data an older or a damaged server left behind, which
// the API would refuse to write: a policy today's parser rejects, say.
// Clients made before must be made again (the port changes).
func (s *Server) EditStore(t testing.TB, fn func(tx store.Tx) error) {
	t.Helper()
	s.Stop()
	raw, err := boltstore.Open(filepath.Join(s.Config.DataDir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	ctx := context.Background()
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(s.Config.RootKeyPath()))
	if err != nil {
		raw.Close()
		t.Fatalf("unseal the store: %v", err)
	}
	err = b.Update(ctx, fn)
	if cerr := b.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("edit the store: %v", err)
	}
	s.start()
}
