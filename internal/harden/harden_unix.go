//go:build unix

package harden

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// noCore limits core files to 0 bytes, soft and hard limits both.
func noCore() error {
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &unix.Rlimit{Cur: 0, Max: 0}); err != nil {
		return fmt.Errorf("setrlimit(RLIMIT_CORE, 0): %w", err)
	}
	return nil
}

// CoreLimit is RLIMIT_CORE's soft and hard limits.
func CoreLimit() (soft, hard uint64, err error) {
	var r unix.Rlimit
	err = unix.Getrlimit(unix.RLIMIT_CORE, &r)
	// The fields are int64 on FreeBSD.
	return uint64(r.Cur), uint64(r.Max), err
}
