//go:build unix

// Package asuser runs a test's own binary as another local user: tests of
// what one user's process can do to another's (ports, files) need a second
// process under a uid of their choosing. The test binary's TestMain (or an
// init) reads the environment variable it was started with and plays its
// part.
package asuser

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// Executable is a copy of the running test binary that any user may
// execute: the original sits in a folder (go test's, under /tmp or a
// user's cache) other users may not enter. Removed when the test ends.
func Executable(t testing.TB) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "sealbox-asuser-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(self))
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// Command runs bin as uid (and the group of the same number, no
// supplementary groups) in /, with env as its whole environment. The
// caller must be root.
func Command(bin string, uid uint32, env ...string) *exec.Cmd {
	c := exec.Command(bin)
	c.Env = env
	c.Dir = "/"
	c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid, Groups: []uint32{}}}
	return c
}
