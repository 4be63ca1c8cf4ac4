package server

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/secrets"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// The service layer's hot paths below the router: each benchmark calls a
// service method directly, as the router does once the call is
// authenticated (a sealbox.Request in the context, the authorizer's
// Prepare run), on a real server (bbolt in a temporary folder, the
// barrier, the keyring, the authorizer, the audit trail) as its
// administrator, an IAM user whose policies the authorizer evaluates.

const svcAdminKeyID = "AKIASVCBENCHEXAMPLE1"

type svcFixture struct {
	s    *Server
	base *sealbox.Request // the router's Request, copied for each call
	// key is a symmetric key's ARN; blob a ciphertext under it.
	key  string
	blob []byte
	ec   map[string]string
}

func newSvcFixture(tb testing.TB) *svcFixture {
	tb.Helper()
	// The store's test-only checks (sealtest's, which this test binary
	// links) cost a stack read per transaction and a second run of every
	// Update: no server in production pays them.
	nesting, rerun := boltstore.NestingCheck, boltstore.RerunCheck
	boltstore.NestingCheck, boltstore.RerunCheck = false, false
	tb.Cleanup(func() { boltstore.NestingCheck, boltstore.RerunCheck = nesting, rerun })
	// The collector as `sealbox server` sets it (cli: GOGC=400 unless
	// GOGC is set), so that the figures carry the garbage collection the
	// server does, not four times as much.
	if os.Getenv("GOGC") == "" {
		gc := debug.SetGCPercent(400)
		tb.Cleanup(func() { debug.SetGCPercent(gc) })
	}
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = tb.TempDir()
	cfg.AdminAccessKeyID = svcAdminKeyID
	cfg.AdminSecretAccessKey = primitive.NewSecret([]byte("svcbenchsecretsvcbenchsecretsvcbench0000"))
	cfg.SweepInterval = time.Hour
	s, err := Open(context.Background(), cfg, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	k, err := s.ids.LookupAccessKey(context.Background(), svcAdminKeyID)
	if err != nil {
		tb.Fatal(err)
	}
	f := &svcFixture{s: s, base: &sealbox.Request{ID: "3f2a8a5e-0000-4000-8000-000000000001", Region: "us-east-1",
		Partition: "aws", AccountID: cfg.AccountID, Principal: k.Principal, SourceIP: "127.0.0.1", UserAgent: "bench"}}
	ctx := f.ctx(tb, "kms")
	ck, err := s.kms.CreateKey(ctx, &kms.CreateKeyRequest{})
	if err != nil {
		tb.Fatal(err)
	}
	f.key = ck.KeyMetadata.Arn
	f.ec = map[string]string{"tenant": "acme"}
	enc, err := s.kms.Encrypt(f.ctx(tb, "kms"), &kms.EncryptRequest{KeyId: f.key, Plaintext: make([]byte, 32), EncryptionContext: f.ec})
	if err != nil {
		tb.Fatal(err)
	}
	f.blob = enc.CiphertextBlob
	return f
}

// ctx is a call's context as the router makes it: a fresh Request, and
// the authorizer's Prepare.
func (f *svcFixture) ctx(tb testing.TB, service string) context.Context {
	r := *f.base
	r.Service, r.Time = service, time.Now().UTC()
	return f.prepare(tb, &r)
}

func (f *svcFixture) prepare(tb testing.TB, r *sealbox.Request) context.Context {
	ctx, err := f.s.authz.Prepare(sealbox.NewContext(context.Background(), r))
	if err != nil {
		tb.Fatal(err)
	}
	return ctx
}

// secret makes a secret of 1 KiB, as sealbox bench's are (loadgen), so
// that the in-process figures carry the same value's cost (its decryption,
// copy and JSON escaping: a ten-secret batch answers 11 KB) as the real
// server's.
func (f *svcFixture) secret(tb testing.TB, name string) {
	v := strings.Repeat("s", 1024)
	if _, err := f.s.sm.CreateSecret(f.ctx(tb, "secretsmanager"), &secrets.CreateSecretRequest{Name: name, SecretString: &v}); err != nil {
		tb.Fatal(err)
	}
}

func (f *svcFixture) parameter(tb testing.TB, name string) {
	v := "s3cr3t-value"
	if _, err := f.s.ssm.PutParameter(f.ctx(tb, "ssm"), &parameters.PutParameterRequest{Name: name, Value: &v, Type: "SecureString"}); err != nil {
		tb.Fatal(err)
	}
}

// runParallel runs call at the concurrency of 8 (the router's
// Request made fresh for each call, as it is).
func (f *svcFixture) runParallel(b *testing.B, service string, call func(ctx context.Context) error) {
	f.s.audit.Flush()
	b.ReportAllocs()
	b.SetParallelism(max(1, 8/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := call(f.ctx(b, service)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	// The process's CPU time a call (the server's: its background work,
	// the store sink's writing of the calls' events among it, and garbage
	// collection included), which other load on the machine disturbs less
	// than the wall clock.
	b.StopTimer()
	f.s.audit.Flush()
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkServiceDecrypt(b *testing.B) {
	f := newSvcFixture(b)
	decrypt := kms.Tracked(f.s.kms, "Decrypt", f.s.kms.Decrypt)
	in := &kms.DecryptRequest{CiphertextBlob: f.blob, EncryptionContext: f.ec}
	f.runParallel(b, "kms", func(ctx context.Context) error {
		_, err := decrypt(ctx, in)
		return err
	})
}

func BenchmarkServiceEncrypt(b *testing.B) {
	f := newSvcFixture(b)
	encrypt := kms.Tracked(f.s.kms, "Encrypt", f.s.kms.Encrypt)
	in := &kms.EncryptRequest{KeyId: f.key, Plaintext: make([]byte, 32), EncryptionContext: f.ec}
	f.runParallel(b, "kms", func(ctx context.Context) error {
		_, err := encrypt(ctx, in)
		return err
	})
}

func BenchmarkServiceGenerateDataKey(b *testing.B) {
	f := newSvcFixture(b)
	gdk := kms.Tracked(f.s.kms, "GenerateDataKey", f.s.kms.GenerateDataKey)
	in := &kms.GenerateDataKeyRequest{KeyId: f.key, KeySpec: "AES_256", EncryptionContext: f.ec}
	f.runParallel(b, "kms", func(ctx context.Context) error {
		_, err := gdk(ctx, in)
		return err
	})
}

func BenchmarkServiceGetSecretValue(b *testing.B) {
	f := newSvcFixture(b)
	f.secret(b, "bench/secret-0")
	in := &secrets.GetSecretValueRequest{SecretId: "bench/secret-0"}
	f.runParallel(b, "secretsmanager", func(ctx context.Context) error {
		_, err := f.s.sm.GetSecretValue(ctx, in)
		return err
	})
}

func BenchmarkServiceBatchGetSecretValue10(b *testing.B) {
	f := newSvcFixture(b)
	in := &secrets.BatchGetSecretValueRequest{}
	for i := range 10 {
		name := "bench/secret-" + strconv.Itoa(i)
		f.secret(b, name)
		in.SecretIdList = append(in.SecretIdList, name)
	}
	f.runParallel(b, "secretsmanager", func(ctx context.Context) error {
		out, err := f.s.sm.BatchGetSecretValue(ctx, in)
		if err == nil && (len(out.SecretValues) != 10 || len(out.Errors) != 0) {
			b.Fatalf("BatchGetSecretValue gave %d values and errors %v", len(out.SecretValues), out.Errors)
		}
		return err
	})
}

func BenchmarkServiceGetParameterDecrypted(b *testing.B) {
	f := newSvcFixture(b)
	f.parameter(b, "/bench/param")
	in := &parameters.GetParameterRequest{Name: "/bench/param", WithDecryption: true}
	f.runParallel(b, "ssm", func(ctx context.Context) error {
		_, err := f.s.ssm.GetParameter(ctx, in)
		return err
	})
}
