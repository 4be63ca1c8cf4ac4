package lambdarun

import "testing"

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
