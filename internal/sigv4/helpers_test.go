package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/primitive"
)

// secret wraps a test secret as the identity store hands it over.
func secret(s string) primitive.Secret { return primitive.NewSecret([]byte(s)) }

const (
	testAKID    = "AKIDEXAMPLE0000000001"
	testSecret  = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	tempAKID    = "ASIAEXAMPLE000000002"
	tempSecret  = "tempSecretKeyExample0000000000000000000"
	tempToken   = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaDEXAMPLE="
	testRegion  = "us-east-1"
	testService = "kms"
)

// t0 is the signing time of the table tests; the fake clock reads it.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

var testPrincipal = sealbox.Principal{
	Type:        "IAMUser",
	ARN:         "arn:aws:iam::123456789012:user/alice",
	AccountID:   "123456789012",
	PrincipalID: "AIDAEXAMPLE",
	UserName:    "alice",
}

// memCreds is an identity store in a map.
type memCreds struct {
	mu   sync.Mutex
	keys map[string]Key
	err  error // returned by every lookup when set
}

func (m *memCreds) LookupAccessKey(_ context.Context, id string) (Key, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return Key{}, m.err
	}
	k, ok := m.keys[id]
	if !ok {
		return Key{}, ErrUnknownAccessKey
	}
	return k, nil
}

func newCreds() *memCreds {
	return &memCreds{keys: map[string]Key{
		testAKID: {Secret: secret(testSecret), Principal: testPrincipal},
		tempAKID: {Secret: secret(tempSecret), SessionToken: secret(tempToken), Expires: t0.Add(time.Hour), Principal: sealbox.Principal{
			Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/app/s1", AccountID: "123456789012",
		}},
	}}
}

func newVerifier(c Credentials, now time.Time) *Verifier {
	return &Verifier{Credentials: c, Clock: clock.NewFake(now)}
}

// clientRequest is a request as a client builds it before signing.
type clientRequest struct {
	method, url, body string
	header            http.Header
}

func kmsRequest() clientRequest {
	return clientRequest{
		method: http.MethodPost,
		url:    "http://kms.us-east-1.localhost:8777/",
		body:   `{"KeyId":"alias/app","Plaintext":"aGVsbG8="}`,
		header: http.Header{
			"Content-Type": {"application/x-amz-json-1.1"},
			"X-Amz-Target": {"TrentService.Encrypt"},
		},
	}
}

func (c clientRequest) build(t testing.TB) *http.Request {
	t.Helper()
	req, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatalf("http.NewRequest(%q, %q) err = %v", c.method, c.url, err)
	}
	if c.body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, v := range c.header {
		req.Header[k] = append([]string(nil), v...)
	}
	return req
}

func hashHex(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// signed signs c with the SDK signer the way aws-sdk-go-v2 clients do.
func (c clientRequest) signed(t testing.TB, creds aws.Credentials, region, service string, at time.Time) *http.Request {
	t.Helper()
	req := c.build(t)
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hashHex(c.body), service, region, at); err != nil {
		t.Fatalf("SignHTTP() err = %v", err)
	}
	return req
}

// presigned presigns c with the SDK signer; expires <= 0 leaves
// X-Amz-Expires out.
func (c clientRequest) presigned(t testing.TB, creds aws.Credentials, expires time.Duration, at time.Time) *http.Request {
	t.Helper()
	req := c.build(t)
	if expires > 0 {
		q := req.URL.Query()
		q.Set("X-Amz-Expires", strconv.Itoa(int(expires/time.Second)))
		req.URL.RawQuery = q.Encode()
	}
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, hashHex(c.body), testService, testRegion, at)
	if err != nil {
		t.Fatalf("PresignHTTP() err = %v", err)
	}
	out, err := http.NewRequest(c.method, u, strings.NewReader(c.body))
	if err != nil {
		t.Fatalf("http.NewRequest(%q) err = %v", u, err)
	}
	if c.body == "" {
		out.Body, out.ContentLength = http.NoBody, 0
	}
	for k, v := range hdr {
		if !strings.EqualFold(k, "host") {
			out.Header[k] = v
		}
	}
	return out
}

// onServer sends req through the wire format and reads it back the way
// net/http's server does (Host promoted, header keys canonical,
// Content-Length kept), so tests see what a handler sees.
func onServer(t testing.TB, req *http.Request) (*http.Request, []byte) {
	t.Helper()
	var wire bytes.Buffer
	if err := req.Write(&wire); err != nil {
		t.Fatalf("req.Write() err = %v", err)
	}
	r, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		t.Fatalf("http.ReadRequest() err = %v", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return r, body
}

// kindOf returns the AuthError kind of err, or 0.
func kindOf(err error) Kind {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Kind
	}
	return 0
}

func messageOf(err error) string {
	var ae *AuthError
	if errors.As(err, &ae) {
		return ae.Message
	}
	return ""
}

var (
	longTerm  = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}
	temporary = aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}
)
