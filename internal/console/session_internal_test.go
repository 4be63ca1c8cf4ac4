package console

import (
	"net/http"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
)

// TestOnePrincipalCannotPushOthersOut: a principal that signs in again
// and again ends its own oldest sessions, not another principal's, even
// when the table is full.
func TestOnePrincipalCannotPushOthersOut(t *testing.T) {
	clk := clock.NewFake(time.Now())
	ss := newSessions(clk, time.Hour, 8*time.Hour)
	ss.maxSize = maxSessionsPerPrincipal + 1
	cookie := func(id string) *http.Request {
		r, _ := http.NewRequest("GET", "/console/", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
		return r
	}
	admin := ss.add(&session{Principal: "arn:aws:iam::123456789012:user/admin"})
	clk.Advance(time.Minute) // admin's is now the longest idle
	var mallory []string
	for i := 0; i < 3*maxSessionsPerPrincipal; i++ {
		mallory = append(mallory, ss.add(&session{Principal: "arn:aws:iam::123456789012:user/mallory"}))
		clk.Advance(time.Second)
	}
	if ss.get(cookie(admin), sessionCookie) == nil {
		t.Fatal("mallory's sign-ins ended admin's session")
	}
	if ss.get(cookie(mallory[0]), sessionCookie) != nil {
		t.Fatal("mallory's first session outlived her later ones")
	}
	if ss.get(cookie(mallory[len(mallory)-1]), sessionCookie) == nil {
		t.Fatal("mallory's last session ended")
	}
	if n := len(ss.byID); n > ss.maxSize {
		t.Fatalf("%d sessions, more than %d", n, ss.maxSize)
	}
}

func TestBaseIdentity(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/operator/alice":     "arn:aws:iam::123456789012:role/operator",
		"arn:aws:sts::123456789012:assumed-role/operator/mallory-2": "arn:aws:iam::123456789012:role/operator",
		"arn:aws-cn:sts::123456789012:assumed-role/ops/x":           "arn:aws-cn:iam::123456789012:role/ops",
		"arn:aws:sts::123456789012:federated-user/bob":              "arn:aws:sts::123456789012:federated-user/",
		"arn:aws:iam::123456789012:user/admin":                      "arn:aws:iam::123456789012:user/admin",
		"arn:aws:iam::123456789012:root":                            "arn:aws:iam::123456789012:root",
		// A role in another account is another base identity.
		"arn:aws:sts::210987654321:assumed-role/operator/alice": "arn:aws:iam::210987654321:role/operator",
		"not an arn": "not an arn",
	} {
		if got := baseIdentity(in); got != want {
			t.Errorf("baseIdentity(%q) = %q, want %q", in, got, want)
		}
	}
}
