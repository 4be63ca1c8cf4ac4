// Package console is sealbox's web console at /console/: pages rendered on
// the server with html/template and a little progressive JavaScript, in
// the binary (no Node.js to build or run it).
//
// The console holds no power of its own. A browser signs in with an access
// key pair or temporary credentials, which the console checks with
// GetCallerIdentity and keeps on the server; every page then makes
// ordinary AWS API calls signed as that principal through the server's own
// handler (api.go), so the authorizer decides each and the audit trail
// records each with the console's userAgent. A denial is shown as AWS
// answered it.
//
// Safety: a session is a random id in an HttpOnly, SameSite=Strict cookie
// (Secure under TLS) with idle and absolute timeouts; every state change
// is a POST carrying the session's CSRF token (and a same-origin
// Origin/Sec-Fetch-Site when the browser sends them); every page is
// Cache-Control: no-store under a Content-Security-Policy without inline
// script, and cannot be framed; a secret value appears only in the answer
// to a "reveal" POST, never in a URL.
package console

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/guesslimit"
	"github.com/sealbox/sealbox/internal/loglimit"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Console.
type Options struct {
	// API is the server's AWS API handler: every console action is a call
	// to it.
	API http.Handler
	// Secure marks every cookie Secure: the server serves TLS. Without it
	// a cookie is Secure when its request came over TLS, to a trusted
	// proxy (clientaddr).
	Secure bool
	// IdleTimeout ends a session unused this long (default 15 minutes);
	// MaxSession ends any session this long after sign-in (default 8 hours).
	IdleTimeout, MaxSession time.Duration
	// DefaultRegion is the sign-in form's Region (default us-east-1).
	DefaultRegion string
	Clock         clock.Clock  // nil: the real clock
	Logger        *slog.Logger // nil: slog.Default
	// RecordSignIn, if set, records each checked sign-in in the audit
	// trail (CloudTrail's ConsoleLogin). A success it cannot record starts
	// no session (fail closed); a failure it cannot record is logged.
	RecordSignIn func(r *http.Request, a SignIn) error
}

// SignIn is one checked sign-in attempt, for Options.RecordSignIn. A
// throttled attempt is not checked, and not recorded.
type SignIn struct {
	// AccessKeyID is the key id as typed when it has an access key id's
	// form; else "" (it may be a secret pasted in the wrong field).
	AccessKeyID string
	// OK: the credentials were right (the recorder finds the key's
	// principal as the signature check does).
	OK bool
	// ErrorCode is the API's refusal of a wrong one.
	ErrorCode string
}

// Console serves the web console.
type Console struct {
	opts     Options
	mux      *http.ServeMux
	sessions *sessions
	pages    map[string]*template.Template
	// guesses slows sign-in guessing (signin.go); refusals writes the
	// warnings a guesser causes once a minute, with a count.
	guesses  *guesslimit.Limiter
	refusals *loglimit.Limiter
}

// Path is where the console is served.
const Path = "/console/"

// contentSecurityPolicy allows the console's own script, style and images
// and nothing else: no inline script, no framing, forms only to itself.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// New returns the console.
func New(o Options) (*Console, error) {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.MaxSession <= 0 {
		o.MaxSession = 8 * time.Hour
	}
	if o.DefaultRegion == "" {
		o.DefaultRegion = "us-east-1"
	}
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	c := &Console{opts: o, mux: http.NewServeMux(), sessions: newSessions(o.Clock, o.IdleTimeout, o.MaxSession),
		guesses: guesslimit.New(o.Clock), refusals: loglimit.New(o.Logger, o.Clock, loglimit.DefaultInterval)}
	if err := c.parseTemplates(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, err
	}
	c.mux.Handle("GET /console/static/", http.StripPrefix("/console/static/", staticFiles(static)))
	c.mux.HandleFunc("GET /console/signin", c.signinForm)
	c.mux.HandleFunc("POST /console/signin", c.signin)
	c.mux.HandleFunc("POST /console/signout", c.signout)
	c.routes()
	return c, nil
}

// staticFiles serves the console's own files. A name no file can have
// (not UTF-8) is not found: http.FileServerFS answers the error Open gives
// for it with a 500 (FuzzConsole found GET /console/static/%B3 did).
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/"); name != "" && !fs.ValidPath(name) {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

// route registers a page that needs a session. Each is called with the
// session; a POST is refused before it runs unless it carries the
// session's CSRF token and comes from the console's own origin.
func (c *Console) route(pattern string, h func(w http.ResponseWriter, r *http.Request, s *session)) {
	c.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		s := c.sessions.get(r, c.cookieName(r, sessionCookie))
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/console/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			c.fail(w, r, nil, http.StatusUnauthorized, "Your session has ended. Sign in again.")
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if !sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), s.CSRF) {
				c.fail(w, r, s, http.StatusForbidden, "The form's security token is missing or does not match this session. Reload the page and try again.")
				return
			}
		}
		r = r.WithContext(context.WithValue(withBrowser(r.Context(), r), sessionKey{}, s))
		h(w, withoutForgedNotice(r, s), s)
	})
}

// sessionKey carries a request's session to done, which records its
// notice.
type sessionKey struct{}

// withoutForgedNotice is r without its notice unless its session's console
// wrote that notice (done): one in a link from elsewhere ("Your session
// has ended: sign in at …") would be shown in the console's own voice.
func withoutForgedNotice(r *http.Request, s *session) *http.Request {
	q := r.URL.Query()
	if _, ok := q["notice"]; !ok {
		return r
	}
	if s.wroteNotice(q.Get("nid"), q.Get("notice")) {
		return r
	}
	q.Del("notice")
	q.Del("nid")
	u := *r.URL
	u.RawQuery = q.Encode()
	r.URL = &u
	return r
}

// sameOrigin refuses a POST that the browser says came from elsewhere.
// Browsers send Origin (and Sec-Fetch-Site) with every form POST; the
// CSRF token is the check that does not depend on them.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// ServeHTTP serves the console with its security headers on every answer.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: with no-referrer Chromium sends
	// "Origin: null" on the console's own form posts, which sameOrigin refuses.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	if strings.HasPrefix(r.URL.Path, "/console/static/") {
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Cache-Control", "no-store")
	}
	if r.URL.Path == "/console" {
		http.Redirect(w, r, Path, http.StatusMovedPermanently)
		return
	}
	c.mux.ServeHTTP(w, r)
}

// view is what every page's template gets.
type view struct {
	Title   string
	Nav     string // the section the page belongs to, for the menu
	Session *session
	Error   *apiError // an API call's failure, shown above the page
	Notice  string    // what an action did
	Data    any
}

func (c *Console) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("console template %s: %w", n, err)
		}
		c.pages[base] = t
	}
	return nil
}

// render writes page with v at status.
func (c *Console) render(w http.ResponseWriter, status int, page string, v *view) {
	t := c.pages[page]
	if t == nil {
		c.opts.Logger.Error("console page missing", "page", page)
		http.Error(w, "page missing", http.StatusInternalServerError)
		return
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		c.opts.Logger.Error("console page failed", "page", page, "err", err)
		http.Error(w, "the page could not be made", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprint(w, b.String())
}

// fail answers a refused request with the error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	c.render(w, status, "error", &view{Title: http.StatusText(status), Session: s,
		Error: &apiError{Status: status, Code: http.StatusText(status), Message: msg}})
}

// show renders a page whose data came from API calls: err, when set,
// is shown with the API's status (a denial is a 403 page saying what AWS
// said) and data may be partial.
func (c *Console) show(w http.ResponseWriter, s *session, page, nav, title string, data any, err error) {
	v := &view{Title: title, Nav: nav, Session: s, Data: data}
	status := http.StatusOK
	if err != nil {
		v.Error = asAPIError(err)
		status = v.Error.Status
	}
	c.render(w, status, page, v)
}

// done redirects after a successful action (POST, redirect, GET), with a
// notice for the next page that the session records as its own.
func done(w http.ResponseWriter, r *http.Request, to, notice string) {
	if s, _ := r.Context().Value(sessionKey{}).(*session); s != nil && notice != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "notice=" + url.QueryEscape(notice) + "&nid=" + s.addNotice(notice)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

var funcs = template.FuncMap{
	"time": fmtTime,
	"deref": func(p any) any {
		switch v := p.(type) {
		case *string:
			if v == nil {
				return ""
			}
			return *v
		case *int32:
			if v == nil {
				return 0
			}
			return *v
		case *int64:
			if v == nil {
				return 0
			}
			return *v
		case *bool:
			return v != nil && *v
		}
		return p
	},
	"pathEscape": url.PathEscape,
}

// fmtTime shows a time (or *time.Time) in UTC; "" for none.
func fmtTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if !v.IsZero() {
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
	case *time.Time:
		if v != nil && !v.IsZero() {
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
	}
	return ""
}
