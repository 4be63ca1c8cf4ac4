package sigv4

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox/internal/primitive"
)

// FuzzVerifyMatchesSDK builds a request from fuzzed parts, signs it with
// aws-sdk-go-v2's signer (in the Authorization header or presigned), and
// checks that the verifier accepts it, that the signature it computes is the
// SDK's, and that changing any signed part (method, path, query, a signed
// header, Host, body, date, scope, signature, secret) is refused.
func FuzzVerifyMatchesSDK(f *testing.F) {
	f.Add("POST", "/", "", "content-type:application/x-amz-json-1.1\nx-amz-target:TrentService.Decrypt\n", []byte(`{"KeyId":"k"}`), false, false)
	f.Add("GET", "/2015-03-31/functions/my%20fn/invocations", "b=2&a=1&a=0&c", "x-amz-user-agent:aws-sdk-go-v2/1.0\n", []byte{}, false, true)
	f.Add("POST", "/a b/ä/%2F/*", "k=v%20w&k=v+w&%7E=~&e=&=x", "content-type:  a  b  \nx-amz-meta-x:1\nx-amz-meta-x:2\nx-custom:\ttab\there\n", []byte("x"), false, false)
	f.Add("GET", "/", "Action=ListKeys&Version=2014-11-01", "x-amz-target:x\n", []byte{}, true, false)
	f.Add("PUT", "/~user/../x/./y//", "a=%zz&b;c=1&d=%41", "accept:*/*\naccept:text/plain\nuser-agent:ua\n", []byte("body"), true, true)
	f.Add("DELETE", "", "", "x-a:\u00a0nbsp\u00a0\nx-b:a\u3000b\n", []byte{}, false, false)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, headers string, body []byte, presign, session bool) {
		req, ok := fuzzRequest(method, path, rawQuery, headers, body)
		if !ok {
			return
		}
		creds := longTerm
		if session {
			creds = temporary
		}
		payload := SHA256Hex(body)
		var sdkSig string
		if presign {
			u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payload, testService, testRegion, t0)
			if err != nil {
				t.Fatalf("PresignHTTP() err = %v", err)
			}
			pu, err := url.Parse(u)
			if err != nil {
				t.Fatalf("url.Parse(%q) err = %v", u, err)
			}
			// The client sends what the signer returns: hoisted x-amz-*
			// headers went into the query.
			req.URL, req.Header = pu, http.Header{}
			for k, v := range hdr {
				if !strings.EqualFold(k, "host") {
					req.Header[k] = v
				}
			}
			sdkSig = pu.Query().Get("X-Amz-Signature")
		} else {
			if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, testService, testRegion, t0); err != nil {
				t.Fatalf("SignHTTP() err = %v", err)
			}
			sdkSig = after(req.Header.Get("Authorization"), "Signature=")
		}
		r, got, ok := wireRoundTrip(req, body)
		if !ok {
			return // not a request net/http sends and reads back unchanged
		}
		v := newVerifier(newCreds(), t0)
		ctx := context.Background()
		res, err := v.Verify(ctx, r, got, testService)
		if err != nil {
			t.Fatalf("Verify(SDK-signed %s %s?%s, headers %q) err = %v, want nil", r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header, err)
		}
		if res.AccessKeyID != creds.AccessKeyID || res.Presigned != presign {
			t.Fatalf("Verify() = %+v, want AccessKeyID %q, Presigned %v", res, creds.AccessKeyID, presign)
		}
		if ours := ourSignature(t, v, r, got, presign); ours != sdkSig {
			t.Fatalf("our signature %s != the SDK's %s", ours, sdkSig)
		}

		refused := func(what string, edit func(r *http.Request, body []byte) []byte) {
			t.Helper()
			r2, b2, ok := wireRoundTrip(req, body)
			if !ok {
				t.Fatalf("second round trip failed")
			}
			b2 = edit(r2, b2)
			if _, err := v.Verify(ctx, r2, b2, testService); err == nil {
				t.Errorf("Verify(SDK-signed request, %s) err = nil, want a refusal", what)
			}
		}
		refused("method changed", func(r *http.Request, b []byte) []byte { r.Method += "X"; return b })
		refused("path changed", func(r *http.Request, b []byte) []byte { r.URL.Path += "x"; r.URL.RawPath = ""; return b })
		refused("query parameter added", func(r *http.Request, b []byte) []byte {
			r.URL.RawQuery += "&zz=1"
			return b
		})
		refused("host changed", func(r *http.Request, b []byte) []byte { r.Host = "evil." + r.Host; return b })
		refused("body changed", func(r *http.Request, b []byte) []byte { return append(b, 'x') })
		refused("unsigned x-amz header added", func(r *http.Request, b []byte) []byte {
			r.Header.Set("X-Amz-Fuzz-Added", "1")
			return b
		})
		refused("signature changed", func(r *http.Request, b []byte) []byte {
			flipSignature(r, presign)
			return b
		})
		refused("region in scope changed", func(r *http.Request, b []byte) []byte {
			rewriteAuth(r, presign, "/"+testRegion+"/", "/eu-west-1/")
			return b
		})
		for name := range r.Header {
			if !listed(signedHeadersOf(r, presign), name) || strings.EqualFold(name, "X-Amz-Date") {
				continue
			}
			refused("signed header "+name+" changed", func(r *http.Request, b []byte) []byte {
				if len(r.Header[name]) == 0 {
					r.Header[name] = []string{"x"}
				} else {
					r.Header[name][0] += "x"
				}
				return b
			})
		}
		if !presign {
			refused("x-amz-date a second later", func(r *http.Request, b []byte) []byte {
				r.Header.Set("X-Amz-Date", t0.Add(1e9).Format(isoBasic))
				return b
			})
		}

		// The same access key with another secret (minted again, say) must
		// not verify with the signing key cached from the first.
		keys := newCreds()
		k := keys.keys[creds.AccessKeyID]
		k.Secret = secret("another" + creds.SecretAccessKey)
		v.Credentials = keys
		keys.keys[creds.AccessKeyID] = k
		refused("secret changed", func(r *http.Request, b []byte) []byte { return b })
	})
}

// fuzzRequest makes a client request of fuzzed parts, or false when they
// cannot make one that the signer and net/http treat alike.
func fuzzRequest(method, path, rawQuery, headers string, body []byte) (*http.Request, bool) {
	method = strings.ToUpper(strings.Map(func(c rune) rune {
		if c < 0x80 && tokenByte(byte(c)) {
			return c
		}
		return -1
	}, method))
	if method == "" || method == http.MethodConnect || len(method) > 16 {
		method = http.MethodPost
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	// The query goes on the wire as it is: it must hold no byte the request
	// line cannot carry, and no X-Amz-* parameter (the verifier reads
	// those; fuzzing them is the other tests' job).
	if strings.ContainsFunc(rawQuery, func(c rune) bool { return c <= ' ' || c == '#' || c == 0x7f }) ||
		strings.Contains(strings.ToLower(rawQuery), "amz") || strings.Contains(strings.ToLower(queryDecoded(rawQuery)), "amz") {
		return nil, false
	}
	u := &url.URL{Scheme: "http", Host: "sealbox.test:8777", Path: path, RawQuery: rawQuery}
	req, err := http.NewRequest(method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, false
	}
	req.URL.RawQuery = rawQuery
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	for line := range strings.Lines(headers) {
		name, value, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.Map(func(c rune) rune {
			if c < 0x80 && tokenByte(byte(c)) {
				return c
			}
			return -1
		}, name))
		if name == "" || fuzzReserved[name] || strings.Contains(name, "amzn") {
			continue
		}
		// The wire carries no control byte but tab in a value.
		value = strings.Map(func(c rune) rune {
			if c < ' ' && c != '\t' || c == 0x7f {
				return -1
			}
			return c
		}, value)
		req.Header.Add(name, value)
	}
	return req, true
}

// fuzzReserved are the headers the signer, net/http or the verifier set
// or read themselves.
var fuzzReserved = map[string]bool{
	"authorization": true, "host": true, "content-length": true, "transfer-encoding": true,
	"expect": true, "connection": true, "te": true, "trailer": true, "upgrade": true,
	"keep-alive": true, "proxy-connection": true, "date": true, "x-amz-date": true,
	"x-amz-security-token": true, "x-amz-content-sha256": true,
}

// queryDecoded decodes what it can of a raw query, for the filter above.
func queryDecoded(raw string) string {
	var b strings.Builder
	for pair := range strings.SplitSeq(raw, "&") {
		if d, err := url.QueryUnescape(pair); err == nil {
			b.WriteString(d)
		}
	}
	return b.String()
}

// wireRoundTrip is onServer that reports failure instead of failing, and
// leaves req as it was.
func wireRoundTrip(req *http.Request, body []byte) (*http.Request, []byte, bool) {
	c := req.Clone(context.Background())
	c.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) == 0 {
		c.Body = http.NoBody
	}
	var wire bytes.Buffer
	if err := c.Write(&wire); err != nil {
		return nil, nil, false
	}
	r, err := http.ReadRequest(bufio.NewReader(&wire))
	if err != nil {
		return nil, nil, false
	}
	got, err := io.ReadAll(r.Body)
	if err != nil || !bytes.Equal(got, body) || r.URL.RawQuery != req.URL.RawQuery {
		return nil, nil, false
	}
	return r, got, true
}

// ourSignature is the verifier's signature of r, in hex, computed as
// VerifyPayload computes it.
func ourSignature(t *testing.T, v *Verifier, r *http.Request, body []byte, presign bool) string {
	t.Helper()
	var sr signedRequest
	var aerr *AuthError
	if presign {
		sr, aerr = parseQueryAuth(r, testService, t0, 5*60e9)
	} else {
		sr, aerr = parseHeaderAuth(r, headerValue(r.Header, "Authorization"), testService, t0, 5*60e9)
	}
	if aerr != nil {
		t.Fatalf("parsing the signed request: %v", aerr)
	}
	key, err := v.Credentials.LookupAccessKey(context.Background(), sr.scope.accessKeyID)
	if err != nil {
		t.Fatalf("LookupAccessKey() err = %v", err)
	}
	hash, _, aerr := payloadHash(sr.announcedHash, SHA256Hex(body))
	if aerr != nil {
		t.Fatalf("payloadHash() err = %v", aerr)
	}
	in := signingInput{
		accessKeyID: sr.scope.accessKeyID, secret: key.Secret, region: sr.scope.region, service: sr.scope.service,
		signedAt: sr.signedAt, payloadHash: hash, signedHeaders: sr.signedHeaders, presign: sr.presign,
	}
	w := workspaces.Get().(*workspace)
	defer w.release()
	utc := in.signedAt.UTC()
	utc.AppendFormat(w.date[:0], "20060102")
	utc.AppendFormat(w.amz[:0], isoBasic)
	v.signingKey(&in, &w.date, &w.key)
	if _, ok := w.stringToSign(r, &in, false); !ok {
		t.Fatalf("stringToSign() refused the SDK's request (signed headers %q)", in.signedHeaders)
	}
	return hex.EncodeToString(primitive.HMAC(w.key[:], w.sts))
}

func signedHeadersOf(r *http.Request, presign bool) string {
	if presign {
		return r.URL.Query().Get("X-Amz-SignedHeaders")
	}
	a, _ := parseAuthorization(headerValue(r.Header, "Authorization"))
	return a.signedHeaders
}

// flipSignature changes the last hex digit of the request's signature.
func flipSignature(r *http.Request, presign bool) {
	flip := func(s string) string {
		last := s[len(s)-1]
		if last == '0' {
			return s[:len(s)-1] + "1"
		}
		return s[:len(s)-1] + "0"
	}
	if presign {
		q := r.URL.Query()
		q.Set("X-Amz-Signature", flip(q.Get("X-Amz-Signature")))
		r.URL.RawQuery = q.Encode()
		return
	}
	r.Header.Set("Authorization", flip(r.Header.Get("Authorization")))
}

// rewriteAuth replaces old with new in the credential, wherever it is.
func rewriteAuth(r *http.Request, presign bool, old, new string) {
	if presign {
		q := r.URL.Query()
		q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), old, new, 1))
		r.URL.RawQuery = q.Encode()
		return
	}
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
}

// after returns what follows the last occurrence of marker in s.
func after(s, marker string) string {
	i := strings.LastIndex(s, marker)
	if i < 0 {
		return ""
	}
	return s[i+len(marker):]
}

// FuzzPresignQueryMatchesParseQuery holds readPresignQuery, which the
// presigned form's checks read, to url.ParseQuery's reading.
func FuzzPresignQueryMatchesParseQuery(f *testing.F) {
	f.Add("X-Amz-Date=1&X-Amz-Date=2")
	f.Add("X%2DAmz-Expires=%31&a;b=1&X-Amz-Expires=2")
	f.Add("X-Amz-Signature=%zz&X-Amz-Signature=ok&X-Amz-Credential=a%2Fb")
	f.Add("X-Amz-Security-Token=a+b&X-Amz-Content-Sha256&=&&X-Amz-Algorithm=")
	f.Fuzz(func(t *testing.T, raw string) {
		want, _ := url.ParseQuery(raw)
		got := readPresignQuery(raw)
		for i, key := range presignKeys {
			w, ok := want[key]
			if got.seen[i] != ok || ok && got.val[i] != w[0] {
				t.Fatalf("readPresignQuery(%q)[%s] = %q, %v; url.ParseQuery has %q", raw, key, got.val[i], got.seen[i], w)
			}
		}
	})
}
