package lambdarun

import (
	"net"
	"strconv"
	"testing"
)

// The emulator logs its fields in either order.
func TestInitError(t *testing.T) {
	for _, line := range []string{
		"07 Dec 2026 11:54:56,597 [ERROR] (rapid) Init failed error=Runtime exited with error: exit status 7 InvokeID=",
		"07 Dec 2026 11:54:56,597 [ERROR] (rapid) Init failed InvokeID= error=Runtime exited with error: exit status 7",
		"07 Dec 2026 11:54:56,597 [ERROR] (rapid) Init failed InvokeID=1c01cd0f error=Runtime exited with error: exit status 7 ",
	} {
		if got := initError(line); got != "Runtime exited with error: exit status 7" {
			t.Errorf("initError(%q) = %q", line, got)
		}
	}
	if got := initError("(rapid) Init failed"); got != "the runtime failed" {
		t.Errorf("initError without error= = %q", got)
	}
}

// A port the guard holds (an environment's, still stopping) is never
// given to a new environment: freePorts skips it, and says so when it
// can find no other.
func TestFreePortsSkipsHeld(t *testing.T) {
	refused := map[string]bool{}
	skip := func(p uint16) bool { // the first three ports offered
		if len(refused) < 3 {
			refused[strconv.Itoa(int(p))] = true
			return true
		}
		return false
	}
	ports, err := freePorts(2, skip)
	if err != nil {
		t.Fatal(err)
	}
	if len(ports) != 2 || len(refused) != 3 {
		t.Fatalf("freePorts(2) = %v, %d refused", ports, len(refused))
	}
	for _, a := range ports {
		if _, p, _ := net.SplitHostPort(a); refused[p] {
			t.Errorf("freePorts gave %s, which skip refused", a)
		}
	}
	if ports, err := freePorts(1, func(uint16) bool { return true }); err == nil {
		t.Errorf("freePorts with every port refused = %v, want an error", ports)
	}
}
