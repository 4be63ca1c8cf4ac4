package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

// --node-id names a server's file trail on its first start on PostgreSQL
// and is kept in <data>/node-id; a later start under another name is
// refused, since the trail's heads in the store are under the first.
func TestNodeIDKeptWithTheDataFolder(t *testing.T) {
	c := sealtest.StartCluster(t, 1, func(cfg *config.Config) { cfg.NodeID = "web-1" })
	s := c.Servers[0]
	b, err := os.ReadFile(filepath.Join(s.Config.DataDir, server.NodeIDFileName))
	if err != nil || strings.TrimSpace(string(b)) != "web-1" {
		t.Fatalf("<data>/node-id = %q, %v; want web-1", b, err)
	}
	s.Stop()

	cfg := s.Config
	cfg.NodeID = "web-2"
	if srv, err := server.Open(context.Background(), cfg, server.Options{}); err == nil {
		srv.Close()
		t.Fatal("a start under another --node-id than the data folder's was accepted")
	} else if !strings.Contains(err.Error(), `--node-id "web-2" differs`) || !strings.Contains(err.Error(), `"web-1"`) {
		t.Fatalf("a start under another --node-id: %v; want the two names and the fix", err)
	}
	// The same name, or none, starts.
	for _, id := range []string{"web-1", ""} {
		cfg.NodeID = id
		srv, err := server.Open(context.Background(), cfg, server.Options{})
		if err != nil {
			t.Fatalf("a start with --node-id %q: %v", id, err)
		}
		srv.Close()
	}
	cfg.NodeID = "a/b"
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--node-id") {
		t.Fatalf("Validate with a slash in --node-id = %v, want an error naming it", err)
	}
}
