package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/clientaddr"
	"github.com/sealbox/sealbox/internal/functions"
)

// The operator's endpoints: a server started with --root-key shamir is
// sealed until threshold holders of the unseal key's shares each give
// theirs, as Vault's sys/init, sys/unseal and sys/seal-status. They answer
// anyone: the shares are the credential, and nothing can be authorized
// before the unseal (the IAM store is behind the barrier). Sealing a
// running server is a signed call (Sealbox.SealServer, routes_operator.go).
//
// While sealed every other path answers 503: the APIs AWS's common
// ServiceUnavailable in their protocol's shape, the console a page that
// says so, /readyz "not ready: sealed"; /healthz answers as ever.
const (
	OperatorSealStatusPath = "/sealbox/operator/seal-status"
	OperatorInitPath       = "/sealbox/operator/init"
	OperatorUnsealPath     = "/sealbox/operator/unseal"
)

// maxOperatorBody bounds an operator request's body: a share is 44
// characters of base64.
const maxOperatorBody = 4 << 10

// maxPendingEvents bounds the operator events kept while sealed (the
// endpoints answer anyone); those past it are counted and the count is
// logged and recorded with the next event written.
const maxPendingEvents = 1000

// operatorState is the server's seal state: whether it serves, the shares
// of the unseal attempt under way, and the audit events that wait for the
// barrier.
type operatorState struct {
	// mu serializes init, unseal, seal and the setup at the first unseal.
	mu sync.Mutex
	// open is whether calls pass the gate: unsealed and set up.
	open atomic.Bool
	// setUp is whether unsealed has run (it runs once).
	setUp atomic.Bool
	// unsealer collects the shares; nil until known (made from the
	// barrier's recorded settings at the first share).
	unsealer *rootkey.Unsealer
	// pending are the operator's events made while sealed: the audit
	// trail is behind the barrier (its store sink, the file sink's heads
	// and signing key), so they cannot be written then. They are written,
	// in order, right after the unseal, before any call is served; a
	// server stopped while sealed loses them (the log has them, without
	// any share). dropped counts those past maxPendingEvents.
	pending []*audit.Event
	dropped int
	// servingCh is closed when the server unseals (a new one is made at
	// each seal); stopLead ends the elector's campaign of the time it
	// served (leadContext).
	servingCh chan struct{}
	stopLead  context.CancelFunc
}

// Sealed reports whether the server answers 503 until unsealed (only a
// server started with --root-key shamir ever is).
func (s *Server) Sealed() bool { return !s.serving() }

// AdminCredentialsPath is where the administrator's credentials file is, or
// will be once a sealed server is first unsealed.
func (s *Server) AdminCredentialsPath() string {
	return filepath.Join(s.cfg.DataDir, CredentialsFileName)
}

// serving reports whether calls pass the gate.
func (s *Server) serving() bool { return s.op.open.Load() }

// isSetUp reports whether what needs the barrier has been set up.
func (s *Server) isSetUp() bool { return s.op.setUp.Load() }

// waitSetUp waits for the setup at the first unseal (at once for the
// providers that unseal at start), and reports false if ctx ends first.
func (s *Server) waitSetUp(ctx context.Context) bool {
	select {
	case <-s.setUp:
		return true
	case <-ctx.Done():
		return false
	}
}

// leadContext waits until the server serves and returns a context for
// the elector's campaign, cancelled when ctx is or the server is sealed;
// false when ctx ends first.
func (s *Server) leadContext(ctx context.Context) (context.Context, context.CancelFunc, bool) {
	for ctx.Err() == nil {
		s.op.mu.Lock()
		if s.serving() {
			lctx, stop := context.WithCancel(ctx)
			s.op.stopLead = stop
			s.op.mu.Unlock()
			return lctx, stop, true
		}
		ch := s.op.servingCh
		s.op.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
	return nil, nil, false
}

// gate serves h while the server serves, and the sealed answer otherwise:
// AWS's common ServiceUnavailable (503) in the shape of the request's
// protocol, or for the console a page.
func (s *Server) gate(h http.HandlerFunc, page bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.serving() {
			h(w, r)
			return
		}
		if page {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, sealedPage)
			return
		}
		awsapi.Refuse(w, r, &sealbox.Error{Code: "ServiceUnavailable", Server: true, Status: http.StatusServiceUnavailable,
			Message: "The server is sealed: an operator must unseal it ('sealbox operator unseal') before it serves."})
	})
}

const sealedPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sealbox: sealed</title></head>
<body><h1>This server is sealed</h1>
<p>It holds no key and serves nothing until operators unseal it, each with a share of the unseal key:
<code>sealbox operator unseal</code>. <code>sealbox operator status</code> tells how far the unseal is.</p>
</body></html>
`

// serveAPI is the router, and for SealServer the seal once the router has
// answered that it may (sealAsk): the answer is held in the HTTP server's
// buffer until the handler returns, so the caller hears of it once the
// server is sealed.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/invocations") {
		// A function may run for up to 15 minutes: an authorized Invoke
		// moves the write deadline to what its function may take.
		rc := http.NewResponseController(w)
		r = r.WithContext(functions.WithAnswerDeadline(r.Context(), func(d time.Duration) {
			rc.SetWriteDeadline(time.Now().Add(d))
		}))
	}
	if v := r.Header["X-Amz-Target"]; len(v) != 1 || v[0] != sealServerTarget {
		s.router.ServeHTTP(w, r)
		return
	}
	ask := &sealAsk{}
	sw := &statusWriter{ResponseWriter: w}
	s.router.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), sealAskKey{}, ask)))
	if ask.allowed && sw.status == http.StatusOK {
		s.seal()
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// seal seals a serving server: the gate closes (new calls answer 503), the
// events recorded so far reach the sinks, the barrier drops its key, and
// the caches drop what they hold (decrypted key material among it). The
// SealServer call's own event was written before (serveAPI). A call in
// flight that reads after this finds the barrier sealed and is told to
// retry (Config.Unavailable). The services stay built: the next unseal
// reuses them.
func (s *Server) seal() {
	s.op.mu.Lock()
	defer s.op.mu.Unlock()
	if !s.op.open.Swap(false) {
		return
	}
	s.op.servingCh = make(chan struct{})
	if s.op.stopLead != nil {
		s.op.stopLead() // step down: the background work needs the barrier
	}
	s.audit.Flush()
	if s.auditFile != nil {
		// The file trail's digest and its head in the store, now: while
		// sealed the store takes neither, and a stop then must not leave
		// the head behind the file.
		if err := s.auditFile.Seal(); err != nil {
			s.log.Error("failed to sign the audit file trail's digest before sealing", "err", err)
		}
	}
	if s.auditSigner != nil {
		s.auditSigner.Forget()
	}
	s.barrier.Seal()
	s.caches.Purge()
	if s.op.unsealer != nil {
		// Wiped, and made again at the next unseal from the settings the
		// barrier then records (a rekey may have changed them).
		s.op.unsealer.Reset()
		s.op.unsealer = nil
	}
	s.log.Warn("sealed: the server holds no key and answers 503 until it is unsealed")
}

// operatorRoutes adds the operator's unsigned endpoints to mux.
func (s *Server) operatorRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+OperatorSealStatusPath, s.sealStatusHandler)
	mux.HandleFunc("POST "+OperatorInitPath, s.initHandler)
	mux.HandleFunc("POST "+OperatorUnsealPath, s.unsealHandler)
}

// SealStatus is the answer of the operator's endpoints: nothing secret.
type SealStatus struct {
	// Type is the root-key provider ("shamir", "file", ...).
	Type        string
	Initialized bool
	Sealed      bool
	// T is the threshold, N the share count, Progress the shares given
	// in the attempt under way (shamir only).
	T, N, Progress int
}

// InitResponse is the answer to init: the shares, the one time they are
// ever shown.
type InitResponse struct {
	Keys         []string // base64
	KeyShares    int
	KeyThreshold int
}

// OperatorError is the body of an operator endpoint's refusal.
type OperatorError struct {
	Code    string
	Message string
}

func (s *Server) sealStatusHandler(w http.ResponseWriter, r *http.Request) {
	s.op.mu.Lock()
	st, err := s.sealStatus(r.Context())
	s.op.mu.Unlock()
	if err != nil {
		s.operatorFailed(w, "seal-status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// sealStatus reads the state; the caller holds op.mu.
func (s *Server) sealStatus(ctx context.Context) (SealStatus, error) {
	if s.cfg.RootKey != "shamir" {
		return SealStatus{Type: s.cfg.RootKey, Initialized: true, Sealed: !s.serving()}, nil
	}
	b, err := s.barrier.Status(ctx)
	if err != nil {
		return SealStatus{}, err
	}
	st := SealStatus{Type: "shamir", Initialized: b.Initialized, Sealed: !s.serving()}
	if !b.Initialized {
		return st, nil
	}
	if b.Provider != "shamir" {
		// Rekeyed to another provider while serving: no shares any more
		// (the next start needs --root-key with that provider).
		st.Type = b.Provider
		return st, nil
	}
	u, err := s.unsealerFor(b)
	if err != nil {
		return SealStatus{}, err
	}
	p := u.Progress()
	st.T, st.N, st.Progress = p.Threshold, p.Shares, p.Given
	return st, nil
}

// unsealerFor returns the Unsealer, made from b's recorded settings at
// first; the caller holds op.mu.
func (s *Server) unsealerFor(b barrier.Status) (*rootkey.Unsealer, error) {
	if s.op.unsealer == nil {
		if b.Provider != "shamir" {
			return nil, &barrier.ProviderMismatchError{Sealed: b.Provider, Given: "shamir"}
		}
		u, err := rootkey.NewUnsealerFor(b.Settings)
		if err != nil {
			return nil, err
		}
		s.op.unsealer = u
	}
	return s.op.unsealer, nil
}

type initRequest struct {
	KeyShares    int
	KeyThreshold int
}

func (s *Server) initHandler(w http.ResponseWriter, r *http.Request) {
	var in initRequest
	if !readOperatorJSON(w, r, &in) {
		return
	}
	if s.cfg.RootKey != "shamir" {
		refuseOperator(w, http.StatusBadRequest, "NotShamir", "This server's root-key provider is "+s.cfg.RootKey+": it has no unseal key shares.")
		return
	}
	if err := rootkey.CheckShares(in.KeyShares, in.KeyThreshold); err != nil {
		refuseOperator(w, http.StatusBadRequest, "InvalidParameter", "KeyShares and KeyThreshold: "+err.Error()+".")
		return
	}
	s.op.mu.Lock()
	defer s.op.mu.Unlock()
	st, err := s.barrier.Status(r.Context())
	if err != nil {
		s.operatorFailed(w, "init", err)
		return
	}
	if st.Initialized {
		refuseOperator(w, http.StatusBadRequest, "AlreadyInitialized", "The server is already initialized: its unseal key shares were handed out then.")
		return
	}
	p, shares, err := rootkey.NewShamir(in.KeyShares, in.KeyThreshold)
	if err == nil {
		err = barrier.Initialize(r.Context(), s.raw, p)
		p.Forget()
	}
	if errors.Is(err, barrier.ErrInitialized) {
		// Another server on the same database won the race.
		refuseOperator(w, http.StatusBadRequest, "AlreadyInitialized", "The server is already initialized: its unseal key shares were handed out then.")
		return
	}
	if err != nil {
		s.operatorFailed(w, "init", err)
		return
	}
	if s.op.unsealer, err = rootkey.NewUnsealer(in.KeyShares, in.KeyThreshold); err != nil {
		s.operatorFailed(w, "init", err)
		return
	}
	e := s.operatorEvent(r, "InitializeBarrier", false)
	e.RequestParameters = map[string]any{"keyShares": in.KeyShares, "keyThreshold": in.KeyThreshold}
	s.pend(e)
	s.log.Info("initialized: the unseal key was split into shares, handed out once; the server stays sealed until unsealed",
		"shares", in.KeyShares, "threshold", in.KeyThreshold)
	out := InitResponse{Keys: make([]string, len(shares)), KeyShares: in.KeyShares, KeyThreshold: in.KeyThreshold}
	for i, sh := range shares {
		out.Keys[i] = base64.StdEncoding.EncodeToString(sh)
		clear(sh)
	}
	writeJSON(w, http.StatusOK, out)
}

type unsealRequest struct {
	Key   string // one share, base64
	Reset bool   // drop the shares given so far instead
}

func (s *Server) unsealHandler(w http.ResponseWriter, r *http.Request) {
	var in unsealRequest
	if !readOperatorJSON(w, r, &in) {
		return
	}
	if (in.Key == "") == !in.Reset {
		refuseOperator(w, http.StatusBadRequest, "InvalidParameter", "Give either Key (one unseal key share, base64) or Reset: true.")
		return
	}
	if s.cfg.RootKey != "shamir" {
		refuseOperator(w, http.StatusBadRequest, "NotShamir", "This server's root-key provider is "+s.cfg.RootKey+": it unseals at start, with no shares.")
		return
	}
	ctx := r.Context()
	s.op.mu.Lock()
	defer s.op.mu.Unlock()
	st, err := s.barrier.Status(ctx)
	if err != nil {
		s.operatorFailed(w, "unseal", err)
		return
	}
	if !st.Initialized {
		refuseOperator(w, http.StatusBadRequest, "NotInitialized", "The server is not initialized: run 'sealbox operator init' first.")
		return
	}
	if s.serving() {
		// As Vault: an unseal of an unsealed server answers its state.
		s.answerStatus(w, ctx)
		return
	}
	u, err := s.unsealerFor(st)
	if err != nil {
		s.operatorFailed(w, "unseal", err)
		return
	}
	e := s.operatorEvent(r, "Unseal", false)
	if in.Reset {
		u.Reset()
		e.RequestParameters = map[string]any{"reset": true}
		s.pend(e)
		s.answerStatus(w, ctx)
		return
	}
	// The share is never recorded, logged or kept past the attempt.
	e.RequestParameters = map[string]any{"key": "HIDDEN_DUE_TO_SECURITY_REASONS"}
	share, derr := base64.StdEncoding.DecodeString(in.Key)
	var p *rootkey.Shamir
	var prog rootkey.Progress
	if derr != nil {
		err = rootkey.ErrMalformedShare
		prog = u.Progress()
	} else {
		p, prog, err = u.Add(share)
		clear(share)
	}
	if err != nil {
		s.unsealRefused(w, e, err, prog)
		return
	}
	e.ResponseElements = map[string]any{"progress": prog.Given, "threshold": prog.Threshold}
	if p == nil {
		s.pend(e)
		s.answerStatus(w, ctx)
		return
	}
	err = s.barrier.Unseal(ctx, p)
	p.Forget()
	if err != nil {
		if !errors.Is(err, rootkey.ErrWrongShares) {
			s.pend(withError(e, "InternalFailure", "the barrier could not be unsealed"))
			s.operatorFailed(w, "unseal", err)
			return
		}
		s.unsealRefused(w, e, err, u.Progress())
		return
	}
	if !s.isSetUp() {
		if err := s.unsealed(context.WithoutCancel(ctx), s.raw, s.opts); err != nil {
			s.barrier.Seal()
			s.pend(withError(e, "InternalFailure", "the server failed to set up after the unseal"))
			s.operatorFailed(w, "unseal", fmt.Errorf("failed to set up the server after the unseal, sealed again: %w", err))
			return
		}
		s.op.setUp.Store(true)
		if s.AdminAccessKeyID != "" {
			s.log.Info("the administrator's access key is in the credentials file", "file", s.AdminCredentialsFile)
		}
	} else if s.auditSigner != nil {
		// Unsealed again: the trail's key, forgotten at the seal.
		if err := s.auditSigner.Recall(ctx, s.barrier); err != nil {
			s.barrier.Seal()
			s.pend(withError(e, "InternalFailure", "the audit signing key could not be loaded after the unseal"))
			s.operatorFailed(w, "unseal", fmt.Errorf("sealed again: %w", err))
			return
		}
	}
	s.pend(e)
	// The trail is open again: what waited is written before any call
	// passes the gate.
	s.writePending(ctx)
	// Made again from the barrier's settings when next needed: a rekey
	// while serving may change them.
	s.op.unsealer = nil
	s.op.open.Store(true)
	close(s.op.servingCh)
	s.log.Info("unsealed: serving")
	s.answerStatus(w, ctx)
}

// unsealRefused answers a share refused, or shares that did not open the
// barrier key (the attempt starts over), and records it.
func (s *Server) unsealRefused(w http.ResponseWriter, e *audit.Event, err error, prog rootkey.Progress) {
	code, msg := "InvalidShare", "Not an unseal key share: give one of the base64 shares 'sealbox operator init' printed."
	switch {
	case errors.Is(err, rootkey.ErrDuplicateShare):
		code, msg = "DuplicateShare", "This share was already given in this unseal: another holder's is needed."
	case errors.Is(err, rootkey.ErrWrongShares):
		code, msg = "WrongShares", "The unseal key shares do not open the barrier key (one of them is wrong, or of another server): the unseal starts over."
	}
	e.ResponseElements = map[string]any{"progress": prog.Given, "threshold": prog.Threshold}
	s.pend(withError(e, code, msg))
	s.log.Warn("unseal refused", "reason", code, "progress", prog.Given, "threshold", prog.Threshold)
	refuseOperator(w, http.StatusBadRequest, code, msg)
}

func (s *Server) answerStatus(w http.ResponseWriter, ctx context.Context) {
	st, err := s.sealStatus(ctx)
	if err != nil {
		s.operatorFailed(w, "seal-status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// operatorEvent is the audit event of an operator's unsigned call: the
// caller is not known (the shares are the credential), its address is.
func (s *Server) operatorEvent(r *http.Request, name string, readOnly bool) *audit.Event {
	who := sealbox.Principal{Type: "Unknown", AccountID: s.cfg.AccountID}
	e := audit.CallEvent(s.serverRequest(who, clientaddr.IP(r), r.UserAgent()), "sealbox", name, readOnly)
	e.RequestParameters = map[string]any{}
	return e
}

func withError(e *audit.Event, code, msg string) *audit.Event {
	e.ErrorCode, e.ErrorMessage = code, msg
	return e
}

// pend keeps e until the trail can take it; the caller holds op.mu.
func (s *Server) pend(e *audit.Event) {
	if len(s.op.pending) >= maxPendingEvents {
		s.op.dropped++
		return
	}
	s.op.pending = append(s.op.pending, e)
}

// writePending writes the events kept while sealed; the caller holds op.mu
// and the barrier is unsealed. One the trail refuses is logged (without
// any share: none is in an event) and dropped: the unseal is not undone
// for it.
func (s *Server) writePending(ctx context.Context) {
	if s.op.dropped > 0 && len(s.op.pending) > 0 {
		last := s.op.pending[len(s.op.pending)-1]
		last.AdditionalData = map[string]any{"operatorEventsDropped": s.op.dropped}
		s.log.Warn("operator events made while sealed were past the bound and dropped", "dropped", s.op.dropped)
	}
	for _, e := range s.op.pending {
		if err := s.audit.Log(ctx, e); err != nil {
			s.log.Error("failed to record an operator event made while sealed", "event", e.EventName, "err", err)
		}
	}
	s.audit.Flush()
	s.op.pending, s.op.dropped = nil, 0
}

// readOperatorJSON reads r's body, at most maxOperatorBody, as one strict
// JSON object into v; it answers the refusal itself.
func readOperatorJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOperatorBody))
	if err != nil {
		refuseOperator(w, http.StatusRequestEntityTooLarge, "RequestTooLarge", "The request body is over "+strconv.Itoa(maxOperatorBody)+" bytes.")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil || dec.More() {
		refuseOperator(w, http.StatusBadRequest, "MalformedRequest", "The body must be one JSON object with only the documented members.")
		return false
	}
	if _, err := dec.Token(); err != io.EOF {
		refuseOperator(w, http.StatusBadRequest, "MalformedRequest", "The body must be one JSON object with only the documented members.")
		return false
	}
	return true
}

func refuseOperator(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, OperatorError{Code: code, Message: msg})
}

// operatorFailed logs an unexpected failure and answers 503: the store or
// the barrier's record could not be read, nothing the caller did.
func (s *Server) operatorFailed(w http.ResponseWriter, what string, err error) {
	s.log.Error("operator "+what+" failed", "err", err)
	refuseOperator(w, http.StatusServiceUnavailable, "ServiceUnavailable", "The server could not do it for now: its log says why. Retry.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"Code":"InternalFailure","Message":"An internal error occurred."}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
