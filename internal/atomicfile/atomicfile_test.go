package atomicfile_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/atomicfile"
)

func TestWriteReplacesWholly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, data := range []string{"first", "second, longer"} {
		if err := atomicfile.Write(path, []byte(data), 0o640); err != nil {
			t.Fatalf("Write(%q) = %v", data, err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != data {
			t.Fatalf("after Write(%q) the file holds %q, %v", data, got, err)
		}
	}
	fi, _ := os.Stat(path)
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v; want 0640", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

func TestCreateNeverReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := atomicfile.Create(path, []byte("winner"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Create(path, []byte("loser"), 0o600); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("Create over an existing file = %v; want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "winner" {
		t.Fatalf("the file holds %q; want the first", got)
	}
}
