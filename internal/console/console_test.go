//go:build !fuzzbinary

package console_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/console"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so that each answer can be checked.
type browser struct {
	t    *testing.T
	s    *sealtest.Server
	c    *http.Client
	csrf string // the last page's form token
}

func newBrowser(t *testing.T, s *sealtest.Server) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, s: s, c: &http.Client{Jar: jar, Transport: s.HTTPClient().Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// do sends a request and returns its status, Location and body; it keeps
// the page's CSRF token.
func (b *browser) do(method, path string, form url.Values, header ...string) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if m := csrfField.FindStringSubmatch(string(raw)); m != nil {
		b.csrf = m[1]
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

func (b *browser) get(path string) (int, string) {
	b.t.Helper()
	code, _, body := b.do("GET", path, nil)
	return code, body
}

// post sends a form with the last page's token.
func (b *browser) post(path string, form url.Values) (int, string, string) {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" {
		form.Set("csrf", b.csrf)
	}
	return b.do("POST", path, form)
}

// signIn signs in with creds and checks that it worked.
func (b *browser) signIn(creds aws.Credentials) {
	b.t.Helper()
	if code, _ := b.get("/console/signin"); code != 200 {
		b.t.Fatalf("GET /console/signin: %d", code)
	}
	code, loc, body := b.post("/console/signin", url.Values{"access_key_id": {creds.AccessKeyID},
		"secret_access_key": {creds.SecretAccessKey}, "session_token": {creds.SessionToken}, "region": {"us-east-1"}})
	if code != http.StatusSeeOther || loc != "/console/" {
		b.t.Fatalf("sign-in: %d to %q\n%s", code, loc, body)
	}
}

// signInCookie signs in with creds and returns the answer (its body
// closed) and the session cookie it set, if any.
func (b *browser) signInCookie(creds aws.Credentials) (*http.Response, *http.Cookie) {
	b.t.Helper()
	b.get("/console/signin")
	form := url.Values{"access_key_id": {creds.AccessKeyID}, "secret_access_key": {creds.SecretAccessKey},
		"region": {"us-east-1"}, "csrf": {b.csrf}}
	req, _ := http.NewRequest("POST", b.s.URL+"/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if (c.Name == "sealbox_console" || c.Name == "__Host-sealbox_console") && c.Value != "" {
			return resp, c
		}
	}
	return resp, nil
}

func admin() aws.Credentials {
	return aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
}

// TestSignInMakesAServerSideSession: the right pair signs in (the cookie
// HttpOnly, SameSite=Strict, scoped to /console/); the overview then
// answers, with the security headers on every page; sign-out ends the
// session on the server, so the old cookie no longer works.
func TestSignInMakesAServerSideSession(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	if code, loc, _ := b.do("GET", "/console/kms", nil); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/signin?next=%2Fconsole%2Fkms") {
		t.Fatalf("a page without a session: %d to %q, want a redirect to sign-in", code, loc)
	}
	resp, cookie := b.signInCookie(admin())
	if resp.StatusCode != http.StatusSeeOther || cookie == nil {
		t.Fatalf("sign-in: %d, cookie %v", resp.StatusCode, cookie)
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/console/" || cookie.Secure {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/console/, not Secure over plain HTTP", cookie)
	}
	if strings.Contains(cookie.Value, sealtest.AccessKeyID) || len(cookie.Value) < 40 {
		t.Fatalf("the cookie should be a random id, got %q", cookie.Value)
	}

	req, _ := http.NewRequest("GET", s.URL+"/console/", nil)
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "KMS keys") || !strings.Contains(string(body), "arn:aws:iam::123456789012:user/admin") {
		t.Fatalf("overview: %d\n%s", resp.StatusCode, body)
	}
	for h, want := range map[string]string{
		"Cache-Control":           "no-store",
		"X-Frame-Options":         "DENY",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "frame-ancestors 'none'",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q in it", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP %q allows inline script or other origins", csp)
	}
	if strings.Contains(string(body), "<script>") || regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).Match(body) {
		t.Errorf("the page has inline script")
	}

	b.get("/console/") // the page's form token
	if code, loc, _ := b.post("/console/signout", nil); code != http.StatusSeeOther || loc != "/console/signin" {
		t.Fatalf("sign-out: %d to %q", code, loc)
	}
	// The old cookie, replayed, names no session any more.
	replay := &http.Client{CheckRedirect: b.c.CheckRedirect}
	req, _ = http.NewRequest("GET", s.URL+"/console/", nil)
	req.AddCookie(cookie)
	resp, err = replay.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the signed-out cookie still opens the console: %d", resp.StatusCode)
	}
}

// TestSignInRefusals: a wrong secret, an unknown key and a form without its
// token start no session; the wrong secret gets AWS's own error.
func TestSignInRefusals(t *testing.T) {
	s := sealtest.Start(t)
	for _, tc := range []struct {
		name, id, secret string
		noToken          bool
		status           int
		want             string
	}{
		{"wrong secret", sealtest.AccessKeyID, "not-the-secret", false, 403, "SignatureDoesNotMatch"},
		{"unknown key", "AKIAEXAMPLEUNKNOWN00", "whatever", false, 403, "The security token included in the request is invalid"},
		{"no form token", sealtest.AccessKeyID, sealtest.SecretAccessKey, true, 403, "security token is missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t, s)
			b.get("/console/signin")
			form := url.Values{"access_key_id": {tc.id}, "secret_access_key": {tc.secret}, "region": {"us-east-1"}}
			if tc.noToken {
				form.Set("csrf", "forged")
			}
			code, _, body := b.post("/console/signin", form)
			if code != tc.status || !strings.Contains(body, tc.want) {
				t.Fatalf("%d, want %d with %q:\n%s", code, tc.status, tc.want, body)
			}
			if strings.Contains(body, tc.secret) && tc.secret != "" {
				t.Fatalf("the page repeats the secret")
			}
			if code, _ := b.get("/console/"); code != http.StatusSeeOther {
				t.Fatalf("a refused sign-in opened a session: %d", code)
			}
		})
	}
	t.Run("next stays in the console", func(t *testing.T) {
		b := newBrowser(t, s)
		b.get("/console/signin?next=//evil.example/")
		code, loc, _ := b.post("/console/signin", url.Values{"access_key_id": {sealtest.AccessKeyID},
			"secret_access_key": {sealtest.SecretAccessKey}, "region": {"us-east-1"}, "next": {"//evil.example/"}})
		if code != http.StatusSeeOther || loc != "/console/" {
			t.Fatalf("%d to %q, want /console/", code, loc)
		}
	})
}

// TestCSRF: a state change without the session's token, with another
// session's token, or from another origin is refused and changes nothing.
func TestCSRF(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(admin())
	other := newBrowser(t, s)
	other.signIn(admin())
	other.get("/console/kms")

	count := func() int {
		out := sealtest.Must[*kmsListKeys](t, "ListKeys")(listKeys(s))
		return out.n
	}
	before := count()
	for _, tc := range []struct {
		name   string
		token  string
		header []string
	}{
		{"no token", "", nil},
		{"another session's token", other.csrf, nil},
		{"cross-origin", "", []string{"Origin", "http://evil.example"}},
		{"cross-site fetch", "", []string{"Sec-Fetch-Site", "cross-site"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b.get("/console/kms")
			form := url.Values{"description": {"csrf"}, "spec": {"SYMMETRIC_DEFAULT"}, "usage": {"ENCRYPT_DECRYPT"}}
			switch {
			case tc.header != nil:
				form.Set("csrf", b.csrf)
			case tc.token != "":
				form.Set("csrf", tc.token)
			default:
				form.Set("csrf", "")
			}
			code, _, body := b.do("POST", "/console/kms", form, tc.header...)
			if code != http.StatusForbidden || !strings.Contains(body, "security token") {
				t.Fatalf("%d, want 403:\n%s", code, body)
			}
		})
	}
	if after := count(); after != before {
		t.Fatalf("a refused form created a key: %d keys, was %d", after, before)
	}
	b.get("/console/kms")
	if code, loc, body := b.post("/console/kms", url.Values{"description": {"ok"}, "spec": {"SYMMETRIC_DEFAULT"}, "usage": {"ENCRYPT_DECRYPT"}}); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/console/kms/keys/") {
		t.Fatalf("with the token: %d to %q\n%s", code, loc, body)
	}
	if after := count(); after != before+1 {
		t.Fatalf("%d keys after a create, was %d", after, before)
	}
}

type kmsListKeys struct{ n int }

func listKeys(s *sealtest.Server) (*kmsListKeys, error) {
	out, err := s.KMS().ListKeys(context.Background(), nil)
	if err != nil {
		return nil, err
	}
	return &kmsListKeys{n: len(out.Keys)}, nil
}

// TestSessionExpiry: a session unused for the idle timeout ends, and one
// used all along ends at the absolute limit.
func TestSessionExpiry(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	b.signIn(admin())
	s.Clock.Advance(14 * time.Minute)
	if code, _ := b.get("/console/kms"); code != 200 {
		t.Fatalf("after 14 idle minutes: %d, want the page", code)
	}
	s.Clock.Advance(15 * time.Minute)
	if code, _ := b.get("/console/kms"); code != http.StatusSeeOther {
		t.Fatalf("after 15 idle minutes: %d, want a redirect to sign-in", code)
	}
	code, _, body := b.post("/console/kms", url.Values{"description": {"late"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "session has ended") {
		t.Fatalf("a form after expiry: %d\n%s", code, body)
	}

	b.signIn(admin())
	for i := 0; i < 8*6-1; i++ { // every 10 minutes for 7h50m
		s.Clock.Advance(10 * time.Minute)
		if code, _ := b.get("/console/kms"); code != 200 {
			t.Fatalf("in use after %d0 minutes: %d", i+1, code)
		}
	}
	s.Clock.Advance(10 * time.Minute)
	if code, _ := b.get("/console/kms"); code != http.StatusSeeOther {
		t.Fatalf("after 8 hours in use: %d, want the session ended", code)
	}
}

// TestDeniedUserSeesAWSDenial: a user with no permission signs in (any
// principal may call GetCallerIdentity) and sees AWS's AccessDenied for
// each page, not the data; the calls are audited as the user's, by the
// console.
func TestDeniedUserSeesAWSDenial(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("visible only to admin")}))
	nobody := s.NewUser(t, "nobody")
	b := newBrowser(t, s)
	b.signIn(nobody)
	code, body := b.get("/console/kms")
	if code != http.StatusBadRequest && code != http.StatusForbidden {
		t.Fatalf("KMS list as nobody: %d\n%s", code, body)
	}
	if !strings.Contains(body, "AccessDeniedException") || !strings.Contains(body, "user/nobody is not authorized to perform: kms:ListKeys") {
		t.Fatalf("the denial is not AWS's:\n%s", body)
	}
	if strings.Contains(body, "visible only to admin") {
		t.Fatal("the denied page shows a key")
	}
	code, body = b.get("/console/")
	if code != 200 || !strings.Contains(body, "AccessDeniedException") {
		t.Fatalf("overview as nobody: %d\n%s", code, body)
	}
	var seen bool
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		ui, _ := e["userIdentity"].(map[string]any)
		if e["eventName"] == "ListKeys" && e["userAgent"] == console.UserAgent && ui["arn"] == "arn:aws:iam::123456789012:user/nobody" && e["errorCode"] == "AccessDenied" {
			seen = true
		}
	}
	if !seen {
		for _, e := range sealtest.AuditEvents(t, s.Dir) {
			if e["eventName"] == "ListKeys" {
				t.Logf("%v", e)
			}
		}
		t.Fatal("no audit event records nobody's denied ListKeys by the console")
	}
}

// TestTemporaryCredentials: pasted STS credentials sign in as the role's
// session, and its pages are the role's calls.
func TestTemporaryCredentials(t *testing.T) {
	s := sealtest.Start(t)
	role := s.NewRole(t, "operator", "", sealtest.Allow("kms:ListKeys", "kms:ListAliases", "kms:DescribeKey"), "alice")
	b := newBrowser(t, s)
	b.signIn(role.Creds)
	code, body := b.get("/console/kms")
	if code != 200 || !strings.Contains(body, "assumed-role/operator/alice") {
		t.Fatalf("KMS list as the role's session: %d\n%s", code, body)
	}
	b2 := newBrowser(t, s)
	b2.get("/console/signin")
	code, _, body = b2.post("/console/signin", url.Values{"access_key_id": {role.Creds.AccessKeyID},
		"secret_access_key": {role.Creds.SecretAccessKey}, "region": {"us-east-1"}})
	if code == http.StatusSeeOther || !strings.Contains(body, "InvalidClientTokenId") {
		t.Fatalf("temporary credentials without their session token: %d\n%s", code, body)
	}
}

// TestRevokedKeyEndsWhatTheSessionCanDo: the console keeps no power of its
// own: once the user's access key is deleted, the signed-in session's
// next page is refused by the signature check.
func TestRevokedKeyEndsWhatTheSessionCanDo(t *testing.T) {
	s := sealtest.Start(t)
	creds := s.NewUser(t, "temp", "kms:*")
	b := newBrowser(t, s)
	b.signIn(creds)
	if code, _ := b.get("/console/kms"); code != 200 {
		t.Fatalf("before: %d", code)
	}
	sealtest.Must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(s.IAM().DeleteAccessKey(context.Background(),
		&iam.DeleteAccessKeyInput{UserName: aws.String("temp"), AccessKeyId: aws.String(creds.AccessKeyID)}))
	code, body := b.get("/console/kms")
	if code != http.StatusBadRequest || !strings.Contains(body, "UnrecognizedClientException") {
		t.Fatalf("after the key was deleted: %d\n%s", code, body)
	}
}

// TestConsoleOverTLS: under TLS the session cookie is Secure, and the
// console's calls carry the browser's TLS: a policy that allows only
// aws:SecureTransport calls lets the console through.
func TestConsoleOverTLS(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.TLS = "auto" })
	ctx := context.Background()
	sealtest.Must[*iam.CreateUserOutput](t, "CreateUser")(s.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("tls")}))
	sealtest.Must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(s.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("tls"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:ListKeys","kms:ListAliases"],"Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}`)}))
	k := sealtest.Must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(s.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("tls")}))
	b := newBrowser(t, s)
	resp, session := b.signInCookie(aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey})
	if resp.StatusCode != http.StatusSeeOther || session == nil || !session.Secure || !session.HttpOnly {
		t.Fatalf("sign-in over TLS: %d, session cookie %+v: want it Secure and HttpOnly", resp.StatusCode, session)
	}
	// __Host-: a browser takes it only Secure, from this origin, for
	// Path=/ without Domain, so a neighbouring host cannot toss its own
	// session in under the same name.
	if session.Name != "__Host-sealbox_console" || session.Path != "/" || session.Domain != "" || session.SameSite != http.SameSiteStrictMode {
		t.Fatalf("session cookie over TLS %+v: want __Host-sealbox_console, Path=/, no Domain, SameSite=Strict", session)
	}
	// A session id tossed in under the plain name is not read.
	other := newBrowser(t, s)
	_, tossed := other.signInCookie(admin())
	req, _ := http.NewRequest("GET", s.URL+"/console/kms", nil)
	req.AddCookie(&http.Cookie{Name: "sealbox_console", Value: tossed.Value})
	resp, err := (&http.Client{Transport: s.HTTPClient().Transport, CheckRedirect: b.c.CheckRedirect}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a session id under the unprefixed name opened a page over TLS: %d", resp.StatusCode)
	}
	if code, body := b.get("/console/kms"); code != 200 || strings.Contains(body, "AccessDenied") {
		t.Fatalf("a SecureTransport-only policy refused the console over TLS: %d\n%s", code, body)
	}
}
