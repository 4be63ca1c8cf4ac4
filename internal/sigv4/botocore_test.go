package sigv4

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
)

// botocoreRequest is one request as testdata/botocore_sign.py prints it.
type botocoreRequest struct {
	Name    string      `json:"name"`
	Service string      `json:"service"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// runBotocore signs requests with botocore (what boto3 and the aws CLI
// use). The CI machine has python3 and botocore, so their absence fails the
// test rather than skipping it.
func runBotocore(t *testing.T, akid, secret, token string) []botocoreRequest {
	t.Helper()
	cmd := exec.Command("python3", "testdata/botocore_sign.py", "http://sealbox.test:8777", akid, secret, token, testRegion)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("python3 testdata/botocore_sign.py err = %v\n%s\n(python3 with botocore is required: pip install botocore)", err, stderr.String())
	}
	var reqs []botocoreRequest
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatalf("botocore_sign.py output %q: %v", out, err)
	}
	if len(reqs) == 0 {
		t.Fatalf("botocore_sign.py signed no request")
	}
	return reqs
}

func (b botocoreRequest) build(t *testing.T) *http.Request {
	t.Helper()
	req, err := http.NewRequest(b.Method, b.URL, strings.NewReader(b.Body))
	if err != nil {
		t.Fatalf("http.NewRequest(%q, %q) err = %v", b.Method, b.URL, err)
	}
	if b.Body == "" {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for _, h := range b.Headers {
		if !strings.EqualFold(h[0], "Content-Length") {
			req.Header.Add(h[0], h[1])
		}
	}
	return req
}

// TestBotocore verifies requests signed by botocore: JSON 1.1, AWS Query,
// a REST path that needs escaping and a presigned URL, with long-term and
// with session credentials.
func TestBotocore(t *testing.T) {
	for _, creds := range []struct{ name, akid, secret, token string }{
		{"long-term key", testAKID, testSecret, ""},
		{"session credentials", tempAKID, tempSecret, tempToken},
	} {
		keys := newCreds()
		keys.keys[tempAKID] = Key{Secret: secret(tempSecret), SessionToken: secret(tempToken)}
		v := &Verifier{Credentials: keys} // botocore signs with the real clock
		for _, b := range runBotocore(t, creds.akid, creds.secret, creds.token) {
			t.Run(creds.name+"/"+b.Name, func(t *testing.T) {
				r, body := onServer(t, b.build(t))
				got, err := v.Verify(context.Background(), r, body, b.Service)
				if err != nil {
					t.Fatalf("Verify(botocore %s %s, Authorization=%q) err = %v, want nil", b.Method, b.URL, r.Header.Get("Authorization"), err)
				}
				if got.AccessKeyID != creds.akid || got.Service != b.Service || got.Region != testRegion {
					t.Errorf("Verify(botocore %s) = %+v, want AccessKeyID %q, Service %q, Region %q", b.Name, got, creds.akid, b.Service, testRegion)
				}

				// The same request with its body changed must not verify.
				if len(body) > 0 {
					tampered := append([]byte(nil), body...)
					tampered[len(tampered)-1] ^= 1
					if _, err := v.Verify(context.Background(), r, tampered, b.Service); kindOf(err) != KindBadSignature {
						t.Errorf("Verify(botocore %s, tampered body) err = %v, want %v", b.Name, err, KindBadSignature)
					}
				}
			})
		}
	}
}
