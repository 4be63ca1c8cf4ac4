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
	"sync"
	"testing"
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
