// Package changes is the wire shape of sealbox's change feed
// (Sealbox.GetChanges): which parameters and secrets changed, in commit
// order, so that a cache in front of the server (sealbox agent) drops a
// value the moment it changes instead of when its TTL ends. The server's
// side is changes/hub, the poller's changes/client; both speak these
// types.
package changes

import (
	"time"

	"github.com/sealbox/sealbox"
)

// Services named in a Change.
const (
	ServiceSSM     = "ssm"
	ServiceSecrets = "secretsmanager"
)

// GetChangesInput is GetChanges' input.
type GetChangesInput struct {
	Cursor          string
	WaitTimeSeconds *int32
}

// Change is one change to a parameter or a secret.
type Change struct {
	Service string // ServiceSSM or ServiceSecrets
	Region  string
	// Name is the parameter's or the secret's name. A deleted parameter
	// without a hierarchy may be named without the leading slash it was
	// created with: compare parameter names without it.
	Name string
	// ARN is the parameter's ARN or the secret's full ARN; for a secret
	// that is gone, its name's pattern (…:secret:<name>-??????).
	ARN string
	// Deleted says the parameter or secret is gone or scheduled for
	// deletion.
	Deleted bool
	// Time is when the server saw the change committed.
	Time *sealbox.Timestamp `json:",omitempty"`
}

// GetChangesOutput is GetChanges' output.
type GetChangesOutput struct {
	Changes []Change
	Cursor  string
	Reset   bool
}

// MaxWait is the longest a GetChanges call waits for a change.
const MaxWait = 20 * time.Second
