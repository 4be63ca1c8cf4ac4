// Package lambdatest helps tests run real functions: it finds
// aws-lambda-rie and builds the test function (internal/lambdarun/testfn)
// once per test binary, zipped as a provided.al2023 package.
package lambdatest

import (
	"archive/zip"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/sealbox/sealbox/internal/lambdarun/testfn/fnio"
)

// Emulator returns the path of aws-lambda-rie: $SEALBOX_LAMBDA_RIE, else
// the one on PATH. Without either the test is skipped, unless
// SEALBOX_LAMBDA_TESTS=1 says it must run (CI installs the emulator).
func Emulator(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("SEALBOX_LAMBDA_RIE"); p != "" {
		return p
	}
	if p, err := exec.LookPath("aws-lambda-rie"); err == nil {
		return p
	}
	if os.Getenv("SEALBOX_LAMBDA_TESTS") == "1" {
		t.Fatal("SEALBOX_LAMBDA_TESTS=1 but aws-lambda-rie is neither in $SEALBOX_LAMBDA_RIE nor on PATH")
	}
	t.Skip("aws-lambda-rie not found: set SEALBOX_LAMBDA_RIE (go install github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@v0.0.0-20261030222936-bef5c4ba774d)")
	return ""
}

var (
	once     sync.Once
	zipped   []byte
	buildErr error
)

// FunctionZip returns the test function's package: its bootstrap, built
// for linux without cgo, in a ZIP.
func FunctionZip(t testing.TB) []byte {
	t.Helper()
	once.Do(func() {
		dir, err := os.MkdirTemp("", "sealbox-testfn-")
		if err != nil {
			buildErr = err
			return
		}
		defer os.RemoveAll(dir)
		_, file, _, _ := runtime.Caller(0)
		src := filepath.Join(filepath.Dir(file), "..", "testfn")
		out := filepath.Join(dir, "bootstrap")
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, ".")
		cmd.Dir = src
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = &buildError{string(b), err}
			return
		}
		bin, err := os.ReadFile(out)
		if err != nil {
			buildErr = err
			return
		}
		zipped, buildErr = Zip(map[string][]byte{"bootstrap": bin})
	})
	if buildErr != nil {
		t.Fatalf("building the test function: %v", buildErr)
	}
	return zipped
}

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// Zip makes a package of files, each executable.
func Zip(files map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, b := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(b); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// OnHost makes a's process ids (PID, Child) the host's: a function whose
// environment has a /proc of its own reports its ids in its PID
// namespace, which the host finds by the namespace's name and the
// innermost id (NSpid's last). Ids of processes gone are left as they are.
func OnHost(a *fnio.Answer) {
	if a.PIDNamespace == "" {
		return
	}
	if p := HostPID(a.PIDNamespace, a.NSPID); p != 0 {
		a.PID = p
	}
	if a.ChildNSPID != 0 {
		if p := HostPID(a.PIDNamespace, a.ChildNSPID); p != 0 {
			a.Child = p
		}
	}
}

// HostPID is the host's id of the process whose id in the PID namespace
// ns (as /proc/PID/ns/pid names it) is pid; 0 if there is none.
func HostPID(ns string, pid int) int {
	for _, p := range NamespaceProcesses(ns) {
		if p.NSPID == pid {
			return p.PID
		}
	}
	return 0
}

// NamespaceProcess is a live process of a PID namespace: its id on the
// host and in the namespace.
type NamespaceProcess struct{ PID, NSPID int }

// NamespaceProcesses lists the processes of the PID namespace ns, as the
// host's /proc shows them.
func NamespaceProcesses(ns string) []NamespaceProcess {
	var out []NamespaceProcess
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || link != ns {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(b)) {
			if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					if n, err := strconv.Atoi(f[len(f)-1]); err == nil {
						out = append(out, NamespaceProcess{PID: pid, NSPID: n})
					}
				}
			}
		}
	}
	return out
}
