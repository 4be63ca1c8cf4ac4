// Command testfn is the function the runner's end-to-end tests deploy: a
// provided.al2023 bootstrap built with aws-lambda-go. What it does is
// chosen by the event's action: report its environment (and how many
// invocations this process has served, to tell warm from cold), fail,
// crash, return a result shaped like an error, outlast its timeout, try to read a file or hold memory, leave a
// process behind, read a
// secret through the Parameters and Secrets extension (with its token, or
// a wrong one), connect to addresses (dial).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
)

var (
	served atomic.Int64
	kept   []byte // what "alloc" holds
)

func handle(ctx context.Context, e fnio.Event) (any, error) {
	n := served.Add(1)
	fmt.Printf("testfn: action %q, invocation %d\n", e.Action, n)
	// "sleep" sleeps, as may any action first (to overlap invocations).
	time.Sleep(time.Duration(e.Seconds * float64(time.Second)))
	switch e.Action {
	case "error":
		return nil, errors.New("the function failed on purpose")
	case "crash":
		os.Exit(3)
	case "error-shaped":
		// A result, not an error, that looks like Lambda's error object.
		return map[string]any{"errorType": "Shaped", "errorMessage": "a result shaped like an error"}, nil
	case "alloc":
		b := make([]byte, e.MB<<20)
		for i := range b {
			b[i] = 1
		}
		kept = b
		fmt.Printf("testfn: holding %d MB\n", len(kept)>>20)
	}
	a := &fnio.Answer{
		DBEndpoint: os.Getenv("DB_ENDPOINT"), Secret: os.Getenv("DB_PASSWORD"), Count: n, PID: hostPID(), UID: os.Getuid(),
		Name: os.Getenv("AWS_LAMBDA_FUNCTION_NAME"), Version: os.Getenv("AWS_LAMBDA_FUNCTION_VERSION"),
		Memory: os.Getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Region: os.Getenv("AWS_REGION"),
		Endpoint: os.Getenv("AWS_ENDPOINT_URL"), HasKey: os.Getenv("AWS_ACCESS_KEY_ID") != "",
		HasToken: os.Getenv("AWS_SESSION_TOKEN") != "", TmpDir: os.TempDir(),
		RuntimeAPI: os.Getenv("AWS_LAMBDA_RUNTIME_API"),
		NSPID:      os.Getpid(),
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		a.InvokedARN = lc.InvokedFunctionArn
	}
	a.PIDNamespace, _ = os.Readlink("/proc/self/ns/pid")
	var fs syscall.Statfs_t
	if syscall.Statfs("/tmp", &fs) == nil {
		a.TmpBytes = fs.Blocks * uint64(fs.Bsize)
	}
	if e.Action == "write" {
		// Writes e.Path, its folders first, and keeps them.
		a.Wrote = "ok"
		if err := os.MkdirAll(filepath.Dir(e.Path), 0o755); err != nil {
			a.Wrote = err.Error()
		} else if err := os.WriteFile(e.Path, []byte("written by "+a.Name), 0o644); err != nil {
			a.Wrote = err.Error()
		}
	}
	if e.Action == "procs" {
		ents, _ := os.ReadDir("/proc")
		for _, d := range ents {
			if n, err := strconv.Atoi(d.Name()); err == nil {
				a.Procs = append(a.Procs, n)
			}
		}
		b, _ := os.ReadFile("/proc/1/cmdline")
		a.Init = strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
	}
	if e.Action == "extension" || e.Action == "extension-bad-token" {
		token := os.Getenv("AWS_SESSION_TOKEN")
		if e.Action == "extension-bad-token" {
			token = "not-" + token
		}
		if err := readThroughExtension(ctx, a, e.SecretID, token); err != nil {
			return nil, err
		}
	}
	if e.Action == "spawn" {
		// A process that escapes the runtime's process group, as a
		// careless function's may: the runner must still stop it.
		c := exec.Command("/bin/sleep", "600")
		c.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		if err := c.Start(); err != nil {
			return nil, err
		}
		a.Child = hostChild(c.Process.Pid)
		a.ChildNSPID = c.Process.Pid
	}
	if e.Action == "dial" {
		// Connects to each address of Dial: what the function reaches.
		a.Dialed = map[string]string{}
		for _, addr := range e.Dial {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err != nil {
				a.Dialed[addr] = err.Error()
				continue
			}
			c.Close()
			a.Dialed[addr] = "connected"
		}
	}
	if e.Path != "" {
		_, err := os.ReadFile(e.Path)
		ok := err == nil
		a.Readable = &ok
	}
	return a, nil
}

// hostPID is this process's id as its /proc sees it: the host's id when
// /proc is the host's, whose "self" names the reader by its id there; its
// environment's when the environment has a /proc of its own.
func hostPID() int {
	if s, err := os.Readlink("/proc/self"); err == nil {
		if n, err := strconv.Atoi(s); err == nil {
			return n
		}
	}
	return os.Getpid()
}

// hostChild is the host's id of this process's child pid (its id here):
// the one whose status says this process is its parent and pid its id in
// the innermost namespace (NSpid's last).
func hostChild(pid int) int {
	self := strconv.Itoa(hostPID())
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		var ppid, nspid string
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				ppid = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				f := strings.Fields(v)
				nspid = f[len(f)-1]
			}
		}
		if ppid == self && nspid == strconv.Itoa(pid) {
			n, _ := strconv.Atoi(e.Name())
			return n
		}
	}
	return 0
}

// readThroughExtension reads a secret as the extension's documentation
// shows: on PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, with the session
// token in X-Aws-Parameters-Secrets-Token.
func readThroughExtension(ctx context.Context, a *fnio.Answer, id, token string) error {
	a.ExtPort = os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	u := "http://127.0.0.1:" + a.ExtPort + "/secretsmanager/get?secretId=" + url.QueryEscape(id)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	a.ExtStatus = resp.StatusCode
	if resp.StatusCode == http.StatusOK {
		var out struct{ SecretString string }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			return err
		}
		a.ExtValue = out.SecretString
	}
	return nil
}

func main() { lambda.Start(handle) }
