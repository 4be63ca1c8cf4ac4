package server_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/server"
)

// metric answers the line of GET /metrics that starts with series.
func metric(t *testing.T, s *sealtest.Server, series string) string {
	t.Helper()
	body := s.Metrics(t)
	for line := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(line, series+" ") {
			return line
		}
	}
	t.Fatalf("GET /metrics lacks %s:\n%s", series, body)
	return ""
}

// TestBackgroundPanicIsRecovered: a sweep job with a bug (it calls a
// service with a context that carries no Request, so sealbox.MustRequest
// panics) used to kill the server, the panic being on the sweeper's
// goroutine with no recover. Now the panic is logged with the job's name
// and stack, counted at GET /metrics, and the server carries on: it
// answers, the sweep completes, and the next sweep runs the job again.
func TestBackgroundPanicIsRecovered(t *testing.T) {
	s := sealtest.Start(t)
	s.ExpectBackgroundPanics()
	var runs atomic.Int32
	server.AddSweepJob(s.Srv, "buggy job", func(ctx context.Context, _ time.Time) {
		runs.Add(1)
		s.Srv.Secrets().DeleteSecret(ctx, &secrets.DeleteSecretRequest{SecretId: "any"})
	})
	s.Clock.Advance(s.Config.SweepInterval)
	s.WaitSweep()
	if runs.Load() != 1 {
		t.Fatalf("the job ran %d times in a sweep, want 1", runs.Load())
	}
	sealtest.Must[*secretsmanager.ListSecretsOutput](t, "ListSecrets after the panic")(s.SecretsManager().ListSecrets(ctx, &secretsmanager.ListSecretsInput{}))
	logs := s.Logs.String()
	if !strings.Contains(logs, `level=ERROR msg="background job panicked; it runs again on its next turn" job="buggy job"`) ||
		!strings.Contains(logs, sealbox.ErrNoRequest.Error()) || !strings.Contains(logs, "goroutine ") {
		t.Fatalf("the panic was not logged with the job's name, the panic and the stack:\n%s", logs)
	}
	if got, want := metric(t, s, `sealbox_background_panics_total{job="buggy job"}`), `sealbox_background_panics_total{job="buggy job"} 1`; got != want {
		t.Fatalf("metric = %q, want %q", got, want)
	}
	if got, want := metric(t, s, `sealbox_background_panics_total{job="secret deletions and rotations"}`), `sealbox_background_panics_total{job="secret deletions and rotations"} 0`; got != want {
		t.Fatalf("metric = %q, want %q", got, want)
	}

	s.Clock.Advance(s.Config.SweepInterval)
	s.WaitSweep()
	if runs.Load() != 2 || s.Srv.BackgroundPanics() != 2 {
		t.Fatalf("after the next sweep: %d runs, %d panics; want 2 and 2", runs.Load(), s.Srv.BackgroundPanics())
	}
}
