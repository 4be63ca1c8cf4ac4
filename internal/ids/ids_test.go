package ids

import (
	"regexp"
	"testing"
)

func TestUUID(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := UUID()
		if !re.MatchString(u) || seen[u] {
			t.Fatalf("UUID() = %q (seen before: %v)", u, seen[u])
		}
		seen[u] = true
		b, ok := ParseUUID(u)
		if !ok || FormatUUID(b) != u {
			t.Fatalf("ParseUUID/FormatUUID(%q) round trip failed", u)
		}
	}
	for _, bad := range []string{"", "1234", "zzzzzzzz-1234-1234-1234-123456789012", "12345678x1234-1234-1234-123456789012"} {
		if _, ok := ParseUUID(bad); ok {
			t.Fatalf("ParseUUID(%q) ok", bad)
		}
	}
}

func TestAccessKeyID(t *testing.T) {
	re := regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	if id := AccessKeyID("AKIA"); !re.MatchString(id) {
		t.Fatalf("AccessKeyID = %q", id)
	}
}
