package server

import (
	"log/slog"
	"strings"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/leader"
)

// newElector answers the elector for the store the --store value names:
// among the servers sharing a PostgreSQL store, the one holding the
// leader lock (leader.Postgres, on a session of its own, paced by the
// real clock: its timings are the network's); on bbolt, this server
// alone, always (leader.Always).
func newElector(store string, log *slog.Logger) (leader.Elector, error) {
	if strings.HasPrefix(store, "postgres://") || strings.HasPrefix(store, "postgresql://") {
		return leader.NewPostgres(store, log, clock.Real{})
	}
	return &leader.Always{}, nil
}
