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
// alone, always (leader.Always). password, when set, replaces the URL's
// (the store's password file).
func newElector(store, password string, log *slog.Logger) (leader.Elector, error) {
	if !strings.HasPrefix(store, "postgres://") && !strings.HasPrefix(store, "postgresql://") {
		return &leader.Always{}, nil
	}
	e, err := leader.NewPostgres(store, log, clock.Real{})
	if err != nil {
		return nil, err
	}
	if password != "" {
		e.SetPassword(password)
	}
	return e, nil
}

// Leading reports whether this server leads the background work among
// those sharing its store now.
func (s *Server) Leading() bool { return s.elector.Leading() }
