package sigv4

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/sealbox/sealbox/internal/clock"
)

// TestAWSDocumentedExample verifies the worked example of AWS's SigV4
// documentation (IAM ListUsers, 2015-08-30), whose signing key and
// signature the documentation prints.
func TestAWSDocumentedExample(t *testing.T) {
	const (
		akid = "AKIDEXAMPLE"
		sig  = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
	)
	at := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	build := func(signature string) *http.Request {
		r, err := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", http.NoBody)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		r.Header.Set("X-Amz-Date", "20150830T123600Z")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="+signature)
		return r
	}
	creds := &memCreds{keys: map[string]Key{akid: {Secret: secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), Principal: testPrincipal}}}
	v := &Verifier{Credentials: creds, Clock: clock.NewFake(at)}
	if _, err := v.Verify(context.Background(), build(sig), nil, "iam"); err != nil {
		t.Fatalf("Verify(AWS's example) err = %v, want nil", err)
	}
	key := deriveSigningKey([]byte("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), []byte("20150830"), "us-east-1", "iam")
	if got, want := hex.EncodeToString(key[:]), "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"; got != want {
		t.Errorf("deriveSigningKey(AWS's example) = %s, want %s", got, want)
	}
	// Upper-case hex is the same signature; one digit off is not.
	if _, err := v.Verify(context.Background(), build(strings.ToUpper(sig)), nil, "iam"); err != nil {
		t.Errorf("Verify(AWS's example, upper-case signature) err = %v, want nil", err)
	}
	if _, err := v.Verify(context.Background(), build(sig[:63]+"8"), nil, "iam"); kindOf(err) != KindBadSignature {
		t.Errorf("Verify(AWS's example, signature off by a digit) err = %v, want %v", err, KindBadSignature)
	}
}

// TestSigningKeyCacheNeverServesAnotherSecret: a signing key derived and
// cached for one secret must not verify a request once the store holds
// another secret under the same access key id (a key deleted and minted
// again), nor a request that names another access key with the same scope.
func TestSigningKeyCacheNeverServesAnotherSecret(t *testing.T) {
	ctx := context.Background()
	creds := newCreds()
	v := newVerifier(creds, t0)
	oldSigned, oldBody := onServer(t, kmsRequest().signed(t, longTerm, testRegion, testService, t0))
	if _, err := v.Verify(ctx, oldSigned, oldBody, testService); err != nil {
		t.Fatalf("Verify() err = %v", err) // the cache now holds the old secret's key
	}

	// The key is minted again with a new secret.
	const newSecret = "newSecretForTheSameAccessKeyId0000000000"
	creds.mu.Lock()
	creds.keys[testAKID] = Key{Secret: secret(newSecret), Principal: testPrincipal}
	creds.mu.Unlock()
	if _, err := v.Verify(ctx, oldSigned, oldBody, testService); kindOf(err) != KindBadSignature {
		t.Fatalf("Verify(signed with the old secret, after re-minting) err = %v, want %v", err, KindBadSignature)
	}
	reminted := aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: newSecret}
	r, body := onServer(t, kmsRequest().signed(t, reminted, testRegion, testService, t0))
	if _, err := v.Verify(ctx, r, body, testService); err != nil {
		t.Fatalf("Verify(signed with the new secret) err = %v, want nil", err)
	}
	// And back: the cache's entry is now the new secret's.
	creds.mu.Lock()
	creds.keys[testAKID] = Key{Secret: secret(testSecret), Principal: testPrincipal}
	creds.mu.Unlock()
	if _, err := v.Verify(ctx, r, body, testService); kindOf(err) != KindBadSignature {
		t.Fatalf("Verify(signed with the new secret, after going back) err = %v, want %v", err, KindBadSignature)
	}

	// The key is deleted: unknown, cached signing key or not.
	creds.mu.Lock()
	delete(creds.keys, testAKID)
	creds.mu.Unlock()
	if _, err := v.Verify(ctx, oldSigned, oldBody, testService); kindOf(err) != KindUnknownKey {
		t.Fatalf("Verify(after deletion) err = %v, want %v", err, KindUnknownKey)
	}

	// Another access key, signed with the first key's secret.
	creds = newCreds()
	creds.keys["AKIDOTHER00000000001"] = Key{Secret: secret("otherSecret00000000000000000000000000000"), Principal: testPrincipal}
	v = newVerifier(creds, t0)
	if _, err := v.Verify(ctx, oldSigned, oldBody, testService); err != nil {
		t.Fatalf("Verify() err = %v", err)
	}
	forged, fbody := onServer(t, kmsRequest().signed(t, aws.Credentials{AccessKeyID: "AKIDOTHER00000000001", SecretAccessKey: testSecret}, testRegion, testService, t0))
	if _, err := v.Verify(ctx, forged, fbody, testService); kindOf(err) != KindBadSignature {
		t.Fatalf("Verify(other key id, first key's secret) err = %v, want %v", err, KindBadSignature)
	}
}

// TestSigningKeyCacheKeepsRevocation: the store is asked on every request,
// so an expired session and a session whose token changed are refused with
// the signing key still cached.
func TestSigningKeyCacheKeepsRevocation(t *testing.T) {
	ctx := context.Background()
	creds := newCreds()
	fake := clock.NewFake(t0)
	v := &Verifier{Credentials: creds, Clock: fake}
	r, body := onServer(t, kmsRequest().signed(t, temporary, testRegion, testService, t0))
	if _, err := v.Verify(ctx, r, body, testService); err != nil {
		t.Fatalf("Verify() err = %v", err)
	}
	creds.mu.Lock()
	k := creds.keys[tempAKID]
	k.SessionToken = secret("anotherToken")
	creds.keys[tempAKID] = k
	creds.mu.Unlock()
	if _, err := v.Verify(ctx, r, body, testService); kindOf(err) != KindInvalidToken {
		t.Errorf("Verify(token changed in the store) err = %v, want %v", err, KindInvalidToken)
	}
	creds.mu.Lock()
	k.SessionToken, k.Expires = secret(tempToken), t0
	creds.keys[tempAKID] = k
	creds.mu.Unlock()
	if _, err := v.Verify(ctx, r, body, testService); kindOf(err) != KindExpiredToken {
		t.Errorf("Verify(session expired) err = %v, want %v", err, KindExpiredToken)
	}
}

// TestVerifyRefusesCanonicalisationGames changes what the client signed in
// ways a lenient canonicaliser might not notice.
func TestVerifyRefusesCanonicalisationGames(t *testing.T) {
	setSignedHeaders := func(list string) func(*http.Request) {
		return func(r *http.Request) {
			a := r.Header.Get("Authorization")
			i := strings.Index(a, "SignedHeaders=")
			j := strings.Index(a[i:], ",")
			r.Header.Set("Authorization", a[:i]+"SignedHeaders="+list+a[i+j:])
		}
	}
	twoValues := kmsReq(withHeader("X-Amz-Meta", "a"), withHeader("X-Amz-Meta", "b"))
	tests := []struct {
		name string
		req  func(testing.TB) (*http.Request, []byte)
		want Kind
	}{
		{"signed headers out of order", serverSide(kmsReq(), longTerm, setSignedHeaders("host;content-type;x-amz-date;x-amz-target")), KindBadSignature},
		{"signed headers upper-case", serverSide(kmsReq(), longTerm, setSignedHeaders("Content-Type;Host;X-Amz-Date;X-Amz-Target")), KindBadSignature},
		{"signed header named twice", serverSide(kmsReq(), longTerm, setSignedHeaders("content-type;content-type;host;x-amz-date;x-amz-target")), KindBadSignature},
		{"signed header not sent", serverSide(kmsReq(), longTerm, setSignedHeaders("content-type;host;x-amz-date;x-amz-meta;x-amz-target")), KindBadSignature},
		{"signed header dropped from the list", serverSide(kmsReq(withHeader("X-Custom", "1")), longTerm, setSignedHeaders("content-type;host;x-amz-date;x-amz-target")), KindBadSignature},
		{"header value case changed", serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("Content-Type", "Application/x-amz-json-1.1") }), KindBadSignature},
		{"header values reordered", serverSide(twoValues, longTerm, func(r *http.Request) { r.Header["X-Amz-Meta"] = []string{"b", "a"} }), KindBadSignature},
		{"space inside a value added", serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("X-Amz-Target", "TrentService. Encrypt") }), KindBadSignature},
		{"path escaped differently", serverSide(clientRequest{method: "GET", url: "http://h/a%2Fb", header: http.Header{}}, longTerm, func(r *http.Request) { r.URL.RawPath = ""; r.URL.Path = "/a/b" }), KindBadSignature},
		{"query value moved to another key", serverSide(clientRequest{method: "GET", url: "http://h/?a=1&b=2", header: http.Header{}}, longTerm, func(r *http.Request) { r.URL.RawQuery = "a=2&b=1" }), KindBadSignature},
		{"query + made %20", serverSide(clientRequest{method: "GET", url: "http://h/?a=x+y", header: http.Header{}}, longTerm, func(r *http.Request) { r.URL.RawQuery = "a=x%2By" }), KindBadSignature},
		{"credential date a day off", serverSide(kmsReq(), longTerm, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/20260102/", "/20260101/", 1))
		}), KindBadSignature},
		{"credential region changed", serverSide(kmsReq(), longTerm, func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/us-east-1/", "/us-west-2/", 1))
		}), KindBadSignature},
		{"signed for another service", signedFor(kmsReq(), longTerm, testRegion, "ssm", t0, nil), KindBadSignature},
		{"x-amz-date changed within the skew", serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260102T030406Z") }), KindBadSignature},
		// The same instant written otherwise, or a second date after the
		// signed one: the signature covers the header's text.
		{"x-amz-date with fractional seconds", serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Set("X-Amz-Date", "20260102T030405.0Z") }), KindBadSignature},
		{"second x-amz-date appended", serverSide(kmsReq(), longTerm, func(r *http.Request) { r.Header.Add("X-Amz-Date", "20260102T030900Z") }), KindBadSignature},
		// Presigned: every parameter but the signature is signed as sent.
		{"presigned, second X-Amz-Date", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Add("X-Amz-Date", "20260102T030900Z") }), KindBadSignature},
		{"presigned, X-Amz-Date written otherwise", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Date", "20260102T030405.0Z") }), KindBadSignature},
		{"presigned, credential with a trailing slash", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("X-Amz-Credential", q.Get("X-Amz-Credential")+"/") }), KindBadSignature},
		{"presigned, second signed-headers list", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Add("X-Amz-SignedHeaders", "host;x-amz-target") }), KindBadSignature},
		{"presigned, parameter value emptied", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) { q.Set("Limit", "") }), KindBadSignature},
		{"presigned, region changed", presignedAt(listKeysGet(), longTerm, time.Hour, func(q url.Values) {
			q.Set("X-Amz-Credential", strings.Replace(q.Get("X-Amz-Credential"), "/us-east-1/", "/us-west-2/", 1))
		}), KindBadSignature},
		{"signature truncated", serverSide(kmsReq(), longTerm, func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2])
		}), KindBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := tt.req(t)
			_, err := newVerifier(newCreds(), t0).Verify(context.Background(), r, body, testService)
			if err == nil {
				t.Fatalf("Verify() err = nil, want a refusal")
			}
			if tt.want != 0 && kindOf(err) != tt.want {
				t.Errorf("Verify() err = %v, want %v", err, tt.want)
			}
		})
	}
}

// TestSigningKeyCacheBounded fills the cache past its bound, from several
// goroutines, and checks every request still verifies and the bound holds.
func TestSigningKeyCacheBounded(t *testing.T) {
	creds := newCreds()
	const n = keyCacheShards*keyCacheShardSize + 300
	type signed struct {
		r    *http.Request
		body []byte
	}
	reqs := make([]signed, 0, n)
	for i := range n {
		id := fmt.Sprintf("AKIDBOUND%011d", i)
		creds.keys[id] = Key{Secret: secret(testSecret + id), Principal: testPrincipal}
		r, body := onServer(t, kmsRequest().signed(t, aws.Credentials{AccessKeyID: id, SecretAccessKey: testSecret + id}, testRegion, testService, t0))
		reqs = append(reqs, signed{r, body})
	}
	v := newVerifier(creds, t0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				if _, err := v.Verify(context.Background(), reqs[i].r, reqs[i].body, testService); err != nil {
					t.Errorf("Verify(key %d) err = %v", i, err)
				}
			}
		})
	}
	wg.Wait()
	total := 0
	for i := range v.keys.shards {
		sh := &v.keys.shards[i]
		sh.mu.RLock()
		if len(sh.m) > keyCacheShardSize {
			t.Errorf("shard %d holds %d keys, want at most %d", i, len(sh.m), keyCacheShardSize)
		}
		total += len(sh.m)
		sh.mu.RUnlock()
	}
	if total == 0 {
		t.Errorf("the cache holds no key")
	}
}

// TestVerifyAllocations holds the header-signed hot path to its budget: the
// Result alone. The signing key is cached with its HMAC states
// (primitive.MACKey), so a known caller's signature costs no hmac.New.
func TestVerifyAllocations(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocation count")
	}
	v := newVerifier(newCreds(), t0)
	r, body := onServer(t, decryptRequest().signed(t, longTerm, testRegion, testService, t0))
	hash := SHA256Hex(body)
	ctx := context.Background()
	if _, err := v.VerifyPayload(ctx, r, hash, testService); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := v.VerifyPayload(ctx, r, hash, testService); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("VerifyPayload allocates %v times, want at most 1", allocs)
	}
}

// TestSigningKeyCacheKeepsOnlyVerifiedKeys: a request that fails its
// signature leaves nothing in the cache, so unsigned traffic naming a known
// key (in any region) cannot crowd out the keys in use.
func TestSigningKeyCacheKeepsOnlyVerifiedKeys(t *testing.T) {
	v := newVerifier(newCreds(), t0)
	cached := func() int {
		n := 0
		for i := range v.keys.shards {
			sh := &v.keys.shards[i]
			sh.mu.RLock()
			n += len(sh.m)
			sh.mu.RUnlock()
		}
		return n
	}
	for _, region := range []string{"us-east-1", "eu-west-1", "ap-south-2"} {
		r, body := onServer(t, kmsRequest().signed(t, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "guess"}, region, testService, t0))
		if _, err := v.Verify(context.Background(), r, body, testService); kindOf(err) != KindBadSignature {
			t.Fatalf("Verify(wrong secret, %s) err = %v, want %v", region, err, KindBadSignature)
		}
	}
	if n := cached(); n != 0 {
		t.Fatalf("after failed signatures the cache holds %d keys, want 0", n)
	}
	r, body := onServer(t, kmsRequest().signed(t, longTerm, testRegion, testService, t0))
	for range 2 {
		if _, err := v.Verify(context.Background(), r, body, testService); err != nil {
			t.Fatalf("Verify() err = %v", err)
		}
	}
	if n := cached(); n != 1 {
		t.Fatalf("after a good signature the cache holds %d keys, want 1", n)
	}
}
