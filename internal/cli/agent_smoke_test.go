package cli_test

import (
	"os/exec"
	"testing"
	"time"
)

// TestSmokeAgent runs `sealbox agent` as Lambda runs the Parameters and
// Secrets extension, against the real binary of the server, with
// scripts/smoke-agent.sh: started as a function's execution role (its
// session token is the agent's token), the documented requests and errors
// by curl, the function's own urllib code (scripts/smoke_agent.py), a
// rotation reaching the function through the change feed, SIGTERM.
func TestSmokeAgent(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	for _, tool := range []string{"python3", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the agent smoke test needs %s on PATH: %v", tool, err)
		}
	}
	srv := startSealbox(t)
	env := append(srv.clientEnv(), "SEALBOX_BIN="+sealboxBinary(t))
	runScript(t, 3*time.Minute, env, "bash", scriptPath(t, "smoke-agent.sh"))
	srv.stop(t)
}
