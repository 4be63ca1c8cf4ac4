package lambdarun

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// TestUsersComeBackOnlyEmpty: the pool hands out distinct users in turn,
// and a user comes back only once no process of it is left: one an
// environment's stop missed is killed first, or the next environment
// given the user could read it.
func TestUsersComeBackOnlyEmpty(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running as another user needs root")
	}
	p := newUserPool()
	a, b := p.take(), p.take()
	if a == nil || b == nil || a.UID == b.UID || a.UID < FirstEnvironmentUID || b.UID >= FirstEnvironmentUID+EnvironmentUIDs || a.GID != a.UID {
		t.Fatalf("take, take = %+v, %+v", a, b)
	}
	left := exec.Command("/bin/sleep", "600")
	left.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: []uint32{}}}
	if err := left.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- left.Wait() }()
	// A user some process runs as (another server's environment) is
	// not handed out.
	for !runsAs(left.Process.Pid, a.UID) {
		time.Sleep(time.Millisecond)
	}
	q := &userPool{used: map[uint32]bool{}, next: a.UID - FirstEnvironmentUID}
	if c := q.take(); c == nil || c.UID == a.UID {
		t.Errorf("another pool handed out user %d, which a process runs as", a.UID)
	}
	p.give(a)
	select {
	case <-exited:
	case <-time.After(5 * time.Second):
		left.Process.Kill()
		t.Fatalf("a process of the user given back is still running")
	}
	p.mu.Lock()
	used := p.used[a.UID]
	p.mu.Unlock()
	if used {
		t.Errorf("user %d is still marked in use after give", a.UID)
	}
	// In turn: the next user is neither of the two handed out.
	if c := p.take(); c == nil || c.UID == a.UID || c.UID == b.UID {
		t.Errorf("the third take = %+v", c)
	}
}

// BenchmarkLiveUsers is what choosing an environment's user costs a
// cold start: one scan of /proc.
func BenchmarkLiveUsers(b *testing.B) {
	for b.Loop() {
		liveUsers()
	}
}
