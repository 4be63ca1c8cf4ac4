// Package webhook delivers signed events to HTTPS endpoints the operator
// registered: the rotation steps of Secrets Manager, sent to rotators that
// may be written in any language.
//
// # Signature
//
// Every request carries
//
//	X-Sealbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// (Stripe's scheme). The receiver recomputes the HMAC over the timestamp, a
// dot and the raw body with the secret it shares with sealbox, compares in
// constant time, and refuses a timestamp older than a few minutes, so a
// captured request cannot be replayed later. Verify does all three.
//
// The HMAC is internal/primitive's; this package is one of the few allowed
// to import it (the repository's TestImportRules).
package webhook

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox/internal/primitive"
)

// SignatureHeader is the header that carries the signature.
const SignatureHeader = "X-Sealbox-Signature"

// DefaultTolerance is how old a signed timestamp Verify accepts.
const DefaultTolerance = 5 * time.Minute

// DefaultTimeout bounds one delivery (one rotation step) when the target
// names no timeout.
const DefaultTimeout = 30 * time.Second

// Sign returns the signature header value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	msg := make([]byte, 0, len(ts)+1+len(body))
	msg = append(append(append(msg, ts...), '.'), body...)
	return primitive.HMAC(secret, msg)
}

// ErrSignature is Verify's answer to a missing, malformed, wrong or stale
// signature; the cause is not told.
var ErrSignature = errors.New("webhook: signature verification failed")

// Verify checks header (the SignatureHeader value) against body and secret,
// and that its timestamp is within tolerance of now (DefaultTolerance when
// tolerance is 0). Rotators written in Go use it; so do the tests.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrSignature
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if primitive.Equal(s, want) {
			return nil
		}
	}
	return ErrSignature
}

// TargetConfig is one registered endpoint, as the targets file holds it.
// The HMAC secret is never inline: it is read from SecretFile or from the
// environment variable SecretEnv, so that the targets file, which may live
// in the data folder, reveals no secret.
type TargetConfig struct {
	URL        string `json:"url"`
	SecretFile string `json:"secretFile,omitempty"`
	SecretEnv  string `json:"secretEnv,omitempty"`
	CAFile     string `json:"caFile,omitempty"` // PEM roots to trust instead of the system's
	Timeout    string `json:"timeout,omitempty"`
}

// File is the targets file: {"targets": {"<RotationLambdaARN>": {...}}}.
type File struct {
	Targets map[string]TargetConfig `json:"targets"`
}

// Target is a loaded endpoint. Safe for concurrent use.
type Target struct {
	url     string
	secret  primitive.Secret
	timeout time.Duration
	client  *http.Client
	now     func() time.Time
}

// Load reads the targets file at path; relative file names inside it are
// relative to the file's folder. getenv reads SecretEnv (os.Getenv when
// nil). Unknown fields are refused, so a typo fails at start-up.
func Load(path string, getenv func(string) string) (map[string]*Target, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the rotation targets: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("failed to parse the rotation targets %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	out := make(map[string]*Target, len(f.Targets))
	for name, c := range f.Targets {
		c.SecretFile, c.CAFile = rel(c.SecretFile), rel(c.CAFile)
		t, err := NewTarget(c, getenv)
		if err != nil {
			return nil, fmt.Errorf("rotation target %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// NewTarget makes a Target from c.
func NewTarget(c TargetConfig, getenv func(string) string) (*Target, error) {
	u, err := url.Parse(c.URL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("url %q must be an https:// URL", c.URL)
	}
	var secret []byte
	switch {
	case c.SecretFile != "" && c.SecretEnv != "":
		return nil, errors.New("secretFile and secretEnv exclude each other")
	case c.SecretFile != "":
		b, err := os.ReadFile(c.SecretFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read the HMAC secret: %w", err)
		}
		secret = bytes.TrimSpace(b)
	case c.SecretEnv != "":
		secret = []byte(getenv(c.SecretEnv))
	}
	if len(secret) < 16 {
		return nil, errors.New("the HMAC secret (secretFile or secretEnv) must hold at least 16 bytes")
	}
	timeout := DefaultTimeout
	if c.Timeout != "" {
		if timeout, err = time.ParseDuration(c.Timeout); err != nil || timeout <= 0 {
			return nil, fmt.Errorf("timeout %q must be a positive duration such as 30s", c.Timeout)
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read the CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the CA file %s holds no PEM certificate", c.CAFile)
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	client := &http.Client{Transport: tr, Timeout: timeout,
		// A redirect would carry the signed body elsewhere: refuse it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Target{url: c.URL, secret: primitive.NewSecret(secret), timeout: timeout, client: client, now: time.Now}, nil
}

// StatusError is a delivery the endpoint answered with a status other than
// 2xx. The body of the answer is not kept: it might hold a value.
type StatusError struct{ Status int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("the rotation endpoint answered HTTP %d", e.Status)
}

// Send posts body (JSON) to the target, signed, and waits for a 2xx answer
// within the target's timeout. The signature's timestamp is the real time,
// which the receiver compares with its own clock.
func (t *Target) Send(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sealbox-rotation")
	req.Header.Set(SignatureHeader, Sign(t.secret.Bytes(), t.now(), body))
	resp, err := t.client.Do(req)
	if err != nil {
		return fmt.Errorf("failed to reach the rotation endpoint: %w", redact(err))
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &StatusError{Status: resp.StatusCode}
	}
	return nil
}

// redact keeps a transport error's cause but not the URL's query, which
// might hold a token.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
