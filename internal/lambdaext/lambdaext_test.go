package lambdaext_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/lambdaext"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// The test binary is also the function: started by rie with
// SEALBOX_TEST_BOOTSTRAP=1, it is a bootstrap built on aws-lambda-go.
func TestMain(m *testing.M) {
	if os.Getenv("SEALBOX_TEST_BOOTSTRAP") == "1" {
		lambda.Start(handler)
		return
	}
	code := m.Run()
	if sealboxBin.path != "" {
		os.RemoveAll(filepath.Dir(sealboxBin.path))
	}
	os.Exit(code)
}

type answer struct {
	Secret string `json:"secret"`
	Status int    `json:"status"`
	UID    int    `json:"uid"`
}

// handler reads the secret the event names through the extension, as the
// Parameters and Secrets extension's documentation shows: on
// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT with the session token.
func handler(ctx context.Context, in struct {
	SecretID string `json:"secretId"`
}) (answer, error) {
	u := "http://127.0.0.1:" + os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT") + "/secretsmanager/get?secretId=" + url.QueryEscape(in.SecretID)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", os.Getenv("AWS_SESSION_TOKEN"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	var out struct{ SecretString string }
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &out); err != nil {
			return answer{}, err
		}
	}
	return answer{Secret: out.SecretString, Status: resp.StatusCode, UID: os.Getuid()}, nil
}

// needRIE is aws-lambda-rie's path; the test skips without it unless
// SEALBOX_LAMBDA_TESTS is set (CI installs it and sets it).
func needRIE(t *testing.T) string {
	t.Helper()
	required := os.Getenv("SEALBOX_LAMBDA_TESTS") != ""
	fail := t.Skipf
	if required {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("running extensions under aws-lambda-rie needs root (a mount namespace per environment)")
	}
	candidates := []string{os.Getenv("SEALBOX_LAMBDA_RIE")}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		candidates = append(candidates, p)
	}
	if gopath, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		candidates = append(candidates, filepath.Join(strings.TrimSpace(string(gopath)), "bin", "aws-lambda-rie"))
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p
		}
	}
	fail("aws-lambda-rie not found: set SEALBOX_LAMBDA_RIE or install it (.ci/run shows how)")
	return ""
}

var sealboxBin struct {
	sync.Once
	path string
	err  error
}

// sealboxBinary builds cmd/sealbox once for the package's tests, in a
// folder every user may read (the extension runs as the function's user).
func sealboxBinary(t *testing.T) string {
	t.Helper()
	sealboxBin.Do(func() {
		dir, err := os.MkdirTemp("", "sealbox-lambdaext-bin-")
		if err != nil {
			sealboxBin.err = err
			return
		}
		os.Chmod(dir, 0o755)
		sealboxBin.path = filepath.Join(dir, "sealbox")
		cmd := exec.Command("go", "build", "-o", sealboxBin.path, "github.com/sealbox/sealbox/cmd/sealbox")
		if b, err := cmd.CombinedOutput(); err != nil {
			sealboxBin.err = fmt.Errorf("go build ./cmd/sealbox: %v\n%s", err, b)
		}
	})
	if sealboxBin.err != nil {
		t.Fatal(sealboxBin.err)
	}
	return sealboxBin.path
}

// freeAddr is a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// publicDir is a temporary folder every user may enter: t.TempDir()
// makes it and its parent 0700.
func publicDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// environment is one started rie and what it was started with.
type environment struct {
	cmd      *exec.Cmd
	emulator string
	logs     *sealtest.Buffer
	cancel   context.CancelFunc
	done     chan error
}

// startEnvironment starts rie through Command with the sealbox binary as
// the extension AWSParametersAndSecretsLambdaExtension and this test
// binary as the bootstrap, with env.
func startEnvironment(t *testing.T, rie string, env []string, cred *syscall.Credential) *environment {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	// The bootstrap is this test binary, copied where the function's user
	// may run it.
	task := publicDir(t)
	bootstrap := filepath.Join(task, "bootstrap")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bootstrap, b, 0o755); err != nil {
		t.Fatal(err)
	}
	sealbox := sealboxBinary(t)
	e := &environment{emulator: freeAddr(t), logs: &sealtest.Buffer{}, done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	cmd, err := lambdaext.Command(ctx, lambdaext.Options{
		RIE: rie, Helper: sealbox, Bootstrap: bootstrap, TaskDir: task, OptDir: publicDir(t),
		Extensions:     []lambdaext.Extension{{Name: "AWSParametersAndSecretsLambdaExtension", Path: sealbox}},
		Env:            append([]string{"PATH=/usr/bin:/bin", "SEALBOX_TEST_BOOTSTRAP=1", "AWS_LAMBDA_FUNCTION_TIMEOUT=20"}, env...),
		RuntimeAPIAddr: freeAddr(t), EmulatorAddr: e.emulator, Credential: cred, StopWait: 10 * time.Second,
	})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = e.logs, e.logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	e.cmd = cmd
	go func() { e.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-e.done
		if t.Failed() {
			t.Logf("rie's log:\n%s", e.logs)
		}
	})
	// rie listens once it has started; INIT waits for the first invoke.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", e.emulator)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("rie does not listen on %s: %v", e.emulator, err)
		}
		select {
		case werr := <-e.done:
			e.done <- werr
			t.Fatalf("rie exited before it listened: %v (%v)", werr, e.cmd.ProcessState)
		case <-time.After(20 * time.Millisecond):
		}
	}
	return e
}

// invoke invokes the function through rie's emulator endpoint.
func (e *environment) invoke(t *testing.T, payload string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+e.emulator+"/2015-03-31/functions/function/invocations", strings.NewReader(payload))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("invoke: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends rie SIGTERM (ctx's cancel), waits for it to exit, and
// returns its exit status (Wait's error is ctx's).
func (e *environment) stop(t *testing.T) int {
	t.Helper()
	e.cancel()
	select {
	case err := <-e.done:
		e.done <- err
		return e.cmd.ProcessState.ExitCode()
	case <-time.After(20 * time.Second):
		t.Fatal("rie did not exit within 20 s of SIGTERM")
		return -1
	}
}

// functionRole is a session of a role that may read secrets and follow
// the change feed, and its environment variables.
func functionRole(t *testing.T, srv *sealtest.Server) (sealtest.Role, []string) {
	t.Helper()
	role := srv.NewRole(t, "fn", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","sealbox:GetChanges"],"Resource":"*"}]}`, "fn-session")
	return role, []string{
		"AWS_ACCESS_KEY_ID=" + role.Creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + role.Creds.SecretAccessKey,
		"AWS_SESSION_TOKEN=" + role.Creds.SessionToken, "AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=" + srv.URL,
	}
}

// TestExtensionServesTheFunction: rie starts the sealbox binary from
// /opt/extensions; it registers, serves the function's reads with the
// session token as its token, follows the change feed (a new value
// reaches the next, warm, invocation), and exits at SHUTDOWN.
func TestExtensionServesTheFunction(t *testing.T) {
	rie := needRIE(t)
	srv := sealtest.Start(t)
	ctx := context.Background()
	sm := srv.SecretsManager()
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String("first-value")}); err != nil {
		t.Fatal(err)
	}
	_, env := functionRole(t, srv)
	port := freePort(t)
	e := startEnvironment(t, rie, append(env, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+port), nil)

	code, body := e.invoke(t, `{"secretId":"prod/db"}`)
	if code != http.StatusOK || !strings.Contains(body, `"secret":"first-value"`) || !strings.Contains(body, `"uid":0`) {
		t.Fatalf("cold invoke = %d %s, want 200 with first-value", code, body)
	}
	logs := e.logs.String()
	for _, want := range []string{
		"External agent AWSParametersAndSecretsLambdaExtension", // rie: registered as an external extension
		"registered as a Lambda extension",                      // the agent
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log lacks %q", want)
		}
	}

	logInitTimes(t, logs)

	if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"), SecretString: aws.String("second-value")}); err != nil {
		t.Fatal(err)
	}
	// The change feed evicts the cached value within its latency (the TTL
	// is 300 s): poll a few warm invocations.
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, body = e.invoke(t, `{"secretId":"prod/db"}`)
		if code == http.StatusOK && strings.Contains(body, `"secret":"second-value"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("warm invoke after the rotation = %d %s, want second-value", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	if code := e.stop(t); code != 0 {
		t.Fatalf("rie exited with status %d after SIGTERM, want 0", code)
	}
	logs = e.logs.String()
	// rie's SIGTERM handler shuts the environment down as
	// SandboxTerminated.
	if !strings.Contains(logs, `msg="shutting down" reason=SandboxTerminated`) {
		t.Errorf("the agent did not log its SHUTDOWN event")
	}
	if strings.Contains(logs, "Killing it") {
		t.Errorf("rie had to kill a process that did not exit at SHUTDOWN")
	}
	// The agent's port is free again: it exited.
	if ln, err := net.Listen("tcp", "127.0.0.1:"+port); err != nil {
		t.Errorf("port %s is still taken after SHUTDOWN: %v", port, err)
	} else {
		ln.Close()
	}
}

func freePort(t *testing.T) string {
	_, port, _ := net.SplitHostPort(freeAddr(t))
	return port
}

// TestExtensionInitError: with no token to serve with (no session token
// in the environment), the agent registers, posts init/error, and INIT
// fails: rie records Extension.InitError (an extension that exits without
// init/error is Extension.Crash), the invocation answers 502, and the
// bootstrap never runs the handler.
func TestExtensionInitError(t *testing.T) {
	rie := needRIE(t)
	srv := sealtest.Start(t)
	role, _ := functionRole(t, srv)
	env := []string{"AWS_ACCESS_KEY_ID=" + role.Creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + role.Creds.SecretAccessKey,
		"AWS_REGION=us-east-1", "AWS_ENDPOINT_URL=" + srv.URL, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT=" + freePort(t)}
	e := startEnvironment(t, rie, env, nil)
	code, body := e.invoke(t, `{"secretId":"prod/db"}`)
	if code != http.StatusBadGateway || strings.Contains(body, `"status"`) {
		t.Errorf("invoke = %d %s, want 502 without the handler's answer", code, body)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "First fatal error stored in appctx: Extension.InitError") {
		t.Errorf("rie did not record the extension's init/error")
	}
	if !strings.Contains(logs, "sealbox agent: no token") {
		t.Errorf("the agent did not say why it could not start")
	}
}

// TestExtensionUnprivileged: with Credential, rie, the bootstrap and the
// extension run as that user (nobody), still from /opt/extensions.
func TestExtensionUnprivileged(t *testing.T) {
	rie := needRIE(t)
	srv := sealtest.Start(t)
	if _, err := srv.SecretsManager().CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{Name: aws.String("app/key"), SecretString: aws.String("unprivileged-value")}); err != nil {
		t.Fatal(err)
	}
	_, env := functionRole(t, srv)
	e := startEnvironment(t, rie, append(env, "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT="+freePort(t)), &syscall.Credential{Uid: 65534, Gid: 65534})
	code, body := e.invoke(t, `{"secretId":"app/key"}`)
	if code != http.StatusOK || !strings.Contains(body, `"secret":"unprivileged-value"`) || !strings.Contains(body, `"uid":65534`) {
		t.Fatalf("invoke = %d %s, want 200 with unprivileged-value as uid 65534", code, body)
	}
	if code := e.stop(t); code != 0 {
		t.Fatalf("rie exited with status %d after SIGTERM, want 0", code)
	}
}

// TestCommandRefuses: what Command will not start.
func TestCommandRefuses(t *testing.T) {
	ok := lambdaext.Options{RIE: "/usr/bin/aws-lambda-rie", Helper: "/usr/bin/sealbox", Bootstrap: "/srv/task/bootstrap", TaskDir: "/srv/task",
		OptDir: t.TempDir(), RuntimeAPIAddr: "127.0.0.1:9001", EmulatorAddr: "127.0.0.1:8080"}
	for name, change := range map[string]func(*lambdaext.Options){
		"relative bootstrap":   func(o *lambdaext.Options) { o.Bootstrap = "bootstrap" },
		"bootstrap under /opt": func(o *lambdaext.Options) { o.Bootstrap = "/opt/bootstrap" },
		"rie under /opt":       func(o *lambdaext.Options) { o.RIE = "/opt/rie/aws-lambda-rie" },
		"name with a slash": func(o *lambdaext.Options) {
			o.Extensions = []lambdaext.Extension{{Name: "a/b", Path: "/usr/bin/sealbox"}}
		},
		"name dot-dot": func(o *lambdaext.Options) {
			o.Extensions = []lambdaext.Extension{{Name: "..", Path: "/usr/bin/sealbox"}}
		},
		"name twice": func(o *lambdaext.Options) {
			o.Extensions = []lambdaext.Extension{{Name: "a", Path: "/usr/bin/sealbox"}, {Name: "a", Path: "/usr/bin/sealbox"}}
		},
		"no runtime API address": func(o *lambdaext.Options) { o.RuntimeAPIAddr = "" },
		"bootstrap in the /tmp its own hides": func(o *lambdaext.Options) {
			o.TmpSize, o.Bootstrap = 512<<20, "/tmp/elsewhere/bootstrap"
		},
		"bootstrap in the /dev/shm its own hides": func(o *lambdaext.Options) {
			o.TmpSize, o.TaskDir, o.Bootstrap = 512<<20, "/tmp/task", "/dev/shm/bootstrap"
		},
	} {
		o := ok
		change(&o)
		if _, err := lambdaext.Command(context.Background(), o); err == nil {
			t.Errorf("%s: Command(%+v) err = nil, want an error", name, o)
		}
	}
	inTmp := ok
	inTmp.TmpSize, inTmp.TaskDir, inTmp.Bootstrap = 512<<20, "/tmp/env/task", "/tmp/env/task/bootstrap"
	for _, o := range []lambdaext.Options{ok, inTmp} {
		if _, err := lambdaext.Command(context.Background(), o); err != nil {
			t.Errorf("Command(%+v) = %v, want a command", o, err)
		}
	}
}

// logInitTimes logs, from rie's log (millisecond timestamps), how long
// INIT took until the extension registered and in all.
func logInitTimes(t *testing.T, logs string) {
	at := func(marker string) time.Time {
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, marker) && len(line) > 24 {
				ts, err := time.Parse("02 Jan 2006 15:04:05,000", line[:24])
				if err == nil {
					return ts
				}
			}
		}
		return time.Time{}
	}
	start, registered, done := at("INIT START"), at("External agent"), at("INIT RTDONE")
	if start.IsZero() || registered.IsZero() || done.IsZero() {
		t.Logf("INIT's times not found in rie's log")
		return
	}
	t.Logf("INIT: extension registered after %v, INIT done after %v", registered.Sub(start), done.Sub(start))
}

// TestCommandHidesTheEnvironmentFromTheHelper: the helper runs as root,
// and the environment holds the function's variables, which whoever
// configures the function chooses: the helper's own environment is only
// their encoding (no LD_PRELOAD for the dynamic loader, no GODEBUG for its
// runtime); rie gets them decoded (TestExtensionServesTheFunction's
// function reads its port and token from them).
func TestCommandHidesTheEnvironmentFromTheHelper(t *testing.T) {
	cmd, err := lambdaext.Command(context.Background(), lambdaext.Options{RIE: "/usr/bin/aws-lambda-rie", Helper: "/usr/bin/sealbox",
		Bootstrap: "/srv/task/bootstrap", TaskDir: "/srv/task", OptDir: t.TempDir(), RuntimeAPIAddr: "127.0.0.1:9001", EmulatorAddr: "127.0.0.1:8080",
		Env: []string{"LD_PRELOAD=/tmp/evil.so", "LD_LIBRARY_PATH=/tmp", "GODEBUG=x=1", "DB=db.internal"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(cmd.Env) != 1 || !strings.HasPrefix(cmd.Env[0], "SEALBOX_LAMBDA_ENVIRONMENT=") || strings.Contains(cmd.Env[0], "LD_PRELOAD") {
		t.Fatalf("the helper's environment is %q, want only the encoded one", cmd.Env)
	}
}
