//go:build linux

package harden_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/harden"
)

// The hardening runs in a child (this test binary run again), so that the
// test binary itself stays dumpable; the child reports what the kernel
// says of it afterwards.
func TestProcess(t *testing.T) {
	if os.Getenv("SEALBOX_HARDEN_CHILD") == "1" {
		before, err := harden.Dumpable()
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		if err := harden.Process(); err != nil {
			fmt.Println("error:", err)
			return
		}
		after, err := harden.Dumpable()
		soft, hard, err2 := harden.CoreLimit()
		fmt.Printf("before=%v after=%v core=%d/%d errs=%v,%v\n", before, after, soft, hard, err, err2)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "SEALBOX_HARDEN_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if want := "before=true after=false core=0/0 errs=<nil>,<nil>"; !strings.Contains(string(out), want) {
		t.Fatalf("child reports:\n%s\nwant a line %q (dumpable before, not after; no core files)", out, want)
	}
	if d, err := harden.Dumpable(); err != nil || !d {
		t.Errorf("the test binary itself: Dumpable() = %v, %v; want it untouched", d, err)
	}
}
