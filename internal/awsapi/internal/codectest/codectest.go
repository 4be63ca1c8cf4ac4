// Package codectest holds what the protocol codecs' tests share: running
// botocore scripts as the reference, comparing generic JSON values, and
// golden files. It is imported by tests only.
package codectest

import (
	"bytes"
	"encoding/json"
	"flag"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Python runs testdata/<script> with botocore, stdin as its input, and
// returns its output. CI has python3 and botocore, so their absence fails
// the test rather than skipping it.
func Python(t *testing.T, stdin []byte, script string, args ...string) []byte {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to check the codec against botocore: %v", err)
	}
	if out, err := exec.Command(py, "-c", "import botocore").CombinedOutput(); err != nil {
		t.Fatalf("botocore is needed to check the codec (pip install botocore): %v\n%s", err, out)
	}
	cmd := exec.Command(py, append([]string{filepath.Join("testdata", script)}, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return out
}

// DecodeJSON decodes b generically, numbers as json.Number.
func DecodeJSON(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", b, err)
	}
	return v
}

// canonical makes numbers comparable by value (1795428000.0 and 1795428000
// are the same timestamp), python's float64s included.
func canonical(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = canonical(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = canonical(e)
		}
		return out
	case json.Number:
		r, ok := new(big.Rat).SetString(string(v))
		if !ok {
			return "bad number " + string(v)
		}
		return "#" + r.RatString()
	}
	return v
}

// SameValue reports whether two generic JSON values are equal, numbers by
// value.
func SameValue(a, b any) bool { return reflect.DeepEqual(canonical(a), canonical(b)) }

// IndentJSON is v as indented JSON, with <, > and & left as they are.
func IndentJSON(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	enc.Encode(v)
	return b.Bytes()
}

// Golden compares got with testdata/<name>, or writes it with -update.
func Golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}
