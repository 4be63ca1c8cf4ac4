package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox/internal/clientaddr"
)

// The router's whole path for a signed call, below net/http: the real
// server's router (SigV4 verified, the authorizer, the audit trail written
// before the answer), driven with requests signed as an SDK signs them and
// answered into a ResponseWriter that keeps nothing. What net/http and the
// kernel add per request is left out, so that the router's own cost shows
// through the noise of a shared machine.

// signedCall is one signed request, replayed: its body and header are
// given to a fresh *http.Request each time, as net/http makes one.
type signedCall struct {
	body   []byte
	header http.Header
}

func (f *svcFixture) signed(tb testing.TB, service, target, body string) *signedCall {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.30.0 os/linux lang/go#1.26 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.0")
	sum := sha256.Sum256([]byte(body))
	req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	creds := aws.Credentials{AccessKeyID: svcAdminKeyID, SecretAccessKey: "svcbenchsecretsvcbenchsecretsvcbench0000"}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	return &signedCall{body: []byte(body), header: req.Header}
}

// request is the call as net/http hands it to the handler.
func (sc *signedCall) request() *http.Request {
	r := &http.Request{Method: http.MethodPost, URL: rootURL, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: sc.header, Host: "127.0.0.1", RemoteAddr: "127.0.0.1:40000", RequestURI: "/",
		ContentLength: int64(len(sc.body)), Body: readerBody{bytes.NewReader(sc.body)}}
	return r.WithContext(context.Background())
}

var rootURL = &url.URL{Path: "/"}

type readerBody struct{ *bytes.Reader }

func (readerBody) Close() error { return nil }

// sink is a ResponseWriter that keeps the status and nothing else.
type sink struct {
	h      http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header { return s.h }
func (s *sink) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}
func (s *sink) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.n += len(b)
	return len(b), nil
}

func (f *svcFixture) serve(tb testing.TB, sc *signedCall) {
	w := &sink{h: http.Header{}}
	f.s.router.ServeHTTP(w, sc.request())
	if w.status != http.StatusOK {
		tb.Fatalf("status %d", w.status)
	}
}

func (f *svcFixture) decryptCall(tb testing.TB) *signedCall {
	return f.signed(tb, "kms", "TrentService.Decrypt",
		`{"CiphertextBlob":"`+base64.StdEncoding.EncodeToString(f.blob)+`","EncryptionContext":{"tenant":"acme"}}`)
}

// serialBench (SEALBOX_BENCH_SERIAL=1) has benchRouter make its calls one
// after another on one goroutine: for counts of the instructions a call
// executes (valgrind --tool=callgrind --toggle-collect on serve), which
// concurrent calls' scheduling and shared audit writes would blur.
var serialBench = os.Getenv("SEALBOX_BENCH_SERIAL") == "1"

// benchRouter runs sc through the router at the concurrency of 8
// and reports the process's CPU time a call.
func benchRouter(b *testing.B, f *svcFixture, sc *signedCall) {
	f.serve(b, sc) // warm
	f.s.audit.Flush()
	b.ReportAllocs()
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := cpuTime()
	if serialBench {
		for range b.N {
			f.serve(b, sc)
		}
	} else {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				f.serve(b, sc)
			}
		})
	}
	// The store sink writes its events every 200 ms, after the answers:
	// their writing is counted too, whether or not a run is that long.
	b.StopTimer()
	f.s.audit.Flush()
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkRouterSignedDecrypt(b *testing.B) {
	f := newSvcFixture(b)
	benchRouter(b, f, f.decryptCall(b))
}

func BenchmarkRouterSignedGetSecretValue(b *testing.B) {
	f := newSvcFixture(b)
	f.secret(b, "bench/secret-0")
	benchRouter(b, f, f.signed(b, "secretsmanager", "secretsmanager.GetSecretValue", `{"SecretId":"bench/secret-0"}`))
}

func BenchmarkRouterSignedGetParameterDecrypted(b *testing.B) {
	f := newSvcFixture(b)
	f.parameter(b, "/bench/param")
	benchRouter(b, f, f.signed(b, "ssm", "AmazonSSM.GetParameter", `{"Name":"/bench/param","WithDecryption":true}`))
}

func BenchmarkRouterSignedBatchGetSecretValue10(b *testing.B) {
	f := newSvcFixture(b)
	var ids []string
	for i := range 10 {
		name := "bench/secret-" + strconv.Itoa(i)
		f.secret(b, name)
		ids = append(ids, `"`+name+`"`)
	}
	benchRouter(b, f, f.signed(b, "secretsmanager", "secretsmanager.BatchGetSecretValue", `{"SecretIdList":[`+strings.Join(ids, ",")+`]}`))
}

// TestRouterAllocations pins what a signed call allocates through the
// whole router, warm: the request as net/http would hand it (made here:
// the *http.Request, its context copy, the body reader, the answer's
// header map and writer), the SigV4 check, the decoded and redacted
// input, the service call, the audit event (encoded, written to the file
// sink and queued for the store) and the answer. The call's own Request,
// contexts and audit.Pending are part of the call (one allocation), its
// first resource and audit parameters part of the Request, the audit
// parameters joined to the redacted input (no merged copy), a blob
// validated without decoding it to the heap; an audit event, a recorded
// read and a GetSecretValue answer each in one allocation with their
// resource (and the answer's string and date); the first two events a
// call gathers held in its Pending; a blob opened again has its key held
// (the keyring's blob keys), not derived with crypto/hkdf's 16; the
// validation of a map's keys and a list's members builds no path string
// unless it has a message to write; a record made beside the call's event
// (a KMS call on the caller's behalf, a batch's read) holds its parameters
// as a list in its own allocation, not a map; an event's id is text in
// the event's own allocation. (Before: Decrypt 66, 56, 55, 39, 36;
// GetSecretValue 80, 66, 58, 42, 39; GetParameter 76, 66, 60, 44, 41.)
func TestRouterAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	f := newSvcFixture(t)
	f.secret(t, "allocs/secret")
	f.parameter(t, "/allocs/param")
	var ids []string
	for i := range 10 {
		name := "allocs/batch-" + strconv.Itoa(i)
		f.secret(t, name)
		ids = append(ids, `"`+name+`"`)
	}
	for _, tc := range []struct {
		name string
		want float64
		call *signedCall
	}{
		{"Decrypt", 35, f.decryptCall(t)},
		{"GetSecretValue", 37, f.signed(t, "secretsmanager", "secretsmanager.GetSecretValue", `{"SecretId":"allocs/secret"}`)},
		{"GetParameter", 39, f.signed(t, "ssm", "AmazonSSM.GetParameter", `{"Name":"/allocs/param","WithDecryption":true}`)},
		// Ten secrets, each read, decrypted and recorded as GetSecretValue
		// and KMS Decrypt (before: 650, 555, 483, 322, 312, 252).
		{"BatchGetSecretValue10", 231, f.signed(t, "secretsmanager", "secretsmanager.BatchGetSecretValue", `{"SecretIdList":[`+strings.Join(ids, ",")+`]}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f.serve(t, tc.call) // warm
			got := testing.AllocsPerRun(300, func() { f.serve(t, tc.call) })
			t.Logf("%s: %v allocations a call", tc.name, got)
			if got > tc.want {
				t.Errorf("a signed %s through the router allocates %v times, want at most %v", tc.name, got, tc.want)
			}
		})
	}
}

// TestTrustedProxyAllocations: a signed call through a trusted proxy (one
// X-Forwarded-For hop, X-Forwarded-Proto) allocates no more than the same
// call straight to the router; with no trusted proxy the resolver is not
// in the path at all.
func TestTrustedProxyAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	f := newSvcFixture(t)
	f.secret(t, "allocs/secret")
	direct := f.signed(t, "secretsmanager", "secretsmanager.GetSecretValue", `{"SecretId":"allocs/secret"}`)
	proxied := *direct
	proxied.header = direct.header.Clone()
	proxied.header.Set("X-Forwarded-For", "203.0.113.9")
	proxied.header.Set("X-Forwarded-Proto", "https")

	res, err := clientaddr.New("127.0.0.1/32", "")
	if err != nil {
		t.Fatal(err)
	}
	through := res.Handler(f.s.router, nil)
	serve := func(h http.Handler, sc *signedCall) {
		w := &sink{h: http.Header{}}
		h.ServeHTTP(w, sc.request())
		if w.status != http.StatusOK {
			t.Fatalf("status %d", w.status)
		}
	}
	serve(f.s.router, direct)
	serve(through, &proxied)
	want := testing.AllocsPerRun(300, func() { serve(f.s.router, direct) })
	got := testing.AllocsPerRun(300, func() { serve(through, &proxied) })
	t.Logf("straight to the router: %v allocations; through the resolver, one hop: %v", want, got)
	if got > want {
		t.Errorf("a call through a trusted proxy allocates %v times, the same call straight %v: the resolver allocates", got, want)
	}
	if none, _ := clientaddr.New("", ""); none.Handler(f.s.router, nil) != http.Handler(f.s.router) {
		t.Error("with no trusted proxy the resolver wraps the router, want the router itself")
	}
}
