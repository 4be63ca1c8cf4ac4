package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/primitive"
)

// A session is one sign-in: the principal's credentials, kept on the
// server only (the browser holds a random id in an HttpOnly cookie), and
// the token every state-changing form must carry.
type session struct {
	Principal string // the caller's ARN, from GetCallerIdentity
	Account   string
	Region    string
	CSRF      string

	accessKeyID  string
	secret       primitive.Secret
	sessionToken primitive.Secret
	notices      []notice // the last few done wrote, newest last (noticesMu)
	noticesMu    sync.Mutex
	base         string // baseIdentity(Principal): what its count is under
	created      time.Time
	lastSeen     time.Time
	api          *clients
}

// Retrieve gives the SDK the session's credentials when it signs a call;
// strings exist only for the signature's computation.
func (s *session) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.accessKeyID, SecretAccessKey: string(s.secret.Bytes()),
		SessionToken: string(s.sessionToken.Bytes()), Source: "sealbox-console"}, nil
}

// sessions are the signed-in browsers, in memory: a restarted server signs
// everyone out, and each server of several keeps its own.
type sessions struct {
	clock   clock.Clock
	idle    time.Duration
	maxAge  time.Duration
	mu      sync.Mutex
	byID    map[[32]byte]*session // by the SHA-256 of the cookie's value
	maxSize int
}

const (
	sessionCookie = "sealbox_console"
	// signinCookie carries the sign-in form's token (double submit): no
	// session exists yet to hold it.
	signinCookie = "sealbox_console_signin"
	cookiePath   = "/console/"
)

func newSessions(c clock.Clock, idle, maxAge time.Duration) *sessions {
	return &sessions{clock: c, idle: idle, maxAge: maxAge, byID: map[[32]byte]*session{}, maxSize: 10000}
}

// randomToken is 32 random bytes, URL-safe.
func randomToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// maxSessionsPerPrincipal bounds one principal's sessions: signing in
// again and again, one principal could otherwise fill the table and push
// everyone else's sessions out. A principal's next sign-in past it ends
// that principal's longest idle session. The principal counted is the
// base identity (baseIdentity): the role, not each of its sessions.
const maxSessionsPerPrincipal = 32

// baseIdentity is what a caller's sessions are counted under: for a role
// session (arn:aws:sts::123456789012:assumed-role/name/session) the role
// (arn:aws:iam::123456789012:role/name; the ARN names no path), since
// whoever may assume the role picks any session name and would otherwise
// get 32 sessions per name; for a federated user, all of the account's
// federated users together (its ARN does not say who federated it); for
// any other caller, its ARN.
func baseIdentity(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "sts" {
		return arn
	}
	partition, account, res := parts[1], parts[4], parts[5]
	switch {
	case strings.HasPrefix(res, "assumed-role/"):
		role, _, _ := strings.Cut(strings.TrimPrefix(res, "assumed-role/"), "/")
		return "arn:" + partition + ":iam::" + account + ":role/" + role
	case strings.HasPrefix(res, "federated-user/"):
		return "arn:" + partition + ":sts::" + account + ":federated-user/"
	}
	return arn
}

// add keeps s and returns the cookie value naming it.
func (ss *sessions) add(s *session) string {
	id := randomToken()
	now := ss.clock.Now()
	s.created, s.lastSeen, s.CSRF = now, now, randomToken()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s.base = baseIdentity(s.Principal)
	var mine [][32]byte
	for k, v := range ss.byID {
		if v.base == s.base && !ss.expired(v, now) {
			mine = append(mine, k)
		}
	}
	for len(mine) >= maxSessionsPerPrincipal {
		i := ss.longestIdle(mine)
		delete(ss.byID, mine[i])
		mine = append(mine[:i], mine[i+1:]...)
	}
	if len(ss.byID) >= ss.maxSize {
		ss.pruneLocked(now)
	}
	for len(ss.byID) >= ss.maxSize { // still full: the longest idle goes
		all := make([][32]byte, 0, len(ss.byID))
		for k := range ss.byID {
			all = append(all, k)
		}
		delete(ss.byID, all[ss.longestIdle(all)])
	}
	ss.byID[sha256.Sum256([]byte(id))] = s
	return id
}

// longestIdle is the index in keys of the session used least recently.
func (ss *sessions) longestIdle(keys [][32]byte) int {
	at := 0
	for i, k := range keys {
		if ss.byID[k].lastSeen.Before(ss.byID[keys[at]].lastSeen) {
			at = i
		}
	}
	return at
}

func (ss *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.lastSeen) >= ss.idle || now.Sub(s.created) >= ss.maxAge
}

func (ss *sessions) pruneLocked(now time.Time) {
	for k, v := range ss.byID {
		if ss.expired(v, now) {
			delete(ss.byID, k)
		}
	}
}

// get returns the live session the request's cookie names, and notes its
// use; nil when there is none or it has expired (it is then forgotten).
func (ss *sessions) get(r *http.Request, cookie string) *session {
	c, err := r.Cookie(cookie)
	if err != nil || c.Value == "" {
		return nil
	}
	k := sha256.Sum256([]byte(c.Value))
	now := ss.clock.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.byID[k]
	if s == nil {
		return nil
	}
	if ss.expired(s, now) {
		delete(ss.byID, k)
		return nil
	}
	s.lastSeen = now
	return s
}

// remove forgets the request's session.
func (ss *sessions) remove(r *http.Request, cookie string) {
	if c, err := r.Cookie(cookie); err == nil {
		ss.mu.Lock()
		delete(ss.byID, sha256.Sum256([]byte(c.Value)))
		ss.mu.Unlock()
	}
}

// A notice is a line done put in a URL, under a random id.
type notice struct{ id, text string }

// keptNotices is how many notices a session remembers: the page after
// each of its last few actions can be reloaded with its notice.
const keptNotices = 8

// addNotice records text as the session's and returns its id.
func (s *session) addNotice(text string) string {
	id := randomToken()
	s.noticesMu.Lock()
	defer s.noticesMu.Unlock()
	s.notices = append(s.notices, notice{id, text})
	if len(s.notices) > keptNotices {
		s.notices = s.notices[len(s.notices)-keptNotices:]
	}
	return id
}

// wroteNotice reports whether done wrote text under id for this session.
func (s *session) wroteNotice(id, text string) bool {
	s.noticesMu.Lock()
	defer s.noticesMu.Unlock()
	for _, n := range s.notices {
		if sameToken(id, n.id) && n.text == text {
			return true
		}
	}
	return false
}

// sameToken compares a form's token with the expected one in constant time.
func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// secure reports whether r's cookies are Secure: the server serves TLS,
// or r's client connected over TLS (to a trusted proxy: clientaddr).
func (c *Console) secure(r *http.Request) bool { return c.opts.Secure || clientaddr.Secure(r) }

// cookieName is the name a console cookie goes by for r. Over TLS it has
// the __Host- prefix: a browser then takes it only from this origin,
// Secure, for Path=/ and without Domain, so that a neighbour (another host
// under the same site, or a plain-HTTP page of this one) cannot plant its
// own session there for the console's pages to use (cookie tossing), nor
// shadow the real one with a more specific path. A request over TLS reads
// only the __Host- cookie, so one planted over plain HTTP goes unread.
func (c *Console) cookieName(r *http.Request, name string) string {
	if c.secure(r) {
		return "__Host-" + name
	}
	return name
}

func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	path, secure := cookiePath, c.secure(r)
	if secure {
		path = "/" // as __Host- requires; the API answers no cookie
	}
	http.SetCookie(w, &http.Cookie{Name: c.cookieName(r, name), Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
}
