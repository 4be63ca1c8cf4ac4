//go:build !fuzzbinary

package console_test

import (
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// browserFrom is newBrowser with its connections leaving from ip (a
// loopback address of 127.0.0.0/8).
func browserFrom(t *testing.T, s *sealtest.Server, ip string) *browser {
	t.Helper()
	b := newBrowser(t, s)
	tr := s.HTTPClient().Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr.DialContext = d.DialContext
	jar, _ := cookiejar.New(nil)
	b.c = &http.Client{Jar: jar, Transport: tr, CheckRedirect: b.c.CheckRedirect}
	return b
}

// attempt posts a sign-in with the given secret for the admin's key id and
// returns the status, the Retry-After header and the body.
func (b *browser) attempt(secret string) (int, string, string) {
	b.t.Helper()
	if b.csrf == "" {
		b.get("/console/signin")
	}
	form := url.Values{"access_key_id": {sealtest.AccessKeyID}, "secret_access_key": {secret}, "region": {"us-east-1"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest("POST", b.s.URL+"/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if m := csrfField.FindStringSubmatch(sb.String()); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), sb.String()
}

func (b *browser) signedIn() bool {
	b.t.Helper()
	code, _ := b.get("/console/")
	return code == http.StatusOK
}

// TestSignInGuessingIsSlowed: an address's 6th failure in a row waits;
// waiting cannot be skipped by guessing right; another address is not
// slowed by the first one's failures; a success clears the count.
func TestSignInGuessingIsSlowed(t *testing.T) {
	s := sealtest.Start(t)
	guesser, other := browserFrom(t, s, "127.0.0.3"), browserFrom(t, s, "127.0.0.4")
	for i := range 5 {
		if code, _, body := guesser.attempt("wrong"); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("failure %d: %d, want 403 SignatureDoesNotMatch", i+1, code)
		}
	}
	code, retry, body := guesser.attempt("wrong")
	if code != http.StatusTooManyRequests || retry != "1" || !strings.Contains(body, "Too many failed sign-in attempts. Try again in 1 s.") {
		t.Fatalf("the 6th attempt: %d, Retry-After %q, want 429 after 1 s:\n%s", code, retry, body)
	}
	// The right secret while waiting: refused unchecked, no session.
	if code, _, _ := guesser.attempt(sealtest.SecretAccessKey); code != http.StatusTooManyRequests {
		t.Fatalf("the right secret while throttled: %d, want 429", code)
	}
	if guesser.signedIn() {
		t.Fatal("a throttled attempt with the right secret signed in")
	}
	// Another address, same key: its own count (and the key's 20 free).
	if code, _, body := other.attempt("wrong"); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
		t.Fatalf("another address's first failure: %d, want 403 (not slowed by the first's)", code)
	}
	if code, _, _ := other.attempt(sealtest.SecretAccessKey); code != http.StatusSeeOther || !other.signedIn() {
		t.Fatalf("another address with the right secret: %d, want signed in", code)
	}

	s.Clock.Advance(time.Second)
	if code, _, _ := guesser.attempt(sealtest.SecretAccessKey); code != http.StatusSeeOther || !guesser.signedIn() {
		t.Fatalf("after the wait, the right secret: %d, want signed in", code)
	}
	// The success cleared the address: its next failures are free again
	// (a new browser, signed out, on the same address).
	guesser = browserFrom(t, s, "127.0.0.3")
	for i := range 5 {
		if code, _, body := guesser.attempt("wrong"); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("failure %d after a success: %d, want 403 SignatureDoesNotMatch", i+1, code)
		}
	}
	if code, retry, _ := guesser.attempt("wrong"); code != http.StatusTooManyRequests || retry != "1" {
		t.Fatalf("the 6th failure after a success: %d, Retry-After %q; want 429, 1", code, retry)
	}
	if n := strings.Count(s.Logs.String(), "console sign-in refused: too many failed attempts"); n != 1 {
		t.Errorf("%d warnings for 3 throttled attempts in a minute, want 1", n)
	}
	if n := strings.Count(s.Logs.String(), "console sign-in failed"); n != 11 {
		t.Errorf("%d failed sign-ins logged, want 11", n)
	}
}

// TestSignInGuessingOneKeyFromManyAddresses: a key tried from many
// addresses waits after its 20 free failures, whoever makes the 21st.
func TestSignInGuessingOneKeyFromManyAddresses(t *testing.T) {
	s := sealtest.Start(t)
	for i := range 20 {
		if code, _, body := browserFrom(t, s, "127.0.1."+strconv.Itoa(i+1)).attempt("wrong"); code != http.StatusForbidden || !strings.Contains(body, "SignatureDoesNotMatch") {
			t.Fatalf("failure %d: %d, want 403", i+1, code)
		}
	}
	if code, retry, _ := browserFrom(t, s, "127.0.1.100").attempt(sealtest.SecretAccessKey); code != http.StatusTooManyRequests || retry != "1" {
		t.Fatalf("the key's 21st attempt, right, from a fresh address: %d, Retry-After %q; want 429, 1", code, retry)
	}
	s.Clock.Advance(time.Second)
	b := browserFrom(t, s, "127.0.1.100")
	if code, _, _ := b.attempt(sealtest.SecretAccessKey); code != http.StatusSeeOther || !b.signedIn() {
		t.Fatalf("after the key's wait: %d, want signed in", code)
	}
}

// TestSignInsAreAudited: every checked sign-in is a ConsoleLogin event,
// as CloudTrail records the AWS console's, with the client's address; a
// throttled attempt is not checked and not recorded; what was typed in the
// key id's field reaches the trail only if it has a key id's form.
func TestSignInsAreAudited(t *testing.T) {
	s := sealtest.Start(t)
	guesser := browserFrom(t, s, "127.0.0.5")
	for range 6 { // 5 checked, the 6th throttled
		guesser.attempt("wrong")
	}
	s.Clock.Advance(time.Second)
	if code, _, _ := guesser.attempt(sealtest.SecretAccessKey); code != http.StatusSeeOther {
		t.Fatalf("the right secret after the wait: %d", code)
	}
	// A secret pasted into the key id's field.
	pasted := browserFrom(t, s, "127.0.0.6")
	pasted.get("/console/signin")
	leaked := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPASTEDKEY0"
	if code, _, _ := pasted.post("/console/signin", url.Values{"access_key_id": {leaked}, "secret_access_key": {"x"}, "region": {"us-east-1"}}); code/100 != 4 {
		t.Fatalf("a secret as the key id: %d, want a refusal (4xx)", code)
	}

	s.Srv.FlushAudit()
	var failures, successes int
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] != "ConsoleLogin" {
			continue
		}
		id := e["userIdentity"].(map[string]any)
		outcome := e["responseElements"].(map[string]any)["ConsoleLogin"]
		if e["eventSource"] != "signin.amazonaws.com" || e["eventType"] != "AwsConsoleSignIn" {
			t.Errorf("ConsoleLogin event from %v of type %v", e["eventSource"], e["eventType"])
		}
		switch {
		case outcome == "Failure" && e["sourceIPAddress"] == "127.0.0.5":
			failures++
			if e["errorMessage"] != "Failed authentication" || id["accessKeyId"] != sealtest.AccessKeyID {
				t.Errorf("failure event: errorMessage %v, accessKeyId %v", e["errorMessage"], id["accessKeyId"])
			}
		case outcome == "Failure" && e["sourceIPAddress"] == "127.0.0.6":
			if id["accessKeyId"] != nil {
				t.Errorf("a secret typed as the key id is recorded as accessKeyId %v", id["accessKeyId"])
			}
		case outcome == "Success":
			successes++
			if e["sourceIPAddress"] != "127.0.0.5" || id["arn"] != "arn:aws:iam::123456789012:user/admin" || id["type"] != "IAMUser" || id["userName"] != "admin" {
				t.Errorf("success event: from %v, identity %v", e["sourceIPAddress"], id)
			}
		default:
			t.Errorf("unexpected ConsoleLogin event: %v", e)
		}
	}
	if failures != 5 || successes != 1 {
		t.Errorf("ConsoleLogin events: %d failures, %d successes from the guesser; want 5 and 1 (the throttled attempt not checked)", failures, successes)
	}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if strings.Contains(fmt.Sprint(e), "PASTEDKEY") {
			t.Fatalf("the secret typed as a key id reached the trail: %v", e)
		}
	}
	// The console's own lines (the router's debug line quotes the
	// malformed Credential as AWS's message does: not the console's).
	for line := range strings.SplitSeq(s.Logs.String(), "\n") {
		if strings.Contains(line, "console sign-in") && strings.Contains(line, "PASTEDKEY") {
			t.Fatalf("the secret typed as a key id reached the console's log line: %s", line)
		}
	}
}
