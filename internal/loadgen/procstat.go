package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"
)

// userHZ is the unit of /proc/PID/stat's CPU times: Linux reports them in
// USER_HZ, 100 on every architecture Go supports.
const userHZ = 100

// ProcessCPU returns the CPU time (user + system, every thread) the process
// pid has used so far: Linux only. It sums its threads' schedstat (run
// time in nanoseconds); where the kernel has no schedstat it reads
// /proc/PID/stat, to 10 ms, which over a cell of seconds at tens of
// thousands of requests is still well under a microsecond per request but
// may round a short, light cell to nothing. A thread that ends takes its
// schedstat with it; Go's runtime keeps its threads.
func ProcessCPU(pid int) (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, errors.New("the server's CPU time is read from /proc: Linux only")
	}
	dir := "/proc/" + strconv.Itoa(pid)
	if d, err := threadsCPU(dir); err == nil {
		return d, nil
	}
	b, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return 0, fmt.Errorf("server process %d: %w", pid, err)
	}
	return parseProcStat(b)
}

// threadsCPU sums the run time of the threads under dir/task.
func threadsCPU(dir string) (time.Duration, error) {
	tasks, err := os.ReadDir(dir + "/task")
	if err != nil {
		return 0, err
	}
	var sum time.Duration
	read := 0
	for _, t := range tasks {
		b, err := os.ReadFile(dir + "/task/" + t.Name() + "/schedstat")
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread ended since the listing
		}
		if err != nil {
			return 0, err
		}
		d, err := parseSchedstat(b)
		if err != nil {
			return 0, err
		}
		sum += d
		read++
	}
	if read == 0 {
		return 0, errors.New("no thread's schedstat")
	}
	return sum, nil
}

// parseSchedstat reads the first field of a schedstat line: the time spent
// on a CPU, in nanoseconds.
func parseSchedstat(b []byte) (time.Duration, error) {
	f := bytes.Fields(b)
	if len(f) < 3 {
		return 0, errors.New("malformed schedstat line")
	}
	ns, err := strconv.ParseInt(string(f[0]), 10, 64)
	if err != nil || ns < 0 {
		return 0, errors.New("malformed schedstat line")
	}
	return time.Duration(ns), nil
}

// parseProcStat reads utime and stime, fields 14 and 15 of proc(5)'s stat
// line. The command name (field 2) is in parentheses and may hold spaces
// or parentheses itself, so fields are counted from the last ')'.
func parseProcStat(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat line")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, errors.New("malformed /proc stat line")
	}
	var ticks int64
	for _, s := range f[11:13] { // fields 14 and 15
		n, err := strconv.ParseInt(string(s), 10, 64)
		if err != nil || n < 0 {
			return 0, errors.New("malformed /proc stat line")
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
