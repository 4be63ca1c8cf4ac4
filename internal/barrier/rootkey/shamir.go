package rootkey

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/hashicorp/vault/shamir"

	"github.com/sealbox/sealbox/internal/primitive"
)

// Shamir keeps the barrier key wrapped under an unseal key that no one
// holds whole: it is split into shares (Shamir's secret sharing over
// GF(256), HashiCorp Vault's reviewed implementation), of which threshold
// open it again. The shares are handed out once, at initialization, and
// never stored; a server whose keyring is wrapped so starts sealed and is
// unsealed by threshold holders each giving their share (Unsealer).
//
// Limits, as Vault's: 1 to 255 shares; a threshold of 2 up to the share
// count, or 1 with a single share (which then is the unseal key itself:
// for a test or a lone operator, with no splitting at all).
//
// Create it with NewShamir (initialization) or an Unsealer (unsealing).
// Safe for concurrent use.
type Shamir struct {
	key       []byte // the unseal key, 32 bytes
	shares    int
	threshold int
}

var (
	_ Provider  = (*Shamir)(nil)
	_ Described = (*Shamir)(nil)
)

// MaxShares is the most shares an unseal key may be split into (GF(256)
// has 255 non-zero x coordinates).
const MaxShares = 255

var (
	// ErrWrongShares is returned by the shamir provider's Unwrap when the
	// unseal key the shares combined into does not open the barrier key:
	// a share is wrong, altered, or of another server's.
	ErrWrongShares = errors.New("the unseal key shares do not open the barrier key")
	// ErrMalformedShare is returned by Unsealer.Add for a share that is
	// not one: wrong length, or not base64 where the caller decoded it.
	ErrMalformedShare = errors.New("not an unseal key share")
	// ErrDuplicateShare is returned by Unsealer.Add for a share (or a share
	// with the same x coordinate) given before in this unseal attempt; it
	// is not counted twice.
	ErrDuplicateShare = errors.New("this unseal key share was already given")
)

// shamirAAD binds a blob wrapped by the shamir provider to its purpose and
// format version.
var shamirAAD = []byte("sealbox rootkey/shamir v1: barrier key")

// shamirWrapVersion is the first byte of every blob the provider wraps.
const shamirWrapVersion = 1

// CheckShares reports whether shares and threshold are within the limits
// (see Shamir), with a message for the operator when not.
func CheckShares(shares, threshold int) error {
	switch {
	case shares < 1 || shares > MaxShares:
		return fmt.Errorf("the share count must be 1 to %d, not %d", MaxShares, shares)
	case threshold < 1 || threshold > shares:
		return fmt.Errorf("the threshold must be 1 to the share count (%d), not %d", shares, threshold)
	case threshold == 1 && shares > 1:
		return errors.New("a threshold of 1 is allowed only with a single share: with more, any one share alone would unseal")
	}
	return nil
}

// NewShamir draws a new random unseal key and splits it into shares, of
// which threshold recombine it. It returns the provider that wraps with the
// unseal key (give it to barrier.Initialize) and the shares, to hand out
// once: nothing of them is kept anywhere else. With a single share, the
// share is the unseal key itself.
func NewShamir(shares, threshold int) (*Shamir, [][]byte, error) {
	if err := CheckShares(shares, threshold); err != nil {
		return nil, nil, err
	}
	key := primitive.Random(primitive.KeySize)
	if shares == 1 {
		return &Shamir{key: key, shares: 1, threshold: 1}, [][]byte{append([]byte(nil), key...)}, nil
	}
	parts, err := shamir.Split(key, shares, threshold)
	if err != nil {
		clear(key)
		return nil, nil, fmt.Errorf("failed to split the unseal key: %w", err)
	}
	return &Shamir{key: key, shares: shares, threshold: threshold}, parts, nil
}

// Name returns "shamir".
func (*Shamir) Name() string { return "shamir" }

// Settings returns the share count and the threshold, which a sealed server
// tells before it is unsealed (nothing secret).
func (s *Shamir) Settings() map[string]string {
	return map[string]string{"shares": strconv.Itoa(s.shares), "threshold": strconv.Itoa(s.threshold)}
}

// Wrap encrypts key under the unseal key.
func (s *Shamir) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	aead, err := primitive.NewAEAD(s.key)
	if err != nil {
		return nil, fmt.Errorf("failed to use the unseal key: %w", err)
	}
	return aead.Seal([]byte{shamirWrapVersion}, key, shamirAD()), nil
}

// Unwrap decrypts wrapped with the unseal key the shares combined into; a
// key that does not open it is ErrWrongShares.
func (s *Shamir) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(wrapped) == 0 || wrapped[0] != shamirWrapVersion {
		return nil, ErrWrongShares
	}
	key, err := primitive.Open(s.key, wrapped[1:], shamirAD())
	if err != nil {
		return nil, ErrWrongShares
	}
	return key, nil
}

// Forget wipes the unseal key from s (best effort: Go may have copied it);
// s is unusable afterwards.
func (s *Shamir) Forget() { clear(s.key) }

// Close is Forget, so that whoever releases a provider with io.Closer (a
// rekey) wipes the unseal key too.
func (s *Shamir) Close() error {
	s.Forget()
	return nil
}

func shamirAD() []byte { return append([]byte{shamirWrapVersion}, shamirAAD...) }

// Unsealer collects the shares of one unseal attempt, from any number of
// people, one at a time, until threshold are in: then it combines them
// into the unseal key's provider. Its zero value is not usable: make it
// with NewUnsealer. Safe for concurrent use.
type Unsealer struct {
	mu        sync.Mutex
	shares    int // how many shares the key was split into (for Progress)
	threshold int
	held      [][]byte
}

// NewUnsealer returns an Unsealer for a key split into shares with the
// given threshold (the barrier's recorded settings).
func NewUnsealer(shares, threshold int) (*Unsealer, error) {
	if err := CheckShares(shares, threshold); err != nil {
		return nil, err
	}
	return &Unsealer{shares: shares, threshold: threshold}, nil
}

// Progress is where an unseal attempt stands: Given of Threshold shares.
type Progress struct {
	Given, Threshold, Shares int
}

// Add takes one share. Until threshold distinct shares are in it returns
// nil and the progress; at the threshold it combines them, starts a new
// attempt (the shares are wiped), and returns the provider of the
// combined unseal key: whether the shares were right is known only when
// the provider unwraps the barrier key (ErrWrongShares), after which the
// caller starts over with new shares. A share of the wrong length is
// ErrMalformedShare, one given before ErrDuplicateShare; neither counts.
// Add keeps its own copy of share.
func (u *Unsealer) Add(share []byte) (*Shamir, Progress, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	want := primitive.KeySize + 1 // Vault's shares carry their x coordinate last
	if u.threshold == 1 {
		want = primitive.KeySize
	}
	if len(share) != want {
		return nil, u.progress(), ErrMalformedShare
	}
	for _, h := range u.held {
		if h[len(h)-1] == share[len(share)-1] {
			return nil, u.progress(), ErrDuplicateShare
		}
	}
	u.held = append(u.held, append([]byte(nil), share...))
	if len(u.held) < u.threshold {
		return nil, u.progress(), nil
	}
	held := u.held
	u.held = nil
	defer func() {
		for _, h := range held {
			clear(h)
		}
	}()
	var key []byte
	if u.threshold == 1 {
		key = append([]byte(nil), held[0]...)
	} else {
		var err error
		if key, err = shamir.Combine(held); err != nil {
			// Only lengths and x coordinates are checked, both already
			// checked above: treat it as wrong shares all the same.
			return nil, u.progress(), ErrWrongShares
		}
	}
	return &Shamir{key: key, shares: u.shares, threshold: u.threshold}, Progress{Given: len(held), Threshold: u.threshold, Shares: u.shares}, nil
}

// Reset drops the shares given so far (wiping them).
func (u *Unsealer) Reset() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, h := range u.held {
		clear(h)
	}
	u.held = nil
}

// Progress reports the current attempt's progress.
func (u *Unsealer) Progress() Progress {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.progress()
}

func (u *Unsealer) progress() Progress {
	return Progress{Given: len(u.held), Threshold: u.threshold, Shares: u.shares}
}

// NewUnsealerFor returns the Unsealer for a barrier whose keyring the
// shamir provider wrapped, from the settings the barrier recorded
// (Settings).
func NewUnsealerFor(settings map[string]string) (*Unsealer, error) {
	shares, err1 := strconv.Atoi(settings["shares"])
	threshold, err2 := strconv.Atoi(settings["threshold"])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("the barrier's shamir settings are unreadable (shares %q, threshold %q)", settings["shares"], settings["threshold"])
	}
	return NewUnsealer(shares, threshold)
}
