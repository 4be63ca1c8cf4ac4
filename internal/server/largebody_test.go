package server_test

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/spool"
)

// patternReader yields n bytes of a JSON-ish body without holding them.
type patternReader struct{ n int64 }

func (p *patternReader) Read(b []byte) (int, error) {
	if p.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(b)) > p.n {
		b = b[:p.n]
	}
	for i := range b {
		b[i] = 'A'
	}
	p.n -= int64(len(b))
	return len(b), nil
}

// forgedPost is an unauthenticated POST of n bytes to CreateFunction: its
// Authorization names the admin's key with a made-up signature. chunked
// sends it without a Content-Length.
func forgedPost(t *testing.T, s *sealtest.Server, n int64, chunked bool) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/2015-03-31/functions", io.NopCloser(&patternReader{n: n}))
	if err != nil {
		t.Fatal(err)
	}
	if !chunked {
		req.ContentLength = n
	}
	now := time.Now().UTC()
	req.Header.Set("X-Amz-Date", now.Format("20060102T150405Z"))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+sealtest.AccessKeyID+"/"+now.Format("20060102")+
		"/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature="+
		"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	return req
}

func spoolDir(t *testing.T) (string, sealtest.Option) {
	dir := t.TempDir()
	return dir, func(c *config.Config) { c.BodySpoolDir = dir }
}

func emptyDir(t *testing.T, dir string) {
	t.Helper()
	if e, err := os.ReadDir(dir); err != nil || len(e) != 0 {
		t.Errorf("spool folder holds %d entries (err %v), want none", len(e), err)
	}
}

// TestUnauthenticatedLargeBodies is issue 12's memory exhaustion: 8
// concurrent unauthenticated 65 MiB POSTs to CreateFunction. Each is
// refused with the signature error, and the server never holds more than
// the 1 MiB JSON cap of any of them in memory: with a Content-Length the
// body goes straight to a temporary file, without one at most 1 MiB is
// read before it does.
func TestUnauthenticatedLargeBodies(t *testing.T) {
	const size = 65 << 20
	dir, opt := spoolDir(t)
	s := sealtest.Start(t, opt)
	for _, chunked := range []bool{false, true} {
		name := "content-length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			var base runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			sampled := make(chan struct{})
			go func() {
				defer close(sampled)
				var ms runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
					runtime.ReadMemStats(&ms)
					if ms.HeapInuse > peak.Load() {
						peak.Store(ms.HeapInuse)
					}
				}
			}()
			var wg sync.WaitGroup
			for i := 0; i < 8; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, raw, h := send(t, s, forgedPost(t, s, size, chunked))
					if st != 403 || h.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
						t.Errorf("unauthenticated 65 MiB CreateFunction = %d %q %s, want 403 InvalidSignatureException", st, h.Get("X-Amzn-Errortype"), raw)
					}
				}()
			}
			wg.Wait()
			close(stop)
			<-sampled
			st := s.Srv.BodySpool().Stats()
			if st.PeakInMemory > 8*(spool.DefaultMemLimit+1) {
				t.Errorf("spool held up to %d bytes in memory, want at most 8 x 1 MiB", st.PeakInMemory)
			}
			if st.Files != 0 || st.PeakFiles == 0 || st.Refused != 0 {
				t.Errorf("spool stats after the requests = %+v, want every body spooled, no file left", st)
			}
			// The 8 bodies are 520 MiB; the heap (the client's side
			// included) grows by a few MiB of buffers.
			if grew := int64(peak.Load()) - int64(base.HeapInuse); grew > 48<<20 {
				t.Errorf("HeapInuse grew by %d MiB while 8 x 65 MiB bodies were refused, want under 48 MiB", grew>>20)
			}
			t.Logf("%s: spool %+v, HeapInuse grew by at most %d KiB", name, st, (int64(peak.Load())-int64(base.HeapInuse))>>10)
			emptyDir(t, dir)
		})
	}
}

// TestLargeBodyBudget: over the budget of concurrent large bodies the
// answer is 429 TooManyRequestsException with Retry-After and Lambda's
// Reason (CallerRateLimitExceeded), before the body
// is read; a client that hangs up mid-body leaves no file behind.
func TestLargeBodyBudget(t *testing.T) {
	dir, opt := spoolDir(t)
	s := sealtest.Start(t, opt, func(c *config.Config) { c.LargeBodies = 1 })

	// One slow upload holds the one place.
	pr, pw := io.Pipe()
	slow := forgedPost(t, s, 8<<20, false)
	slow.Body = pr
	done := make(chan error, 1)
	go func() {
		resp, err := s.HTTPClient().Do(slow)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	go pw.Write(make([]byte, 2<<20)) // the rest never comes
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return s.Srv.BodySpool().Stats().Files == 1 }) {
		t.Fatalf("the slow upload was not spooled: %+v", s.Srv.BodySpool().Stats())
	}

	for _, chunked := range []bool{false, true} {
		st, raw, h := send(t, s, forgedPost(t, s, 4<<20, chunked))
		var shape map[string]any
		json.Unmarshal(raw, &shape)
		if st != 429 || h.Get("X-Amzn-Errortype") != "TooManyRequestsException" || h.Get("Retry-After") != "1" || shape["Type"] != "User" ||
			shape["Reason"] != "CallerRateLimitExceeded" {
			t.Errorf("large body over the budget (chunked %v) = %d %q Retry-After %q %s, want 429 TooManyRequestsException, Retry-After 1, Reason CallerRateLimitExceeded",
				chunked, st, h.Get("X-Amzn-Errortype"), h.Get("Retry-After"), raw)
		}
	}
	// A small body is not held back by the budget.
	if st, _, h := send(t, s, forgedPost(t, s, 1000, false)); st != 403 || h.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
		t.Errorf("small body with the budget spent = %d %q, want the signature error", st, h.Get("X-Amzn-Errortype"))
	}

	// The client hangs up: the file goes, the place is free again.
	pw.CloseWithError(errors.New("client gone"))
	<-done
	if !sealtest.Eventually(t, 5*time.Second, func() bool { return s.Srv.BodySpool().Stats().Files == 0 }) {
		t.Fatalf("after the client hung up: %+v, want no file", s.Srv.BodySpool().Stats())
	}
	emptyDir(t, dir)
	if st, _, h := send(t, s, forgedPost(t, s, 4<<20, false)); st != 403 || h.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
		t.Errorf("large body once the place is free = %d %q, want the signature error", st, h.Get("X-Amzn-Errortype"))
	}
}

// randomZip is a ZIP of n incompressible bytes.
func randomZip(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	w, err := z.CreateHeader(&zip.FileHeader{Name: "blob.bin", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	rand.Read(data)
	w.Write(data)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestLargeCreateFunction: a correctly signed CreateFunction and
// UpdateFunctionCode whose bodies are spooled still work and report the
// code's SHA-256 and size: the ZIP is streamed out of the body into its own
// spooled file; nothing is left in the spool folder.
func TestLargeCreateFunction(t *testing.T) {
	dir, opt := spoolDir(t)
	s := sealtest.Start(t, opt)
	if _, err := s.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	c := s.Lambda()
	code := randomZip(t, 3<<20)
	sum := sha256.Sum256(code)
	out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("big"), Role: aws.String("arn:aws:iam::123456789012:role/exec"),
		Runtime: types.RuntimePython312, Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: code}})
	if err != nil {
		t.Fatalf("CreateFunction(3 MiB ZIP) err = %v", err)
	}
	if aws.ToString(out.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || out.CodeSize != int64(len(code)) {
		t.Fatalf("CreateFunction(3 MiB ZIP) = CodeSha256 %q, CodeSize %d; want %q, %d", aws.ToString(out.CodeSha256), out.CodeSize,
			base64.StdEncoding.EncodeToString(sum[:]), len(code))
	}
	code2 := randomZip(t, 2<<20)
	sum2 := sha256.Sum256(code2)
	up, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"), ZipFile: code2})
	if err != nil {
		t.Fatalf("UpdateFunctionCode(2 MiB ZIP) err = %v", err)
	}
	if aws.ToString(up.CodeSha256) != base64.StdEncoding.EncodeToString(sum2[:]) || up.CodeSize != int64(len(code2)) {
		t.Fatalf("UpdateFunctionCode(2 MiB ZIP) = CodeSha256 %q, CodeSize %d; want %q, %d", aws.ToString(up.CodeSha256), up.CodeSize,
			base64.StdEncoding.EncodeToString(sum2[:]), len(code2))
	}
	// Not a ZIP: refused as Lambda does, and nothing left behind.
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("big"), ZipFile: bytes.Repeat([]byte("x"), 2<<20)})
	sealtest.APIError(t, "UpdateFunctionCode(not a ZIP)", err, "InvalidParameterValueException", 400)

	// The body and, decoded out of it, the ZIP each went to a file.
	if st := s.Srv.BodySpool().Stats(); st.Files != 0 || st.PeakFiles < 2 {
		t.Errorf("spool stats = %+v, want body and ZIP spooled at once (PeakFiles >= 2) and no file left", st)
	}
	emptyDir(t, dir)
}
