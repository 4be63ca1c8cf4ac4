// Package sealboxcall makes one signed call to sealbox's own JSON 1.1
// service (X-Amz-Target Sealbox.<Op>, signing name sealbox), which no AWS
// SDK knows: the change feed's client and the operator commands use it.
package sealboxcall

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Error is the service's answer to a failed call.
type Error struct {
	Status  int
	Code    string // __type
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message)
}

// maxAnswer bounds an answer read into memory.
const maxAnswer = 16 << 20

// Call posts in as JSON to the server at endpoint as operation op, signed
// with cfg's credentials for cfg's region, and decodes the answer into out.
// A non-200 answer is an *Error.
func Call(ctx context.Context, cfg aws.Config, endpoint, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(endpoint, "/")+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "Sealbox."+op)
	if cfg.Credentials == nil {
		return fmt.Errorf("%s: no credentials", op)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("%s: credentials: %w", op, err)
	}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "sealbox", cfg.Region, time.Now()); err != nil {
		return err
	}
	client := cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		json.Unmarshal(raw, &e)
		if e.Type == "" {
			e.Type = http.StatusText(resp.StatusCode)
		}
		if i := strings.LastIndexByte(e.Type, '#'); i >= 0 {
			e.Type = e.Type[i+1:]
		}
		return &Error{Status: resp.StatusCode, Code: e.Type, Message: e.Message}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s: the answer is not %s's: %w", op, op, err)
	}
	return nil
}
