// Package operator serves the barrier's key operations as sealbox's own
// signed API (X-Amz-Target Sealbox.<Op>): GetBarrierStatus,
// RotateBarrierKey (a new barrier key term, and optionally a background
// rewrap of older values) and RekeyRootKey (the keyring wrapped under a new
// root key or provider). Each call is authorized as sealbox:<Op> on "*" and
// audited by the router like any other; a rekey's passphrase and new
// shares are sensitive members, so the trail never holds them.
package operator

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/clock"
)

// Barrier is what the service operates: *barrier.Barrier.
type Barrier interface {
	Status(ctx context.Context) (barrier.Status, error)
	Rotate(ctx context.Context) (uint32, error)
	Rewrap(ctx context.Context, progress func(barrier.RewrapProgress)) (barrier.RewrapProgress, error)
	Rekey(ctx context.Context, p rootkey.Provider) error
}

// NewProvider makes the root-key provider a rekey asks for, and the new
// unseal key shares when the provider is shamir (nil otherwise). An
// unusable request is a *sealbox.Error (ValidationException).
type NewProvider func(ctx context.Context, in *RekeyRootKeyInput) (rootkey.Provider, [][]byte, error)

// Config configures a Service.
type Config struct {
	Barrier     Barrier
	Authorizer  sealbox.Authorizer
	NewProvider NewProvider
	Clock       clock.Clock
	Logger      *slog.Logger
	// Go runs a rewrap in the background; it must recover a panic. nil:
	// a plain goroutine.
	Go func(fn func())
	// RewrapEnded records a rewrap's end on the audit trail (the server's
	// service event); nil records nothing.
	RewrapEnded func(ctx context.Context, st RewrapStatus) error
}

// Service answers the operator calls. Create it with New.
type Service struct {
	cfg    Config
	ctx    context.Context // canceled by Close: stops a running rewrap
	cancel context.CancelFunc

	mu     sync.Mutex
	rewrap RewrapStatus // the last rewrap this server ran
	done   chan struct{}
}

// New returns a Service over cfg.
func New(cfg Config) *Service {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Go == nil {
		cfg.Go = func(fn func()) { go fn() }
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{cfg: cfg, ctx: ctx, cancel: cancel}
}

// Close stops a running rewrap and waits for it: what it moved is kept,
// and a later rewrap carries on.
func (s *Service) Close() {
	s.cancel()
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done != nil {
		<-done
	}
}

// Rewrap states.
const (
	RewrapRunning   = "RUNNING"
	RewrapCompleted = "COMPLETED"
	RewrapFailed    = "FAILED"
	RewrapStopped   = "STOPPED"
)

// RewrapStatus is a rewrap's progress as the API tells it.
type RewrapStatus struct {
	State      string
	Term       int32
	Scanned    int64
	Rewrapped  int64
	StartedAt  *time.Time
	FinishedAt *time.Time
	Error      string
}

// GetBarrierStatusInput takes nothing.
type GetBarrierStatusInput struct{}

// GetBarrierStatusOutput is the barrier's state.
type GetBarrierStatusOutput struct {
	Sealed      bool
	Initialized bool
	Provider    string
	Settings    map[string]string
	Term        int32
	Terms       int32
	Rewrap      *RewrapStatus
}

// GetBarrierStatus tells the barrier's provider, terms and the last
// rewrap, authorized as sealbox:GetBarrierStatus.
func (s *Service) GetBarrierStatus(ctx context.Context, _ *GetBarrierStatusInput) (*GetBarrierStatusOutput, error) {
	if err := s.authorize(ctx, "sealbox:GetBarrierStatus"); err != nil {
		return nil, err
	}
	st, err := s.cfg.Barrier.Status(ctx)
	if err != nil {
		return nil, err
	}
	return &GetBarrierStatusOutput{Sealed: st.Sealed, Initialized: st.Initialized, Provider: st.Provider,
		Settings: st.Settings, Term: int32(st.Term), Terms: int32(st.Terms), Rewrap: s.lastRewrap()}, nil
}

// RotateBarrierKeyInput asks for a rewrap of older values after the
// rotation.
type RotateBarrierKeyInput struct {
	Rewrap bool
}

// RotateBarrierKeyOutput is the new term, and the rewrap started.
type RotateBarrierKeyOutput struct {
	Term   int32
	Rewrap *RewrapStatus
}

// RotateBarrierKey makes a new barrier key term, authorized as
// sealbox:RotateBarrierKey. With Rewrap, a background rewrap then moves the
// values of older terms to it; GetBarrierStatus tells its progress. A
// rewrap already running is a ConflictException, and nothing is rotated.
func (s *Service) RotateBarrierKey(ctx context.Context, in *RotateBarrierKeyInput) (*RotateBarrierKeyOutput, error) {
	if err := s.authorize(ctx, "sealbox:RotateBarrierKey"); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.Rewrap && s.rewrap.State == RewrapRunning {
		return nil, sealbox.Errorf("ConflictException", "A rewrap to term %d is still running; wait for it (GetBarrierStatus) before rotating with a rewrap.", s.rewrap.Term)
	}
	term, err := s.cfg.Barrier.Rotate(ctx)
	if err != nil {
		return nil, conflictIfStale(err)
	}
	s.cfg.Logger.Info("barrier key rotated", "term", term)
	out := &RotateBarrierKeyOutput{Term: int32(term)}
	if in.Rewrap {
		s.startRewrapLocked(term)
		out.Rewrap = s.copyLocked()
	}
	return out, nil
}

// startRewrapLocked runs a rewrap to term in the background; s.mu is held.
func (s *Service) startRewrapLocked(term uint32) {
	now := s.cfg.Clock.Now().UTC()
	s.rewrap = RewrapStatus{State: RewrapRunning, Term: int32(term), StartedAt: &now}
	done := make(chan struct{})
	s.done = done
	s.cfg.Go(func() {
		defer close(done)
		p, err := s.cfg.Barrier.Rewrap(s.ctx, func(p barrier.RewrapProgress) {
			s.mu.Lock()
			s.rewrap.Scanned, s.rewrap.Rewrapped = int64(p.Scanned), int64(p.Rewrapped)
			s.mu.Unlock()
		})
		s.mu.Lock()
		end := s.cfg.Clock.Now().UTC()
		s.rewrap.Scanned, s.rewrap.Rewrapped, s.rewrap.FinishedAt = int64(p.Scanned), int64(p.Rewrapped), &end
		switch {
		case err == nil:
			s.rewrap.State = RewrapCompleted
			s.cfg.Logger.Info("barrier rewrap completed", "term", term, "scanned", p.Scanned, "rewrapped", p.Rewrapped)
		case errors.Is(err, context.Canceled):
			s.rewrap.State = RewrapStopped
		default:
			s.rewrap.State, s.rewrap.Error = RewrapFailed, err.Error()
			s.cfg.Logger.Error("barrier rewrap failed", "term", term, "err", err)
		}
		final := s.rewrap
		s.mu.Unlock()
		if s.cfg.RewrapEnded != nil {
			// Not s.ctx: a rewrap stopped by Close is recorded too.
			if err := s.cfg.RewrapEnded(context.WithoutCancel(s.ctx), final); err != nil {
				s.cfg.Logger.Error("failed to record the barrier rewrap's end on the audit trail", "term", term, "err", err)
			}
		}
	})
}

func (s *Service) lastRewrap() *RewrapStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.copyLocked()
}

func (s *Service) copyLocked() *RewrapStatus {
	if s.rewrap.State == "" {
		return nil
	}
	c := s.rewrap
	return &c
}

// RekeyRootKeyInput names the new root-key provider: file (Settings
// "root-key-file", a path on the server), passphrase (Passphrase), shamir
// (KeyShares, KeyThreshold), and the others' settings as their flags.
type RekeyRootKeyInput struct {
	Provider     string
	Settings     map[string]string `json:",omitempty"`
	Passphrase   string            `json:",omitempty"`
	KeyShares    *int32            `json:",omitempty"`
	KeyThreshold *int32            `json:",omitempty"`
}

// RekeyRootKeyOutput tells the new provider, and shamir's new shares, once.
type RekeyRootKeyOutput struct {
	Provider string
	Shares   []string
}

// RekeyRootKey wraps the barrier keyring under a new keyring key with the
// provider asked for, authorized as sealbox:RekeyRootKey. The data is not
// re-encrypted; until the keyring's one write commits the old root key
// keeps working. The server must then be started with the new provider.
func (s *Service) RekeyRootKey(ctx context.Context, in *RekeyRootKeyInput) (*RekeyRootKeyOutput, error) {
	if err := s.authorize(ctx, "sealbox:RekeyRootKey"); err != nil {
		return nil, err
	}
	p, shares, err := s.cfg.NewProvider(ctx, in)
	if err != nil {
		return nil, err
	}
	if c, ok := p.(io.Closer); ok {
		defer c.Close() // an HSM's module: the running server keeps its own provider
	}
	if err := s.cfg.Barrier.Rekey(ctx, p); err != nil {
		if errors.Is(err, barrier.ErrNewProvider) {
			return nil, sealbox.Errorf("ValidationException", "%s; nothing was changed.", err.Error())
		}
		return nil, conflictIfStale(err)
	}
	s.cfg.Logger.Info("barrier keyring rekeyed", "provider", p.Name())
	out := &RekeyRootKeyOutput{Provider: p.Name()}
	for _, sh := range shares {
		out.Shares = append(out.Shares, encodeShare(sh))
		clear(sh)
	}
	return out, nil
}

func (s *Service) authorize(ctx context.Context, action string) error {
	return s.cfg.Authorizer.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: "*"})
}

// conflictIfStale answers a keyring changed by another server as a
// ConflictException the operator can act on; other errors pass.
func conflictIfStale(err error) error {
	if errors.Is(err, barrier.ErrKeyringChanged) {
		return sealbox.Errorf("ConflictException", "%s", err.Error())
	}
	return fmt.Errorf("%w", err)
}

// encodeShare is how a share is printed and typed back: base64, as Vault's.
func encodeShare(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
