package lambdarun_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/lambdarun"
)

// killedRunnerVar makes TestKilledRunnerChild run: it is the process the
// kill tests kill ("pidns" or "none": how its environments start).
const killedRunnerVar = "SEALBOX_TEST_KILLED_RUNNER"

// TestKilledRunnerChild is not a test of its own: run by
// startKilledRunner, it starts an environment whose function leaves a
// process behind, writes the function's answer and waits to be killed.
func TestKilledRunnerChild(t *testing.T) {
	mode := os.Getenv(killedRunnerVar)
	if mode == "" {
		t.Skip("run by the kill tests")
	}
	r := newRunner(t, lambdarun.Config{})
	if mode == "none" {
		lambdarun.WithoutPIDNamespace(r)
	}
	inits := 0
	_, a := invoke(t, r, spec(t, "k", &inits), `{"action":"spawn"}`)
	b, _ := json.Marshal(a)
	os.Stdout.Write(append(b, '\n'))
	time.Sleep(time.Hour)
}

// startKilledRunner starts this test binary as TestKilledRunnerChild in
// mode, its temporary folder tmp, and returns it and its function's
// answer.
func startKilledRunner(t *testing.T, mode, tmp string) (*exec.Cmd, answer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledRunnerChild$", "-test.v")
	cmd.Env = append(os.Environ(), killedRunnerVar+"="+mode, "TMPDIR="+tmp)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var a answer
		if json.Unmarshal(lines.Bytes(), &a) == nil && a.PID != 0 {
			if a.Child == 0 {
				t.Fatalf("the function's answer %s names no child", lines.Bytes())
			}
			return cmd, a
		}
	}
	t.Fatalf("the runner exited without the function's answer: %v", cmd.Wait())
	return nil, answer{}
}

// publicTemp is a temporary folder the function's user may cross.
func publicTemp(t *testing.T) string {
	tmp := t.TempDir()
	for _, d := range []string{tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tmp
}

// TestKilledRunnerLeavesNoProcess: a process running a Runner is killed
// with SIGKILL while its environment runs, the function having left a
// process behind in a session of its own. In the environment's PID
// namespace (here rie is its first process: no Helper), the kernel ends
// the function and that process within a second.
func TestKilledRunnerLeavesNoProcess(t *testing.T) {
	tmp := publicTemp(t)
	cmd, a := startKilledRunner(t, "pidns", tmp)
	if !lambdarun.InPIDNamespace(a.PID) || !lambdarun.InPIDNamespace(a.Child) {
		t.Fatalf("the function %d and its child %d are not in a PID namespace of their own", a.PID, a.Child)
	}
	killed := time.Now()
	cmd.Process.Kill()
	cmd.Wait()
	for alive(a.PID) || alive(a.Child) {
		if time.Since(killed) > time.Second {
			t.Fatalf("a second after the runner's SIGKILL: the function %d alive %v, its child %d alive %v", a.PID, alive(a.PID), a.Child, alive(a.Child))
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("the environment's processes were gone %v after the SIGKILL", time.Since(killed).Round(time.Millisecond))
}

// TestRunnerSweepsAKilledRunner: where environments start without a PID
// namespace, a process the function left in a session of its own
// outlives a runner killed with SIGKILL; the next runner started kills it
// and removes the killed one's folder, and leaves a live runner's alone.
func TestRunnerSweepsAKilledRunner(t *testing.T) {
	tmp := publicTemp(t)
	t.Setenv("TMPDIR", tmp)
	newRunner(t, lambdarun.Config{}) // alive throughout
	cmd, a := startKilledRunner(t, "none", tmp)
	if lambdarun.InPIDNamespace(a.Child) {
		t.Fatalf("the function's child %d is in a PID namespace: the test wants none", a.Child)
	}
	dirs, _ := filepath.Glob(filepath.Join(tmp, "sealbox-lambda-*"))
	if len(dirs) != 2 {
		t.Fatalf("runner folders %v, want the live runner's and the killed one's", dirs)
	}
	// The child works in its environment's folder, in the killed runner's.
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(a.Child) + "/cwd")
	if err != nil {
		t.Fatal(err)
	}
	var killedDir, liveDir string
	for _, d := range dirs {
		if strings.HasPrefix(cwd, d+"/") {
			killedDir = d
		} else {
			liveDir = d
		}
	}
	if killedDir == "" {
		t.Fatalf("the child works in %s, in neither runner's folder %v", cwd, dirs)
	}
	cmd.Process.Kill()
	cmd.Wait()
	time.Sleep(200 * time.Millisecond)
	if !alive(a.Child) {
		t.Fatalf("the function's child %d died with the runner: this test wants it left behind", a.Child)
	}
	newRunner(t, lambdarun.Config{})
	waitGone(t, "after the next runner's start", a.Child)
	if _, err := os.Stat(killedDir); !os.IsNotExist(err) {
		t.Errorf("the killed runner's folder %s: %v, want it removed", killedDir, err)
	}
	if _, err := os.Stat(liveDir); err != nil {
		t.Errorf("the live runner's folder %s: %v, want it kept", liveDir, err)
	}
}
