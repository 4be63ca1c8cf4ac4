package sealbox_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestMakefileRunsEveryFuzzer: a fuzzer missing from the Makefile's
// FUZZERS never runs in CI (make fuzz runs that list, and go test runs only
// its seeds).
func TestMakefileRunsEveryFuzzer(t *testing.T) {
	mk, err := os.ReadFile("Makefile")
	if err != nil {
		t.Fatal(err)
	}
	fuzzer := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	err = filepath.WalkDir("internal", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range fuzzer.FindAllSubmatch(src, -1) {
			entry := string(m[1]) + ":./" + filepath.ToSlash(filepath.Dir(path)) + ":"
			if !strings.Contains(string(mk), "\t"+entry) {
				t.Errorf("%s (%s) is not in the Makefile's FUZZERS as %s<budget>", m[1], path, entry)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
