package sigv4

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// serverSide signs c with creds at t0 for kms in us-east-1, lets edit change
// the signed client request, and returns what the server receives.
func serverSide(c clientRequest, creds aws.Credentials, edit func(*http.Request)) func(testing.TB) (*http.Request, []byte) {
	return signedFor(c, creds, testRegion, testService, t0, edit)
}

func signedFor(c clientRequest, creds aws.Credentials, region, service string, at time.Time, edit func(*http.Request)) func(testing.TB) (*http.Request, []byte) {
	return func(t testing.TB) (*http.Request, []byte) {
		req := c.signed(t, creds, region, service, at)
		if edit != nil {
			edit(req)
		}
		return onServer(t, req)
	}
}

func withHeader(k, v string) func(*clientRequest) {
	return func(c *clientRequest) { c.header[k] = append(c.header[k], v) }
}

func kmsReq(edits ...func(*clientRequest)) clientRequest {
	c := kmsRequest()
	for _, e := range edits {
		e(&c)
	}
	return c
}

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name     string
		req      func(testing.TB) (*http.Request, []byte)
		now      time.Time
		wantAKID string
		wantARN  string
		unsigned bool
	}{
		{
			name: "sdk signed kms request",
			req:  serverSide(kmsReq(), longTerm, nil),
		},
		{
			name:     "session credentials",
			req:      serverSide(kmsReq(), temporary, nil),
			wantAKID: tempAKID,
			wantARN:  "arn:aws:sts::123456789012:assumed-role/app/s1",
		},
		{
			name: "unsigned extra header is fine",
			req: serverSide(kmsReq(), longTerm, func(r *http.Request) {
				r.Header.Set("X-Unsigned-Extra", "whatever")
				r.Header.Set("User-Agent", "changed-after-signing")
			}),
		},
		{
			name: "header value with extra spaces",
			req:  serverSide(kmsReq(withHeader("X-Amz-Meta-Note", "  two   spaced  words ")), longTerm, nil),
		},
		{
			name: "header value with a tab, kept by the go signer",
			req:  serverSide(kmsReq(withHeader("X-Amz-Meta-Tabbed", "tab\tseparated")), longTerm, nil),
		},
		{
			name: "duplicate header values",
			req:  serverSide(kmsReq(withHeader("X-Amz-Dup", "one"), withHeader("X-Amz-Dup", "two")), longTerm, nil),
		},
		{
			name: "signed user-agent as aws-sdk-java v1 does",
			req: func(t testing.TB) (*http.Request, []byte) {
				// The SDK ignores User-Agent unless its map key is not
				// canonical; this is how to make it sign one, as Java v1 does.
				req := kmsReq().build(t)
				req.Header["user-agent"] = []string{"aws-sdk-java/1.12.0"}
				if err := v4.NewSigner().SignHTTP(context.Background(), longTerm, req, hashHex(kmsReq().body), testService, testRegion, t0); err != nil {
					t.Fatalf("SignHTTP() err = %v", err)
				}
				if !strings.Contains(req.Header.Get("Authorization"), "user-agent") {
					t.Fatalf("Authorization = %q, want user-agent signed", req.Header.Get("Authorization"))
				}
				req.Header["User-Agent"] = req.Header["user-agent"]
				delete(req.Header, "user-agent")
				return onServer(t, req)
			},
		},
		{
			name: "escaped path and unordered query",
			req: serverSide(clientRequest{
				method: http.MethodGet,
				url:    "http://127.0.0.1:8777/2015-03-31/functions/my%20fn%2Fv1/configuration?Qualifier=%24LATEST&b=2&a=z&a=y",
				header: http.Header{},
			}, longTerm, nil),
		},
		{
			name: "x-amz-content-sha256 announced and signed",
			req:  serverSide(kmsReq(withHeader("X-Amz-Content-Sha256", hashHex(kmsRequest().body))), longTerm, nil),
		},
		{
			name: "unsigned payload",
			req: func(t testing.TB) (*http.Request, []byte) {
				c := kmsReq(withHeader("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"))
				req := c.build(t)
				if err := v4.NewSigner().SignHTTP(context.Background(), longTerm, req, "UNSIGNED-PAYLOAD", testService, testRegion, t0); err != nil {
					t.Fatalf("SignHTTP() err = %v", err)
				}
				return onServer(t, req)
			},
			unsigned: true,
		},
		{
			name: "just inside the past skew",
			req:  serverSide(kmsReq(), longTerm, nil),
			now:  t0.Add(5 * time.Minute),
		},
		{
			name: "just inside the future skew",
			req:  serverSide(kmsReq(), longTerm, nil),
			now:  t0.Add(-5 * time.Minute),
		},
		{
			name: "other region",
			req:  signedFor(kmsReq(), longTerm, "eu-west-3", testService, t0, nil),
		},
		{
			name: "date and x-amz-date both signed",
			req:  serverSide(kmsReq(withHeader("Date", t0.Format(http.TimeFormat))), longTerm, nil),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			v := newVerifier(newCreds(), now)
			r, body := tt.req(t)
			got, err := v.Verify(context.Background(), r, body, testService)
			if err != nil {
				t.Fatalf("Verify(%s %s, Authorization=%q) err = %v, want nil", r.Method, r.URL, r.Header.Get("Authorization"), err)
			}
			wantAKID, wantARN := tt.wantAKID, tt.wantARN
			if wantAKID == "" {
				wantAKID, wantARN = testAKID, testPrincipal.ARN
			}
			if got.AccessKeyID != wantAKID || got.Principal.AccessKeyID != wantAKID || got.Principal.ARN != wantARN {
				t.Errorf("Verify() = {AccessKeyID: %q, Principal: %+v}, want AccessKeyID %q, ARN %q", got.AccessKeyID, got.Principal, wantAKID, wantARN)
			}
			if got.Service != testService || got.SignedAt != t0 || got.Presigned || got.UnsignedPayload != tt.unsigned {
				t.Errorf("Verify() = %+v, want Service %q, SignedAt %v, Presigned false, UnsignedPayload %v", got, testService, t0, tt.unsigned)
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	wrongSecret := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "not-the-secret"}
	unknown := aws.Credentials{AccessKeyID: "AKIDUNKNOWN", SecretAccessKey: testSecret}
	noToken := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret}
	otherToken := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: "other-token"}
	tokenOnLongTerm := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret, SessionToken: "stray-token"}
	const expiredNow = "Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T030906Z - 5 min.)"
	const futureNow = "Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z (20260102T025904Z + 5 min.)"

	tests := []struct {
		name     string
		req      func(testing.TB) (*http.Request, []byte)
		now      time.Time
		wantKind Kind
		wantMsg  string
	}{
		{
			name:     "wrong secret",
			req:      serverSide(kmsReq(), wrongSecret, nil),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "unknown key",
			req:      serverSide(kmsReq(), unknown, nil),
			wantKind: KindUnknownKey,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name: "tampered body",
			req: func(t testing.TB) (*http.Request, []byte) {
				r, _ := serverSide(kmsReq(), longTerm, nil)(t)
				return r, []byte(`{"KeyId":"alias/evil","Plaintext":"aGVsbG8="}`)
			},
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name: "tampered body under an announced hash",
			req: func(t testing.TB) (*http.Request, []byte) {
				r, _ := serverSide(kmsReq(withHeader("X-Amz-Content-Sha256", hashHex(kmsRequest().body))), longTerm, nil)(t)
				return r, []byte(`{}`)
			},
			wantKind: KindBadSignature,
			wantMsg:  "The provided 'x-amz-content-sha256' header does not match what was computed.",
		},
		{
			name:     "streaming payload is not accepted",
			req:      serverSide(kmsReq(withHeader("X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")), longTerm, nil),
			wantKind: KindIncomplete,
			wantMsg:  msgPayloadValue,
		},
		{
			name:     "tampered signed header",
			req:      serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("X-Amz-Target", "TrentService.ScheduleKeyDeletion") }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "tampered host",
			req:      serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Host = "evil.example:8777" }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "tampered query",
			req:      signedFor(clientRequest{method: http.MethodGet, url: "http://h/?a=1", header: http.Header{}}, longTerm, testRegion, testService, t0, func(r *http.Request) { r.URL.RawQuery = "a=2" }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name: "signed header removed",
			req: serverSide(kmsReq(withHeader("X-Amz-Meta-Gone", "x")), longTerm, func(r *http.Request) {
				r.Header.Del("X-Amz-Meta-Gone")
			}),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "stale date",
			req:      serverSide(kmsReq(), longTerm, nil),
			now:      t0.Add(5*time.Minute + time.Second),
			wantKind: KindExpired,
			wantMsg:  expiredNow,
		},
		{
			name:     "future date",
			req:      serverSide(kmsReq(), longTerm, nil),
			now:      t0.Add(-5*time.Minute - time.Second),
			wantKind: KindExpired,
			wantMsg:  futureNow,
		},
		{
			name:     "wrong service in scope",
			req:      signedFor(kmsReq(), longTerm, testRegion, "ssm", t0, nil),
			wantKind: KindBadSignature,
			wantMsg:  "Credential should be scoped to correct service: 'kms'. ",
		},
		{
			name:     "invalid region in scope",
			req:      signedFor(kmsReq(), longTerm, "us:east", testService, t0, nil),
			wantKind: KindBadSignature,
			wantMsg:  "Credential should be scoped to a valid region. ",
		},
		{
			name:     "empty region and wrong service",
			req:      signedFor(kmsReq(), longTerm, "", "sts", t0, nil),
			wantKind: KindBadSignature,
			wantMsg:  "Credential should be scoped to a valid region. Credential should be scoped to correct service: 'kms'. ",
		},
		{
			name:     "session token missing",
			req:      serverSide(kmsReq(), noToken, nil),
			wantKind: KindInvalidToken,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name:     "session token wrong",
			req:      serverSide(kmsReq(), otherToken, nil),
			wantKind: KindInvalidToken,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name:     "session token on a long-term key",
			req:      serverSide(kmsReq(), tokenOnLongTerm, nil),
			wantKind: KindInvalidToken,
			wantMsg:  "The security token included in the request is invalid.",
		},
		{
			name:     "session expired",
			req:      signedFor(kmsReq(), temporary, testRegion, testService, t0.Add(2*time.Hour), nil),
			now:      t0.Add(2 * time.Hour),
			wantKind: KindExpiredToken,
			wantMsg:  "The security token included in the request is expired",
		},
		{
			name:     "no authentication",
			req:      func(t testing.TB) (*http.Request, []byte) { return onServer(t, kmsReq().build(t)) },
			wantKind: KindMissing,
			wantMsg:  "Request is missing Authentication Token",
		},
		{
			name:     "signature version 2",
			req:      serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("Authorization", "AWS AKIDEXAMPLE:c2lnbmF0dXJl") }),
			wantKind: KindMissing,
			wantMsg:  "Request is missing Authentication Token",
		},
		{
			name: "both header and query authentication",
			req: serverSide(kmsReq(), longTerm, func(r *http.Request) {
				r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256"
			}),
			wantKind: KindBadSignature,
			wantMsg:  "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := tt.now
			if now.IsZero() {
				now = t0
			}
			v := newVerifier(newCreds(), now)
			r, body := tt.req(t)
			got, err := v.Verify(context.Background(), r, body, testService)
			if kindOf(err) != tt.wantKind || messageOf(err) != tt.wantMsg {
				t.Fatalf("Verify(%s %s, Authorization=%q) = %+v, %v;\nwant %v %q", r.Method, r.URL, r.Header.Get("Authorization"), got, err, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func TestVerifyStoreFailure(t *testing.T) {
	storeErr := errors.New("database is down")
	v := newVerifier(&memCreds{err: storeErr}, t0)
	r, body := serverSide(kmsReq(), longTerm, nil)(t)
	got, err := v.Verify(context.Background(), r, body, testService)
	if !errors.Is(err, storeErr) || kindOf(err) != 0 {
		t.Fatalf("Verify() with a failing store = %+v, %v; want a wrapped %v that is not an AuthError", got, err, storeErr)
	}
}

func TestVerifyKeyWithoutSecret(t *testing.T) {
	creds := newCreds()
	creds.keys[testAKID] = Key{Principal: testPrincipal}
	v := newVerifier(creds, t0)
	r, body := signedFor(kmsReq(), aws.Credentials{AccessKeyID: testAKID}, testRegion, testService, t0, nil)(t)
	got, err := v.Verify(context.Background(), r, body, testService)
	if err == nil || kindOf(err) != 0 {
		t.Fatalf("Verify() with a stored key that has no secret = %+v, %v; want an internal error", got, err)
	}
}

// TestVerifyConcurrent runs Verify from several goroutines with several
// keys; run it with -race.
func TestVerifyConcurrent(t *testing.T) {
	v := newVerifier(newCreds(), t0)
	type signed struct {
		r    *http.Request
		body []byte
	}
	var reqs []signed
	for _, c := range []aws.Credentials{longTerm, temporary} {
		r, body := serverSide(kmsReq(), c, nil)(t)
		reqs = append(reqs, signed{r, body})
	}
	errs := make(chan error, 8)
	for g := range 8 {
		go func() {
			var err error
			for i := range 50 {
				s := reqs[(g+i)%len(reqs)]
				if _, err = v.Verify(context.Background(), s.r, s.body, testService); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Verify() err = %v", err)
		}
	}
}

func TestVerifyDefaults(t *testing.T) {
	// No clock and no skew: the real clock and AWS's 5 minutes.
	now := time.Now().UTC().Truncate(time.Second)
	v := &Verifier{Credentials: newCreds()}
	r, body := signedFor(kmsReq(), longTerm, testRegion, testService, now, nil)(t)
	if _, err := v.Verify(context.Background(), r, body, testService); err != nil {
		t.Fatalf("Verify() signed now = %v, want nil", err)
	}
	r, body = signedFor(kmsReq(), longTerm, testRegion, testService, now.Add(-6*time.Minute), nil)(t)
	if _, err := v.Verify(context.Background(), r, body, testService); kindOf(err) != KindExpired {
		t.Fatalf("Verify() signed 6 minutes ago = %v, want %v", err, KindExpired)
	}
}

func TestVerifyMaxSkew(t *testing.T) {
	v := &Verifier{Credentials: newCreds(), Clock: newVerifier(nil, t0.Add(10*time.Minute)).Clock, MaxSkew: 15 * time.Minute}
	r, body := serverSide(kmsReq(), longTerm, nil)(t)
	if _, err := v.Verify(context.Background(), r, body, testService); err != nil {
		t.Fatalf("Verify() 10 minutes late with MaxSkew 15m = %v, want nil", err)
	}
	v.MaxSkew = 90 * time.Second
	_, err := v.Verify(context.Background(), r, body, testService)
	const want = "Signature expired: 20260102T030405Z is now earlier than 20260102T031235Z (20260102T031405Z - 90 sec.)"
	if messageOf(err) != want {
		t.Fatalf("Verify() 10 minutes late with MaxSkew 90s = %v, want %q", err, want)
	}
}
