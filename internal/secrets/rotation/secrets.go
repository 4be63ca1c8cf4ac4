package rotation

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/sealbox/sealbox/internal/store"
)

// The staging labels rotation moves, as Secrets Manager names them.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
	StagePending  = "AWSPENDING"
)

// Secrets is what the engine and the built-in rotators need of the Secrets
// Manager service: a secret's rotation state, in the store's transactions,
// and its versions, read and written as the service's own operations do
// (sealed under the secret's key, checked against its validation rule).
// The service implements it; rotation never imports the service.
type Secrets interface {
	// Load reads the secret region/name in tx: store.ErrNotFound if there
	// is none.
	Load(tx store.Tx, region, name string) (*Secret, error)
	// Save writes sec's Rotation back to its record in tx.
	Save(tx store.Tx, sec *Secret) error
	// Update reads sec afresh in one write transaction, lets fn change its
	// Rotation (and the index, in tx) and saves it; it fails as the
	// service's operations do when the secret is gone or was replaced
	// (not when it is scheduled for deletion).
	Update(ctx context.Context, sec *Secret, fn func(tx store.Tx, cur *Secret) error) error

	// Find resolves id, a secret's ARN, in the account and region of
	// ctx's request: store.ErrNotFound if there is none.
	Find(ctx context.Context, id string) (*Secret, error)
	// Open decrypts version id of sec on behalf of ctx's caller. The
	// caller clears the result when done with it.
	Open(ctx context.Context, sec *Secret, id string) ([]byte, error)
	// Check checks version id of sec against the secret's validation
	// rule, if it has one.
	Check(ctx context.Context, sec *Secret, id string) error
	// AddPending seals value as version id of sec, labelled AWSPENDING,
	// unless sec has a version id already.
	AddPending(ctx context.Context, sec *Secret, id string, value []byte) error
	// Promote moves AWSCURRENT to version id of sec and takes AWSPENDING
	// off it.
	Promote(ctx context.Context, sec *Secret, id string) error
}

// Secret is what rotation sees of a secret: where it lives, its versions
// and their staging labels, and its rotation state.
type Secret struct {
	ARN, Name, Region, Partition, Account string
	Deletion                              time.Time // when a scheduled deletion falls due; zero if none
	Versions                              []Version // oldest first
	Rotation                              *State    // nil: never configured
}

// Version is one version of a secret, without its value.
type Version struct {
	ID     string
	Stages []string
	Binary bool // a SecretBinary
}

// Deleted reports whether sec is scheduled for deletion.
func (s *Secret) Deleted() bool { return !s.Deletion.IsZero() }

// Version returns the version with id, or nil.
func (s *Secret) Version(id string) *Version {
	for i := range s.Versions {
		if s.Versions[i].ID == id {
			return &s.Versions[i]
		}
	}
	return nil
}

// Staged returns the version that carries label, or nil.
func (s *Secret) Staged(label string) *Version {
	for i := range s.Versions {
		if s.Versions[i].Has(label) {
			return &s.Versions[i]
		}
	}
	return nil
}

// Has reports whether v carries label.
func (v *Version) Has(label string) bool { return slices.Contains(v.Stages, label) }

// MasterUser is a built-in rotator that acts with the credentials of a
// master secret the rotated secret's AWSCURRENT value names (the
// alternating-users rotator of rotation/postgres).
type MasterUser interface {
	Rotator
	// MasterARN answers the master secret's ARN, as sec's AWSCURRENT
	// value names it. Its errors are the service's answer to
	// RotateSecret.
	MasterARN(ctx context.Context, sec *Secret) (string, error)
}

var errGone = errors.New("the secret is gone")
