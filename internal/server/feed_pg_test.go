package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/sealbox/sealbox/internal/changes/client"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// sharedServers starts n servers on one PostgreSQL database (one root key
// file), one after the other, and waits until each follows the change
// log.
func sharedServers(t *testing.T, n int) (*pgtest.Cluster, []*sealtest.Server) {
	t.Helper()
	pg := pgtest.Start(t, pgtest.Options{})
	dbURL := pg.CreateDatabase("feed", "feed-pass")
	rootKey := filepath.Join(t.TempDir(), "root.key")
	var out []*sealtest.Server
	for range n {
		s := sealtest.Start(t, func(c *config.Config) {
			c.Store = config.StoreURL(dbURL)
			c.RootKeyFile = rootKey
		})
		waitCurrent(t, s, true)
		out = append(out, s)
	}
	return pg, out
}

func waitCurrent(t *testing.T, s *sealtest.Server, current bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Srv.Feed().WaitCurrent(ctx, current); err != nil {
		t.Fatalf("the change feed did not become current=%v: %v", current, err)
	}
}

// soon checks a read on another server right after a write was answered:
// it reports whether the first read already saw the write, and fails the
// test if none did within a second (the aim is 100 ms at p99; see
// TestFeedPropagation).
func soon(t *testing.T, what string, check func() error) (first bool) {
	t.Helper()
	err := check()
	if err == nil {
		return true
	}
	start := time.Now()
	for time.Since(start) < time.Second {
		if err = check(); err == nil {
			t.Logf("%s: the first read was stale, one %v later saw the write", what, time.Since(start).Round(100*time.Microsecond))
			return false
		}
		time.Sleep(time.Millisecond) // polling another server: there is no signal to wait on
	}
	t.Fatalf("%s: still %v a second after the write was answered", what, err)
	return false
}

// A write answered by server A is what server B answers next, though B
// had cached the old value: parameters, secret values, key state and
// identity policies.
func TestFeedWriteOnAReadOnB(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	_, srv := sharedServers(t, 2)
	a, b := srv[0], srv[1]
	ctx := context.Background()
	firsts, reads := 0, 0
	read := func(what string, check func() error) {
		t.Helper()
		reads++
		if soon(t, what, check) {
			firsts++
		}
	}

	// Parameters.
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v1"), Type: "String"}))(t, "PutParameter")
	getParam := func(want string) func() error {
		return func() error {
			p, err := b.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")})
			if err != nil {
				return err
			}
			if *p.Parameter.Value != want {
				return fmt.Errorf("value %q, want %q", *p.Parameter.Value, want)
			}
			return nil
		}
	}
	read("GetParameter on B (warming)", getParam("v1"))
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v2"), Overwrite: aws.Bool(true)}))(t, "PutParameter")
	read("GetParameter on B after PutParameter on A", getParam("v2"))

	// Secret values.
	sealtest.OK(a.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/s"), SecretString: aws.String("s1")}))(t, "CreateSecret")
	getSecret := func(want string) func() error {
		return func() error {
			v, err := b.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
			if err != nil {
				return err
			}
			if *v.SecretString != want {
				return errors.New("a stale secret value")
			}
			return nil
		}
	}
	read("GetSecretValue on B (warming)", getSecret("s1"))
	sealtest.OK(a.SecretsManager().PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("app/s"), SecretString: aws.String("s2")}))(t, "PutSecretValue")
	read("GetSecretValue on B after PutSecretValue on A", getSecret("s2"))

	// Key state.
	key := sealtest.OK(a.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))(t, "CreateKey")
	encrypt := func(wantCode string) func() error {
		return func() error {
			_, err := b.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("x")})
			if got := apiCode(err); got != wantCode {
				return fmt.Errorf("Encrypt = %v, want code %q", err, wantCode)
			}
			return nil
		}
	}
	read("Encrypt on B (warming)", encrypt(""))
	sealtest.OK(a.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: key.KeyMetadata.KeyId}))(t, "DisableKey")
	read("Encrypt on B after DisableKey on A", encrypt((&kmstypes.DisabledException{}).ErrorCode()))
	sealtest.OK(a.KMS().EnableKey(ctx, &kms.EnableKeyInput{KeyId: key.KeyMetadata.KeyId}))(t, "EnableKey")
	read("Encrypt on B after EnableKey on A", encrypt(""))

	// Identity policies: what B authorizes.
	sealtest.OK(a.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("reader")}))(t, "CreateUser")
	ak := sealtest.OK(a.IAM().CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("reader")}))(t, "CreateAccessKey")
	asReader := ssm.NewFromConfig(b.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *ak.AccessKey.AccessKeyId, SecretAccessKey: *ak.AccessKey.SecretAccessKey}))
	readerGets := func(wantCode string) func() error {
		return func() error {
			_, err := asReader.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")})
			if got := apiCode(err); got != wantCode {
				return fmt.Errorf("GetParameter as reader = %v, want code %q", err, wantCode)
			}
			return nil
		}
	}
	read("GetParameter as reader on B, no policy (warming)", readerGets("AccessDeniedException"))
	policy := sealtest.Allow("ssm:GetParameter")
	sealtest.OK(a.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("read"), PolicyDocument: &policy}))(t, "PutUserPolicy")
	read("GetParameter as reader on B after PutUserPolicy on A", readerGets(""))
	sealtest.OK(a.IAM().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("reader"), PolicyName: aws.String("read")}))(t, "DeleteUserPolicy")
	read("GetParameter as reader on B after DeleteUserPolicy on A", readerGets("AccessDeniedException"))
	t.Logf("%d of %d reads on B right after A answered saw the write at the first try", firsts, reads)
}

// TestFeedPropagation measures how long after server A answered a write
// server B answers the new value: 200 PutParameter on A, each followed by
// GetParameter on B until it answers the new value.
func TestFeedPropagation(t *testing.T) {
	if testing.Short() {
		t.Skip("measures 200 writes")
	}
	_, srv := sharedServers(t, 2)
	a, b := srv[0], srv[1]
	ctx := context.Background()
	name := aws.String("/bench/p")
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("0"), Type: "String"}))(t, "PutParameter")
	var took []time.Duration
	stale := 0
	for i := 1; i <= 200; i++ {
		want := strconv.Itoa(i)
		sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String(want), Overwrite: aws.Bool(true)}))(t, "PutParameter")
		answered := time.Now()
		for tries := 0; ; tries++ {
			p, err := b.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: name})
			if err != nil {
				t.Fatalf("GetParameter on B: %v", err)
			}
			if *p.Parameter.Value == want {
				took = append(took, time.Since(answered))
				if tries > 0 {
					stale++
				}
				break
			}
			if time.Since(answered) > 5*time.Second {
				t.Fatalf("B still answers %q 5 s after A answered %q", *p.Parameter.Value, want)
			}
		}
	}
	slices.Sort(took)
	p50, p99 := took[len(took)/2], took[len(took)*99/100]
	t.Logf("propagation A→B over %d writes: p50 %v, p99 %v, max %v; %d first reads on B were stale", len(took), p50, p99, took[len(took)-1], stale)
	// The aim is 100 ms; this loaded test machine is held to a second.
	if p99 > time.Second {
		t.Errorf("p99 %v: want under a second", p99)
	}
}

var cacheHits = regexp.MustCompile(`(?m)^sealbox_cache_hits_total\{[^}]*\} (\d+)$`)

func hits(t *testing.T, s *sealtest.Server) int {
	t.Helper()
	n := 0
	for _, m := range cacheHits.FindAllStringSubmatch(s.Metrics(t), -1) {
		v, _ := strconv.Atoi(m[1])
		n += v
	}
	return n
}

func feedReadyz(t *testing.T, s *sealtest.Server) int {
	t.Helper()
	resp, err := s.HTTPClient().Get(s.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// While B's feed connection is down B serves nothing from its caches (it
// reads the store, so it answers A's writes) and is not ready; once it is
// back it caught up, is ready and serves from its caches again.
func TestFeedDownBypassesCaches(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	pg, srv := sharedServers(t, 2)
	a, b := srv[0], srv[1]
	ctx := context.Background()
	name := aws.String("/app/down")
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v1"), Type: "String"}))(t, "PutParameter")
	get := func() string {
		t.Helper()
		p := sealtest.OK(b.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: name}))(t, "GetParameter on B")
		return *p.Parameter.Value
	}
	soon(t, "GetParameter on B", func() error {
		if get() != "v1" {
			return errors.New("stale")
		}
		return nil
	})
	get() // cached now
	if code := feedReadyz(t, b); code != http.StatusOK {
		t.Fatalf("/readyz on B = %d before the feed is cut, want 200", code)
	}

	release := b.Srv.Feed().Hold() // B does not reconnect until released
	pg.Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sealbox-feed'")
	waitCurrent(t, b, false)
	if code := feedReadyz(t, b); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz on B while its feed is down = %d, want 503", code)
	}
	if !regexp.MustCompile(`(?m)^sealbox_feed_connected 0$`).MatchString(b.Metrics(t)) {
		t.Errorf("sealbox_feed_connected on B while its feed is down is not 0")
	}
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Overwrite: aws.Bool(true)}))(t, "PutParameter")
	before := hits(t, b)
	for range 3 {
		if got := get(); got != "v2" {
			t.Fatalf("GetParameter on B with its feed down = %q, want v2: it served its cache", got)
		}
	}
	if after := hits(t, b); after != before {
		t.Errorf("cache hits on B went from %d to %d while its feed was down: want no cache used", before, after)
	}

	release()
	waitCurrent(t, b, true)
	if code := feedReadyz(t, b); code != http.StatusOK {
		t.Errorf("/readyz on B after it reconnected = %d, want 200", code)
	}
	if got := get(); got != "v2" {
		t.Fatalf("GetParameter on B after reconnection = %q, want v2", got)
	}
	before = hits(t, b)
	get()
	if after := hits(t, b); after <= before {
		t.Errorf("cache hits on B after reconnection: %d, then %d; want them to go up", before, after)
	}
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v3"), Overwrite: aws.Bool(true)}))(t, "PutParameter")
	soon(t, "GetParameter on B after reconnection", func() error {
		if get() != "v3" {
			return errors.New("stale")
		}
		return nil
	})
}

// An agent long-polling Sealbox.GetChanges behind a load balancer keeps
// its cursor when the balancer sends it to another server: a cursor from A
// is valid on B, and B's poll answers a write made on A.
func TestFeedCursorAcrossServers(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	_, srv := sharedServers(t, 2)
	a, b := srv[0], srv[1]
	ctx := context.Background()
	var backend atomic.Pointer[url.URL]
	target := func(s *sealtest.Server) {
		u, err := url.Parse(s.URL)
		if err != nil {
			t.Fatal(err)
		}
		backend.Store(u)
	}
	target(a)
	lb := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(backend.Load())
		r.Out.Host = r.In.Host // signed by the client
	}})
	t.Cleanup(lb.Close)

	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/agent/p"), Value: aws.String("v1"), Type: "String"}))(t, "PutParameter")
	c := client.NewClient(a.AWSConfig("us-east-1"), lb.URL)
	c.Wait = 2 * time.Second
	if _, reset, err := c.Next(ctx); err != nil || !reset {
		t.Fatalf("first Next through A = reset %v, %v; want a reset", reset, err)
	}
	target(b)
	sealtest.OK(a.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/agent/p"), Value: aws.String("v2"), Overwrite: aws.Bool(true)}))(t, "PutParameter")
	deadline := time.Now().Add(5 * time.Second)
	for {
		list, reset, err := c.Next(ctx)
		if err != nil || reset {
			t.Fatalf("Next through B with A's cursor = %v, reset %v, %v; want the change, no reset", list, reset, err)
		}
		if len(list) == 1 && list[0].Name == "/agent/p" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Next through B answered %v; want the change to /agent/p", list)
		}
	}
}

// A rotation RotateSecret asked of the server that does not lead is
// started by the leader through the feed, within a second, not at its next
// sweep (the test servers' sweep clocks never move here).
func TestFeedWakesTheLeadersRotations(t *testing.T) {
	_, srv := sharedServers(t, 2)
	leads := regexp.MustCompile(`(?m)^sealbox_leader 1$`)
	var leader, other *sealtest.Server
	if !sealtest.Eventually(t, 10*time.Second, func() bool {
		for i, s := range srv {
			if leads.MatchString(s.Metrics(t)) {
				leader, other = s, srv[1-i]
				return true
			}
		}
		return false
	}) {
		t.Fatal("no server leads")
	}
	// Each test server has a fake clock of its own, none moving: the
	// rotation is due at the asking server's now, and the leader wakes for
	// what is due by its own clock. Not later than the leader's, then.
	if now := leader.Clock.Now(); other.Clock.Now().After(now) {
		other.Clock.Set(now)
	}
	ctx := context.Background()
	sm := other.SecretsManager()
	sealtest.OK(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/rot"), SecretString: aws.String(`{"username":"app","password":"first-pass-0000"}`)}))(t, "CreateSecret")
	asked := time.Now()
	rotated := sealtest.OK(sm.RotateSecret(ctx, &secretsmanager.RotateSecretInput{SecretId: aws.String("app/rot"),
		RotationLambdaARN: aws.String("arn:aws:lambda:us-east-1:123456789012:function:sealbox-generate-password")}))(t, "RotateSecret")
	if !sealtest.Eventually(t, 5*time.Second, func() bool {
		out, err := leader.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/rot")})
		return err == nil && aws.ToString(out.VersionId) == aws.ToString(rotated.VersionId)
	}) {
		t.Fatal("the leader did not rotate the secret within 5 s of RotateSecret on the other server")
	}
	took := time.Since(asked)
	t.Logf("RotateSecret on the server that does not lead: rotated by the leader %v later", took.Round(time.Millisecond))
	if took > time.Second {
		t.Errorf("the rotation took %v: want it started within a second, through the feed", took)
	}
}
