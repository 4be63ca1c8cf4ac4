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

// TestUsageNamesServices: 'sealbox' says every service it serves.
func TestUsageNamesServices(t *testing.T) {
	code, out, _ := runMain(t, nil)
	if code != 0 {
		t.Fatalf("sealbox = exit %d", code)
	}
	for _, svc := range []string{"KMS", "Parameter Store (SSM)", "Secrets Manager", "Lambda", "IAM", "STS", "CloudTrail", "AWS_ENDPOINT_URL", "--listen"} {
		if !strings.Contains(out, svc) {
			t.Errorf("the usage text does not name %s:\n%s", svc, out)
		}
	}
}
