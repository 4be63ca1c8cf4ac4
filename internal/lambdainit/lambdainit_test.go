package lambdainit_test

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdainit"
)

// TestMain runs Main when the test binary is started as the init.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == lambdainit.Command {
		os.Exit(lambdainit.Main(os.Args[2:], os.Stderr))
	}
	os.Exit(m.Run())
}

// startInit starts this binary as the init of a new PID namespace, the
// runner's way (through Wrap), running sh -c script, and waits for the
// script's first line.
func startInit(t *testing.T, script string) *exec.Cmd {
	t.Helper()
	if os.Geteuid() != 0 {
		if os.Getenv("SEALBOX_LAMBDA_TESTS") == "1" {
			t.Fatal("SEALBOX_LAMBDA_TESTS=1 but not root: these tests make a PID namespace")
		}
		t.Skip("a PID namespace needs root here")
	}
	self, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer self.Close()
	sh := exec.Command("/bin/sh", "-c", script)
	sh.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Setpgid: true}
	w := lambdainit.Wrap(t.Context(), sh, self)
	out, err := w.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	w.Stderr = os.Stderr
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Process.Kill(); w.Wait() })
	if !bufio.NewScanner(out).Scan() {
		t.Fatal("the script wrote nothing")
	}
	return w
}

// TestInitPassesSIGTERMOn: a SIGTERM to the init reaches its program,
// which handles it (as rie does, sending SHUTDOWN), and the init exits
// with the program's status.
func TestInitPassesSIGTERMOn(t *testing.T) {
	w := startInit(t, `trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done`)
	start := time.Now()
	w.Process.Signal(syscall.SIGTERM)
	err := w.Wait()
	if code := w.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("the init exited %v (%d), want its program's 7", err, code)
	}
	t.Logf("exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))
}

// TestInitEndsTheNamespace: an orphan of the namespace that exits is
// reaped (no zombie left); when the program exits, the init exits with
// its status and the kernel ends what the program left running.
func TestInitEndsTheNamespace(t *testing.T) {
	// (sleep 0.1 &) leaves an orphan, which the init inherits; sleep 60
	// is left running.
	w := startInit(t, `(sleep 0.1 &); sleep 60 & echo started; sleep 1; exit 3`)
	time.Sleep(500 * time.Millisecond)
	init := strconv.Itoa(w.Process.Pid)
	ns := descendants(init)
	for _, p := range ns {
		if stat(p)[0] == "Z" {
			t.Errorf("process %s of the namespace is a zombie: the orphan was not reaped", p)
		}
	}
	if len(ns) != 3 { // sh, its sleep 60 and sleep 1
		t.Errorf("the namespace holds %v besides the init, want sh and its two sleeps", ns)
	}
	err := w.Wait()
	if code := w.ProcessState.ExitCode(); code != 3 {
		t.Fatalf("the init exited %v (%d), want its program's 3", err, code)
	}
	deadline := time.Now().Add(time.Second)
	for _, p := range ns {
		for f := stat(p); f != nil && f[0] != "Z"; f = stat(p) {
			if time.Now().After(deadline) {
				t.Fatalf("process %s of the namespace outlived its init", p)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// stat is /proc/pid/stat's fields after the command's name (state,
// parent, ...); nil if pid is gone.
func stat(pid string) []string {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

// descendants lists the processes under pid.
func descendants(pid string) []string {
	parent := map[string]string{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if f := stat(e.Name()); len(f) > 1 {
			parent[e.Name()] = f[1]
		}
	}
	var out []string
	for p := range parent {
		for q := parent[p]; q != "" && q != "0"; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}
