package loadgen

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

var adminPair = aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}

func TestRunEveryOpAgainstARealServer(t *testing.T) {
	s := sealtest.Start(t)
	cfg := Config{
		Endpoint:    s.URL,
		Region:      "us-east-1",
		Credentials: adminPair,
		Ops:         KMSOps,
		Concurrency: []int{1, 4},
		Duration:    200 * time.Millisecond,
		Warmup:      30 * time.Millisecond,
	}
	var progressed int
	cfg.Progress = func(Result) { progressed++ }
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Run() err = %v, want nil", err)
	}
	if want := len(KMSOps) * 2; len(rep.Results) != want || progressed != want {
		t.Fatalf("Run() gave %d results and %d progress calls, want %d of each", len(rep.Results), progressed, want)
	}
	for i := range rep.Results {
		r := &rep.Results[i]
		// Ordered by operation, then concurrency.
		if wantOp, wantN := KMSOps[i/2], []int{1, 4}[i%2]; r.Op != wantOp || r.Concurrency != wantN {
			t.Errorf("result %d is %s at %d, want %s at %d", i, r.Op, r.Concurrency, wantOp, wantN)
		}
		p50, p99 := r.Latency.Quantile(0.5), r.Latency.Quantile(0.99)
		t.Logf("%-18s c=%d %8.0f ops/s p50 %v p99 %v", r.Op, r.Concurrency, r.OpsPerSec(), p50, p99)
		if r.Requests <= 0 || r.Errors != 0 {
			t.Errorf("%s at %d: %d requests, %d errors (%v), want > 0 and 0", r.Op, r.Concurrency, r.Requests, r.Errors, r.ErrorKinds)
		}
		if uint64(r.Requests) != r.Latency.Count() {
			t.Errorf("%s at %d: %d requests but %d latencies", r.Op, r.Concurrency, r.Requests, r.Latency.Count())
		}
		if p50 <= 0 || p50 > p99 {
			t.Errorf("%s at %d: p50 %v, p99 %v, want 0 < p50 <= p99", r.Op, r.Concurrency, p50, p99)
		}
		if r.Elapsed < cfg.Duration || r.Elapsed > cfg.Duration+2*time.Second {
			t.Errorf("%s at %d: measured for %v, want about %v", r.Op, r.Concurrency, r.Elapsed, cfg.Duration)
		}
		ratio, ok := rep.Ratio(r)
		switch {
		case !ok:
			t.Errorf("%s at %d: no ratio to the ceiling", r.Op, r.Concurrency)
		case r.Op == Ceiling && ratio != 1:
			t.Errorf("ceiling at %d: ratio %v, want 1", r.Concurrency, ratio)
		case ratio <= 0 || ratio > 3: // signed work beating /healthz threefold is a measuring bug
			t.Errorf("%s at %d: ratio to the ceiling %v, want in (0, 3]", r.Op, r.Concurrency, ratio)
		}
	}
	if rep.CleanupErr != nil {
		t.Errorf("CleanupErr = %v, want nil", rep.CleanupErr)
	}
	// One key of each kind: symmetric, ECC_NIST_P256, RSA_2048, HMAC_256.
	wantSpecs := []types.KeySpec{types.KeySpecSymmetricDefault, types.KeySpecEccNistP256, types.KeySpecRsa2048, types.KeySpecHmac256}
	if len(rep.KeyARNs) != len(wantSpecs) || rep.KeyARN == "" || rep.KeyARNs[0] != rep.KeyARN {
		t.Fatalf("Run() made keys %q (symmetric %q), want %d, the symmetric one first", rep.KeyARNs, rep.KeyARN, len(wantSpecs))
	}
	for i, arn := range rep.KeyARNs {
		out, err := s.KMS().DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(arn)})
		if err != nil {
			t.Fatalf("DescribeKey(bench key %q): %v", arn, err)
		}
		if got := out.KeyMetadata.KeySpec; got != wantSpecs[i] {
			t.Errorf("bench key %d is %s, want %s", i, got, wantSpecs[i])
		}
		if got := out.KeyMetadata.KeyState; got != types.KeyStatePendingDeletion {
			t.Errorf("bench key %s (%s) state after the run = %s, want PendingDeletion", arn, wantSpecs[i], got)
		}
	}
}

// TestSetupMakesOnlyTheKeysNeeded: the asymmetric and HMAC operations make
// no symmetric key, and verify's signatures check.
func TestSetupMakesOnlyTheKeysNeeded(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	c, err := newClient(Config{Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ops   []Op
		kinds []keyKind
	}{
		{[]Op{Ceiling, GenerateRandom}, nil},
		{[]Op{VerifyRSA2048}, []keyKind{rsaKey}},
		{[]Op{GenerateMac, SignECCP256, VerifyECCP256}, []keyKind{eccKey, hmacKey}},
		{[]Op{Decrypt, SignRSA2048}, []keyKind{symmetricKey, rsaKey}},
	} {
		fx, err := c.setup(ctx, tc.ops)
		if err != nil {
			t.Fatalf("setup(%v): %v", tc.ops, err)
		}
		arns := fx.keyARNs()
		if len(arns) != len(tc.kinds) {
			t.Errorf("setup(%v) made %d keys, want %d", tc.ops, len(arns), len(tc.kinds))
		}
		for _, k := range tc.kinds {
			if fx.keys[k] == "" {
				t.Errorf("setup(%v) made no key of kind %d", tc.ops, k)
			}
		}
		for k, sig := range fx.sigs {
			out, err := s.KMS().Verify(ctx, &kms.VerifyInput{KeyId: aws.String(fx.keys[k]), Message: plaintext, Signature: sig,
				MessageType: types.MessageTypeRaw, SigningAlgorithm: types.SigningAlgorithmSpec(k.signingAlgorithm())})
			if err != nil || !out.SignatureValid {
				t.Errorf("Verify(set-up's signature with key kind %d) = %v, want valid", k, err)
			}
		}
		if err := c.cleanup(arns); err != nil {
			t.Errorf("cleanup(%v): %v", tc.ops, err)
		}
	}
}

func TestRunWithAWrongSecretFails(t *testing.T) {
	s := sealtest.Start(t)
	wrong := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: "not-the-secret"}
	cfg := Config{
		Endpoint:    s.URL,
		Region:      "us-east-1",
		Credentials: wrong,
		Concurrency: []int{1},
		Duration:    50 * time.Millisecond,
	}

	t.Run("set-up", func(t *testing.T) {
		cfg := cfg
		cfg.Ops = []Op{Ceiling, Encrypt}
		rep, err := Run(context.Background(), cfg)
		if err == nil || !strings.Contains(err.Error(), "failed to create the bench key") || !strings.Contains(err.Error(), "Signature") {
			t.Fatalf("Run() err = %v, want the key creation refused for its signature", err)
		}
		if rep != nil && len(rep.Results) != 0 {
			t.Errorf("Run() measured %d cells after a failed set-up, want none", len(rep.Results))
		}
	})
	t.Run("requests", func(t *testing.T) {
		cfg := cfg
		cfg.Ops = []Op{Ceiling, GenerateRandom}
		cfg.Concurrency = []int{1, 2}
		rep, err := Run(context.Background(), cfg)
		if !errors.Is(err, ErrRequestsFailed) {
			t.Fatalf("Run() err = %v, want ErrRequestsFailed", err)
		}
		if rep == nil || rep.Errors() == 0 {
			t.Fatalf("Run() report = %+v, want errors counted", rep)
		}
		if len(rep.Results) != 2 {
			t.Errorf("Run() measured %d cells, want 2: it stops at the first cell where everything failed", len(rep.Results))
		}
		r := rep.Results[len(rep.Results)-1]
		if r.Op != GenerateRandom || r.Requests != 0 || len(r.ErrorKinds) == 0 || !strings.Contains(r.ErrorKinds[0].Message, "HTTP 4") {
			t.Errorf("last result = %s with %d requests and errors %v, want generate-random with 0 and an HTTP 4xx", r.Op, r.Requests, r.ErrorKinds)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	good := Config{Endpoint: "http://127.0.0.1:8777", Region: "us-east-1", Credentials: adminPair, Ops: DefaultOps, Concurrency: []int{1}, Duration: time.Second}
	if err := good.Validate(); err != nil {
		t.Fatalf("Validate(good) = %v, want nil", err)
	}
	for name, change := range map[string]func(*Config){
		"ftp endpoint":     func(c *Config) { c.Endpoint = "ftp://127.0.0.1" },
		"endpoint path":    func(c *Config) { c.Endpoint = "http://127.0.0.1:8777/kms" },
		"no region":        func(c *Config) { c.Region = "" },
		"no secret":        func(c *Config) { c.Credentials.SecretAccessKey = "" },
		"unknown op":       func(c *Config) { c.Ops = []Op{"sign"} },
		"zero concurrency": func(c *Config) { c.Concurrency = []int{0} },
		"zero duration":    func(c *Config) { c.Duration = 0 },
		"negative warm-up": func(c *Config) { c.Warmup = -time.Second },
		"no concurrencies": func(c *Config) { c.Concurrency = nil },
		"no operations":    func(c *Config) { c.Ops = nil },
		"repeated op":      func(c *Config) { c.Ops = []Op{Encrypt, Encrypt} },
		"repeated level":   func(c *Config) { c.Concurrency = []int{4, 4} },
	} {
		c := good
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("Validate(%s) = nil, want an error", name)
		}
	}
	ceilingOnly := good
	ceilingOnly.Ops, ceilingOnly.Credentials = []Op{Ceiling}, aws.Credentials{}
	if err := ceilingOnly.Validate(); err != nil {
		t.Errorf("Validate(ceiling only, no credentials) = %v, want nil", err)
	}
}

func TestParseOps(t *testing.T) {
	got, err := ParseOps(" ceiling, decrypt,,decrypt ")
	if err != nil || len(got) != 2 || got[0] != Ceiling || got[1] != Decrypt {
		t.Errorf(`ParseOps(" ceiling, decrypt,,decrypt ") = %v, %v; want [ceiling decrypt], nil`, got, err)
	}
	for _, bad := range []string{"", ",", "encrypt,sign"} {
		if _, err := ParseOps(bad); err == nil {
			t.Errorf("ParseOps(%q) err = nil, want an error", bad)
		}
	}
}

// BenchmarkServerDecrypt drives a real in-process server with signed
// Decrypt requests on 4 connections: run it with -cpuprofile to see where
// the server spends its time (focus on net/http.(*conn).serve).
func BenchmarkServerDecrypt(b *testing.B) {
	benchmarkServer(b, Decrypt)
}

// BenchmarkServerCeiling is the same for GET /healthz.
func BenchmarkServerCeiling(b *testing.B) {
	benchmarkServer(b, Ceiling)
}

// BenchmarkServerDecryptAsRole is BenchmarkServerDecrypt as an assumed
// role, decided through the key policy's delegation and the role's policy.
func BenchmarkServerDecryptAsRole(b *testing.B) {
	benchmarkServerAs(b, Decrypt, true)
}

func benchmarkServer(b *testing.B, op Op) { benchmarkServerAs(b, op, false) }

func benchmarkServerAs(b *testing.B, op Op, asRole bool) {
	s := sealtest.Start(b)
	cfg := Config{Endpoint: s.URL, Region: "us-east-1", Credentials: adminPair}
	if asRole {
		creds, _, err := AssumeRole(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		cfg.Credentials = creds
	}
	c, err := newClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	fx, err := c.setup(context.Background(), []Op{op})
	if err != nil {
		b.Fatal(err)
	}
	rq, err := prepare(op, fx)
	if err != nil {
		b.Fatal(err)
	}
	const conns = 4
	t := c.transport(conns)
	defer t.CloseIdleConnections()
	hc := newHTTPClient(t)
	b.SetParallelism(max(1, conns/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.send(context.Background(), hc, &rq, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkServerGetSecretValue is BenchmarkServerDecrypt for Secrets
// Manager's GetSecretValue of a 1 KiB secret.
func BenchmarkServerGetSecretValue(b *testing.B) {
	benchmarkServer(b, GetSecretValue)
}
