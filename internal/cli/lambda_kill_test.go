package cli_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
	"github.com/sealbox/sealbox/internal/portguard"
)

// TestKilledServerLeavesNoEnvironment: a `sealbox server` process runs a
// function whose invocation leaves a process behind in a session of its
// own (and, as root, a function with the Parameters and Secrets
// extension, whose agent is a long-lived process of its environment);
// the server is killed with SIGKILL, which it cannot handle. Within a
// second no process of either environment is left: not the function,
// nor the process it left, nor rie, nor the agent (each environment is
// a PID namespace whose first process dies with the server). The runner's
// folder the killed server could not remove is removed when a server
// starts again on the same data folder, and the folder of another server,
// alive, is kept.
func TestKilledServerLeavesNoEnvironment(t *testing.T) {
	rie := lambdatest.Emulator(t)
	// The servers' temporary folder, which holds their runners' folders:
	// one of this test's own, which the function's user (nobody) may
	// cross.
	tmp := t.TempDir()
	for _, d := range []string{tmp, filepath.Dir(tmp)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"TMPDIR=" + tmp}
	other := startSealboxEnv(t, env, "--lambda-rie", rie)
	otherDir := runnerFolders(t, tmp)
	if len(otherDir) != 1 {
		t.Fatalf("runner folders %v, want the first server's one", otherDir)
	}
	srv := startSealboxEnv(t, env, "--lambda-rie", rie)
	var dir string
	for _, d := range runnerFolders(t, tmp) {
		if d != otherDir[0] {
			dir = d
		}
	}
	if dir == "" {
		t.Fatal("the second server made no runner folder")
	}

	creds := readCredentials(t, srv.credFile)
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		HTTPClient:  &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}}
	role, err := iam.NewFromConfig(cfg).CreateRole(t.Context(), &iam.CreateRoleInput{RoleName: aws.String("fn-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	fns := lambda.NewFromConfig(cfg)
	names := []string{"spawner"}
	if os.Geteuid() == 0 {
		names = append(names, "spawner-with-agent")
	}
	var answers []fnio.Answer
	for _, name := range names {
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: role.Role.Arn, Runtime: lambdatypes.RuntimeProvidedal2023,
			Handler: aws.String("bootstrap"), Timeout: aws.Int32(5), Code: &lambdatypes.FunctionCode{ZipFile: lambdatest.FunctionZip(t)}}
		if name == "spawner-with-agent" {
			in.Layers = []string{"arn:aws:lambda:us-east-1:177933569100:layer:AWS-Parameters-and-Secrets-Lambda-Extension:12"}
		}
		if _, err := fns.CreateFunction(t.Context(), in); err != nil {
			t.Fatalf("CreateFunction %s: %v", name, err)
		}
		out, err := fns.Invoke(t.Context(), &lambda.InvokeInput{FunctionName: aws.String(name), Payload: []byte(`{"action":"spawn"}`)})
		if err != nil {
			t.Fatalf("Invoke %s: %v", name, err)
		}
		if out.FunctionError != nil {
			t.Fatalf("Invoke %s: %s %s", name, *out.FunctionError, out.Payload)
		}
		var a fnio.Answer
		if err := json.Unmarshal(out.Payload, &a); err != nil || a.PID == 0 || a.Child == 0 {
			t.Fatalf("Invoke %s answered %s (%v), want the function's and its child's ids", name, out.Payload, err)
		}
		lambdatest.OnHost(&a)
		answers = append(answers, a)
	}
	running := workingIn(dir)
	for _, a := range answers {
		for _, pid := range []int{a.PID, a.Child} {
			if !running[pid] {
				t.Fatalf("process %d is not among those working in %s: %v", pid, dir, running)
			}
		}
	}
	// Each environment is a PID namespace whose first process is sealbox's
	// init in front of rie: lambdainit, or, as root, lambdaext's helper
	// (which sets the environment's mounts up, then does lambdainit's work).
	inits := 0
	for pid := range running {
		ids := nsPIDs(pid)
		if len(ids) < 2 {
			t.Errorf("process %d (%s) is not in a PID namespace of its own", pid, describe(map[int]bool{pid: true}))
		}
		if len(ids) > 0 && ids[len(ids)-1] == "1" {
			inits++
			want := "sealbox\x00__lambda-init\x00"
			if os.Geteuid() == 0 {
				want = "sealbox\x00__lambda-environment\x00"
			}
			if cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); !strings.HasPrefix(string(cmd), want) {
				t.Errorf("the first process of a namespace is %q, want %q", cmd, want)
			}
		}
	}
	if inits != len(names) {
		t.Errorf("%d namespaces' first processes, want one per environment (%d)", inits, len(names))
	}
	// rie and the bootstrap at least; with the agent, its processes too.
	t.Logf("before the kill, %d processes work in the runner's folder: %v", len(running), sortedKeys(running))

	// As root, each server has its port guard's table, named after it.
	guardTable := func(p *sealboxProc) string {
		t.Helper()
		if os.Geteuid() != 0 {
			return ""
		}
		names, err := portguard.Tables()
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			if strings.HasPrefix(n, portguard.TablePrefix+strconv.Itoa(p.cmd.Process.Pid)+"_") {
				return n
			}
		}
		t.Fatalf("no port guard table of server %d among %v", p.cmd.Process.Pid, names)
		return ""
	}
	hasTable := func(name string) bool {
		names, err := portguard.Tables()
		if err != nil {
			t.Fatal(err)
		}
		return slices.Contains(names, name)
	}
	killedTable, otherTable := guardTable(srv), guardTable(other)

	killed := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.done
	srv.stopped = true
	var left map[int]bool
	for {
		left = workingIn(dir)
		for _, a := range answers {
			for _, pid := range []int{a.PID, a.Child} {
				if alive(pid) {
					left[pid] = true
				}
			}
		}
		if len(left) == 0 || time.Since(killed) > time.Second {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(left) != 0 {
		t.Fatalf("a second after the server's SIGKILL, processes of its environments are alive: %v", describe(left))
	}
	t.Logf("every process of the environments was gone %v after the SIGKILL", time.Since(killed).Round(time.Millisecond))
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the killed server's runner folder %s: %v, want it left behind (nothing removed it yet)", dir, err)
	}
	if killedTable != "" && !hasTable(killedTable) {
		t.Fatalf("the killed server's port guard table %s is gone before a restart: the check below would prove nothing", killedTable)
	}

	again := startSealboxEnv(t, env, "--lambda-rie", rie, "--data", srv.dataDir)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("after a restart, the killed server's runner folder %s: %v, want it removed", dir, err)
	}
	if _, err := os.Stat(otherDir[0]); err != nil {
		t.Errorf("the live server's runner folder %s: %v, want it kept", otherDir[0], err)
	}
	if n := len(runnerFolders(t, tmp)); n != 2 {
		t.Errorf("%d runner folders, want 2 (the live server's and the restarted one's)", n)
	}
	var againTable string
	if os.Geteuid() == 0 {
		if hasTable(killedTable) {
			t.Errorf("after a restart, the killed server's port guard table %s is left", killedTable)
		}
		if !hasTable(otherTable) {
			t.Errorf("the restart removed the live server's port guard table %s", otherTable)
		}
		againTable = guardTable(again)
	}
	again.stop(t)
	other.stop(t)
	for _, name := range []string{otherTable, againTable} {
		if name != "" && hasTable(name) {
			t.Errorf("after its server stopped, its port guard table %s is left", name)
		}
	}
	if left := runnerFolders(t, tmp); len(left) != 0 {
		t.Errorf("after both servers stopped, runner folders %v are left", left)
	}
}

// runnerFolders lists the runners' folders in tmp.
func runnerFolders(t *testing.T, tmp string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(tmp, "sealbox-lambda-*"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// workingIn is the set of live processes whose working directory is dir
// or under it.
func workingIn(dir string) map[int]bool {
	out := map[int]bool{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !alive(pid) {
			continue
		}
		if cwd, err := os.Readlink("/proc/" + e.Name() + "/cwd"); err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/")) {
			out[pid] = true
		}
	}
	return out
}

// alive reports whether pid is a process that has not exited (a zombie
// has).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// nsPIDs is pid's id in each PID namespace it is in, outermost first.
func nsPIDs(pid int) []string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return strings.Fields(v)
		}
	}
	return nil
}

// describe names each process by its command line.
func describe(pids map[int]bool) []string {
	var out []string
	for _, pid := range sortedKeys(pids) {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		out = append(out, strconv.Itoa(pid)+": "+strings.ReplaceAll(strings.TrimRight(string(b), "\x00"), "\x00", " "))
	}
	return out
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
