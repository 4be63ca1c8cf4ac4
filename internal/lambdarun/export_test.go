package lambdarun

import (
	"os"
	"strconv"
	"strings"
)

// PretendEUID makes the runner see the server's user as uid until the
// returned function restores it.
func PretendEUID(uid int) (restore func()) {
	geteuid = func() int { return uid }
	return func() { geteuid = osGeteuid }
}

// WithoutPIDNamespace makes r start its environments as it does where
// the kernel refuses them a PID namespace.
func WithoutPIDNamespace(r *Runner) { r.noPIDNamespace.Store(true) }

// InPIDNamespace reports whether pid's PID namespace is another than the
// test's (NSpid, in /proc/pid/status, lists more than one id).
func InPIDNamespace(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
			return len(strings.Fields(v)) > 1
		}
	}
	return false
}

// GuardTable is the name of r's port guard table, "" without one.
func GuardTable(r *Runner) string {
	if r.guard == nil {
		return ""
	}
	return r.guard.Table()
}

// Dir is r's folder.
func Dir(r *Runner) string { return r.cfg.Dir }

// PickPorts makes the runner choose environments' loopback ports with
// pick, given freePorts to call, until restore.
func PickPorts(pick func(free func(n int) ([]string, error), n int) ([]string, error)) (restore func()) {
	pickPorts = func(n int, skip func(uint16) bool) ([]string, error) {
		return pick(func(n int) ([]string, error) { return freePorts(n, skip) }, n)
	}
	return func() { pickPorts = freePorts }
}
