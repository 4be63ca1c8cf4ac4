package lambdarun_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
)

type answer struct {
	DBEndpoint string `json:"db_endpoint"`
	Count      int    `json:"count"`
	PID        int    `json:"pid"`
	UID        int    `json:"uid"`
	Memory     string `json:"memory"`
	TmpDir     string `json:"tmpdir"`
	Readable   *bool  `json:"readable"`
	Child      int    `json:"child"`
	RuntimeAPI string `json:"runtime_api"`
}

func newRunner(t *testing.T, c lambdarun.Config) *lambdarun.Runner {
	t.Helper()
	c.Emulator = lambdatest.Emulator(t)
	r, err := lambdarun.New(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func spec(t *testing.T, key string, inits *int) *lambdarun.Spec {
	code := lambdatest.FunctionZip(t)
	return &lambdarun.Spec{Key: key, Group: "fn", Name: "fn", Version: "$LATEST", Timeout: 2 * time.Second, MemoryMB: 128,
		Watch: []string{"watched"},
		Code:  func(context.Context) ([]byte, error) { return code, nil },
		Init: func(context.Context, lambdarun.Runtime) (map[string]string, []string, error) {
			*inits++
			return map[string]string{"DB_ENDPOINT": "db.internal:5432", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, []string{"init-watched"}, nil
		}}
}

func invoke(t *testing.T, r *lambdarun.Runner, s *lambdarun.Spec, payload string) (*lambdarun.Result, answer) {
	t.Helper()
	res, err := r.Invoke(context.Background(), s, &lambdarun.Invocation{RequestID: "req-" + t.Name(), Payload: []byte(payload), Tail: true})
	if err != nil {
		t.Fatalf("Invoke(%s) = %v", payload, err)
	}
	var a answer
	if res.FunctionError == "" {
		if err := json.Unmarshal(res.Payload, &a); err != nil {
			t.Fatalf("Invoke(%s) answered %q: %v", payload, res.Payload, err)
		}
	}
	return res, a
}

// TestRunnerColdWarmAndStale: the first invocation starts an environment
// (INIT once), the second reuses the same process, a change of a watched
// key drops it and the next starts anew.
func TestRunnerColdWarmAndStale(t *testing.T) {
	r := newRunner(t, lambdarun.Config{})
	inits := 0
	s := spec(t, "k1", &inits)
	res, a := invoke(t, r, s, `{"action":"env"}`)
	if !res.Cold || a.Count != 1 || a.DBEndpoint != "db.internal:5432" || inits != 1 {
		t.Fatalf("first invocation: cold %v, answer %+v, inits %d; want cold, count 1, the variable, one INIT", res.Cold, a, inits)
	}
	if a.UID < lambdarun.FirstEnvironmentUID || a.UID >= lambdarun.FirstEnvironmentUID+lambdarun.EnvironmentUIDs {
		t.Errorf("the function ran as uid %d, want an environment's own user (from %d)", a.UID, lambdarun.FirstEnvironmentUID)
	}
	if !strings.Contains(string(res.Log), `testfn: action "env"`) || !strings.Contains(string(res.Log), "REPORT RequestId: req-") {
		t.Errorf("Tail log = %q, want the function's line and the REPORT", res.Log)
	}
	res2, a2 := invoke(t, r, s, `{"action":"env"}`)
	if res2.Cold || a2.Count != 2 || a2.PID != a.PID || inits != 1 {
		t.Fatalf("second invocation: cold %v, answer %+v (first pid %d), inits %d; want the warm process", res2.Cold, a2, a.PID, inits)
	}
	r.Stale("watched")
	res3, a3 := invoke(t, r, s, `{"action":"env"}`)
	if !res3.Cold || a3.Count != 1 || inits != 2 {
		t.Fatalf("after Stale: cold %v, answer %+v, inits %d; want a new environment", res3.Cold, a3, inits)
	}
	if a3.UID == a.UID {
		t.Errorf("the new environment runs as uid %d, the stopped one's", a3.UID)
	}
	r.Stale("init-watched")
	if res4, _ := invoke(t, r, s, `{"action":"env"}`); !res4.Cold || inits != 3 {
		t.Fatalf("after Stale of a key Init named: cold %v, inits %d; want a new environment", res4.Cold, inits)
	}
}

// TestRunnerFunctionErrors: an error, a timeout and a crash are answered
// as Lambda answers them, a result shaped like an error is not flagged, and the last two drop the environment.
func TestRunnerFunctionErrors(t *testing.T) {
	r := newRunner(t, lambdarun.Config{})
	inits := 0
	s := spec(t, "k", &inits)
	res, _ := invoke(t, r, s, `{"action":"error"}`)
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), `"errorMessage":"the function failed on purpose"`) {
		t.Errorf("error: %q %s, want Unhandled and the error object", res.FunctionError, res.Payload)
	}
	// A result shaped like an error is a result: the runtime did not
	// post an error.
	if res, _ = invoke(t, r, s, `{"action":"error-shaped"}`); res.FunctionError != "" || !strings.Contains(string(res.Payload), `"errorType":"Shaped"`) {
		t.Errorf("a result shaped like an error: %q %s, want no FunctionError and the object", res.FunctionError, res.Payload)
	}
	res, _ = invoke(t, r, s, `{"action":"sleep","seconds":5}`)
	want := `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: req-TestRunnerFunctionErrors Error: Task timed out after 2.00 seconds"}`
	if res.FunctionError != "Unhandled" || string(res.Payload) != want {
		t.Errorf("timeout: %q %s, want Unhandled %s", res.FunctionError, res.Payload, want)
	}
	res, a := invoke(t, r, s, `{"action":"env"}`)
	if !res.Cold || a.Count != 1 {
		t.Errorf("after a timeout: cold %v count %d, want a new environment", res.Cold, a.Count)
	}
	res, _ = invoke(t, r, s, `{"action":"crash"}`)
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), `"errorType":"Runtime.ExitError"`) {
		t.Errorf("crash: %q %s, want Unhandled Runtime.ExitError", res.FunctionError, res.Payload)
	}
}

// TestRunnerIsolation: the function cannot read a root-only file, and its
// temporary folder is its environment's own. A runner without the sealbox
// executable (Config.Helper) cannot give an environment a mount namespace
// of its own: it says once, at the first cold start, that environments
// share the host's /tmp and /proc.
func TestRunnerIsolation(t *testing.T) {
	var logs syncBuffer
	r := newRunner(t, lambdarun.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	inits := 0
	s := spec(t, "k", &inits)
	_, a := invoke(t, r, s, `{"action":"env","path":"/etc/shadow"}`)
	if a.Readable == nil || *a.Readable {
		t.Errorf("the function read /etc/shadow (readable %v)", a.Readable)
	}
	if !strings.HasSuffix(a.TmpDir, "/tmp") || a.TmpDir == "/tmp" {
		t.Errorf("TMPDIR = %q, want the environment's own", a.TmpDir)
	}
	invoke(t, r, spec(t, "k2", &inits), `{"action":"env"}`)
	if n := strings.Count(logs.String(), "share the host's /tmp"); n != 1 {
		t.Errorf("two cold starts without a mount namespace: %d warnings, want 1: %q", n, logs.String())
	}
}

// syncBuffer is a log's buffer that a runner's goroutines may write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunnerOneUserForAll: Config.User (--lambda-user) runs every
// environment as that user, as it says, and only then do two share one.
func TestRunnerOneUserForAll(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running as another user needs root")
	}
	r := newRunner(t, lambdarun.Config{User: &lambdarun.Credential{UID: 65534, GID: 65534}})
	inits := 0
	_, a := invoke(t, r, spec(t, "k1", &inits), `{"action":"env"}`)
	_, b := invoke(t, r, spec(t, "k2", &inits), `{"action":"env"}`)
	if a.UID != 65534 || b.UID != 65534 || a.PID == b.PID {
		t.Errorf("two environments ran as uid %d (pid %d) and %d (pid %d), want both 65534, two processes", a.UID, a.PID, b.UID, b.PID)
	}
}

// TestRunnerThrottles: beyond the server's cap, and beyond a function's
// reserved concurrency, an invocation is refused with Lambda's reason.
func TestRunnerThrottles(t *testing.T) {
	r := newRunner(t, lambdarun.Config{MaxEnvironments: 1})
	inits := 0
	s := spec(t, "k", &inits)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Invoke(context.Background(), s, &lambdarun.Invocation{RequestID: "slow", Payload: []byte(`{"action":"sleep","seconds":1}`)})
	}()
	for r.Environments() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := r.Invoke(context.Background(), s, &lambdarun.Invocation{RequestID: "second", Payload: []byte(`{}`)})
	var th *lambdarun.ThrottledError
	if !errors.As(err, &th) || th.Reason != lambdarun.ReasonConcurrent {
		t.Errorf("a second concurrent invocation over the cap: %v, want %s", err, lambdarun.ReasonConcurrent)
	}
	<-done
}

// TestRunnerMemoryLimit: the function's MemorySize bounds the bootstrap's
// data (prlimit): holding more crashes it, as Lambda's out-of-memory does.
func TestRunnerMemoryLimit(t *testing.T) {
	if _, err := exec.LookPath("prlimit"); err != nil {
		t.Skip("prlimit not found")
	}
	r := newRunner(t, lambdarun.Config{})
	inits := 0
	s := spec(t, "k", &inits)
	if res, _ := invoke(t, r, s, `{"action":"alloc","mb":32}`); res.FunctionError != "" {
		t.Fatalf("32 MB of 128: %s %s", res.FunctionError, res.Payload)
	}
	res, _ := invoke(t, r, s, `{"action":"alloc","mb":256}`)
	if res.FunctionError != "Unhandled" || !strings.Contains(string(res.Payload), "Runtime.ExitError") {
		t.Fatalf("256 MB of 128: %q %s, want Runtime.ExitError", res.FunctionError, res.Payload)
	}
}

// alive reports whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(stat, ')')
	return i > 0 && !bytes.HasPrefix(stat[i+1:], []byte(" Z"))
}

// waitGone waits until none of pids is alive.
func waitGone(t *testing.T, what string, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: process %d is still running", what, pid)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// TestRunnerLeavesNothing: an environment dropped as stale, or stopped by
// Close, leaves no process behind: not the bootstrap, nor a process it
// started in a session of its own (out of reach of the emulator, which
// stops the runtime's process group).
func TestRunnerLeavesNothing(t *testing.T) {
	r := newRunner(t, lambdarun.Config{StopWait: time.Second})
	inits := 0
	s := spec(t, "k", &inits)
	_, a := invoke(t, r, s, `{"action":"spawn"}`)
	if a.Child == 0 || !alive(a.Child) || !alive(a.PID) {
		t.Fatalf("spawn: %+v, want a live child", a)
	}
	r.Stale("watched")
	waitGone(t, "after Stale", a.PID, a.Child)

	_, a = invoke(t, r, s, `{"action":"spawn"}`)
	if a.Child == 0 || !alive(a.Child) {
		t.Fatalf("spawn: %+v, want a live child", a)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waits for the environments to stop.
	if alive(a.PID) || alive(a.Child) {
		t.Fatalf("after Close: bootstrap %d alive %v, its child %d alive %v", a.PID, alive(a.PID), a.Child, alive(a.Child))
	}
}

// TestRunnerExtensionsNeedRoot: a server that is not root cannot give an
// environment the mount namespace its extensions need: Invoke says so
// (ErrExtensionsNeedRoot) and starts nothing, rather than a function
// whose extension is silently missing.
func TestRunnerExtensionsNeedRoot(t *testing.T) {
	r := newRunner(t, lambdarun.Config{Helper: "/usr/bin/true"})
	defer lambdarun.PretendEUID(1000)()
	inits := 0
	s := spec(t, "k", &inits)
	init := s.Init
	s.Init = func(ctx context.Context, rt lambdarun.Runtime) (map[string]string, []string, error) {
		s.Extensions = []lambdarun.Extension{{Name: "AWSParametersAndSecretsLambdaExtension", Path: "/usr/bin/true"}}
		return init(ctx, rt)
	}
	_, err := r.Invoke(context.Background(), s, &lambdarun.Invocation{RequestID: "r", Payload: []byte(`{}`)})
	if !errors.Is(err, lambdarun.ErrExtensionsNeedRoot) {
		t.Fatalf("Invoke = %v, want ErrExtensionsNeedRoot", err)
	}
	if n := r.Environments(); n != 0 {
		t.Errorf("%d environments left, want 0", n)
	}
}
