package authz_test

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// stormSessions is how many AssumeRole calls the storm makes.
const stormSessions = 10000

// BenchmarkAssumeRoleStormHeap drives a real server through the SDK: 10,000
// AssumeRole calls, each with its own inline session policy, each session
// then making one call (so its policies are read and compiled). It reports
// how much the heap grew, measured after a GC before and after the storm:
// the authorizer's caches are bounded, so the growth must stay under 20 MB.
// Run it once: go test -run - -bench AssumeRoleStormHeap -benchtime 1x.
func BenchmarkAssumeRoleStormHeap(b *testing.B) {
	for b.Loop() {
		// The sweeper scans every session; with 10,000 of them a sweep in
		// flight holds a few MB for a moment. Keep it out of the figure.
		s := sealtest.Start(b, func(c *config.Config) { c.SweepInterval = time.Hour })
		roleARN := s.NewRole(b, "fn", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","ssm:GetParameter"],"Resource":"*"}]}`, "warm").ARN
		k := sealtest.Must[*iam.CreateAccessKeyOutput](b, "CreateAccessKey")(s.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u-fn")}))
		key := aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
		// Warm up the SDK, the server and the caches before measuring.
		storm(b, s, key, roleARN, 0, 50)
		before := heap()
		storm(b, s, key, roleARN, 50, stormSessions)
		after := heap()
		if p := os.Getenv("STORM_HEAP_PROFILE"); p != "" { // what stays live, for pprof

			f, _ := os.Create(p)
			pprof.WriteHeapProfile(f)
			f.Close()
		}
		grew := float64(int64(after)-int64(before)) / (1 << 20)
		b.ReportMetric(grew, "heap-MB")
		b.ReportMetric(float64(stormSessions), "sessions")
		if grew >= 20 {
			b.Errorf("%d AssumeRole calls with distinct session policies grew the heap by %.1f MB, want < 20 MB", stormSessions, grew)
		}
	}
}

// storm assumes roleARN as key for sessions from to to, four at a time,
// each with a distinct inline session policy, and makes one call with
// each session.
func storm(b *testing.B, s *sealtest.Server, key aws.Credentials, roleARN string, from, to int) {
	b.Helper()
	assumer := sts.NewFromConfig(s.AWSConfigAs("us-east-1", key))
	var wg sync.WaitGroup
	next := make(chan int)
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app/%d"}]}`, i)
				out, err := assumer.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String(fmt.Sprintf("s%d", i)), Policy: aws.String(policy)})
				if err != nil {
					errs <- err
					return
				}
				c := out.Credentials
				as := aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}
				if _, err := sts.NewFromConfig(s.AWSConfigAs("us-east-1", as)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		select {
		case next <- i:
		case err := <-errs:
			close(next)
			wg.Wait()
			b.Fatalf("storm: %v", err)
		}
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatalf("storm: %v", err)
	default:
	}
}

// heap is the live heap after a full collection.
func heap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkDecryptDuringAssumeRoleStormE2E is BenchmarkDecryptDuringAssumeRoleStorm
// through a real server and SDK clients: a warm role session's Decrypt,
// quiet and while two other clients storm AssumeRole (each session making
// one call), in alternating rounds. Client, server and storm share the
// machine's cores, so the ratio includes their competition for CPU, not
// only the authorizer's caches.
func BenchmarkDecryptDuringAssumeRoleStormE2E(b *testing.B) {
	s := sealtest.Start(b, func(c *config.Config) { c.SweepInterval = time.Hour })
	fn := s.NewRole(b, "fn", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt","ssm:GetParameter"],"Resource":"*"}]}`, "warm")
	k := sealtest.Must[*iam.CreateAccessKeyOutput](b, "CreateAccessKey")(s.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u-fn")}))
	key := aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
	c := kms.NewFromConfig(fn.Config(s))
	keyID := sealtest.Must[*kms.CreateKeyOutput](b, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	blob := sealtest.Must[*kms.EncryptOutput](b, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: keyID, Plaintext: []byte("x")})).CiphertextBlob
	op := func() {
		if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob}); err != nil {
			b.Fatal(err)
		}
	}
	for range 100 {
		op()
	}
	const rounds = 10
	per := max(b.N/rounds, 1)
	var quiet, stormy time.Duration
	next := 1000
	b.ResetTimer()
	for range rounds {
		start := time.Now()
		for range per {
			op()
		}
		quiet += time.Since(start)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func(from int) {
			defer wg.Done()
			for i := from; ; i += 10 {
				select {
				case <-stop:
					return
				default:
				}
				storm(b, s, key, fn.ARN, i, i+2)
			}
		}(next)
		next += 1000000
		start = time.Now()
		for range per {
			op()
		}
		stormy += time.Since(start)
		close(stop)
		wg.Wait()
	}
	b.StopTimer()
	n := float64(rounds * per)
	b.ReportMetric(float64(quiet.Nanoseconds())/n, "quiet-ns/op")
	b.ReportMetric(float64(stormy.Nanoseconds())/n, "storm-ns/op")
	b.ReportMetric(float64(stormy)/float64(quiet), "storm/quiet")
}
