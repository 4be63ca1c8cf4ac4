//go:build !fuzzbinary

package console_test

// An attacker's tests of the console: what a page, a link, a planted cookie
// or a principal whose power changed under an open session must not get.

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// hostile is text that would run script if a page put it in the HTML as
// it is: in an element, after a <pre>, in a double- or single-quoted
// attribute.
const hostile = `</pre></textarea><script>alert(1)</script><img src=x onerror=alert(2)>"'><svg onload=alert(3)>`

// TestHostileTextIsEscaped: descriptions, policy text and parameter values
// that hold markup are shown as text on every page that shows them.
func TestHostileTextIsEscaped(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	k := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(hostile)}))
	id := *k.KeyMetadata.KeyId
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x":` + jsonString(hostile) + `}}}]}`
	sealtest.Must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy")(s.KMS().PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: &id, PolicyName: aws.String("default"), Policy: &policy}))
	sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x/p"),
		Type: ssmtypes.ParameterTypeString, Value: aws.String(hostile), Description: aws.String(hostile)}))
	sealtest.Must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("x/s"), SecretString: aws.String(hostile), Description: aws.String(hostile)}))
	s.Principals(t, "user/nobody") // the secret's policy names the user
	sealtest.Must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy")(s.SecretsManager().PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{
		SecretId: aws.String("x/s"), ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:UserAgent":` + jsonString(hostile) + `}}}]}`)}))
	sealtest.Must[*iam.CreatePolicyOutput](t, "CreatePolicy")(s.IAM().CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("hostile"),
		Description: aws.String("plain"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:UserAgent":` + jsonString(hostile) + `}}}]}`)}))

	b := newBrowser(t, s)
	b.signIn(admin())
	pages := []string{"/console/", "/console/kms", "/console/kms/keys/" + id, "/console/parameters?path=/x/", "/console/parameters/view?name=/x/p",
		"/console/secrets", "/console/secrets/view?id=x/s", "/console/iam/policy?arn=arn:aws:iam::123456789012:policy/hostile",
		"/console/audit", "/console/parameters?path=" + url.QueryEscape(hostile), "/console/secrets?q=" + url.QueryEscape(hostile)}
	for _, p := range pages {
		code, body := b.get(p)
		// The hostile path and query are AWS's ValidationException, shown
		// with the input in its message.
		if code != 200 && !(code == 400 && strings.Contains(p, "%3Cscript")) {
			t.Errorf("GET %s: %d", p, code)
		}
		for _, raw := range []string{"<script>alert", "<img src=x", "<svg onload", `"'>`} {
			if strings.Contains(body, raw) {
				t.Errorf("GET %s: the page holds %q as markup", p, raw)
			}
		}
	}
	// The hostile text is on the pages, escaped: the checks above looked
	// where it is.
	_, body := b.get("/console/kms/keys/" + id)
	if !strings.Contains(body, "&lt;script&gt;alert(1)") {
		t.Fatalf("the key's page does not show its description escaped:\n%s", body)
	}
	// A reveal answer shows the value as text too.
	b.get("/console/secrets/view?id=x/s")
	code, _, body := b.post("/console/secrets/view?id=x/s", url.Values{"action": {"reveal"}})
	if code != 200 || strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;alert(1)") {
		t.Fatalf("reveal of a value holding markup: %d\n%s", code, body)
	}
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	b.WriteByte('"')
	return b.String()
}

// TestSignInRedirectStaysInTheConsole: no "next" takes the browser off the
// console after sign-in, whatever it is made of.
func TestSignInRedirectStaysInTheConsole(t *testing.T) {
	s := sealtest.Start(t)
	for _, next := range []string{"//evil.example/", "/\\evil.example/", `/\/evil.example`, "https://evil.example/console/",
		"javascript:alert(1)", "/console@evil.example", "/consolex", "/console/\r\nSet-Cookie: a=b", "/console/\\\\evil.example",
		"%2F%2Fevil.example", "/%2F%2Fevil.example", " /console/", "\t//evil.example"} {
		b := newBrowser(t, s)
		code, body := b.get("/console/signin?next=" + url.QueryEscape(next))
		if code != 200 || strings.Contains(body, "evil.example") && strings.Contains(next, "evil.example") && !strings.Contains(next, "/console/") {
			t.Errorf("the form for next %q: %d, and it carries the destination", next, code)
		}
		code, loc, _ := b.post("/console/signin", url.Values{"access_key_id": {sealtest.AccessKeyID},
			"secret_access_key": {sealtest.SecretAccessKey}, "region": {"us-east-1"}, "next": {next}})
		u, err := url.Parse(loc)
		if code != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(loc, "/console/") || strings.HasPrefix(loc, "//") ||
			strings.ContainsAny(loc, "\\\r\n\t") {
			t.Errorf("next %q: %d to %q, want a place in the console", next, code, loc)
		}
	}
}

// TestPlantedSessionCookieIsNotAdopted: a session id the attacker put in
// the victim's browser before sign-in names nothing, and sign-in replaces
// it with a new one (no fixation).
func TestPlantedSessionCookieIsNotAdopted(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	u, _ := url.Parse(s.URL + "/console/")
	const planted = "attacker-chose-this-session-id-0123456789abcdef"
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: "sealbox_console", Value: planted, Path: "/console/"}})
	if code, _, _ := b.do("GET", "/console/kms", nil); code != http.StatusSeeOther {
		t.Fatalf("a planted, unknown session id opened a page: %d", code)
	}
	resp, cookie := b.signInCookie(admin())
	if resp.StatusCode != http.StatusSeeOther || cookie == nil || cookie.Value == planted {
		t.Fatalf("sign-in over a planted cookie: %d, cookie %+v: want a new session id", resp.StatusCode, cookie)
	}
	attacker := &http.Client{CheckRedirect: b.c.CheckRedirect}
	req, _ := http.NewRequest("GET", s.URL+"/console/kms", nil)
	req.AddCookie(&http.Cookie{Name: "sealbox_console", Value: planted})
	resp, err := attacker.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the planted id opens the victim's session: %d", resp.StatusCode)
	}
}

// TestSessionFollowsThePrincipalNow: an open session can do only what its
// principal may do at each page: a deactivated key or a removed policy
// refuses the next page, as the API would. (Temporary credentials' expiry
// is the signature check's, on the real clock: stsapi's tests hold it.)
func TestSessionFollowsThePrincipalNow(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	t.Run("key deactivated", func(t *testing.T) {
		creds := s.NewUser(t, "deact", "kms:*")
		b := newBrowser(t, s)
		b.signIn(creds)
		if code, _ := b.get("/console/kms"); code != 200 {
			t.Fatalf("before: %d", code)
		}
		sealtest.Must[*iam.UpdateAccessKeyOutput](t, "UpdateAccessKey")(s.IAM().UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("deact"),
			AccessKeyId: aws.String(creds.AccessKeyID), Status: iamtypes.StatusTypeInactive}))
		code, body := b.get("/console/kms")
		if code == 200 || !strings.Contains(body, "InvalidClientTokenId") && !strings.Contains(body, "UnrecognizedClient") {
			t.Fatalf("after the key was deactivated: %d\n%s", code, body)
		}
		b.get("/console/kms")
		if code, loc, body := b.post("/console/kms", url.Values{"description": {"after deactivation"}}); code == http.StatusSeeOther {
			t.Fatalf("a form after the key was deactivated: %d to %q\n%s", code, loc, body)
		}
	})
	t.Run("policy removed", func(t *testing.T) {
		creds := s.NewUser(t, "demoted", "kms:*")
		b := newBrowser(t, s)
		b.signIn(creds)
		if code, _ := b.get("/console/kms"); code != 200 {
			t.Fatalf("before: %d", code)
		}
		pols := sealtest.Must[*iam.ListUserPoliciesOutput](t, "ListUserPolicies")(s.IAM().ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: aws.String("demoted")}))
		for _, p := range pols.PolicyNames {
			sealtest.Must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy")(s.IAM().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("demoted"), PolicyName: aws.String(p)}))
		}
		if len(pols.PolicyNames) == 0 {
			t.Fatal("the user has no inline policy to remove")
		}
		code, body := b.get("/console/kms")
		if code == 200 || !strings.Contains(body, "AccessDeniedException") {
			t.Fatalf("after the policy was removed: %d\n%s", code, body)
		}
	})

}

// TestSecurityHeadersOnEveryAnswer: sign-in, refusals, redirects and
// errors are answered no-store, unframeable, under the CSP, not sniffed.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	check := func(what string, resp *http.Response, store bool) {
		t.Helper()
		h := resp.Header
		if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") || h.Get("X-Frame-Options") != "DENY" ||
			h.Get("X-Content-Type-Options") != "nosniff" || (!store && h.Get("Cache-Control") != "no-store") {
			t.Errorf("%s: %d with headers %v", what, resp.StatusCode, h)
		}
	}
	do := func(method, path string, form url.Values) *http.Response {
		var body *strings.Reader
		if form != nil {
			body = strings.NewReader(form.Encode())
		} else {
			body = strings.NewReader("")
		}
		req, _ := http.NewRequest(method, s.URL+path, body)
		if form != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	check("sign-in form", do("GET", "/console/signin", nil), false)
	check("redirect to sign-in", do("GET", "/console/secrets", nil), false)
	check("form without a session", do("POST", "/console/secrets", url.Values{}), false)
	check("sign-in refused", do("POST", "/console/signin", url.Values{"access_key_id": {"x"}}), false)
	check("unknown page", do("GET", "/console/nope", nil), false)
	check("static", do("GET", "/console/static/console.js", nil), true)
	b.signIn(admin())
	check("denied action", do("POST", "/console/kms", url.Values{"csrf": {"wrong"}}), false)
	check("page", do("GET", "/console/kms", nil), false)
}

// TestSignOutAndRevealNeedTheToken: another site can neither sign the user
// out nor make a reveal answer: both are POSTs that need the session's
// token from the console's own origin.
func TestSignOutAndRevealNeedTheToken(t *testing.T) {
	s := sealtest.Start(t)
	dataFixture(t, s)
	b := newBrowser(t, s)
	b.signIn(admin())
	for _, h := range [][]string{nil, {"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}} {
		b.get("/console/")
		form := url.Values{"csrf": {""}}
		if h != nil {
			form.Set("csrf", b.csrf)
		}
		if code, _, _ := b.do("POST", "/console/signout", form, h...); code != http.StatusForbidden {
			t.Fatalf("sign-out %v: %d, want 403", h, code)
		}
		if code, _ := b.get("/console/kms"); code != 200 {
			t.Fatalf("a refused sign-out ended the session: %d", code)
		}
		for _, p := range []string{"/console/secrets/view?id=prod/db", "/console/parameters/view?name=/app/db/password"} {
			b.get(p)
			form := url.Values{"action": {"reveal"}, "csrf": {""}}
			if h != nil {
				form.Set("csrf", b.csrf)
			}
			code, _, body := b.do("POST", p, form, h...)
			if code != http.StatusForbidden || strings.Contains(body, secureValue) || strings.Contains(body, "s3cret-never-shown") {
				t.Fatalf("reveal %s %v: %d\n%s", p, h, code, body)
			}
		}
	}
}

// TestSignInFormIsNotCrossSite: another site cannot sign the browser in
// as the attacker (login CSRF): the form needs its own cookie's token and
// the console's origin.
func TestSignInFormIsNotCrossSite(t *testing.T) {
	s := sealtest.Start(t)
	for _, h := range [][]string{{"Origin", "http://evil.example"}, {"Sec-Fetch-Site", "cross-site"}, {"Origin", "null"}} {
		b := newBrowser(t, s)
		b.get("/console/signin")
		code, _, _ := b.do("POST", "/console/signin", url.Values{"access_key_id": {sealtest.AccessKeyID},
			"secret_access_key": {sealtest.SecretAccessKey}, "region": {"us-east-1"}, "csrf": {b.csrf}}, h...)
		if code != http.StatusForbidden {
			t.Fatalf("sign-in %v: %d, want 403", h, code)
		}
	}
	// A browser that never loaded the form has no token cookie.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(s.URL+"/console/signin", url.Values{"access_key_id": {sealtest.AccessKeyID},
		"secret_access_key": {sealtest.SecretAccessKey}, "region": {"us-east-1"}, "csrf": {"guess"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without the form's cookie: %d, want 403", resp.StatusCode)
	}
}

// TestNoticeFromALinkIsNotShown: the line a page shows after an action
// ("Parameter created.") comes from the console, not from whoever wrote
// the link: a notice in a URL the console did not make is not shown.
func TestNoticeFromALinkIsNotShown(t *testing.T) {
	s := sealtest.Start(t)
	dataFixture(t, s)
	b := newBrowser(t, s)
	b.signIn(admin())
	const lure = "Your session has ended: sign in again at evil.example"
	for _, p := range []string{"/console/kms", "/console/secrets", "/console/secrets/view?id=prod/db", "/console/parameters?path=/app/",
		"/console/parameters/view?name=/app/db/url"} {
		sep := "?"
		if strings.Contains(p, "?") {
			sep = "&"
		}
		code, body := b.get(p + sep + "notice=" + url.QueryEscape(lure))
		if code != 200 || strings.Contains(body, "evil.example") {
			t.Errorf("GET %s with a notice in the link: %d, the page shows it", p, code)
		}
	}
	// The console's own notices still show, once.
	b.get("/console/secrets/view?id=prod/db")
	code, loc, _ := b.post("/console/secrets/view?id=prod/db", url.Values{"action": {"put"}, "value": {"v2"}})
	if code != http.StatusSeeOther {
		t.Fatalf("put: %d", code)
	}
	if _, body := b.get(loc); !strings.Contains(body, "New value put") {
		t.Fatalf("the action's own notice is not shown after its redirect (%s)", loc)
	}
	// Another session's notice link is not this session's.
	other := newBrowser(t, s)
	other.signIn(admin())
	if _, body := other.get(loc); strings.Contains(body, "New value put") {
		t.Fatalf("another session shows the notice of a link it did not make")
	}
}

// TestSigningInAgainEndsTheOldSession: a browser that signs in over its
// session (another user at a shared machine, say) leaves nothing of the old
// one: its cookie, copied before, opens nothing.
func TestSigningInAgainEndsTheOldSession(t *testing.T) {
	s := sealtest.Start(t)
	b := newBrowser(t, s)
	_, first := b.signInCookie(admin())
	if first == nil {
		t.Fatal("no session cookie")
	}
	// The form answers a signed-in browser when it names where to go next.
	next := s.NewUser(t, "next", "kms:ListKeys")
	b.get("/console/signin?next=%2Fconsole%2Fkms")
	if code, loc, body := b.post("/console/signin", url.Values{"access_key_id": {next.AccessKeyID}, "secret_access_key": {next.SecretAccessKey},
		"region": {"us-east-1"}, "next": {"/console/kms"}}); code != http.StatusSeeOther || loc != "/console/kms" {
		t.Fatalf("second sign-in: %d to %q\n%s", code, loc, body)
	}
	if _, body := b.get("/console/kms"); !strings.Contains(body, "user/next") {
		t.Fatal("the browser is not signed in as the second user")
	}
	replay := &http.Client{CheckRedirect: b.c.CheckRedirect}
	req, _ := http.NewRequest("GET", s.URL+"/console/kms", nil)
	req.AddCookie(first)
	resp, err := replay.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the first session still opens pages after the browser signed in again: %d", resp.StatusCode)
	}
}

// TestConsoleValuesStayOutOfLogsAndTrail: values and the secret access key
// typed into the console, and values it revealed, are in no audit record,
// no server log line and no page but the reveal's answer.
func TestConsoleValuesStayOutOfLogsAndTrail(t *testing.T) {
	s := sealtest.Start(t)
	dataFixture(t, s)
	user := s.NewUser(t, "typist", "ssm:*", "secretsmanager:*", "kms:*")
	b := newBrowser(t, s)
	b.signIn(user)
	const (
		newSecret = "typed-secret-value-5517"
		newParam  = "typed-parameter-value-8832"
		putSecret = "typed-put-value-2290"
	)
	b.get("/console/secrets")
	if code, _, body := b.post("/console/secrets", url.Values{"name": {"typed/one"}, "value": {newSecret}}); code != http.StatusSeeOther {
		t.Fatalf("create secret: %d\n%s", code, body)
	}
	b.get("/console/secrets/view?id=typed/one")
	if code, _, body := b.post("/console/secrets/view?id=typed/one", url.Values{"action": {"put"}, "value": {putSecret}}); code != http.StatusSeeOther {
		t.Fatalf("put secret: %d\n%s", code, body)
	}
	b.get("/console/parameters?path=/typed/")
	if code, _, body := b.post("/console/parameters", url.Values{"path": {"/typed/"}, "name": {"/typed/p"}, "type": {"SecureString"},
		"tier": {"Standard"}, "value": {newParam}}); code != http.StatusSeeOther {
		t.Fatalf("create parameter: %d\n%s", code, body)
	}
	for page, value := range map[string]string{"/console/secrets/view?id=typed/one": putSecret, "/console/parameters/view?name=/typed/p": newParam,
		"/console/secrets/view?id=prod/db": "s3cret-never-shown-9921", "/console/parameters/view?name=/app/db/password": secureValue} {
		_, body := b.get(page)
		if strings.Contains(body, value) {
			t.Fatalf("GET %s shows the value before a reveal", page)
		}
		b.csrf = ""
		b.get(page)
		if _, _, body := b.post(page, url.Values{"action": {"reveal"}}); !strings.Contains(body, value) {
			t.Fatalf("reveal on %s does not show the value:\n%s", page, body)
		}
	}
	s.Stop() // flushes the trail and the log
	trail := ""
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		trail += mustJSON(t, e) + "\n"
	}
	if !strings.Contains(trail, "PutSecretValue") || !strings.Contains(trail, "sealbox-console") {
		t.Fatal("the trail does not hold the console's calls: the check below would prove nothing")
	}
	for _, v := range []string{newSecret, newParam, putSecret, "s3cret-never-shown-9921", secureValue, user.SecretAccessKey} {
		if strings.Contains(trail, v) {
			t.Errorf("the audit trail holds %q", v)
		}
		if strings.Contains(s.Logs.String(), v) {
			t.Errorf("the server's log holds %q", v)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestStaticNameNotUTF8IsNotFound: a static file name that is no UTF-8
// (GET /console/static/%B3) is not found, as any other missing file; the
// file server answered it 500 (FuzzConsole found it).
func TestStaticNameNotUTF8IsNotFound(t *testing.T) {
	s := sealtest.Start(t)
	for _, p := range []string{"/console/static/%B3", "/console/static/%B30", "/console/static/a/%FF%FE/b.js", "/console/static/nope.js"} {
		resp, err := s.HTTPClient().Get(s.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}
	resp, err := s.HTTPClient().Get(s.URL + "/console/static/console.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /console/static/console.js = %d, want 200", resp.StatusCode)
	}
}
