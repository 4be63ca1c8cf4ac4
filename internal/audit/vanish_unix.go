//go:build unix

package audit

import (
	"os"
	"syscall"
)

// unlinked reports whether the open file f has no name left in any folder:
// it, or its folder, was deleted, or another file was renamed over it. One
// fstat(2), no allocation: it runs after every batch.
func unlinked(f *os.File) (bool, error) {
	var st syscall.Stat_t
	if err := syscall.Fstat(int(f.Fd()), &st); err != nil {
		return false, err
	}
	return st.Nlink == 0, nil
}
