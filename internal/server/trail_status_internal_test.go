package server

import (
	"testing"

	"github.com/sealbox/sealbox/internal/config"
)

// TestTrailStatusErrorsTellNothingSecret: a sink's error as GetTrailStatus
// answers it names the data folder <data> and carries no credential.
func TestTrailStatusErrorsTellNothingSecret(t *testing.T) {
	ts := trailStatus{&Server{cfg: config.Config{DataDir: "/var/lib/sealbox"}}}
	for in, want := range map[string]string{
		"failed to open audit file: open /var/lib/sealbox/audit/2026-12-07.jsonl: not a directory": "failed to open audit file: open <data>/audit/2026-12-07.jsonl: not a directory",
		"failed to connect to `host=db user=sealbox password=hunter2 database=sealbox`":            "failed to connect to `host=db user=sealbox password=… database=sealbox`",
		"dial postgres://sealbox:hunter2@db:5432/sealbox: refused":                                 "dial postgres://…db:5432/sealbox: refused",
		"syslog: token = abc123; retrying":                                                         "syslog: token = …; retrying",
	} {
		if got := ts.cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
