package server

import (
	"context"
	"time"
)

// AddSweepJob adds a job at the end of s's sweeps, for the tests of the
// sweeper's recovery.
func AddSweepJob(s *Server, name string, run func(ctx context.Context, now time.Time)) {
	s.jobsMu.Lock()
	defer s.jobsMu.Unlock()
	s.jobs = append(s.jobs, sweepJob{name, run})
}
