package functions_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/lambdarun/lambdatest"
	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
)

// deploySized creates the test function with ephemeral storage of mb
// (0: none said, Lambda's 512), executed by roleARN.
func deploySized(t *testing.T, c *lambda.Client, name, roleARN string, mb int32) {
	t.Helper()
	in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(roleARN), Runtime: types.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Timeout: aws.Int32(5), Code: &types.FunctionCode{ZipFile: lambdatest.FunctionZip(t)}}
	if mb != 0 {
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(mb)}
	}
	must[*lambda.CreateFunctionOutput](t, "CreateFunction "+name)(c.CreateFunction(ctx, in))
}

func invokeEvent(t *testing.T, c *lambda.Client, name string, e fnio.Event) answer {
	t.Helper()
	p, _ := json.Marshal(e)
	_, a := invokeFn(t, c, &lambda.InvokeInput{FunctionName: aws.String(name), Payload: p})
	return a
}

// TestEnvironmentTempIsItsOwn: every execution environment has its own
// /tmp, /var/tmp and /dev/shm, as Lambda gives each its /tmp. A function
// writes a file two folders deep in each (where the host's clean-up of a
// user's files, which looks at the top only, would miss it); it reads it
// back while warm. Another function, run as the same user
// (--lambda-user: only the mounts keep them apart), does not find it, nor
// does the same function's next environment (same user again), nor the
// host. /tmp is the size of the function's EphemeralStorage: Lambda's
// 512 MB by default, 600 MB for a function that says so.
func TestEnvironmentTempIsItsOwn(t *testing.T) {
	s := startWithExtension(t, func(c *config.Config) { c.LambdaUser = "65534:65534" })
	c := s.Lambda()
	role := newRole(t, s, "fn-exec", "")
	deploySized(t, c, "writer", role.ARN, 0)
	deploySized(t, c, "reader", role.ARN, 600)

	id := make([]byte, 8)
	rand.Read(id)
	unique := "sealbox-isolation-" + hex.EncodeToString(id)
	var paths []string
	for _, dir := range []string{"/tmp", "/var/tmp", "/dev/shm"} {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		top := filepath.Join(dir, unique)
		t.Cleanup(func() { os.RemoveAll(top) }) // if the test fails, not left behind
		paths = append(paths, filepath.Join(top, "b", "secret"))
	}

	for _, p := range paths {
		w := invokeEvent(t, c, "writer", fnio.Event{Action: "write", Path: p})
		if w.Wrote != "ok" || w.Readable == nil || !*w.Readable {
			t.Fatalf("the writer could not write %s: %q (readable %v)", p, w.Wrote, w.Readable)
		}
		if w.UID != 65534 {
			t.Fatalf("the writer ran as uid %d, want --lambda-user's 65534", w.UID)
		}
		if w.TmpBytes != 512<<20 {
			t.Errorf("the writer's /tmp holds %d bytes, want Lambda's default 512 MB (%d)", w.TmpBytes, 512<<20)
		}
	}
	for _, p := range paths {
		// Warm: the same environment keeps what it wrote.
		if w := invokeEvent(t, c, "writer", fnio.Event{Action: "env", Path: p}); w.Readable == nil || !*w.Readable {
			t.Errorf("the writer's warm environment lost %s", p)
		}
		r := invokeEvent(t, c, "reader", fnio.Event{Action: "env", Path: p})
		if r.Readable == nil || *r.Readable {
			t.Errorf("another function, run as the same user (uid %d), read the writer's %s", r.UID, p)
		}
		if r.UID != 65534 {
			t.Errorf("the reader ran as uid %d, want 65534", r.UID)
		}
		if _, err := os.Lstat(filepath.Dir(filepath.Dir(p))); !os.IsNotExist(err) {
			t.Errorf("the host has %s (%v): the function wrote to the host's folder", filepath.Dir(filepath.Dir(p)), err)
		}
	}
	if r := invokeEvent(t, c, "reader", fnio.Event{Action: "env"}); r.TmpBytes != 600<<20 {
		t.Errorf("the reader's /tmp holds %d bytes, want its EphemeralStorage's 600 MB (%d)", r.TmpBytes, 600<<20)
	}

	// The writer's next environment: a change of its configuration stops
	// the warm one.
	must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(c.UpdateFunctionConfiguration(ctx,
		&lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("writer"), Description: aws.String("again")}))
	for _, p := range paths {
		w := invokeEvent(t, c, "writer", fnio.Event{Action: "env", Path: p})
		if w.Readable == nil || *w.Readable {
			t.Errorf("the writer's next environment (uid %d, invocation %d) read what the one before left in %s", w.UID, w.Count, p)
		}
		if p == paths[0] && w.Count != 1 {
			t.Errorf("the writer's invocation after the change was number %d of its process, want a new environment's first", w.Count)
		}
	}
}

// TestEnvironmentSeesItsOwnProcesses: a function's /proc lists its own
// environment's processes and no other: exactly those the host finds in
// its PID namespace (sealbox's helper as its init, the emulator, the bootstrap), none
// of the server's nor another function's warm environment's; its
// /proc/1 is the environment's init.
func TestEnvironmentSeesItsOwnProcesses(t *testing.T) {
	s := startWithExtension(t)
	c := s.Lambda()
	role := newRole(t, s, "fn-exec", "")
	deploySized(t, c, "other", role.ARN, 0)
	deploySized(t, c, "looker", role.ARN, 0)
	other := invokeEvent(t, c, "other", fnio.Event{Action: "env"})
	a := invokeEvent(t, c, "looker", fnio.Event{Action: "procs"})

	if !strings.HasPrefix(a.Init, "sealbox __lambda-environment ") {
		t.Errorf("the function's /proc/1 runs %q, want the environment's init (sealbox __lambda-environment)", a.Init)
	}
	var want []int
	for _, p := range lambdatest.NamespaceProcesses(a.PIDNamespace) {
		want = append(want, p.NSPID)
	}
	slices.Sort(want)
	slices.Sort(a.Procs)
	if len(want) < 3 || !slices.Equal(a.Procs, want) {
		t.Fatalf("the function's /proc lists %d processes %v, want its environment's %v (the host's PID namespace %s)", len(a.Procs), a.Procs, want, a.PIDNamespace)
	}
	t.Logf("the function's /proc: %v, /proc/1 %q", a.Procs, a.Init)
	if other.PIDNamespace == "" || other.PIDNamespace == a.PIDNamespace {
		t.Errorf("the two functions' PID namespaces are %q and %q, want two", other.PIDNamespace, a.PIDNamespace)
	}
	for _, p := range lambdatest.NamespaceProcesses(a.PIDNamespace) {
		if p.PID == os.Getpid() || p.PID == other.PID {
			t.Errorf("the function's PID namespace holds host process %d: the server (%d) or the other function (%d)", p.PID, os.Getpid(), other.PID)
		}
	}
}
