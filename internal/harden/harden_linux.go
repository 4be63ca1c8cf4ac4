//go:build linux

package harden

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// Process hardens the running process: PR_SET_DUMPABLE 0 and RLIMIT_CORE
// 0 (soft and hard, so the process cannot raise it again). Call it before
// any secret is loaded. It is for the server's own process: a test binary
// made non-dumpable loses its debuggability too.
func Process() error {
	var errs []error
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		errs = append(errs, fmt.Errorf("prctl(PR_SET_DUMPABLE, 0): %w", err))
	}
	if err := noCore(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Dumpable reports whether the process may be dumped (PR_GET_DUMPABLE).
func Dumpable() (bool, error) {
	v, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	return v != 0, err
}
