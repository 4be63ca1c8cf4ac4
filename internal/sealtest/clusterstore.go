package sealtest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// OpenStore opens the cluster's database through the barrier, as a
// server would (and as 'sealbox audit verify --store' does), for a test
// to read what the servers committed without any server's cache. It is
// closed when the test ends.
func (c *Cluster) OpenStore(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	raw, err := pgstore.Open(ctx, c.Store, pgstore.Options{})
	if err != nil {
		t.Fatalf("open the cluster's store: %v", err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(c.RootKeyFile))
	if err != nil {
		raw.Close()
		t.Fatalf("unseal the cluster's store: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// SerializationFailures counts the transactions PostgreSQL's log shows
// rolled back by a serialization failure or a deadlock so far: each is
// one attempt the store retried.
func (c *Cluster) SerializationFailures(t testing.TB) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.PG.Dir, "log"))
	if err != nil {
		t.Fatalf("read PostgreSQL's log: %v", err)
	}
	return strings.Count(string(b), "could not serialize access") + strings.Count(string(b), "deadlock detected")
}
