//go:build !linux

package lambdarun

import "syscall"

// osSupported: environments do not run here (the runtimes are Linux
// programs, and an environment's containment is Linux's): Invoke answers
// ErrNeedsLinux; the rest of the server works.
const osSupported = false

func dieWithServer(*syscall.SysProcAttr)         {}
func newPIDNamespace(*syscall.SysProcAttr, bool) {}
func inPIDNamespace(*syscall.SysProcAttr) bool   { return false }
