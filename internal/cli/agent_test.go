package cli

import (
	"strings"
	"testing"
)

// TestAgentBlankToken: a token of white space is refused at start, not
// served (any header of spaces would match it).
func TestAgentBlankToken(t *testing.T) {
	code, _, errOut := runMain(t, map[string]string{"AWS_TOKEN": " \t "}, "agent", "--port", "0")
	if code == 0 || !strings.Contains(errOut, "$AWS_TOKEN holds only white space") {
		t.Fatalf("sealbox agent with a blank token = exit %d, %q; want a refusal", code, errOut)
	}
}
