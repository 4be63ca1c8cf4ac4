//go:build unix

package audit

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// hasFree reports an error unless dir is there and its file system has
// min bytes free for an unprivileged writer.
func hasFree(dir string, min int64) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return fmt.Errorf("audit folder: %w", err)
	}
	if free := int64(st.Bavail) * int64(st.Bsize); free < min {
		return fmt.Errorf("the file system of %s has %d bytes free, under the %d that --audit-min-free keeps", dir, free, min)
	}
	return nil
}
