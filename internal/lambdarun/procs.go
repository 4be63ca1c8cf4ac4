package lambdarun

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sealbox/sealbox/internal/procstat"
)

// proc is a live process as /proc shows it: its start time (in clock
// ticks since boot) tells it from a later process given the same id.
type proc struct {
	pid, ppid, pgid int
	start           uint64
}

// processes lists the live processes (zombies are dead already).
func processes() []proc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]proc, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// readProc reads pid's ids and start time; not ok if it is no live
// process.
func readProc(pid int) (proc, bool) {
	p, ok := procstat.Read(pid)
	return proc{pid: pid, ppid: p.PPID, pgid: p.PGID, start: p.Start}, ok
}

// killAll kills (SIGKILL) every process match picks, again until none is
// left, and reports whether none is, after a second of trying at most.
func killAll(match func(proc) bool) bool {
	for range 50 {
		left := 0
		for _, p := range processes() {
			if match(p) {
				left++
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
		if left == 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// worksIn reports whether pid's working directory is dir or under it.
func worksIn(pid int, dir string) bool {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	return err == nil && (cwd == dir || strings.HasPrefix(cwd, dir+"/"))
}

// environmentProcesses lists an environment's processes: root (the
// emulator) and its descendants, and whatever works in dir (the
// environment's folder, where the emulator, the runtime and the
// extensions start).
func environmentProcesses(root int, dir string) map[int]proc {
	all := processes()
	out := map[int]proc{}
	for _, p := range all {
		if p.pid == root || worksIn(p.pid, dir) {
			out[p.pid] = p
		}
	}
	for grew := true; grew; {
		grew = false
		for _, p := range all {
			if _, ok := out[p.pid]; !ok {
				if _, parent := out[p.ppid]; parent {
					out[p.pid] = p
					grew = true
				}
			}
		}
	}
	return out
}

// killLeftovers kills, with their process groups, the processes of
// before still alive and whatever works in dir, until none is left (or
// after a second of trying). The server's own group and init are spared.
func killLeftovers(dir string, before map[int]proc) {
	self := syscall.Getpgrp()
	for range 50 {
		left := 0
		for _, p := range processes() {
			b, was := before[p.pid]
			if !(was && b.start == p.start) && !worksIn(p.pid, dir) {
				continue
			}
			left++
			if p.pgid > 1 && p.pgid != self {
				syscall.Kill(-p.pgid, syscall.SIGKILL)
			}
			if p.pid > 1 && p.pid != os.Getpid() {
				syscall.Kill(p.pid, syscall.SIGKILL)
			}
		}
		if left == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}
