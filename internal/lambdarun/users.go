package lambdarun

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Users of their own. Every process of one user may read the others'
// /proc/PID/environ (the function's decrypted variables and its role
// session's credentials), trace them and enter their folders: a server
// running as root gives each execution environment a user, and group,
// of its own, unless Config.User names one for all.
const (
	// FirstEnvironmentUID is the first of the users environments run as:
	// 0x70000000, in the range systemd's UID and GID allocation document
	// leaves unused (1879048192–2147352575), above regular users,
	// systemd's dynamic users and nobody, and below the container ranges
	// of systemd-nspawn and the foreign range.
	FirstEnvironmentUID = 1879048192
	// EnvironmentUIDs is how many such users there are, used in turn, so
	// that a user comes back only after all the others have served.
	EnvironmentUIDs = 65536
)

// userPool hands out the environments' users in turn, never one that is
// still in use (an environment stopping holds its user until its last
// process is gone).
type userPool struct {
	mu   sync.Mutex
	next uint32
	used map[uint32]bool
}

// newUserPool starts at a random user of the range: another server on
// the host takes its users in turn from elsewhere.
func newUserPool() *userPool {
	return &userPool{used: map[uint32]bool{}, next: rand.Uint32N(EnvironmentUIDs)}
}

// take returns a user no environment of this runner has and no process
// runs as (one of another server's environments, say), nil if there is
// none.
func (p *userPool) take() *Credential {
	live := liveUsers()
	p.mu.Lock()
	defer p.mu.Unlock()
	for range EnvironmentUIDs {
		id := FirstEnvironmentUID + p.next
		p.next = (p.next + 1) % EnvironmentUIDs
		if !p.used[id] && !live[id] {
			p.used[id] = true
			return &Credential{UID: id, GID: id}
		}
	}
	return nil
}

// give returns c's user to the pool, once every process of it is gone:
// one its environment's stop missed (started in a session of its own,
// outside the folder) would otherwise see the next environment given the
// user. A user some process keeps (past a second of SIGKILLs) is not
// given back. It reports whether no process of c's is left.
func (p *userPool) give(c *Credential) bool {
	if c == nil {
		return true
	}
	if !killUser(c.UID) {
		return false
	}
	removeFilesOf(c.UID, sharedTempDirs...)
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.used, c.UID)
	return true
}

// sharedTempDirs are the host's folders every user may write in: where
// environments share them (no mount namespace of their own: ownMounts), a
// function that writes /tmp/x (Lambda's own habit, its TMPDIR aside) or
// /dev/shm/x leaves it there, to be read by the next environment given
// its user.
var sharedTempDirs = []string{"/tmp", "/var/tmp", "/dev/shm"}

// removeFilesOf removes what uid owns at the top of each of dirs (a
// folder with all it holds). No process of uid is left (killUser), so
// nothing of it changes them meanwhile; RemoveAll follows no link.
func removeFilesOf(uid uint32, dirs ...string) {
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			info, err := e.Info()
			if err != nil {
				continue
			}
			if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == uid {
				os.RemoveAll(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// killUser kills every process running as uid (real, effective or saved)
// and reports whether none is left, after a second at most.
func killUser(uid uint32) bool {
	return killAll(func(p proc) bool { return runsAs(p.pid, uid) })
}

// runsAs reports whether pid's real, effective or saved user is uid
// (/proc/PID/status: "Uid:\treal\teffective\tsaved\tfilesystem").
func runsAs(pid int, uid uint32) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for line := range strings.Lines(string(b)) {
		ids, ok := strings.CutPrefix(line, "Uid:")
		if !ok {
			continue
		}
		f := strings.Fields(ids)
		for _, f := range f[:min(len(f), 3)] {
			if n, err := strconv.ParseUint(f, 10, 32); err == nil && uint32(n) == uid {
				return true
			}
		}
		return false
	}
	return false
}

// liveUsers is the set of users that own a process (/proc/PID belongs to
// its process's effective user).
func liveUsers() map[uint32]bool {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := map[uint32]bool{}
	for _, e := range ents {
		if e.Name()[0] < '0' || e.Name()[0] > '9' {
			continue
		}
		if info, err := e.Info(); err == nil {
			if st, ok := info.Sys().(*syscall.Stat_t); ok {
				out[st.Uid] = true
			}
		}
	}
	return out
}
