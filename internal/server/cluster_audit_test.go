package server_test

import (
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// Each server's file trail is its own chain, in its own data folder, and
// the heads it keeps in the shared store to check its files at start are
// its own: two servers whose trails differ restart without either taking
// the other's heads for its own (which read as digests removed and files
// rewritten: tampering).
func TestClusterFileTrailsApart(t *testing.T) {
	c := sealtest.StartCluster(t, 2)
	for range 3 {
		generateRandom(t, c.Servers[0])
	}
	generateRandom(t, c.Servers[1])
	c.Servers[0].Stop() // signs its last lines, keeps its heads
	c.Servers[1].Stop()
	for i, s := range c.Servers {
		s.Restart()
		generateRandom(t, s)
		s.Stop()
		if logs := s.Logs.String(); strings.Contains(logs, "audit trail tampering detected") {
			t.Errorf("server %d found tampering in its own untouched trail:\n%s", i, grepLines(logs, "tampering"))
		}
	}
}
