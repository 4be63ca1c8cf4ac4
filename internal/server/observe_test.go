package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
)

// get sends GET path with the header set (name, value), signed with creds
// for service when creds is not nil, and returns the status and body.
func get(t *testing.T, s *sealtest.Server, path string, creds *aws.Credentials, service string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if creds != nil {
		empty := sha256.Sum256(nil)
		if err := v4.NewSigner().SignHTTP(context.Background(), *creds, req, hex.EncodeToString(empty[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// newUser is sealtest's NewUser.
func newUser(t *testing.T, s *sealtest.Server, name string, actions ...string) aws.Credentials {
	t.Helper()
	return s.NewUser(t, name, actions...)
}

// TestMetricsAccess: GET /metrics answers the metrics token, or a request
// signed by a principal allowed sealbox:GetMetrics, and nobody else, with
// nothing in the refusal; /healthz and /readyz answer anyone.
func TestMetricsAccess(t *testing.T) {
	s := sealtest.Start(t)
	admin := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	allowed := newUser(t, s, "scraper", "sealbox:GetMetrics")
	denied := newUser(t, s, "nosy", "kms:*")
	forged := aws.Credentials{AccessKeyID: allowed.AccessKeyID, SecretAccessKey: "not-the-secret"}
	for _, tc := range []struct {
		name    string
		creds   *aws.Credentials
		service string
		header  []string
		want    int
	}{
		{name: "anonymous", want: http.StatusUnauthorized},
		{name: "wrong token", header: []string{"Authorization", "Bearer " + strings.Repeat("x", len(sealtest.MetricsToken))}, want: http.StatusForbidden},
		{name: "token, other case of the scheme", header: []string{"Authorization", "bearer " + sealtest.MetricsToken}, want: http.StatusOK},
		{name: "token", header: []string{"Authorization", "Bearer " + sealtest.MetricsToken}, want: http.StatusOK},
		{name: "token prefix", header: []string{"Authorization", "Bearer " + sealtest.MetricsToken[:20]}, want: http.StatusForbidden},
		{name: "basic", header: []string{"Authorization", "Basic eDp5"}, want: http.StatusForbidden},
		{name: "signed, not allowed", creds: &denied, service: "sealbox", want: http.StatusForbidden},
		{name: "signed, allowed", creds: &allowed, service: "sealbox", want: http.StatusOK},
		{name: "signed, forged", creds: &forged, service: "sealbox", want: http.StatusForbidden},
		{name: "signed for another service", creds: &allowed, service: "kms", want: http.StatusForbidden},
		{name: "admin", creds: &admin, service: "sealbox", want: http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := get(t, s, "/metrics", tc.creds, tc.service, tc.header...)
			if code != tc.want {
				t.Fatalf("GET /metrics = %d %q, want %d", code, body, tc.want)
			}
			if code == http.StatusOK {
				if !strings.Contains(body, "# TYPE sealbox_requests_total counter") {
					t.Errorf("GET /metrics lacks sealbox_requests_total:\n%s", body)
				}
				return
			}
			if body != http.StatusText(code)+"\n" {
				t.Errorf("GET /metrics refused with %q, want the bare %q", body, http.StatusText(code))
			}
		})
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		if code, body := get(t, s, path, nil, ""); code != http.StatusOK {
			t.Errorf("GET %s = %d %q, want 200", path, code, body)
		}
	}
}

// TestMetricsWithoutToken: a server given no token refuses every bearer
// token, the empty one too; a signed request is served.
func TestMetricsWithoutToken(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.MetricsToken = primitive.Secret{} })
	admin := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	for _, h := range []string{"Bearer ", "Bearer " + sealtest.MetricsToken} {
		if code, _ := get(t, s, "/metrics", nil, "", "Authorization", h); code != http.StatusForbidden {
			t.Errorf("GET /metrics with %q on a server without a token = %d, want 403", h, code)
		}
	}
	if code, body := get(t, s, "/metrics", &admin, "sealbox"); code != http.StatusOK {
		t.Errorf("GET /metrics signed by the admin = %d %q, want 200", code, body)
	}
}

// TestRequestMetrics scrapes /metrics after known calls and checks the
// counters exactly: outcomes by operation, denials, unknown operations,
// and the latency histogram's count.
func TestRequestMetrics(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	nosy := newUser(t, s, "nosy") // no policy: every call denied
	k := s.KMS()
	for range 3 {
		if _, err := k.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/none")})
	sealtest.APIError(t, "DescribeKey", err, "NotFoundException", 400)
	_, err = kms.NewFromConfig(s.AWSConfigAs("us-east-1", nosy)).GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)})
	sealtest.APIError(t, "GenerateRandom as nosy", err, "AccessDeniedException", 400)
	_, err = s.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("no spaces allowed")})
	sealtest.APIError(t, "CreateUser", err, "ValidationError", 400)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
	req.Header.Set("X-Amz-Target", "TrentService.NoSuchOperation")
	if resp, err := s.HTTPClient().Do(req); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}

	body := s.Metrics(t)
	for _, want := range []string{
		`sealbox_requests_total{service="kms",operation="GenerateRandom",outcome="ok"} 3`,
		`sealbox_requests_total{service="kms",operation="GenerateRandom",outcome="client_error"} 1`,
		`sealbox_requests_total{service="kms",operation="DescribeKey",outcome="client_error"} 1`,
		`sealbox_requests_total{service="unknown",operation="unknown",outcome="client_error"} 1`,
		`sealbox_authz_denials_total{service="kms",operation="GenerateRandom"} 1`,
		`sealbox_request_errors_total{service="kms",operation="GenerateRandom",code="AccessDeniedException"} 1`,
		`sealbox_request_errors_total{service="kms",operation="DescribeKey",code="NotFoundException"} 1`,
		`sealbox_request_errors_total{service="iam",operation="CreateUser",code="ValidationError"} 1`,
		`sealbox_request_duration_seconds_count{service="kms",operation="GenerateRandom"} 4`,
		`sealbox_request_duration_seconds_bucket{service="kms",operation="GenerateRandom",le="+Inf"} 4`,
		`sealbox_audit_sink_up{sink="file"} 1`,
		`sealbox_audit_sink_up{sink="store"} 1`,
		`sealbox_store_unavailable_total 0`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("GET /metrics lacks %s:\n%s", want, grepLines(body, "sealbox_requests_total", "sealbox_authz_denials", "_count", "sink_up", "store_"))
		}
	}
	for _, unwanted := range []string{`operation="NoSuchOperation"`, `operation="Encrypt"`, `sealbox_authz_denials_total{service="kms",operation="DescribeKey"}`} {
		if strings.Contains(body, unwanted) {
			t.Errorf("GET /metrics has %s", unwanted)
		}
	}
	if !strings.Contains(body, `sealbox_store_transaction_seconds_count{kind="update"} `) {
		t.Errorf("GET /metrics lacks the store's transaction times")
	}
}

// grepLines are body's lines that contain one of subs.
func grepLines(body string, subs ...string) string {
	var out []string
	for line := range strings.SplitSeq(body, "\n") {
		for _, s := range subs {
			if strings.Contains(line, s) && !strings.HasPrefix(line, "#") {
				out = append(out, line)
				break
			}
		}
	}
	return strings.Join(out, "\n")
}

// failingStore fails each transaction while fail says so, with an error
// wrapping store.ErrUnavailable, as pgstore does when PostgreSQL is down.
type failingStore struct {
	store.Store
	fail func() bool
}

var errDown = fmt.Errorf("pgstore: failed to connect to 10.0.0.7:5432: %w", store.ErrUnavailable)

func (f *failingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	if f.fail() {
		return errDown
	}
	return f.Store.View(ctx, fn)
}

func (f *failingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f.fail() {
		return errDown
	}
	return f.Store.Update(ctx, fn)
}

func (f *failingStore) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if f.fail() {
		return errDown
	}
	return f.Store.Batch(ctx, fn)
}

// storeFault is a switch for failingStore: down fails every transaction,
// failNext the next n.
type storeFault struct {
	down     atomic.Bool
	failNext atomic.Int32
}

func (f *storeFault) fail() bool {
	if f.down.Load() {
		return true
	}
	for {
		n := f.failNext.Load()
		if n <= 0 {
			return false
		}
		if f.failNext.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

func startFaulty(t *testing.T) (*sealtest.Server, *storeFault) {
	f := &storeFault{}
	s := sealtest.StartWrapped(t, func(st store.Store) store.Store { return &failingStore{Store: st, fail: f.fail} })
	return s, f
}

// TestStoreUnavailableAnswers: while the store cannot be reached every
// service answers its modelled internal error (STS, which models none,
// AWS's common ServiceUnavailable 503), with no word of the store; the log
// says why, once; /readyz says not ready; and all recover when the store
// returns.
func TestStoreUnavailableAnswers(t *testing.T) {
	s, f := startFaulty(t)
	ctx := context.Background()
	// Warm the callers' caches (access key, policies) as a running server
	// has them; a cold cache fails alike (the signature's key lookup).
	if _, err := s.KMS().ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Fatal(err)
	}
	f.down.Store(true)
	calls := []struct {
		name   string
		call   func() error
		code   string
		status int
	}{
		{"KMS CreateKey", func() error { _, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}); return err }, "KMSInternalException", 500},
		{"SSM PutParameter", func() error {
			_, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("v"), Type: "String"})
			return err
		}, "InternalServerError", 500},
		{"Secrets Manager CreateSecret", func() error {
			_, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("v")})
			return err
		}, "InternalServiceError", 500},
		{"Lambda ListFunctions", func() error { _, err := s.Lambda().ListFunctions(ctx, &lambda.ListFunctionsInput{}); return err }, "ServiceException", 500},
		{"IAM CreateUser", func() error {
			_, err := s.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")})
			return err
		}, "ServiceFailure", 500},
		{"STS GetSessionToken", func() error { _, err := s.STS().GetSessionToken(ctx, &sts.GetSessionTokenInput{}); return err }, "ServiceUnavailable", 503},
	}
	for _, c := range calls {
		msg := sealtest.APIError(t, c.name, c.call(), c.code, c.status)
		if strings.Contains(msg, "store") || strings.Contains(msg, "10.0.0.7") {
			t.Errorf("%s: message %q speaks of the store", c.name, msg)
		}
	}
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusServiceUnavailable || body != "not ready: store\n" {
		t.Errorf("GET /readyz with the store down = %d %q, want 503 \"not ready: store\"", code, body)
	}
	if n := strings.Count(s.Logs.String(), "store unavailable: answering calls with the retryable internal error"); n != 1 {
		t.Errorf("the log says the store is unavailable %d times, want once (then every 10 s):\n%s", n, s.Logs.String())
	}
	if !strings.Contains(s.Logs.String(), "10.0.0.7:5432") {
		t.Errorf("the log does not give the cause")
	}
	body := s.Metrics(t)
	for _, want := range []string{
		`sealbox_requests_total{service="kms",operation="CreateKey",outcome="server_error"} 1`,
		`sealbox_requests_total{service="sts",operation="GetSessionToken",outcome="server_error"} 1`,
		`sealbox_request_errors_total{service="sts",operation="GetSessionToken",code="ServiceUnavailable"} 1`,
		`sealbox_request_errors_total{service="iam",operation="CreateUser",code="ServiceFailure"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("GET /metrics lacks %s:\n%s", want, grepLines(body, "sealbox_requests_total"))
		}
	}
	if strings.Contains(body, "sealbox_store_unavailable_total 0\n") {
		t.Errorf("GET /metrics counts no unavailable transaction")
	}

	f.down.Store(false)
	for _, c := range calls {
		if err := c.call(); err != nil {
			t.Errorf("%s once the store is back: %v", c.name, err)
		}
	}
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusOK || body != "ready\n" {
		t.Errorf("GET /readyz with the store back = %d %q, want 200 \"ready\"", code, body)
	}
}

// TestStoreUnavailableIsRetried: the SDK's standard retryer retries the
// answer to a call the store failed once, and the call succeeds on the
// second attempt.
func TestStoreUnavailableIsRetried(t *testing.T) {
	s, f := startFaulty(t)
	ctx := context.Background()
	var attempts atomic.Int32
	cfg := s.AWSConfig("us-east-1")
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.RateLimiter = ratelimit.None
			o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
		})
	}
	cfg.HTTPClient = countingClient{s.HTTPClient(), &attempts}
	c := secretsmanager.NewFromConfig(cfg)
	if _, err := c.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil { // warm the caches
		t.Fatal(err)
	}
	attempts.Store(0)
	f.failNext.Store(1)
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("retried"), SecretString: aws.String("v")}); err != nil {
		t.Fatalf("CreateSecret with the store failing once = %v, want success on a retry", err)
	}
	if n := attempts.Load(); n != 2 {
		t.Errorf("CreateSecret took %d attempts, want 2", n)
	}
}

type countingClient struct {
	c *http.Client
	n *atomic.Int32
}

func (c countingClient) Do(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.c.Do(r)
}

// TestReadyz: a running server is ready; a store that fails a read makes
// it not ready, saying which check failed and no more.
func TestReadyz(t *testing.T) {
	s, f := startFaulty(t)
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusOK || body != "ready\n" {
		t.Fatalf("GET /readyz = %d %q, want 200 \"ready\"", code, body)
	}
	f.failNext.Store(1)
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusServiceUnavailable || body != "not ready: store\n" {
		t.Errorf("GET /readyz with a read failing = %d %q, want 503 \"not ready: store\"", code, body)
	}
	if !strings.Contains(s.Logs.String(), "not ready") || !errors.Is(errDown, store.ErrUnavailable) {
		t.Errorf("the log does not say the server is not ready")
	}
	s.Srv.AddMetrics(func(w io.Writer) {
		io.WriteString(w, "# TYPE sealbox_feed_lag_seconds gauge\nsealbox_feed_lag_seconds 12\n")
	})
	if body := s.Metrics(t); !strings.Contains(body, "\nsealbox_feed_lag_seconds 12\n") {
		t.Errorf("GET /metrics lacks what AddMetrics wrote")
	}
	s.Srv.AddReadyCheck("feed", func(context.Context) error { return errors.New("behind by 12 s") })
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusServiceUnavailable || body != "not ready: feed\n" {
		t.Errorf("GET /readyz with the feed behind = %d %q, want 503 \"not ready: feed\"", code, body)
	}
}

// TestReadyzStoreClosed: a server whose store is closed is not ready.
func TestReadyzStoreClosed(t *testing.T) {
	s := sealtest.Start(t)
	s.Stop() // closes the store
	w := httptest.NewRecorder()
	s.Srv.Handler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	if w.Code != http.StatusServiceUnavailable || w.Body.String() != "not ready: store\n" {
		t.Errorf("GET /readyz with the store closed = %d %q, want 503 \"not ready: store\"", w.Code, w.Body.String())
	}
}

// hangingStore blocks every read of key until release is closed, as a
// store that ignores its context would.
type hangingStore struct {
	store.Store
	key     string
	release chan struct{}
}

func (h *hangingStore) View(ctx context.Context, fn func(store.Tx) error) error {
	return h.Store.View(ctx, func(tx store.Tx) error { return fn(hangingTx{tx, h}) })
}

type hangingTx struct {
	store.Tx
	h *hangingStore
}

func (t hangingTx) Get(key string) ([]byte, error) {
	if key == t.h.key {
		<-t.h.release
	}
	return t.Tx.Get(key)
}

// TestReadyzStoreHangs: a store that does not answer, deadline or not,
// makes /readyz answer 503 within its timeout, and the probes after it
// answer at once without piling up behind the hung one, until it returns.
func TestReadyzStoreHangs(t *testing.T) {
	h := &hangingStore{key: "sys/ready-probe", release: make(chan struct{})}
	s := sealtest.StartWrapped(t, func(st store.Store) store.Store { h.Store = st; return h })
	released := false
	defer func() {
		if !released { // before the server stops: its store waits for the read
			close(h.release)
		}
	}()
	start := time.Now()
	if code, body := get(t, s, "/readyz", nil, ""); code != http.StatusServiceUnavailable || body != "not ready: store\n" {
		t.Errorf("GET /readyz with the store hung = %d %q, want 503 \"not ready: store\"", code, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("GET /readyz with the store hung took %v", d)
	}
	start = time.Now()
	if code, _ := get(t, s, "/readyz", nil, ""); code != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz again = %d, want 503", code)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("GET /readyz while the first probe still hangs took %v, want an answer at once", d)
	}
	close(h.release)
	released = true
	if !sealtest.Eventually(t, 5*time.Second, func() bool { code, _ := get(t, s, "/readyz", nil, ""); return code == http.StatusOK }) {
		t.Errorf("GET /readyz stays not ready once the store answers")
	}
}
