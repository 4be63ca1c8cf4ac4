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
// pid has used so far, from /proc/PID/stat: Linux only, to 10 ms. Over a
// cell of seconds at tens of thousands of requests that resolution is well
// under a microsecond per request.
func ProcessCPU(pid int) (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, errors.New("the server's CPU time is read from /proc: Linux only")
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("server process %d: %w", pid, err)
	}
	return parseProcStat(b)
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
