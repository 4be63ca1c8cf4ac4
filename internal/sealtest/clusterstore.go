package sealtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

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
