package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// runMainIn is runMain with stdin.
func runMainIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin), Getenv: envOf(nil)})
	return code, out.String(), errb.String()
}

func TestOperatorInitUnsealStatusSeal(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.RootKey = "shamir" })
	// seal signs as the AWS tools find credentials: from the environment.
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_ACCESS_KEY_ID", sealtest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sealtest.SecretAccessKey)
	t.Setenv("AWS_REGION", "us-east-1")

	code, out, errOut := runMainIn(t, "", "operator", "status", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Initialized:  false") || !strings.Contains(out, "Sealed:       true") {
		t.Fatalf("operator status before init = exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runMainIn(t, "", "operator", "init", "--endpoint", s.URL, "--key-shares", "3", "--key-threshold", "2")
	if code != 0 || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("operator init = exit %d\n%s%s", code, out, errOut)
	}
	shares := regexp.MustCompile(`(?m)^Unseal key share \d: (\S+)$`).FindAllStringSubmatch(out, -1)
	if len(shares) != 3 {
		t.Fatalf("operator init printed %d shares, want 3:\n%s", len(shares), out)
	}
	if code, _, errOut = runMainIn(t, "", "operator", "init", "--endpoint", s.URL); code != 1 || !strings.Contains(errOut, "already initialized") {
		t.Errorf("operator init again = exit %d %s, want 1, already initialized", code, errOut)
	}
	if code, _, errOut = runMainIn(t, "", "operator", "unseal", "--endpoint", s.URL); code != 1 || !strings.Contains(errOut, "no share") {
		t.Errorf("operator unseal with nothing on stdin = exit %d %s, want 1", code, errOut)
	}
	code, out, errOut = runMainIn(t, shares[2][1]+"\n", "operator", "unseal", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Progress:     1/2") {
		t.Fatalf("operator unseal (1st share) = exit %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = runMainIn(t, shares[2][1], "operator", "unseal", "--endpoint", s.URL); code != 1 || !strings.Contains(errOut, "DuplicateShare") {
		t.Errorf("operator unseal (same share) = exit %d %s, want DuplicateShare", code, errOut)
	}
	code, out, errOut = runMainIn(t, shares[0][1], "operator", "unseal", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Sealed:       false") {
		t.Fatalf("operator unseal (2nd share) = exit %d\n%s%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, shares[0][1]) {
		t.Errorf("operator unseal printed the share")
	}
	code, out, errOut = runMainIn(t, "", "operator", "seal", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Sealed") {
		t.Fatalf("operator seal = exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runMainIn(t, "", "operator", "status", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Sealed:       true") || !strings.Contains(out, "Progress:     0/2") {
		t.Errorf("operator status after seal = exit %d\n%s", code, out)
	}
	// A second seal reaches a sealed server: refused with 503.
	if code, _, errOut = runMainIn(t, "", "operator", "seal", "--endpoint", s.URL); code != 1 || !strings.Contains(errOut, "ServiceUnavailable") {
		t.Errorf("operator seal while sealed = exit %d %s, want ServiceUnavailable", code, errOut)
	}
	if code, _, errOut = runMainIn(t, "", "operator", "bogus"); code != 2 {
		t.Errorf("operator bogus = exit %d %s, want 2", code, errOut)
	}
}
