package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAgentBlankToken: a token of white space is refused at start, not
// served (any header of spaces would match it).
func TestAgentBlankToken(t *testing.T) {
	code, _, errOut := runMain(t, map[string]string{"AWS_TOKEN": " \t "}, "agent", "--port", "0")
	if code == 0 || !strings.Contains(errOut, "$AWS_TOKEN holds only white space") {
		t.Fatalf("sealbox agent with a blank token = exit %d, %q; want a refusal", code, errOut)
	}
}

// TestAgentOpenTokenFile: a token file others may read stops the agent
// at start, saying why, as ssh refuses such a key.
func TestAgentOpenTokenFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte("shared-token"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, map[string]string{"AWS_TOKEN": "file://" + p}, "agent", "--port", "0")
	if code == 0 || !strings.Contains(errOut, "permissions 0644 for "+p+" are too open") || strings.Contains(errOut, "shared-token") {
		t.Fatalf("sealbox agent with a world-readable token file = exit %d, %q; want a refusal", code, errOut)
	}
}

// TestUsageNamesServices: 'sealbox' says every service it serves.
func TestUsageNamesServices(t *testing.T) {
	code, out, _ := runMain(t, nil)
	if code != 0 {
		t.Fatalf("sealbox = exit %d", code)
	}
	for _, svc := range []string{"KMS", "Parameter Store (SSM)", "Secrets Manager", "Lambda", "IAM", "STS", "CloudTrail", "AWS_ENDPOINT_URL", "--listen"} {
		if !strings.Contains(out, svc) {
			t.Errorf("the usage text does not name %s:\n%s", svc, out)
		}
	}
}

// TestAgentStartedAsExtension: sealbox run from /opt/extensions with no
// arguments is the agent, as an extension named for its file, only when
// Lambda's runtime API is set; anywhere else, or without it, nothing
// changes.
func TestAgentStartedAsExtension(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close() // nothing answers there: registering fails, and says as whom
	run := func(program string, vars map[string]string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: envOf(vars), Program: program})
		return code, out.String(), errb.String()
	}
	lambda := map[string]string{"AWS_LAMBDA_RUNTIME_API": closed, "AWS_SESSION_TOKEN": "t", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "0"}

	// The extension's token is the session's: AWS_TOKEN, which the
	// function's configuration may set, is not taken instead.
	code, _, errOut := run("/opt/extensions/AWSParametersAndSecretsLambdaExtension", map[string]string{"AWS_LAMBDA_RUNTIME_API": closed, "AWS_TOKEN": "known-to-all", "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT": "0"})
	if code != 1 || !strings.Contains(errOut, "$AWS_SESSION_TOKEN, which is not set") {
		t.Errorf("under Lambda with AWS_TOKEN only = exit %d, %q; want no token", code, errOut)
	}
	code, _, errOut = run("/opt/extensions/AWSParametersAndSecretsLambdaExtension", lambda)
	if code != 1 || !strings.Contains(errOut, `failed to register as extension "AWSParametersAndSecretsLambdaExtension"`) {
		t.Errorf("from /opt/extensions under Lambda = exit %d, %q; want the agent registering under its file name", code, errOut)
	}
	code, _, errOut = run("/usr/bin/sealbox", lambda, "agent", "--extension-name", "wrapped")
	if code != 1 || !strings.Contains(errOut, `failed to register as extension "wrapped"`) {
		t.Errorf("sealbox agent --extension-name under Lambda = exit %d, %q; want it registering as wrapped", code, errOut)
	}
	for name, c := range map[string]struct {
		program string
		vars    map[string]string
	}{
		"elsewhere":        {"/usr/bin/sealbox", lambda},
		"not under Lambda": {"/opt/extensions/sealbox", map[string]string{"AWS_TOKEN": "t"}},
	} {
		code, out, _ := run(c.program, c.vars)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s: sealbox with no arguments = exit %d, want the usage", name, code)
		}
	}
}
