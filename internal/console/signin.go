package console

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/guesslimit"
	"github.com/sealbox/sealbox/internal/primitive"
)

type signinData struct {
	Token         string
	Next          string
	AccessKeyID   string
	Region        string
	SessionEnded  bool
	DefaultRegion string
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)

func (c *Console) signinForm(w http.ResponseWriter, r *http.Request) {
	if c.sessions.get(r, c.cookieName(r, sessionCookie)) != nil && r.URL.Query().Get("next") == "" {
		http.Redirect(w, r, Path, http.StatusSeeOther)
		return
	}
	c.renderSignin(w, r, http.StatusOK, &signinData{Next: safeNext(r.URL.Query().Get("next")), Region: c.opts.DefaultRegion}, nil)
}

// renderSignin shows the form with a fresh double-submit token.
func (c *Console) renderSignin(w http.ResponseWriter, r *http.Request, status int, d *signinData, e *apiError) {
	d.Token = randomToken()
	d.DefaultRegion = c.opts.DefaultRegion
	c.setCookie(w, r, signinCookie, d.Token, 0)
	c.render(w, status, "signin", &view{Title: "Sign in", Data: d, Error: e})
}

// signin checks the credentials with GetCallerIdentity, a call like any
// other (signature checked, audited), and starts a session for its caller.
func (c *Console) signin(w http.ResponseWriter, r *http.Request) {
	d := &signinData{Next: safeNext(r.PostFormValue("next")), AccessKeyID: strings.TrimSpace(r.PostFormValue("access_key_id")),
		Region: strings.TrimSpace(r.PostFormValue("region"))}
	cookie, err := r.Cookie(c.cookieName(r, signinCookie))
	if err != nil || !sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), cookie.Value) {
		c.renderSignin(w, r, http.StatusForbidden, d, &apiError{Status: http.StatusForbidden, Code: "Forbidden",
			Message: "The sign-in form's security token is missing or does not match. Try again."})
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("secret_access_key"))
	token := strings.TrimSpace(r.PostFormValue("session_token"))
	if d.Region == "" {
		d.Region = c.opts.DefaultRegion
	}
	switch {
	case d.AccessKeyID == "" || secret == "":
		c.renderSignin(w, r, http.StatusBadRequest, d, &apiError{Status: http.StatusBadRequest, Code: "ValidationError",
			Message: "Enter an access key ID and its secret access key."})
		return
	case !regionPattern.MatchString(d.Region):
		c.renderSignin(w, r, http.StatusBadRequest, d, &apiError{Status: http.StatusBadRequest, Code: "ValidationError",
			Message: "The Region must look like us-east-1."})
		return
	}
	names := guessNames(r, d.AccessKeyID)
	if wait := c.guesses.Try(names...); wait > 0 {
		// Not checked at all: a right guess made while waiting signs no
		// one in, so waiting cannot be skipped by guessing.
		secs := int((wait + time.Second - 1) / time.Second)
		c.refusals.Warn("console sign-in refused: too many failed attempts", "sourceIPAddress", clientaddr.IP(r), "accessKeyId", loggableKeyID(d.AccessKeyID))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		c.renderSignin(w, r, http.StatusTooManyRequests, d, &apiError{Status: http.StatusTooManyRequests, Code: "TooManyAttempts",
			Message: fmt.Sprintf("Too many failed sign-in attempts. Try again in %d s.", secs)})
		return
	}
	s := &session{Region: d.Region, accessKeyID: d.AccessKeyID,
		secret: primitive.NewSecret([]byte(secret)), sessionToken: primitive.NewSecret([]byte(token))}
	s.api = newClients(c.opts.API, s.Region, s)
	out, err := s.api.STS.GetCallerIdentity(withBrowser(r.Context(), r), &sts.GetCallerIdentityInput{})
	if err != nil {
		e := asAPIError(err)
		c.opts.Logger.Info("console sign-in failed", "sourceIPAddress", clientaddr.IP(r), "accessKeyId", loggableKeyID(d.AccessKeyID), "code", e.Code)
		if c.opts.RecordSignIn != nil && e.Status < 500 {
			if err := c.opts.RecordSignIn(r, SignIn{AccessKeyID: loggableKeyID(d.AccessKeyID), ErrorCode: e.Code}); err != nil {
				c.opts.Logger.Error("failed to record a failed console sign-in", "err", err)
			}
		}
		c.renderSignin(w, r, e.Status, d, e)
		return
	}
	c.guesses.Succeed(names...)
	s.Principal, s.Account = deref(out.Arn), deref(out.Account)
	if c.opts.RecordSignIn != nil {
		if err := c.opts.RecordSignIn(r, SignIn{AccessKeyID: d.AccessKeyID, OK: true}); err != nil {
			c.opts.Logger.Error("failed to record a console sign-in: refusing it", "err", err)
			c.renderSignin(w, r, http.StatusServiceUnavailable, d, &apiError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable",
				Message: "The sign-in could not be recorded in the audit trail. Try again later."})
			return
		}
	}
	// A browser signing in again leaves no session behind it.
	c.sessions.remove(r, c.cookieName(r, sessionCookie))
	id := c.sessions.add(s)
	c.setCookie(w, r, signinCookie, "", -1)
	c.setCookie(w, r, sessionCookie, id, 0)
	c.opts.Logger.Info("console sign-in", "principal", s.Principal)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// The sign-in limits. A client address (an IPv6 one's /64, which one
// host commonly holds whole) has 5 free failures, then waits 1 s, 2 s, 4 s
// ... up to 5 minutes; an access key id, which anyone may try from many
// addresses, has 20 free, then waits up to a minute: enough to slow a
// spread-out guesser, short enough that one cannot lock a key's owner out
// for long. Failures are forgotten an hour after the last.
var (
	addressGuesses = guesslimit.Policy{Free: 5, Base: time.Second, Max: 5 * time.Minute, Forget: time.Hour}
	keyGuesses     = guesslimit.Policy{Free: 20, Base: time.Second, Max: time.Minute, Forget: time.Hour}
)

// accessKeyIDForm is an access key id's form (AKIA… for a user's, ASIA…
// for temporary credentials'): 20 characters, never a secret's 40.
var accessKeyIDForm = regexp.MustCompile(`^A[KS]IA[A-Z0-9]{16}$`)

// loggableKeyID is id if it looks like an access key id, else "": what a
// user typed in the key id's field may be a secret pasted in the wrong
// one, which must reach no log and no audit event.
func loggableKeyID(id string) string {
	if !accessKeyIDForm.MatchString(id) {
		return ""
	}
	return id
}

// guessNames are the names a sign-in attempt counts under.
func guessNames(r *http.Request, accessKeyID string) []guesslimit.Name {
	addr := clientaddr.IP(r)
	if a, err := netip.ParseAddr(addr); err == nil && a.Is6() && !a.Is4In6() {
		addr = netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
	}
	if len(accessKeyID) > 128 { // no key id is longer: a guesser's garbage, kept small
		accessKeyID = accessKeyID[:128]
	}
	return []guesslimit.Name{{Key: "addr:" + addr, Policy: addressGuesses}, {Key: "key:" + accessKeyID, Policy: keyGuesses}}
}

// signout ends the session (a POST with its token, so that another site
// cannot sign a user out).
func (c *Console) signout(w http.ResponseWriter, r *http.Request) {
	s := c.sessions.get(r, c.cookieName(r, sessionCookie))
	if s != nil && (!sameOrigin(r) || !sameToken(r.PostFormValue("csrf"), s.CSRF)) {
		c.fail(w, r, s, http.StatusForbidden, "The form's security token is missing or does not match this session.")
		return
	}
	c.sessions.remove(r, c.cookieName(r, sessionCookie))
	c.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/console/signin", http.StatusSeeOther)
}

// safeNext keeps a post-sign-in destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, Path) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return Path
	}
	return next
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
