package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestOperatorRotateRekeyAndKeys(t *testing.T) {
	s := sealtest.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", sealtest.AccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sealtest.SecretAccessKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "us-east-1")

	code, out, errOut := runMain(t, nil, "operator", "rotate", "--rewrap", "--wait", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "now term 2") || !strings.Contains(out, "COMPLETED to term 2") {
		t.Fatalf("operator rotate = exit %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = runMain(t, nil, "operator", "keys", "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "Provider      file") || !strings.Contains(out, "Active term   2") {
		t.Fatalf("operator keys = exit %d\n%s%s", code, out, errOut)
	}
	newKey := filepath.Join(t.TempDir(), "rekeyed.key")
	code, out, errOut = runMain(t, nil, "operator", "rekey", "--to", "file", "--set", "root-key-file="+newKey, "--endpoint", s.URL)
	if code != 0 || !strings.Contains(out, "--root-key file") {
		t.Fatalf("operator rekey = exit %d\n%s%s", code, out, errOut)
	}
	code, _, errOut = runMain(t, nil, "operator", "rekey", "--to", "file", "--endpoint", s.URL)
	if code != 1 || !strings.Contains(errOut, "ValidationException") {
		t.Fatalf("operator rekey without a path = exit %d: %s", code, errOut)
	}
	// Without credentials allowed to rotate: the AWS error, exit 1.
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	code, _, errOut = runMain(t, nil, "operator", "rotate", "--endpoint", s.URL)
	if code != 1 || !strings.Contains(errOut, "SignatureDoesNotMatch") && !strings.Contains(errOut, "InvalidSignature") {
		t.Fatalf("operator rotate with a wrong secret = exit %d: %s", code, errOut)
	}
	if code, _, _ = runMain(t, nil, "operator"); code != 2 {
		t.Fatalf("operator without a command = exit %d, want 2", code)
	}
}
