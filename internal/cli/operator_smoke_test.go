package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/cli"
)

// operatorMain runs sealbox operator args with stdin.
func operatorMain(stdin string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = cli.Main(context.Background(), append([]string{"operator"}, args...), cli.Env{Stdout: &out, Stderr: &errb,
		Stdin: strings.NewReader(stdin), Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

var sealedLine = regexp.MustCompile(`^sealed \(--root-key shamir\): .*sealbox operator init --endpoint (\S+);`)

// The real binary started with --root-key shamir says it is sealed and how
// to unseal; once init and a threshold of shares are given through the
// operator commands, it writes the administrator's credentials and serves
// them.
func TestSmokeShamirServer(t *testing.T) {
	t.Parallel() // its own server process and data folder, like the other smoke tests
	bin := sealboxBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stdout, stderr := newLines(), newLines()
	cmd := exec.CommandContext(ctx, bin, "server", "--root-key", "shamir", "--listen", "127.0.0.1:0", "--data", data)
	cmd.Env, cmd.Stdout, cmd.Stderr, cmd.WaitDelay = cleanEnv(), stdout, stderr, 5*time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(os.Interrupt)
		if err := <-done; err != nil {
			t.Errorf("sealbox server exited with %v", err)
		}
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	var endpoint string
	for endpoint == "" {
		select {
		case line := <-stdout.ch:
			if m := sealedLine.FindStringSubmatch(line); m != nil {
				endpoint = m[1]
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no sealed banner within 30 s")
		}
	}
	if _, err := os.Stat(filepath.Join(data, "admin-credentials")); err == nil {
		t.Fatalf("admin-credentials written while sealed")
	}
	code, out, errOut := operatorMain("", "init", "--endpoint", endpoint, "--key-shares", "2", "--key-threshold", "2")
	shares := regexp.MustCompile(`(?m)^Unseal key share \d: (\S+)$`).FindAllStringSubmatch(out, -1)
	if code != 0 || len(shares) != 2 {
		t.Fatalf("operator init = exit %d\n%s%s", code, out, errOut)
	}
	for _, sh := range shares {
		if code, out, errOut = operatorMain(sh[1], "unseal", "--endpoint", endpoint); code != 0 {
			t.Fatalf("operator unseal = exit %d\n%s%s", code, out, errOut)
		}
	}
	if !strings.Contains(out, "Sealed:       false") {
		t.Fatalf("after 2 of 2 shares: %s", out)
	}
	b, err := os.ReadFile(filepath.Join(data, "admin-credentials"))
	if err != nil || !strings.Contains(string(b), "aws_secret_access_key") {
		t.Fatalf("admin-credentials after the unseal: %v", err)
	}
	for _, sh := range shares {
		if strings.Contains(stdout.String()+stderr.String(), sh[1]) {
			t.Errorf("the server's output holds a share")
		}
	}
}
