// Package procstat reads a live process's ids and start time from
// /proc/PID/stat, which tell it from a later process given the same id:
// what the lambda runner and its port guard go by to find their own
// processes, and a killed server's.
package procstat

import (
	"os"
	"strconv"
	"strings"
)

// Proc is a live process as /proc shows it. Start is its start time in
// clock ticks since boot.
type Proc struct {
	PID, PPID, PGID int
	Start           uint64
}

// Read reads /proc/pid/stat: "pid (comm) state ppid pgrp ...", the start
// time its 22nd field; comm may hold spaces and parentheses, so fields
// are counted from the last ')'. Not ok if pid is no live process (gone,
// or a zombie).
func Read(pid int) (Proc, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return Proc{}, false
	}
	return parse(pid, string(b))
}

func parse(pid int, line string) (Proc, bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return Proc{}, false
	}
	f := strings.Fields(line[i+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return Proc{}, false
	}
	p := Proc{PID: pid}
	var err1, err2, err3 error
	p.PPID, err1 = strconv.Atoi(f[1])
	p.PGID, err2 = strconv.Atoi(f[2])
	p.Start, err3 = strconv.ParseUint(f[19], 10, 64)
	return p, err1 == nil && err2 == nil && err3 == nil
}
