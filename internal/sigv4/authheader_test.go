package sigv4

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

const (
	goodCred   = testAKID + "/20260102/us-east-1/kms/aws4_request"
	goodSigned = "content-length;content-type;host;x-amz-date;x-amz-target"
	someSig    = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// withAuthorization is a KMS request as the server sees it, carrying the
// given Authorization header and dated by the given headers.
func withAuthorization(authz string, date http.Header) func(testing.TB) (*http.Request, []byte) {
	return func(t testing.TB) (*http.Request, []byte) {
		req := kmsRequest().build(t)
		for k, v := range date {
			req.Header[k] = v
		}
		req.Header.Set("Authorization", authz)
		return onServer(t, req)
	}
}

var amzDate = http.Header{"X-Amz-Date": {"20260102T030405Z"}}

func TestVerifyMalformedAuthorization(t *testing.T) {
	tests := []struct {
		name     string
		authz    string
		date     http.Header
		wantKind Kind
		wantMsg  string
	}{
		{
			name:     "nothing but the prefix",
			authz:    "AWS4-",
			wantKind: KindIncomplete,
			wantMsg: "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-",
		},
		{
			name:     "no SignedHeaders",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", Signature=" + someSig,
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg:  "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + goodCred + ", Signature=" + someSig,
		},
		{
			name:     "empty Credential and Signature",
			authz:    "AWS4-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=",
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg: "Authorization header requires 'Credential' parameter. " +
				"Authorization header requires 'Signature' parameter. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=,SignedHeaders=host,Signature=",
		},
		{
			name:     "no date",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=" + someSig,
			wantKind: KindIncomplete,
			wantMsg: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. " +
				"Authorization=AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host, Signature=" + someSig,
		},
		{
			name:     "parameter without an equal sign",
			authz:    "AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders",
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg:  "'Credential' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders'.",
		},
		{
			name:     "unsupported algorithm",
			authz:    "AWS4-HMAC-SHA1 Credential=" + goodCred + ", SignedHeaders=" + goodSigned + ", Signature=" + someSig,
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg:  "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1' (only AWS4-HMAC-SHA256 for now). ",
		},
		{
			name:     "credential with four parts",
			authz:    "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/us-east-1/kms, SignedHeaders=" + goodSigned + ", Signature=" + someSig,
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + testAKID + "/20260102/us-east-1/kms'",
		},
		{
			name:     "credential with six parts",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + "/x, SignedHeaders=" + goodSigned + ", Signature=" + someSig,
			date:     amzDate,
			wantKind: KindIncomplete,
			wantMsg:  "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + goodCred + "/x'",
		},
		{
			name:     "x-amz-date not in basic format",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=" + goodSigned + ", Signature=" + someSig,
			date:     http.Header{"X-Amz-Date": {"201"}},
			wantKind: KindIncomplete,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		{
			name:     "date header not an HTTP date",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=date;host, Signature=" + someSig,
			date:     http.Header{"Date": {"yesterday"}},
			wantKind: KindIncomplete,
			wantMsg:  "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		// AWS answers the following as a signature mismatch
		// (InvalidSignatureException / SignatureDoesNotMatch), not as an
		// incomplete signature.
		{
			name:     "host not signed",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=x-amz-date, Signature=" + someSig,
			date:     amzDate,
			wantKind: KindBadSignature,
			wantMsg:  "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		{
			name:     "wrong terminator and scope date",
			authz:    "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260101/us-east-1/kms/aws5_request, SignedHeaders=" + goodSigned + ", Signature=" + someSig,
			date:     amzDate,
			wantKind: KindBadSignature,
			wantMsg: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. " +
				"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260102', from '20260102T030405Z'. ",
		},
		{
			name:     "signature not hex",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=" + goodSigned + ", Signature=" + strings.Repeat("z", 64),
			date:     amzDate,
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		{
			name:     "signed headers not sorted",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;content-type;x-amz-date;x-amz-target, Signature=" + someSig,
			date:     amzDate,
			wantKind: KindBadSignature,
			wantMsg:  msgBadSignature,
		},
		// The Date header stands in for X-Amz-Date in every check but the
		// signature, which the SDK signer cannot reproduce without X-Amz-Date.
		{
			name:     "dated by the Date header alone",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=content-type;date;host;x-amz-target, Signature=" + someSig,
			date:     http.Header{"Date": {t0.Format(http.TimeFormat)}},
			wantKind: KindIncomplete,
			wantMsg:  msgDateOnly,
		},
		{
			name:     "stale Date header",
			authz:    "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=date;host, Signature=" + someSig,
			date:     http.Header{"Date": {t0.Add(-time.Hour).Format(http.TimeFormat)}},
			wantKind: KindExpired,
			wantMsg:  "Signature expired: 20260102T020405Z is now earlier than 20260102T025905Z (20260102T030405Z - 5 min.)",
		},
		{
			name:     "Date header on another day than the scope",
			authz:    "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260101/us-east-1/kms/aws4_request, SignedHeaders=date;host, Signature=" + someSig,
			date:     http.Header{"Date": {t0.Format(http.TimeFormat)}},
			wantKind: KindBadSignature,
			wantMsg:  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260102', from '20260102T030405Z'. ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := newVerifier(newCreds(), t0)
			r, body := withAuthorization(tt.authz, tt.date)(t)
			got, err := v.Verify(context.Background(), r, body, testService)
			if kindOf(err) != tt.wantKind || messageOf(err) != tt.wantMsg {
				t.Fatalf("Verify(Authorization=%q) = %+v, %v;\nwant %v %q", tt.authz, got, err, tt.wantKind, tt.wantMsg)
			}
		})
	}
}

func TestParseAuthorization(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   authorization
	}{
		{
			name:   "sdk form",
			header: "AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=host;x-amz-date, Signature=" + someSig,
			want:   authorization{algorithm: algorithm, credential: goodCred, signedHeaders: "host;x-amz-date", hasSignedHeaders: true, signature: someSig},
		},
		{
			name:   "commas only",
			header: "AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=host,Signature=" + someSig,
			want:   authorization{algorithm: algorithm, credential: goodCred, signedHeaders: "host", hasSignedHeaders: true, signature: someSig},
		},
		{
			name:   "spaces only, any order, unknown parameter",
			header: "AWS4-HMAC-SHA256  Signature=" + someSig + "\tFoo=bar Credential=" + goodCred + " SignedHeaders=",
			want:   authorization{algorithm: algorithm, credential: goodCred, hasSignedHeaders: true, signature: someSig},
		},
		{
			name:   "first of a repeated parameter wins",
			header: "AWS4-HMAC-SHA256 Credential=a, Credential=b, SignedHeaders=host, Signature=c",
			want:   authorization{algorithm: algorithm, credential: "a", signedHeaders: "host", hasSignedHeaders: true, signature: "c"},
		},
		{
			name:   "algorithm only",
			header: "AWS4-HMAC-SHA256",
			want:   authorization{algorithm: algorithm},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuthorization(tt.header)
			if err != nil || got != tt.want {
				t.Fatalf("parseAuthorization(%q) = %+v, %v; want %+v, nil", tt.header, got, err, tt.want)
			}
		})
	}
}

// FuzzParseAuthorization feeds arbitrary Authorization headers to the
// parser and to Verify: neither may panic, and what the parser returns must
// come from the header.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=" + goodCred + ", SignedHeaders=" + goodSigned + ", Signature=" + someSig,
		"AWS4-HMAC-SHA256 Credential=" + goodCred + ",SignedHeaders=host;x-amz-date,Signature=" + someSig,
		"AWS4-HMAC-SHA256 Credential=" + testAKID + "/20260102/us-east-1/kms/aws4_request/, SignedHeaders=host, Signature=" + someSig,
		"AWS4- Signature=b, Credential=a",
		"AWS4-HMAC-SHA256 Signature=b,    Credential,    SignedHeaders",
		"AWS4-HMAC-SHA256 Credential=//////, SignedHeaders=;;;host;;, Signature==",
		"AWS AKIDEXAMPLE:c2ln",
		"",
	} {
		f.Add(s)
	}
	v := newVerifier(newCreds(), t0)
	f.Fuzz(func(t *testing.T, header string) {
		a, aerr := parseAuthorization(header)
		if aerr == nil {
			for _, part := range []string{a.algorithm, a.credential, a.signedHeaders, a.signature} {
				if !strings.Contains(header, part) {
					t.Fatalf("parseAuthorization(%q) = %+v: %q is not from the header", header, a, part)
				}
			}
			_ = missingAuthParts(a, header, true)
			_, _ = parseCredential(a.credential)
			_ = signsHost(a.signedHeaders)
		} else if aerr.Kind != KindIncomplete {
			t.Fatalf("parseAuthorization(%q) err = %v, want kind %v", header, aerr, KindIncomplete)
		}
		r, _ := http.NewRequest(http.MethodPost, "http://kms.local/", nil)
		r.Header.Set("X-Amz-Date", "20260102T030405Z")
		r.Header["Authorization"] = []string{header}
		if res, err := v.Verify(context.Background(), r, nil, testService); err == nil {
			t.Fatalf("Verify(Authorization=%q) = %+v, want an error", header, res)
		}
	})
}
