package console_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/console"
	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
)

// fuzzSession is a console over the trusting router (every key signs in,
// as the root) and a session signed in to it.
type fuzzSession struct {
	c            *console.Console
	cookie, csrf string
}

var fuzzCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in through the sign-in form as a browser does.
func (f *fuzzSession) signIn(tb testing.TB) {
	tb.Helper()
	w := httptest.NewRecorder()
	f.c.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/console/signin", nil))
	m := fuzzCSRF.FindStringSubmatch(w.Body.String())
	cookies := w.Result().Cookies()
	if m == nil || len(cookies) == 0 {
		tb.Fatalf("the sign-in form: %d %s", w.Code, w.Body)
	}
	form := url.Values{"csrf": {m[1]}, "access_key_id": {"AKIAFUZZFUZZFUZZFUZZ"}, "secret_access_key": {"fuzz"}, "next": {"/console/"}}
	req := httptest.NewRequest(http.MethodPost, "/console/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(cookies[0])
	w = httptest.NewRecorder()
	f.c.ServeHTTP(w, req)
	f.cookie = ""
	for _, ck := range w.Result().Cookies() {
		if ck.Name == "sealbox_console" && ck.Value != "" {
			f.cookie = ck.Value
		}
	}
	if w.Code != http.StatusSeeOther || f.cookie == "" {
		tb.Fatalf("sign-in: %d %s", w.Code, w.Body)
	}
	req = httptest.NewRequest(http.MethodGet, "/console/kms", nil)
	req.AddCookie(&http.Cookie{Name: "sealbox_console", Value: f.cookie})
	w = httptest.NewRecorder()
	f.c.ServeHTTP(w, req)
	if m = fuzzCSRF.FindStringSubmatch(w.Body.String()); m == nil {
		tb.Fatalf("no CSRF token on /console/kms: %d %s", w.Code, w.Body)
	}
	f.csrf = m[1]
}

// fuzzMarker is a tag the fuzzer's seeds put in every place a client
// controls; the console must never answer it unescaped.
const fuzzMarker = "<sealbox-fuzz"

// FuzzConsole sends arbitrary requests to the web console: any method,
// path and query, form body and cookie, with or without the signed-in
// session and its CSRF token. No input may panic or get a 5xx; a redirect
// stays in the console; and no answer carries markup built from an input:
// the marker tag never comes back unescaped, no script but the console's
// own, no javascript: link.
func FuzzConsole(f *testing.F) {
	c, err := console.New(console.Options{API: optabletest.TrustingRouter(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	fs := &fuzzSession{c: c}
	fs.signIn(f)
	methods := []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut}
	x := url.QueryEscape(fuzzMarker + ` a="b" onload=1>'"`)
	for _, seed := range []struct {
		method       uint8
		target, body string
		session      uint8 // 0 none, 1 the session, 2 the session and its CSRF token, 3 a forged cookie
	}{
		{0, "/console/", "", 1},
		{0, "/console/", "", 0},
		{0, "/console/signin?next=" + x, "", 0},
		{1, "/console/signin", "access_key_id=" + x + "&secret_access_key=s&region=" + x + "&next=//evil.example", 0},
		{1, "/console/signout", "", 2},
		{0, "/console/kms?notice=" + x + "&nid=1", "", 1},
		{1, "/console/kms", "description=" + x + "&usage=ENCRYPT_DECRYPT&spec=SYMMETRIC_DEFAULT&tag_key=a&tag_value=" + x, 2},
		{0, "/console/kms/keys/" + x, "", 1},
		{1, "/console/kms/keys/alias%2Faws%2Fssm", "action=disable", 2},
		{1, "/console/kms/keys/" + x, "action=" + x + "&alias=alias/" + x, 2},
		{0, "/console/parameters?path=" + x, "", 1},
		{1, "/console/parameters", "name=/a/" + x + "&type=String&value=" + x + "&description=" + x, 2},
		{0, "/console/parameters/view?name=/a/" + x + "&version=1", "", 1},
		{1, "/console/parameters/view?name=/a/b", "action=delete&name=/a/b", 2},
		{0, "/console/secrets?filter=" + x, "", 1},
		{1, "/console/secrets", "name=" + x + "&value=" + x + "&description=" + x, 2},
		{0, "/console/secrets/view?id=" + x, "", 1},
		{1, "/console/secrets/view?id=" + x, "action=reveal&version=" + x, 2},
		{0, "/console/functions?marker=" + x, "", 1},
		{0, "/console/functions/" + x, "", 1},
		{1, "/console/functions/" + x + "/reveal", "qualifier=" + x, 2},
		{0, "/console/iam/users/" + x, "", 1},
		{0, "/console/iam/roles/" + optabletest.Role, "", 1},
		{0, "/console/iam/groups/" + x, "", 1},
		{0, "/console/iam/policy?arn=" + x, "", 1},
		{0, "/console/iam/simulate?principal=arn:aws:iam::123456789012:user/u&action=kms:Decrypt&resource=" + x, "", 1},
		{0, "/console/audit?event=" + x + "&user=" + x + "&start=2026-01-01&end=" + x, "", 1},
		{0, "/console/audit/event?id=" + x, "", 1},
		{0, "/console/audit/principal?arn=" + x, "", 1},
		{0, "/console/audit/suggest?q=" + x + "&field=user", "", 1},
		{0, "/console/static/console.js", "", 0},
		{0, "/console/static/" + x, "", 0},
		{1, "/console/kms", "csrf=forged", 3},
		{0, "/console", "", 0},
	} {
		f.Add(seed.method, seed.target, seed.body, seed.session)
	}
	f.Fuzz(func(t *testing.T, method uint8, target, body string, session uint8) {
		if !strings.HasPrefix(target, "/console") || strings.ContainsAny(target, " \r\n#") {
			return // not a request target the server hands the console
		}
		req, err := http.NewRequest(methods[int(method)%len(methods)], "http://sealbox.test"+target, nil)
		if err != nil {
			return
		}
		switch session % 4 {
		case 1:
			req.AddCookie(&http.Cookie{Name: "sealbox_console", Value: fs.cookie})
		case 2:
			req.AddCookie(&http.Cookie{Name: "sealbox_console", Value: fs.cookie})
			body = "csrf=" + url.QueryEscape(fs.csrf) + "&" + body
		case 3:
			req.Header.Set("Cookie", "sealbox_console="+url.QueryEscape(body)+"; sealbox_console_signin="+url.QueryEscape(target))
		}
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		c.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", req.Method, target, body, w.Code, w.Body)
		}
		if loc := w.Header().Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/console") || strings.ContainsAny(loc, "\\\r\n<>\"")) {
			t.Fatalf("%s %s %q redirects out of the console, or with markup: %q", req.Method, target, body, loc)
		}
		page := strings.ToLower(w.Body.String())
		if strings.Contains(page, fuzzMarker) || strings.Count(page, "<script") != strings.Count(page, `<script src="/console/static/`) ||
			strings.Contains(page, `href="javascript:`) {
			t.Fatalf("%s %s %q = %d, markup from the input: %s", req.Method, target, body, w.Code, w.Body)
		}
		if session%4 == 2 && strings.Contains(target, "signout") {
			fs.signIn(t) // the session this input ended; the next inputs need one
		}
	})
}
