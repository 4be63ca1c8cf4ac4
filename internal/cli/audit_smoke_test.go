package cli_test

import (
	"strings"
	"testing"
	"time"
)

// TestSmokeAuditCLI reads the real binary's audit trail with the aws CLI
// (scripts/smoke-audit-cli.sh: `aws cloudtrail lookup-events` with each
// lookup attribute, a time range, paging and CloudTrail's errors; the trail
// with describe-trails, get-trail and get-trail-status; `sealbox
// audit tail` and `verify`), then stops the server and verifies its trail
// from the files and the store.
func TestSmokeAuditCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	bin := sealboxBinary(t)
	env := append(srv.clientEnv(), "SEALBOX_BIN="+bin, "SEALBOX_DATA="+srv.dataDir)
	runScript(t, 3*time.Minute, env, "bash", scriptPath(t, "smoke-audit-cli.sh"))
	srv.stop(t)
	out := runScript(t, time.Minute, cleanEnv(), bin, "audit", "verify", "--data", srv.dataDir, "--store")
	if strings.Count(out, ": OK") != 3 {
		t.Fatalf("sealbox audit verify --store after the server stopped:\n%s\nwant the store, the files and the files against the store OK", out)
	}
}
