// Package client is the poller's side of sealbox's change feed: it
// long-polls Sealbox.GetChanges, signed with the caller's credentials, for
// the changes to what those credentials may read. sealbox agent uses it.
package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox/internal/changes"
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
	signer   *v4.Signer
	// Wait is how long one call waits for a change (at most changes.MaxWait).
	Wait time.Duration
}

// NewClient polls the sealbox server at endpoint ("http://127.0.0.1:8777")
// in cfg's region, as cfg's credentials.
func NewClient(cfg aws.Config, endpoint string) *Client {
	return &Client{cfg: cfg, endpoint: strings.TrimRight(endpoint, "/") + "/", signer: v4.NewSigner(), Wait: changes.MaxWait}
}

// Next waits up to Wait for changes after the client's cursor and returns
// them (none if nothing changed meanwhile). reset says the client may have
// missed changes (its first call, a server restart, or it fell behind):
// whatever it cached must be dropped. An error leaves the cursor where it
// was; errors.Is(err, ErrUnsupported) says the server has no feed.
func (c *Client) Next(ctx context.Context) (list []changes.Change, reset bool, err error) {
	wait := int32(min(c.Wait, changes.MaxWait) / time.Second)
	body, _ := json.Marshal(changes.GetChangesInput{Cursor: c.cursor, WaitTimeSeconds: &wait})
	ctx, cancel := context.WithTimeout(ctx, time.Duration(wait)*time.Second+10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Sealbox.GetChanges")
	creds, err := c.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("changes: credentials: %w", err)
	}
	sum := sha256.Sum256(body)
	if err := c.signer.SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sealbox", c.cfg.Region, time.Now()); err != nil {
		return nil, false, err
	}
	client := c.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, false, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(raw, &e)
		if resp.StatusCode == http.StatusNotFound || strings.HasSuffix(e.Type, "UnknownOperationException") {
			return nil, false, ErrUnsupported
		}
		return nil, false, fmt.Errorf("changes: %d %s: %s", resp.StatusCode, e.Type, e.Message)
	}
	var out changes.GetChangesOutput
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, false, fmt.Errorf("changes: the answer is not GetChanges': %w", err)
	}
	c.cursor = out.Cursor
	return out.Changes, out.Reset, nil
}
