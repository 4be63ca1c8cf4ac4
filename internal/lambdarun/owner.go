package lambdarun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile is the file in a runner's folder that its runner holds locked
// (flock) while it runs. The kernel drops the lock when the process ends,
// however it ends (SIGKILL, OOM), so a folder whose owner file another
// runner can lock is a dead runner's.
const ownerFile = "owner.lock"

// errFolderInUse: Config.Dir is another live runner's.
var errFolderInUse = errors.New("lambdarun: the folder is another running server's")

// claim makes dir's owner file and locks it. It is made under another name
// and renamed once locked, so no other runner's sweep ever finds it
// unlocked; claiming a folder whose owner file is locked fails with
// errFolderInUse.
func claim(dir string) (*os.File, error) {
	if f, err := openOwner(dir); err == nil {
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("%w: %s", errFolderInUse, dir)
			}
			return nil, err
		}
		return f, writePID(f)
	}
	tmp := filepath.Join(dir, ownerFile+".new")
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	if err := writePID(f); err != nil {
		f.Close()
		return nil, err
	}
	if err := os.Rename(tmp, filepath.Join(dir, ownerFile)); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// writePID says whose the folder is, for a person looking at it; the lock
// is what the runners go by.
func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}

func openOwner(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, ownerFile), os.O_RDWR|syscall.O_NOFOLLOW, 0)
}

// sweep removes the folders named prefix* in parent that dead runners
// left (a server killed before its Close could remove its own): each
// folder of this user with an owner file that can be locked. What still
// works in it is killed first: the processes of its environments that
// outlived their server, which only happens to environments started
// without a PID namespace. A folder without an owner file (an older
// server's, or a stranger's) is left alone. It returns how many it
// removed.
func sweep(parent, prefix string) int {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return 0
	}
	removed := 0
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		var st syscall.Stat_t
		if syscall.Lstat(dir, &st) != nil || int(st.Uid) != os.Geteuid() || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			continue
		}
		f, err := openOwner(dir)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			killWorkingIn(dir)
			if os.RemoveAll(dir) == nil {
				removed++
			}
		}
		f.Close()
	}
	return removed
}

// sweepEnvironments removes the environments' folders a dead runner left
// in dir, the runner's own (Config.Dir, just claimed), killing what still
// works in them: every folder but the code cache.
func sweepEnvironments(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != "code" {
			p := filepath.Join(dir, e.Name())
			killWorkingIn(p)
			os.RemoveAll(p)
		}
	}
}

// killWorkingIn kills the processes that work in dir or under it, until
// none is left (or after a second of trying). Unlike killLeftovers, not
// their process groups: these are strangers' processes, found by their
// folder alone.
func killWorkingIn(dir string) {
	killAll(func(p proc) bool { return p.pid != os.Getpid() && worksIn(p.pid, dir) })
}
