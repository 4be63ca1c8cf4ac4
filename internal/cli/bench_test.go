package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/loadgen"
	"github.com/sealbox/sealbox/internal/sealtest"
)

func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func runMain(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{Stdout: &out, Stderr: &errb, Getenv: envOf(vars)})
	return code, out.String(), errb.String()
}

func TestBenchMarkdown(t *testing.T) {
	s := sealtest.Start(t)
	vars := map[string]string{"AWS_ACCESS_KEY_ID": sealtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": sealtest.SecretAccessKey}
	code, out, errOut := runMain(t, vars, "bench", "--endpoint", s.URL, "--ops", "ceiling,decrypt",
		"--concurrency", "1,2", "--duration", "100ms", "--warmup", "20ms", "--format", "markdown")
	if code != 0 {
		t.Fatalf("sealbox bench --format markdown = exit %d, want 0; stderr:\n%s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if want := "| op | concurrency | ops/s | p50 | p99 | ratio to ceiling |"; lines[0] != want {
		t.Errorf("first line = %q, want %q\nstdout:\n%s", lines[0], want, out)
	}
	if len(lines) != 2+4 {
		t.Errorf("stdout has %d lines, want a header, a rule and 4 rows:\n%s", len(lines), out)
	}
	if !strings.HasPrefix(lines[2], "| ceiling | 1 | ") || !strings.HasSuffix(lines[2], "| 1.00 |") {
		t.Errorf("first row = %q, want the ceiling at 1 with ratio 1.00", lines[2])
	}
	if !strings.HasPrefix(lines[5], "| decrypt | 2 | ") {
		t.Errorf("last row = %q, want decrypt at 2", lines[5])
	}
	if !strings.Contains(errOut, "about ") || !strings.Contains(errOut, "$AWS_ACCESS_KEY_ID") {
		t.Errorf("stderr does not announce the total time and the credentials' source:\n%s", errOut)
	}
}

func TestBenchText(t *testing.T) {
	s := sealtest.Start(t)
	// The server's admin-credentials file, found through $SEALBOX_DATA.
	dir := t.TempDir()
	creds := "[sealbox]\naws_access_key_id = " + sealtest.AccessKeyID + "\naws_secret_access_key = " + sealtest.SecretAccessKey + "\n"
	if err := os.WriteFile(filepath.Join(dir, "admin-credentials"), []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, map[string]string{"SEALBOX_DATA": dir}, "bench", "--endpoint", s.URL,
		"--ops", "ceiling,generate-random", "--concurrency", "2", "--duration", "100ms", "--warmup", "0s")
	if code != 0 {
		t.Fatalf("sealbox bench = exit %d, want 0; stderr:\n%s", code, errOut)
	}
	for _, want := range []string{"concurrency", "ops/s", "p99", "vs ceiling", "generate-random"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "errors") {
		t.Errorf("stdout has an errors column for a run without errors:\n%s", out)
	}
	if !strings.Contains(errOut, "profile sealbox in "+filepath.Join(dir, "admin-credentials")) {
		t.Errorf("stderr does not name the admin-credentials file as the source:\n%s", errOut)
	}
}

func TestBenchFailuresAreLoud(t *testing.T) {
	s := sealtest.Start(t)
	wrong := map[string]string{"AWS_ACCESS_KEY_ID": sealtest.AccessKeyID, "AWS_SECRET_ACCESS_KEY": "wrong"}
	for _, c := range []struct {
		name, ops string
		want      []string
	}{
		{"set-up", "ceiling,encrypt", []string{"failed to create the bench key", "InvalidSignatureException"}},
		{"requests", "ceiling,generate-random", []string{"!!! FAILED", "generate-random at 1:", "requests failed"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := runMain(t, wrong, "bench", "--endpoint", s.URL, "--ops", c.ops,
				"--concurrency", "1", "--duration", "50ms", "--warmup", "0s")
			if code != 1 {
				t.Errorf("sealbox bench with a wrong secret = exit %d, want 1", code)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

func TestBenchUsageErrors(t *testing.T) {
	vars := map[string]string{"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"}
	for _, args := range [][]string{
		{"--format", "html"},
		{"--ops", "encrypt,sign"},
		{"--concurrency", "1,zero"},
		{"--duration", "0s"},
		{"--endpoint", "ftp://127.0.0.1:8777"},
		{"extra"},
	} {
		code, _, errOut := runMain(t, vars, append([]string{"bench"}, args...)...)
		if code != 2 || errOut == "" {
			t.Errorf("sealbox bench %s = exit %d, stderr %q; want 2 and an explanation", strings.Join(args, " "), code, errOut)
		}
	}
	if code, _, errOut := runMain(t, vars, "bench", "-h"); code != 0 || !strings.Contains(errOut, "$SEALBOX_BENCH_DURATION") {
		t.Errorf("sealbox bench -h = exit %d, want 0 and flags naming their environment variables:\n%s", code, errOut)
	}
	if _, _, errOut := runMain(t, vars, "bench", "-h"); !strings.Contains(errOut, strings.Join(opNames(loadgen.AllOps), ", ")) {
		t.Errorf("sealbox bench -h does not list every operation (%v) in --ops:\n%s", loadgen.AllOps, errOut)
	}
	if _, _, errOut := runMain(t, vars, "bench", "-h"); strings.Contains(errOut, "secret\"") {
		t.Errorf("sealbox bench -h prints the secret from the environment:\n%s", errOut)
	}
}

func opNames(ops []loadgen.Op) []string {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return names
}

func TestBenchCredentials(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	one := write("one", "# the server's\n[sealbox]\naws_access_key_id = AKIDONE\naws_secret_access_key = s1\n")
	two := write("two", "[default]\naws_access_key_id=AKIDDEF\naws_secret_access_key=s2\n\n[profile other]\nAWS_ACCESS_KEY_ID = AKIDOTHER\naws_secret_access_key = s3\naws_session_token = tok\n")
	many := write("many", "[a]\naws_access_key_id=A\naws_secret_access_key=x\n[b]\naws_access_key_id=B\naws_secret_access_key=y\n")
	dataDir := t.TempDir()
	write2 := filepath.Join(dataDir, "admin-credentials")
	if err := os.WriteFile(write2, []byte("[sealbox]\naws_access_key_id = AKIDADMIN\naws_secret_access_key = s4\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name    string
		flags   []string
		env     map[string]string
		wantID  string
		wantTok string
		wantErr string
	}{
		{name: "flags", flags: []string{"--access-key-id", "AKIDFLAG", "--secret-access-key", "sf"}, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se"}, wantID: "AKIDFLAG"},
		{name: "flag id, env secret", flags: []string{"--access-key-id", "AKIDFLAG"}, env: map[string]string{"AWS_SECRET_ACCESS_KEY": "se"}, wantID: "AKIDFLAG"},
		{name: "flag id alone", flags: []string{"--access-key-id", "AKIDFLAG"}, wantErr: "go together"},
		{name: "file flag beats env pair", flags: []string{"--credentials-file", one}, env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se"}, wantID: "AKIDONE"},
		{name: "default profile", flags: []string{"--credentials-file", two}, wantID: "AKIDDEF"},
		{name: "named profile", flags: []string{"--credentials-file", two, "--profile", "other"}, wantID: "AKIDOTHER", wantTok: "tok"},
		{name: "missing profile", flags: []string{"--credentials-file", two, "--profile", "nope"}, wantErr: `no profile "nope"`},
		{name: "no default among many", flags: []string{"--credentials-file", many}, wantErr: "choose one of a, b"},
		{name: "env pair", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "se", "AWS_SESSION_TOKEN": "t", "SEALBOX_DATA": dataDir}, wantID: "AKIDENV", wantTok: "t"},
		{name: "env file", env: map[string]string{"AWS_SHARED_CREDENTIALS_FILE": two, "AWS_PROFILE": "other", "SEALBOX_DATA": dataDir}, wantID: "AKIDOTHER", wantTok: "tok"},
		{name: "admin credentials", env: map[string]string{"SEALBOX_DATA": dataDir}, wantID: "AKIDADMIN"},
		{name: "nothing", env: map[string]string{"SEALBOX_DATA": t.TempDir()}, wantErr: "no credentials"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var o benchOptions
			fs := newBenchFlagSet(&o, envOf(c.env))
			fs.SetOutput(io.Discard)
			if err := fs.Parse(c.flags); err != nil {
				t.Fatal(err)
			}
			set := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
			got, _, err := o.credentials(set, envOf(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("credentials(%v) err = %v, want one containing %q", c.flags, err, c.wantErr)
				}
				return
			}
			if err != nil || got.AccessKeyID != c.wantID || got.SessionToken != c.wantTok {
				t.Errorf("credentials(%v) = %q (token %q), %v; want %q (token %q)", c.flags, got.AccessKeyID, got.SessionToken, err, c.wantID, c.wantTok)
			}
		})
	}
}

func TestFmtLatency(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{850 * time.Nanosecond, "850ns"},
		{1234 * time.Nanosecond, "1.23µs"},
		{56789 * time.Nanosecond, "56.8µs"},
		{456 * time.Microsecond, "456µs"},
		{3210 * time.Microsecond, "3.21ms"},
		{2 * time.Second, "2.00s"},
	} {
		if got := fmtLatency(c.d); got != c.want {
			t.Errorf("fmtLatency(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
