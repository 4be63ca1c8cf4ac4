// Package sealtest starts real sealbox servers for tests: a real listener on
// 127.0.0.1:0, the embedded store in a temporary folder, a clock the test
// moves, and aws-sdk-go-v2 clients pointed at it with the admin pair.
package sealtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// The administrator pair every test server is preset with: the access key
// of the IAM user admin (AdministratorAccess), as the first start makes it.
// Tests of what AWS reserves to the account's root use RootCredentials.
const (
	AccessKeyID     = "AKIAIOSFODNN7EXAMPLE"
	SecretAccessKey = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	AccountID       = "123456789012"
	// MetricsToken is every test server's metrics token (Metrics sends it).
	MetricsToken = "sealtest-metrics-token-0123456789"
)

// Server is a running test server.
type Server struct {
	URL    string
	Dir    string
	Clock  *clock.Fake
	Config config.Config
	Srv    *server.Server
	Logs   *Buffer

	t      testing.TB
	root   aws.Credentials // made on first use (RootCredentials)
	cancel context.CancelFunc
	done   chan error
	client *http.Client
	// panicsExpected: the test makes background jobs panic on purpose.
	panicsExpected bool
	// wrap wraps the store the services see (StartWrapped).
	wrap func(store.Store) store.Store
}

// Option changes a test server's configuration before it starts.
type Option func(*config.Config)

// Every test server checks that no transaction begins inside another on
// the same goroutine (boltstore.NestingCheck), and runs each Update's
// function twice, the first run rolled back (boltstore.RerunCheck), as a
// server on PostgreSQL does after a conflict.
func init() { boltstore.NestingCheck, boltstore.RerunCheck = true, true }

// WithDir keeps the data in dir (to restart a server over the same data).
func WithDir(dir string) Option { return func(c *config.Config) { c.DataDir = dir } }

// WithAccountID serves account id (--account-id) instead of AccountID.
func WithAccountID(id string) Option { return func(c *config.Config) { c.AccountID = id } }

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	return StartWrapped(t, nil, opts...)
}

// StartWrapped is Start with the store the services see wrapped by wrap
// (server.Options.WrapStore), over every start of the server: tests make
// it fail. nil wraps nothing.
func StartWrapped(t testing.TB, wrap func(store.Store) store.Store, opts ...Option) *Server {
	t.Helper()
	cfg := defaultConfig(t)
	for _, o := range opts {
		o(&cfg)
	}
	s := &Server{Dir: cfg.DataDir, Clock: clock.NewFake(time.Now().UTC()), Config: cfg, t: t, Logs: &Buffer{}, wrap: wrap}
	s.start()
	t.Cleanup(func() { s.Stop() })
	return s
}

// defaultConfig is a test server's configuration before its Options.
func defaultConfig(t testing.TB) config.Config {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.AdminAccessKeyID = AccessKeyID
	cfg.AdminSecretAccessKey = primitive.NewSecret([]byte(SecretAccessKey))
	cfg.SweepInterval = 10 * time.Millisecond
	cfg.LogLevel = "debug"
	cfg.MetricsToken = primitive.NewSecret([]byte(MetricsToken))
	return cfg
}

func (s *Server) start() {
	s.t.Helper()
	if err := s.open(); err != nil {
		s.t.Fatal(err)
	}
}

// open is start answering its error, for starts on other goroutines than
// the test's (StartCluster).
func (s *Server) open() error {
	logger := slog.New(slog.NewTextHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := server.Open(context.Background(), s.Config, server.Options{Clock: s.Clock, Logger: logger, WrapStore: s.wrap})
	if err != nil {
		return fmt.Errorf("server.Open: %w", err)
	}
	ln, err := net.Listen("tcp", s.Config.Listen)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listen: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.Srv, s.cancel, s.done = srv, cancel, make(chan error, 1)
	scheme := "http://"
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if s.Config.TLSEnabled() {
		scheme = "https://"
		ca := srv.CAFile
		if ca == "" {
			ca = s.Config.TLSCert // a given certificate: tests give self-signed ones
		}
		pool := x509.NewCertPool()
		pem, err := os.ReadFile(ca)
		if err != nil || !pool.AppendCertsFromPEM(pem) {
			ln.Close()
			srv.Close()
			cancel()
			s.cancel = nil
			return fmt.Errorf("read CA %s: %v", ca, err)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool}
	}
	s.client = &http.Client{Transport: transport}
	s.URL = scheme + ln.Addr().String()
	go func() { s.done <- srv.Serve(ctx, ln) }()
	return nil
}

// Stop shuts the server down gracefully and waits for it. Stopping a
// stopped server does nothing.
func (s *Server) Stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		s.t.Errorf("server did not stop within 30s")
	}
	// The server recovers a background job's panic and carries on, as it
	// must in production; a test still hears of it, as it would of a
	// panic on the request path.
	if n := s.Srv.BackgroundPanics(); n > 0 && !s.panicsExpected {
		var lines []string
		for line := range strings.SplitSeq(s.Logs.String(), "\n") {
			if strings.Contains(line, "background job panicked") {
				lines = append(lines, line)
			}
		}
		s.t.Errorf("%d background job(s) panicked (recovered by the server):\n%s", n, strings.Join(lines, "\n"))
	}
}

// ExpectBackgroundPanics tells Stop that the test makes background jobs
// panic on purpose; otherwise a panic recovered in one fails the test.
func (s *Server) ExpectBackgroundPanics() { s.panicsExpected = true }

// WaitSweep waits for the sweeper to complete a whole sweep at the clock's
// present time or later: move the clock by at least the sweep interval
// (10 ms unless an Option says otherwise), which fires the sweeper's
// ticker, then call it to see what the sweep did. It fails the test if
// none completes within 30 s of wall time.
func (s *Server) WaitSweep() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Srv.WaitSwept(ctx, s.Clock.Now().UTC()); err != nil {
		s.t.Fatalf("no sweep at %s: %v", s.Clock.Now().UTC(), err)
	}
}

// WaitRotations waits until the rotation engine is idle: every rotation
// RotateSecret started has had its attempt (RotateSecret answers before its
// rotation runs, as in AWS), and none is running. Scheduled rotations run
// in the sweep: move the clock and call WaitSweep. It fails the test if the
// engine is not idle within 30 s of wall time.
func (s *Server) WaitRotations() {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Srv.Secrets().WaitRotations(ctx); err != nil {
		s.t.Fatalf("rotations still running: %v", err)
	}
}

// Restart stops the server and starts it again over the same data folder,
// on a new port.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// AWSConfig is an SDK configuration for region with the admin pair, pointed
// at the server, retrying nothing the server answers (tests want to see
// every error).
func (s *Server) AWSConfig(region string) aws.Config {
	return s.AWSConfigAs(region, aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey})
}

// AWSConfigAs is AWSConfig with other credentials (an IAM user's key, or an
// assumed role's session).
func (s *Server) AWSConfigAs(region string, creds aws.Credentials) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken),
		BaseEndpoint: aws.String(s.URL),
		HTTPClient:   s.client,
		Retryer:      connectionRetryer,
	}
}

// RootCredentials is an access key of the account's root, made the first
// time a test asks by breaking glass (as 'sealbox iam root-credentials'
// does), for the tests of what AWS reserves to the root.
func (s *Server) RootCredentials() aws.Credentials {
	s.t.Helper()
	if s.root.AccessKeyID == "" {
		id, secret, err := s.Srv.CreateRootAccessKey(context.Background(), "sealtest")
		if err != nil {
			s.t.Fatalf("CreateRootAccessKey: %v", err)
		}
		// The boundary: a client signs with the secret as a string.
		s.root = aws.Credentials{AccessKeyID: id, SecretAccessKey: string(secret.Bytes())}
	}
	return s.root
}

// RootConfig is AWSConfig acting as the account's root (RootCredentials).
func (s *Server) RootConfig(region string) aws.Config {
	return s.AWSConfigAs(region, s.RootCredentials())
}

// connectionRetryer tries a call once more, at once, only when the
// connection failed under it ("connection reset", "use of closed network
// connection": the SDK's own reading of a TCP reset, aws-sdk-go-v2#2737),
// which a loaded CI machine showed once in a thousand runs.
func connectionRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 2
		o.Retryables = []retry.IsErrorRetryable{retry.RetryableConnectionError{}}
		o.RateLimiter = ratelimit.None
		o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
	})
}

// IAM is an IAM client with the admin pair.
func (s *Server) IAM() *iam.Client { return iam.NewFromConfig(s.AWSConfig("us-east-1")) }

// STS is an STS client with the admin pair.
func (s *Server) STS() *sts.Client { return sts.NewFromConfig(s.AWSConfig("us-east-1")) }

// KMS is a KMS client for us-east-1.
func (s *Server) KMS() *kms.Client { return s.KMSIn("us-east-1") }

// KMSIn is a KMS client for region.
func (s *Server) KMSIn(region string) *kms.Client { return kms.NewFromConfig(s.AWSConfig(region)) }

// SSM is a Parameter Store (SSM) client for us-east-1 with the admin pair.
func (s *Server) SSM() *ssm.Client { return s.SSMIn("us-east-1") }

// SSMIn is an SSM client for region.
func (s *Server) SSMIn(region string) *ssm.Client { return ssm.NewFromConfig(s.AWSConfig(region)) }

// SecretsManager is a Secrets Manager client for us-east-1 with the admin
// pair.
func (s *Server) SecretsManager() *secretsmanager.Client { return s.SecretsManagerIn("us-east-1") }

// SecretsManagerIn is a Secrets Manager client for region.
func (s *Server) SecretsManagerIn(region string) *secretsmanager.Client {
	return secretsmanager.NewFromConfig(s.AWSConfig(region))
}

// Lambda is a Lambda client for us-east-1 with the admin pair.
func (s *Server) Lambda() *lambda.Client { return s.LambdaIn("us-east-1") }

// LambdaIn is a Lambda client for region.
func (s *Server) LambdaIn(region string) *lambda.Client {
	return lambda.NewFromConfig(s.AWSConfig(region))
}

// Metrics is the server's GET /metrics, asked with MetricsToken.
func (s *Server) Metrics(t testing.TB) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+MetricsToken)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d %s, %v", resp.StatusCode, body, err)
	}
	return string(body)
}

// HTTPClient is a client that trusts the server.
func (s *Server) HTTPClient() *http.Client { return s.client }

// Eventually polls cond every few milliseconds until it holds or timeout
// passes; for what no clock drives and nothing signals (a goroutine
// blocked on a socket, another process). Work the clock drives is waited
// on by moving Clock and then waiting on the work (WaitSweep).
func Eventually(t testing.TB, timeout time.Duration, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cond()
}
