package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func listKeysGet() clientRequest {
	return clientRequest{
		method: http.MethodGet,
		url:    "http://kms.us-east-1.localhost:8777/?Action=ListKeys&Limit=10",
		header: http.Header{},
	}
}

// presignedAt presigns c and lets edit change the query before the server
// reads the request.
func presignedAt(c clientRequest, creds aws.Credentials, expires time.Duration, edit func(url.Values)) func(testing.TB) (*http.Request, []byte) {
	return func(t testing.TB) (*http.Request, []byte) {
		req := c.presigned(t, creds, expires, t0)
		if edit != nil {
			q := req.URL.Query()
			edit(q)
			req.URL.RawQuery = q.Encode()
		}
		return onServer(t, req)
	}
}

func TestVerifyPresigned(t *testing.T) {
	tests := []struct {
		name     string
		req      func(testing.TB) (*http.Request, []byte)
		now      time.Time
		wantKind Kind
		wantMsg  string
		wantAKID string
	}{
		{
			name: "good without X-Amz-Expires",
			req:  presignedAt(listKeysGet(), longTerm, 0, nil),
		},
		{
			name: "good with a body",
			req:  presignedAt(kmsRequest(), longTerm, time.Minute, nil),
		},
		{
			name:     "good with session credentials",
			req:      presignedAt(listKeysGet(), temporary, time.Hour, nil),
			wantAKID: tempAKID,
		},
		{
			name: "good until X-Amz-Expires, past the skew",
			req:  presignedAt(listKeysGet(), longTerm, time.Hour, nil),
			now:  t0.Add(59 * time.Minute),
		},
		{
			name:     "expired",
			req:      presignedAt(listKeysGet(), longTerm, time.Minute, nil),
			now:      t0.Add(time.Minute + time.Second),
			wantKind: KindExpired,
			wantMsg:  "Request has expired",
		},
		{
			name:     "without X-Amz-Expires the skew applies",
			req:      presignedAt(listKeysGet(), longTerm, 0, nil),
			now:      t0.Add(6 * time.Minute),
			wantKind: KindExpired,
			wantMsg:  "Signature expired: 20260102T030405Z is now earlier than 20260102T030505Z (20260102T031005Z - 5 min.)",
		},
		{
			name:     "dated in the future",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, nil),
			now:      t0.Add(-6 * time.Minute),
			wantKind: KindExpired,
			wantMsg:  "Signature not yet current: 20260102T030405Z is still later than 20260102T030305Z (20260102T025805Z + 5 min.)",
		},
		{
			name:     "X-Amz-Expires over a week",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Expires", "604801") }),
			wantKind: KindIncomplete,
			wantMsg:  "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds",
		},
		{
			name:     "X-Amz-Expires not a number",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Expires", "soon") }),
			wantKind: KindIncomplete,
			wantMsg:  "X-Amz-Expires should be a number",
		},
		{
			name:     "X-Amz-Expires negative",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Expires", "-1") }),
			wantKind: KindIncomplete,
			wantMsg:  "X-Amz-Expires must be non-negative",
		},
		{
			name:     "X-Amz-Expires extended after signing",
			req:      presignedAt(listKeysGet(), longTerm, time.Minute, func(q url.Values) { q.Set("X-Amz-Expires", "604800") }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "tampered parameter",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("Limit", "1000") }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "added parameter",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("Marker", "x") }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name: "tampered signature",
			req: presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) {
				s := []byte(q.Get("X-Amz-Signature"))
				s[0] ^= 1
				q.Set("X-Amz-Signature", string(s))
			}),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "wrong secret",
			req:      presignedAt(listKeysGet(), aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"}, time.Hour, nil),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "session token removed",
			req:      presignedAt(listKeysGet(), temporary, time.Hour, func(q url.Values) { q.Del("X-Amz-Security-Token") }),
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "missing SignedHeaders",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Del("X-Amz-SignedHeaders") }),
			wantKind: KindIncomplete,
			wantMsg: "AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"Re-examine the query-string parameters.",
		},
		{
			name: "only the algorithm",
			req: func(t testing.TB) (*http.Request, []byte) {
				req := listKeysGet().build(t)
				req.URL.RawQuery = "X-Amz-Algorithm"
				return onServer(t, req)
			},
			wantKind: KindIncomplete,
			wantMsg: "AWS query-string parameters must include 'X-Amz-Algorithm'. " +
				"AWS query-string parameters must include 'X-Amz-Credential'. " +
				"AWS query-string parameters must include 'X-Amz-Signature'. " +
				"AWS query-string parameters must include 'X-Amz-SignedHeaders'. " +
				"AWS query-string parameters must include 'X-Amz-Date'. " +
				"Re-examine the query-string parameters.",
		},
		{
			name:     "everything but the algorithm is not presigned",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Del("X-Amz-Algorithm") }),
			wantKind: KindMissing,
			wantMsg:  "Request is missing Authentication Token",
		},
		{
			name:     "bad date",
			req:      presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Date", "2026-01-02") }),
			wantKind: KindIncomplete,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '2026-01-02'. See http://en.wikipedia.org/wiki/ISO_8601",
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
				t.Fatalf("Verify(%s %s) = %+v, %v;\nwant %v %q", r.Method, r.URL, got, err, tt.wantKind, tt.wantMsg)
			}
			if tt.wantKind != 0 {
				return
			}
			wantAKID := tt.wantAKID
			if wantAKID == "" {
				wantAKID = testAKID
			}
			if !got.Presigned || got.AccessKeyID != wantAKID || got.SignedAt != t0 {
				t.Errorf("Verify(%s) = %+v, want Presigned, AccessKeyID %q, SignedAt %v", r.URL, got, wantAKID, t0)
			}
		})
	}
}
