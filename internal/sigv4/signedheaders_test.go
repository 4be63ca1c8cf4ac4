package sigv4

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signedBare signs c with nothing but host and x-amz-date (the least a
// SigV4 signature may cover), then lets edit add headers after signing:
// what an attacker holding a captured signature can do.
func signedBare(c clientRequest, edit func(*http.Request)) func(testing.TB) (*http.Request, []byte) {
	return func(t testing.TB) (*http.Request, []byte) {
		req := c.build(t)
		bare := req.Clone(context.Background())
		bare.Header = http.Header{}
		bare.ContentLength = 0 // the SDK would sign content-length otherwise
		if err := v4.NewSigner().SignHTTP(context.Background(), longTerm, bare, hashHex(c.body), testService, testRegion, t0); err != nil {
			t.Fatalf("SignHTTP() err = %v", err)
		}
		req.Header.Set("Authorization", bare.Header.Get("Authorization"))
		req.Header.Set("X-Amz-Date", bare.Header.Get("X-Amz-Date"))
		if edit != nil {
			edit(req)
		}
		return onServer(t, req)
	}
}

// noTokenCreds are the temporary credentials without their token: the
// request is signed first and the token added after.
var noTokenCreds = aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret}

func setHeader(k, v string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set(k, v) }
}

// TestVerifyHeadersMustBeSigned covers sealbox's rule, stricter than
// SigV4's: X-Amz-Target, Content-Type and every other x-amz-* header the
// request carries must be signed, or a captured signature could be
// replayed as another operation. X-Amz-Security-Token may be added after
// signing (the SigV4 suite's post-sts-header-after), and x-amzn-* headers
// are not x-amz-* headers.
func TestVerifyHeadersMustBeSigned(t *testing.T) {
	bare := clientRequest{method: http.MethodPost, url: "http://kms.us-east-1.localhost:8777/", body: `{"Name":"/app/db"}`, header: http.Header{}}
	refused := []struct {
		name    string
		req     func(testing.TB) (*http.Request, []byte)
		wantMsg string
	}{
		{
			name:    "x-amz-target added after signing",
			req:     signedBare(bare, setHeader("X-Amz-Target", "AmazonSSM.DeleteParameter")),
			wantMsg: msgHeadersNotSigned + "x-amz-target",
		},
		{
			name:    "content-type added after signing",
			req:     signedBare(bare, setHeader("Content-Type", "application/x-amz-json-1.1")),
			wantMsg: msgHeadersNotSigned + "content-type",
		},
		{
			name: "both, named in order",
			req: signedBare(bare, func(r *http.Request) {
				r.Header.Set("X-Amz-Target", "AmazonSSM.DeleteParameter")
				r.Header.Set("Content-Type", "application/x-amz-json-1.1")
			}),
			wantMsg: msgHeadersNotSigned + "content-type, x-amz-target",
		},
		{
			name:    "other x-amz header added after an sdk signature",
			req:     serverSide(kmsReq(), longTerm, setHeader("X-Amz-Meta-Late", "x")),
			wantMsg: msgHeadersNotSigned + "x-amz-meta-late",
		},
		{
			name:    "x-amz-content-sha256 added after signing",
			req:     signedBare(bare, setHeader("X-Amz-Content-Sha256", hashHex(bare.body))),
			wantMsg: msgHeadersNotSigned + "x-amz-content-sha256",
		},
		{
			name: "header key not canonical",
			req: signedBare(bare, func(r *http.Request) {
				r.Header["x-amz-target"] = []string{"AmazonSSM.DeleteParameter"}
			}),
			wantMsg: msgHeadersNotSigned + "x-amz-target",
		},
		{
			name: "presigned, x-amz-target as a header",
			req: func(t testing.TB) (*http.Request, []byte) {
				req := listKeysGet().presigned(t, longTerm, time.Hour, t0)
				req.Header.Set("X-Amz-Target", "TrentService.ScheduleKeyDeletion")
				return onServer(t, req)
			},
			wantMsg: msgHeadersNotSigned + "x-amz-target",
		},
		{
			name: "presigned, content-type as a header",
			req: func(t testing.TB) (*http.Request, []byte) {
				req := listKeysGet().presigned(t, longTerm, time.Hour, t0)
				req.Header.Set("Content-Type", "application/x-amz-json-1.1")
				return onServer(t, req)
			},
			wantMsg: msgHeadersNotSigned + "content-type",
		},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req(t)
			got, err := newVerifier(newCreds(), t0).Verify(context.Background(), r, body, testService)
			if kindOf(err) != KindBadSignature || messageOf(err) != tt.wantMsg {
				t.Fatalf("Verify(%s, Authorization=%q, headers %v) = %+v, %v;\nwant %v %q", r.URL, r.Header.Get("Authorization"), r.Header, got, err, KindBadSignature, tt.wantMsg)
			}
		})
	}

	accepted := []struct {
		name     string
		req      func(testing.TB) (*http.Request, []byte)
		wantAKID string
	}{
		{
			name: "host and x-amz-date alone, nothing else sent",
			req:  signedBare(bare, nil),
		},
		{
			name: "x-amzn-trace-id unsigned",
			req:  serverSide(kmsReq(), longTerm, setHeader("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")),
		},
		{
			name: "other headers unsigned",
			req:  serverSide(kmsReq(), longTerm, setHeader("Amz-Sdk-Invocation-Id", "changed")),
		},
		{
			// The SigV4 suite's post-sts-header-after: the token is added
			// once the request is signed.
			name: "x-amz-security-token added after signing",
			req: func(t testing.TB) (*http.Request, []byte) {
				req := kmsReq().signed(t, noTokenCreds, testRegion, testService, t0)
				req.Header.Set("X-Amz-Security-Token", tempToken)
				return onServer(t, req)
			},
			wantAKID: tempAKID,
		},
		{
			name: "presigned with signed x-amz-target header",
			req: func(t testing.TB) (*http.Request, []byte) {
				return onServer(t, kmsRequest().presignedNoHoist(t))
			},
		},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req(t)
			got, err := newVerifier(newCreds(), t0).Verify(context.Background(), r, body, testService)
			if err != nil {
				t.Fatalf("Verify(%s, Authorization=%q, headers %v) err = %v, want nil", r.URL, r.Header.Get("Authorization"), r.Header, err)
			}
			want := tt.wantAKID
			if want == "" {
				want = testAKID
			}
			if got.AccessKeyID != want {
				t.Errorf("Verify() AccessKeyID = %q, want %q", got.AccessKeyID, want)
			}
		})
	}
}

// presignedNoHoist presigns c keeping its X-Amz-* headers as signed
// headers rather than moving them into the query.
func (c clientRequest) presignedNoHoist(t testing.TB) *http.Request {
	t.Helper()
	req := c.build(t)
	s := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
	u, hdr, err := s.PresignHTTP(context.Background(), longTerm, req, hashHex(c.body), testService, testRegion, t0)
	if err != nil {
		t.Fatalf("PresignHTTP() err = %v", err)
	}
	out := c.build(t)
	out.URL, _ = url.Parse(u)
	out.Header = http.Header{}
	for k, v := range hdr {
		if k != "Host" && k != "host" {
			out.Header[k] = v
		}
	}
	return out
}
