package cli_test

// Smoke tests: the real sealbox binary, started the way a user starts it,
// driven by the real aws CLI and boto3 through scripts/smoke-cli.sh and
// scripts/smoke_boto3.py. They need `aws` and python3 with boto3 on PATH
// (CI has them) and fail, rather than skip, without them.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
)

func TestSmokeAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	runScript(t, 5*time.Minute, srv.clientEnv(), "bash", scriptPath(t, "smoke-cli.sh"))
	srv.stop(t)
}

// TestLeastPrivilegeAWSCLI runs the seeds' least-privilege scenario
// (internal/authz/leastprivilege_test.go) through the aws CLI alone with
// scripts/least-privilege-cli.sh: roles assumed by an IAM user, each session
// in its own profile, every allow and deny checked, and the policy
// simulator's answer for the same role.
func TestLeastPrivilegeAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	runScript(t, 5*time.Minute, srv.clientEnv(), "bash", scriptPath(t, "least-privilege-cli.sh"))
	srv.stop(t)
}

// TestFirstStartWalkthroughAWSCLI is the least-privilege walkthrough every
// AWS guide gives, run with the aws CLI from another folder with nothing
// but the environment the first start prints (scripts/first-start-cli.sh):
// the admin user creates a role trusting the account, assumes it with
// `aws sts assume-role`, and the role can do exactly what its policy
// allows. No --endpoint-url: AWS_ENDPOINT_URL points the CLI at sealbox.
func TestFirstStartWalkthroughAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	if len(srv.exports) == 0 {
		t.Fatalf("the banner has no export line:\n%s", srv.stdout.String())
	}
	env := append(cleanEnv(), srv.exports...)
	env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	runScriptIn(t, t.TempDir(), 3*time.Minute, env, "bash", scriptPath(t, "first-start-cli.sh"))
	srv.stop(t)
}

// TestABACWalkthroughAWSCLI is attribute-based access control with the aws
// CLI (scripts/abac-cli.sh): users tagged with their team assume one role,
// tagging the session with their team; one policy reads the secrets tagged
// with the session's team; a caller that tags its session with another team
// is refused.
func TestABACWalkthroughAWSCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	env := append(cleanEnv(), srv.exports...)
	env = append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
	runScriptIn(t, t.TempDir(), 3*time.Minute, env, "bash", scriptPath(t, "abac-cli.sh"))
	srv.stop(t)
}

func TestSmokeBoto3(t *testing.T) {
	t.Parallel()
	python := needBoto3(t)
	srv := startSealbox(t)
	runScript(t, 2*time.Minute, srv.clientEnv(), python, scriptPath(t, "smoke_boto3.py"))
	srv.stop(t)
}

// TestSmokeBoto3TLS runs the boto3 flow over HTTPS with --tls=auto, trusting
// the server's self-signed certificate through the file it names, and checks
// the aws CLI trusts it through AWS_CA_BUNDLE.
func TestSmokeBoto3TLS(t *testing.T) {
	t.Parallel()
	python := needBoto3(t)
	aws := needAWSCLI(t)
	srv := startSealbox(t, "--tls=auto")
	if !strings.HasPrefix(srv.endpoint, "https://") {
		t.Fatalf("with --tls=auto the endpoint is %q, want https://", srv.endpoint)
	}
	if srv.caFile == "" {
		t.Fatalf("with --tls=auto stdout has no AWS_CA_BUNDLE=... line:\n%s", srv.stdout.String())
	}
	if _, err := os.Stat(srv.caFile); err != nil {
		t.Fatalf("the CA file the server names: %v", err)
	}

	env := append(srv.clientEnv(), "SEALBOX_CA_BUNDLE="+srv.caFile)
	runScript(t, 2*time.Minute, env, python, scriptPath(t, "smoke_boto3.py"))

	out := runScript(t, time.Minute, append(srv.clientEnv(), "AWS_CA_BUNDLE="+srv.caFile),
		// --region: aws CLI v1 reads AWS_DEFAULT_REGION, not AWS_REGION.
		aws, "--region", "us-east-1", "--endpoint-url", srv.endpoint, "kms", "list-keys", "--output", "text", "--query", "length(Keys)")
	if strings.TrimSpace(out) == "" {
		t.Fatalf("aws kms list-keys over HTTPS printed nothing")
	}

	// Without the CA the certificate must not verify: TLS is really checked.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, "-c", `
import os, sys, boto3, botocore.exceptions as be
from botocore.config import Config
c = boto3.client("kms", endpoint_url=os.environ["SEALBOX_ENDPOINT"], region_name="us-east-1",
                 config=Config(retries={"total_max_attempts": 1}))
try:
    c.list_keys()
except be.SSLError:
    sys.exit(0)
sys.exit("list_keys over HTTPS succeeded without trusting the self-signed certificate")
`)
	cmd.Env = srv.clientEnv()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("boto3 without the CA: %v\n%s", err, b)
	}
	srv.stop(t)
}

// --- tools -----------------------------------------------------------------

func needAWSCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("aws")
	if err != nil {
		t.Fatalf("the smoke test needs the aws CLI on PATH (pip install awscli): %v", err)
	}
	return p
}

func needBoto3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("the smoke test needs python3 with boto3 on PATH: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if b, err := exec.CommandContext(ctx, p, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Fatalf("the smoke test needs boto3 importable by %s (pip install boto3): %v\n%s", p, err, b)
	}
	return p
}

func scriptPath(t *testing.T, name string) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", "scripts", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("script: %v", err)
	}
	return p
}

func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// The binary is built once, by the first test that needs it, and shared by
// every test after it; TestMain removes it when the package's tests are
// done. (Built per test, it cost a link of a 60 MB binary for each test
// that ran alone: about 5 s of CPU each.)
var binary struct {
	sync.Mutex
	built bool
	dir   string
	path  string
	err   error
}

func TestMain(m *testing.M) {
	code := m.Run()
	binary.Lock()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	binary.Unlock()
	os.Exit(code)
}

func sealboxBinary(t testing.TB) string {
	t.Helper()
	binary.Lock()
	defer binary.Unlock()
	if !binary.built {
		binary.built = true
		binary.dir, binary.err = os.MkdirTemp("", "sealbox-smoke-bin-")
		if binary.err == nil {
			binary.path = filepath.Join(binary.dir, "sealbox")
			// go test puts its own go first on PATH.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			cmd := exec.CommandContext(ctx, "go", "build", "-o", binary.path, "./cmd/sealbox")
			cmd.Dir = repoRoot(t)
			if b, err := cmd.CombinedOutput(); err != nil {
				binary.err = fmt.Errorf("go build ./cmd/sealbox: %v\n%s", err, b)
			}
			cancel()
		}
	}
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// --- the server ------------------------------------------------------------

type sealboxProc struct {
	cmd      *exec.Cmd
	done     chan struct{}
	waitErr  error
	stdout   *lines
	stderr   *lines
	endpoint string
	dataDir  string
	credFile string
	caFile   string
	// exports are the NAME=value pairs of the export line the banner
	// prints for the AWS tools.
	exports []string
	stopped bool
}

var (
	listeningLine = regexp.MustCompile(`^sealbox listening on (https?://127\.0\.0\.1:[0-9]+) \(data in (.+)\)$`)
	caLine        = regexp.MustCompile(`AWS_CA_BUNDLE=(\S+)`)
	adminLine     = regexp.MustCompile(`^admin credentials in (\S+): `)
)

// startSealbox starts `sealbox server` on a free port with a fresh data
// folder and no preset administrator, waits for its banner, and checks the
// admin-credentials file it wrote.
func startSealbox(t *testing.T, extraArgs ...string) *sealboxProc {
	t.Helper()
	return startSealboxEnv(t, nil, extraArgs...)
}

// startSealboxEnv is startSealbox with env added to the server's
// environment.
func startSealboxEnv(t *testing.T, env []string, extraArgs ...string) *sealboxProc {
	t.Helper()
	bin := sealboxBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	for i := 0; i+1 < len(extraArgs); i++ {
		if extraArgs[i] == "--data" { // a restart on an earlier server's data
			data = extraArgs[i+1]
			extraArgs = append(extraArgs[:i:i], extraArgs[i+2:]...)
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)

	p := &sealboxProc{done: make(chan struct{}), stdout: newLines(), stderr: newLines()}
	args := append([]string{"server", "--listen", "127.0.0.1:0", "--data", data}, extraArgs...)
	p.cmd = exec.CommandContext(ctx, bin, args...)
	p.cmd.Env = append(cleanEnv(), env...) // no SEALBOX_ADMIN_*: the server makes its own pair
	p.cmd.Stdout = p.stdout
	p.cmd.Stderr = p.stderr
	p.cmd.WaitDelay = 5 * time.Second
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start sealbox: %v", err)
	}
	go func() {
		p.waitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.stopped {
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("sealbox stdout:\n%s\nsealbox stderr:\n%s", p.stdout.String(), p.stderr.String())
		}
	})

	// The banner: the listening line first, then (with TLS) the CA line,
	// then the how-to line for the admin credentials.
	deadline := time.After(30 * time.Second)
	var how string
	for n := 0; how == ""; n++ {
		var line string
		select {
		case line = <-p.stdout.ch:
		case <-p.done:
			t.Fatalf("sealbox exited before its banner (%v)", p.waitErr)
		case <-deadline:
			t.Fatalf("no banner from sealbox within 30s")
		}
		if n == 0 {
			m := listeningLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("first stdout line %q does not match %s", line, listeningLine)
			}
			p.endpoint, p.dataDir = m[1], m[2]
			continue
		}
		if m := caLine.FindStringSubmatch(line); m != nil {
			p.caFile = m[1]
		}
		if m := adminLine.FindStringSubmatch(line); m != nil {
			p.credFile, how = m[1], line
		}
	}

	if abs, _ := filepath.Abs(p.dataDir); abs != data {
		t.Errorf("banner names data folder %q, want %q", p.dataDir, data)
	}
	wantCred := filepath.Join(data, "admin-credentials")
	if p.credFile != wantCred {
		t.Errorf("how-to line names %q, want %q", p.credFile, wantCred)
	}
	for _, want := range []string{": export AWS_SHARED_CREDENTIALS_FILE=" + wantCred + " ", "AWS_PROFILE=sealbox", "AWS_ENDPOINT_URL=" + p.endpoint} {
		if !strings.Contains(how, want) {
			t.Errorf("how-to line %q lacks %q", how, want)
		}
	}
	if _, export, ok := strings.Cut(how, ": export "); ok {
		p.exports = strings.Fields(export)
	}
	fi, err := os.Stat(wantCred)
	if err != nil {
		t.Fatalf("admin credentials: %v", err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("admin-credentials has mode %v, want 0600", perm)
	}
	cred, err := os.ReadFile(wantCred)
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []string{`(?m)^\[sealbox\]$`, `(?m)^aws_access_key_id = \S+$`, `(?m)^aws_secret_access_key = \S+$`} {
		if !regexp.MustCompile(re).Match(cred) {
			t.Errorf("admin-credentials does not match %s:\n%s", re, cred)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return p
}

// clientEnv is the environment the scripts run with: the admin profile and
// nothing else of the caller's AWS_* settings.
func (p *sealboxProc) clientEnv() []string {
	return append(cleanEnv(),
		"SEALBOX_ENDPOINT="+p.endpoint,
		"AWS_SHARED_CREDENTIALS_FILE="+p.credFile,
		"AWS_PROFILE=sealbox",
		"AWS_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
		"PYTHONUNBUFFERED=1",
	)
}

// stop sends SIGTERM and requires a clean exit within a few seconds.
func (p *sealboxProc) stop(t *testing.T) {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("sealbox did not exit within 10s of SIGTERM")
	}
	p.stopped = true
	if p.waitErr != nil {
		t.Fatalf("sealbox did not shut down cleanly after SIGTERM: %v", p.waitErr)
	}
	t.Logf("sealbox exited 0 %v after SIGTERM", time.Since(start).Round(time.Millisecond))
	if !strings.Contains(p.stderr.String(), "shutting down") {
		t.Errorf("no shutdown message on stderr")
	}
}

// cleanEnv is the test's environment without any AWS_* or SEALBOX_*
// variable.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "SEALBOX_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// runScript runs name args with env and fails the test with its output if it
// exits non-zero; it returns the output.
func runScript(t *testing.T, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	return runScriptIn(t, "", timeout, env, name, args...)
}

// runScriptIn is runScript in the working folder dir.
func runScriptIn(t *testing.T, dir string, timeout time.Duration, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	label := filepath.Base(name)
	for _, a := range args {
		if strings.HasPrefix(a, "/") {
			a = filepath.Base(a)
		}
		label += " " + a
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("%s did not finish within %v:\n%s", label, timeout, out.String())
	}
	if err != nil {
		t.Fatalf("%s failed (%v):\n%s", label, err, out.String())
	}
	t.Logf("%s passed in %v:\n%s", label, time.Since(start).Round(time.Millisecond), out.String())
	return out.String()
}

// lines collects a process's output and hands out its complete lines.
type lines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	partial []byte
	ch      chan string
}

func newLines() *lines { return &lines{ch: make(chan string, 64)} }

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(b)
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		select {
		case l.ch <- strings.TrimSuffix(string(l.partial[:i]), "\r"):
		default: // nobody is reading any more
		}
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// TestSmokeSecrets runs the seeds' Secrets Manager patterns with boto3:
// create, get_secret_value, put_secret_value, staging labels, the
// /aws/reference/secretsmanager passthrough of Parameter Store, deletion
// and restore.
func TestSmokeSecrets(t *testing.T) {
	t.Parallel()
	python := needBoto3(t)
	srv := startSealbox(t)
	runScript(t, 2*time.Minute, srv.clientEnv(), python, scriptPath(t, "smoke_secrets_boto3.py"))
	srv.stop(t)
}

// TestSmokeSSM runs the seeds' Parameter Store patterns with boto3 and the
// aws CLI against the real binary.
func TestSmokeSSM(t *testing.T) {
	t.Parallel()
	python := needBoto3(t)
	needAWSCLI(t)
	srv := startSealbox(t)
	runScript(t, 2*time.Minute, srv.clientEnv(), python, scriptPath(t, "smoke_ssm_boto3.py"))
	runScript(t, 3*time.Minute, srv.clientEnv(), "bash", scriptPath(t, "smoke-ssm-cli.sh"))
	srv.stop(t)
}

// TestSmokeSecretsCLI runs the Secrets Manager flow with the aws CLI
// against the real binary: values, versions and staging labels, a
// rotation by the built-in sealbox-generate-password rotator (run in the
// background as RotateSecret asks), the Parameter Store passthrough and
// deletion without recovery.
func TestSmokeSecretsCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	runScript(t, 3*time.Minute, srv.clientEnv(), "bash", scriptPath(t, "smoke-secrets-cli.sh"))
	srv.stop(t)
}

// TestSmokeLambdaCLI runs the first seed end to end with the aws CLI and
// `sealbox exec` (scripts/smoke-lambda-cli.sh): a function's environment
// encrypted under a customer key, decrypted at start-up as its execution
// role only, masked for readers, references resolved and audited one by
// one.
func TestSmokeLambdaCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	srv := startSealbox(t)
	env := append(srv.clientEnv(), "SEALBOX_BIN="+sealboxBinary(t), "SEALBOX_DATA="+srv.dataDir)
	runScript(t, 3*time.Minute, env, "bash", scriptPath(t, "smoke-lambda-cli.sh"))
	srv.stop(t)
}

// TestSmokeInvokeCLI deploys and invokes a function with the aws CLI
// against the real binary running functions with aws-lambda-rie
// (scripts/smoke-invoke-cli.sh, the README's walkthrough).
func TestSmokeInvokeCLI(t *testing.T) {
	t.Parallel()
	needAWSCLI(t)
	rie := lambdatest.Emulator(t)
	zipPath := filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(zipPath, lambdatest.FunctionZip(t), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startSealbox(t, "--lambda-rie", rie)
	runScript(t, 3*time.Minute, append(srv.clientEnv(), "FUNCTION_ZIP="+zipPath), "bash", scriptPath(t, "smoke-invoke-cli.sh"))
	srv.stop(t)
}

// TestBenchPeersScript runs scripts/bench-peers.sh briefly, as a user runs
// it without a peer built: the floor and sealbox, each measured with its
// server CPU per request, in the markdown table the README shows.
func TestBenchPeersScript(t *testing.T) {
	t.Parallel()
	env := append(cleanEnv(), "SEALBOX_BIN="+sealboxBinary(t), "DURATION=300ms", "WARMUP=50ms", "PASSES=1",
		"CONCURRENCY=2", "SEALBOX_OPS=decrypt,get-secret-value")
	out := runScript(t, 3*time.Minute, env, "bash", scriptPath(t, "bench-peers.sh"))
	for _, row := range []string{"| floor: bare net/http, GET / | 2 | ", "| sealbox GET /healthz | 2 | ", "| sealbox decrypt | 2 | ", "| sealbox get-secret-value | 2 | "} {
		line := ""
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, row) {
				line = l
			}
		}
		// ops/s, then the server's CPU per op in µs: both measured, not zero.
		if !regexp.MustCompile(`^\| [^|]+ \| 2 \| [1-9][0-9]* \| [1-9][0-9]* µs \| [0-9.]+ ms \|$`).MatchString(line) {
			t.Errorf("no measured row %q in:\n%s", row, out)
		}
	}
}
