//go:build !fuzzbinary

package console_test

import (
	"context"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestOverviewTrailStatus: the overview's trail panel shows what
// GetTrailStatus says: a tampering finding of the file sink (its folder
// deleted while the server ran), then the file sink failing (a file where
// its folder was) with its error, the store still logging, and the data
// folder's path never shown.
func TestOverviewTrailStatus(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	b := newBrowser(t, s)
	b.signIn(admin())
	panel := func() string {
		t.Helper()
		code, body := b.get("/console/")
		if code != 200 {
			t.Fatalf("overview: %d\n%s", code, body)
		}
		m := regexp.MustCompile(`(?s)<section class="card panel" aria-labelledby="p-trail">(.*?)</section>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no trail panel:\n%s", body)
		}
		return html.UnescapeString(m[1])
	}

	dir := filepath.Join(s.Dir, "audit")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	s.Srv.WaitBackground()
	p := panel()
	if !strings.Contains(p, "<dt>Digest error</dt>") || !strings.Contains(p, "AuditTrailTamperingDetected at ") || strings.Contains(p, "Delivery error") {
		t.Fatalf("trail panel after the audit folder was deleted:\n%s", p)
	}

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("in the way"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dir)
	sealtest.Must[*kms.ListKeysOutput](t, "ListKeys")(s.KMS().ListKeys(ctx, &kms.ListKeysInput{}))
	p = panel()
	m := regexp.MustCompile(`<dt>Delivery error</dt><dd class="why">(.*?)</dd>`).FindStringSubmatch(p)
	if m == nil || !strings.HasPrefix(m[1], "file sink: ") || !strings.Contains(m[1], "<data>/audit") || !strings.Contains(p, "<dt>Logging</dt><dd>Yes, since ") {
		t.Fatalf("trail panel with the file sink failing:\n%s", p)
	}
	if strings.Contains(p, s.Dir) {
		t.Fatalf("the trail panel shows the data folder:\n%s", p)
	}
}
