//go:build !fuzzbinary

package agent_test

import (
	"strings"
	"testing"
	"time"
)

// TestRefusalsDoNotFloodTheLog: anyone who can reach the agent can have it
// refuse requests as fast as it answers them; the log gets the first
// refusal of each kind, then one line a minute with the count.
func TestRefusalsDoNotFloodTheLog(t *testing.T) {
	h := startAgent(t, nil)
	count := func(s string) int { return strings.Count(h.logs.String(), s) }
	for range 200 {
		if code, _ := h.do(t, "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": "wrong"}); code != 403 {
			t.Fatalf("a wrong token answered %d, want 403", code)
		}
		if code, _ := h.do(t, "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": token, "X-Forwarded-For": "10.0.0.1"}); code != 400 {
			t.Fatalf("X-Forwarded-For answered %d, want 400", code)
		}
	}
	if n, m := count("refused a request without the right token"), count("refused a request with X-Forwarded-For"); n != 1 || m != 1 {
		t.Fatalf("200 refusals of each kind wrote %d and %d warnings, want 1 each:\n%s", n, m, h.logs.String())
	}
	h.clock.Advance(time.Minute)
	if !strings.Contains(h.logs.String(), `msg="refused a request without the right token (repeated)" suppressed=199`) {
		t.Fatalf("after a minute, no summary of the 199 held back:\n%s", h.logs.String())
	}
	// The next minute is quiet: its end says nothing, and the next
	// refusal is written in full at once.
	h.clock.Advance(time.Minute)
	h.clock.Advance(time.Minute)
	h.do(t, "GET", "/secretsmanager/get?secretId=prod/db", map[string]string{"X-Aws-Parameters-Secrets-Token": "wrong"})
	if n := count("refused a request without the right token"); n != 3 {
		t.Fatalf("after a quiet minute: %d lines about the token, want 3 (first, summary, the new one):\n%s", n, h.logs.String())
	}
}
