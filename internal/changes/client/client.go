// Package client is the poller's side of sealbox's change feed: it
// long-polls Sealbox.GetChanges, signed with the caller's credentials, for
// the changes to what those credentials may read. sealbox agent uses it.
package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/changes"
	"github.com/sealbox/sealbox/internal/sealboxcall"
)

// ErrUnsupported is Next's error when the server has no change feed: the
// endpoint is not sealbox (AWS itself, or another emulator).
var ErrUnsupported = errors.New("changes: the server has no change feed (Sealbox.GetChanges)")

// Client long-polls a sealbox server's change feed, signed with the
// credentials of an aws.Config (the same a cache uses for its reads, so it
// hears of exactly what it may read). Not safe for concurrent use: one
// poller follows one cursor.
type Client struct {
	cfg      aws.Config
	endpoint string
	cursor   string
	// Wait is how long one call waits for a change (at most changes.MaxWait).
	Wait time.Duration
}

// NewClient polls the sealbox server at endpoint ("http://127.0.0.1:8777")
// in cfg's region, as cfg's credentials.
func NewClient(cfg aws.Config, endpoint string) *Client {
	return &Client{cfg: cfg, endpoint: endpoint, Wait: changes.MaxWait}
}

// Next waits up to Wait for changes after the client's cursor and returns
// them (none if nothing changed meanwhile). reset says the client may have
// missed changes (its first call, a server restart, or it fell behind):
// whatever it cached must be dropped. An error leaves the cursor where it
// was; errors.Is(err, ErrUnsupported) says the server has no feed.
func (c *Client) Next(ctx context.Context) (list []changes.Change, reset bool, err error) {
	wait := int32(min(c.Wait, changes.MaxWait) / time.Second)
	ctx, cancel := context.WithTimeout(ctx, time.Duration(wait)*time.Second+10*time.Second)
	defer cancel()
	var out changes.GetChangesOutput
	err = sealboxcall.Call(ctx, c.cfg, c.endpoint, "GetChanges", changes.GetChangesInput{Cursor: c.cursor, WaitTimeSeconds: &wait}, &out)
	var e *sealboxcall.Error
	if errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Code == "UnknownOperationException") {
		return nil, false, ErrUnsupported
	}
	if err != nil {
		return nil, false, fmt.Errorf("changes: %w", err)
	}
	c.cursor = out.Cursor
	return out.Changes, out.Reset, nil
}
