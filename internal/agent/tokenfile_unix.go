//go:build unix

package agent

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// readTokenFile reads a token file only if no one but us can read or
// change it, as ssh does for a private key: a token other users can read
// is theirs too. The checks are on the file opened (fstat), not its name.
func readTokenFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("%s is owned by uid %d, not by this process's uid %d: refused (chown it)", path, st.Uid, os.Getuid())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("permissions %04o for %s are too open: others may read or change the token; refused (chmod 600 it)", perm, path)
	}
	return io.ReadAll(f)
}
