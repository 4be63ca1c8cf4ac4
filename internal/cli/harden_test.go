//go:build linux

package cli_test

import (
	"os"
	"regexp"
	"strconv"
	"syscall"
	"testing"
)

// `sealbox server` hardens its process before it loads the root key: no
// core file (the kernel's view in /proc/PID/limits), and, non-dumpable,
// its /proc/PID belongs to root (visible when the test is not root).
func TestServerProcessHardened(t *testing.T) {
	t.Parallel()
	srv := startSealbox(t)
	proc := "/proc/" + strconv.Itoa(srv.cmd.Process.Pid)
	limits, err := os.ReadFile(proc + "/limits")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^Max core file size\s+0\s+0\s`).Match(limits) {
		t.Errorf("%s/limits:\n%s\nwant Max core file size 0 0", proc, limits)
	}
	if os.Getuid() != 0 {
		fi, err := os.Stat(proc + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != 0 {
			t.Errorf("%s/environ belongs to uid %d, want 0 (a non-dumpable process's /proc files are root's)", proc, uid)
		}
	}
	srv.stop(t)
}
