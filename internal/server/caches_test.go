package server_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// Every cache in the server is registered by name (an internal/cache.Cache,
// or keyring's blob keys, registered with cache.Register):
// this is the list. A new cache that is not one of these, or one that is
// unbounded or follows no feed without saying why, is noticed here.
func TestEveryCacheIsOneOfThese(t *testing.T) {
	s := sealtest.Start(t)
	want := map[string]string{ // name → the feed prefix it follows, or "local"
		"authz/documents":   "local",
		"authz/principals":  "iam/",
		"identity/keys":     "iam/",
		"identity/keyuses":  "local",
		"identity/policies": "iam/",
		"keyring/blobkeys":  "keyring/",
		"keyring/material":  "keyring/",
		"records/fn":        "fn/",
		"records/kms":       "kms/",
		"records/sm":        "sm/",
		"records/ssm":       "ssm/",
	}
	got := s.Srv.Caches()
	seen := map[string]bool{}
	for _, c := range got {
		seen[c.Name] = true
		follows, ok := want[c.Name]
		switch {
		case !ok:
			t.Errorf("cache %q is not in the list: add it here, with what invalidates it", c.Name)
		case countNamed(got, c.Name) > 1:
			t.Errorf("cache %q is registered %d times", c.Name, countNamed(got, c.Name))
		case follows == "local" && (c.Local == "" || c.Prefix != ""):
			t.Errorf("cache %q: Prefix %q, Local %q; want no feed, with a reason", c.Name, c.Prefix, c.Local)
		case follows != "local" && c.Prefix != follows:
			t.Errorf("cache %q follows %q, want %q", c.Name, c.Prefix, follows)
		}
		if c.Size <= 0 || c.Stats.Len > c.Size {
			t.Errorf("cache %q holds %d of %d: want a positive bound it keeps", c.Name, c.Stats.Len, c.Size)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("cache %q is not registered", name)
		}
	}
}

func countNamed(infos []cache.Info, name string) int {
	n := 0
	for _, c := range infos {
		if c.Name == name {
			n++
		}
	}
	return n
}

func cacheStats(t *testing.T, s *sealtest.Server, name string) cache.Stats {
	t.Helper()
	for _, c := range s.Srv.Caches() {
		if c.Name == name {
			return c.Stats
		}
	}
	t.Fatalf("no cache %q", name)
	return cache.Stats{}
}

// A write answered by the server drops what each cache held of it, through
// the server's own change feed: the next read serves the new value.
func TestWritesInvalidateTheCaches(t *testing.T) {
	s := sealtest.Start(t)

	t.Run("records/ssm", func(t *testing.T) {
		c := s.SSM()
		put := func(v string) {
			if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/cache/p"), Value: aws.String(v), Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)}); err != nil {
				t.Fatal(err)
			}
		}
		get := func() string {
			out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/cache/p")})
			if err != nil {
				t.Fatal(err)
			}
			return *out.Parameter.Value
		}
		put("one")
		get()
		before := cacheStats(t, s, "records/ssm")
		if get() != "one" || cacheStats(t, s, "records/ssm").Hits == before.Hits {
			t.Fatalf("the second GetParameter did not hit the cache")
		}
		put("two")
		if got := get(); got != "two" {
			t.Fatalf("GetParameter after PutParameter = %q, want two", got)
		}
		if cacheStats(t, s, "records/ssm").Invalidations == before.Invalidations {
			t.Errorf("PutParameter invalidated nothing")
		}
	})

	t.Run("records/sm", func(t *testing.T) {
		c := s.SecretsManager()
		if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("cache/s"), SecretString: aws.String("one")}); err != nil {
			t.Fatal(err)
		}
		get := func() string {
			out, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("cache/s")})
			if err != nil {
				t.Fatal(err)
			}
			return *out.SecretString
		}
		get()
		before := cacheStats(t, s, "records/sm")
		if get() != "one" || cacheStats(t, s, "records/sm").Hits == before.Hits {
			t.Fatalf("the second GetSecretValue did not hit the cache")
		}
		if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("cache/s"), SecretString: aws.String("two")}); err != nil {
			t.Fatal(err)
		}
		if got := get(); got != "two" {
			t.Fatalf("GetSecretValue after PutSecretValue = %q, want two", got)
		}
		if cacheStats(t, s, "records/sm").Invalidations == before.Invalidations {
			t.Errorf("PutSecretValue invalidated nothing")
		}
	})

	t.Run("records/kms", func(t *testing.T) {
		c := s.KMS()
		key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatal(err)
		}
		id := key.KeyMetadata.KeyId
		for range 2 {
			if _, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
		before := cacheStats(t, s, "records/kms")
		if _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")}); apiCode(err) != "DisabledException" {
			t.Fatalf("Encrypt under a key just disabled = %v, want DisabledException", err)
		}
		if cacheStats(t, s, "records/kms").Invalidations == before.Invalidations {
			t.Errorf("DisableKey invalidated nothing")
		}
	})

	t.Run("identity/keys", func(t *testing.T) {
		c := s.IAM()
		if _, err := c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("cachy")}); err != nil {
			t.Fatal(err)
		}
		k, err := c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("cachy")})
		if err != nil {
			t.Fatal(err)
		}
		as := iam.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}))
		for range 2 { // signed, so looked up; denied, which is enough
			as.ListUsers(ctx, &iam.ListUsersInput{})
		}
		before := cacheStats(t, s, "identity/keys")
		if _, err := c.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("cachy"), AccessKeyId: k.AccessKey.AccessKeyId, Status: "Inactive"}); err != nil {
			t.Fatal(err)
		}
		if _, err := as.ListUsers(ctx, &iam.ListUsersInput{}); apiCode(err) != "InvalidClientTokenId" {
			t.Fatalf("a call signed with a key just made inactive = %v, want InvalidClientTokenId", err)
		}
		if cacheStats(t, s, "identity/keys").Invalidations == before.Invalidations {
			t.Errorf("UpdateAccessKey invalidated nothing")
		}
	})

	// Every cache's counters are at GET /metrics.
	body := s.Metrics(t)
	for _, want := range []string{`sealbox_cache_invalidations_total{cache="records/ssm"} `, `sealbox_cache_hits_total{cache="identity/keys"} `,
		`sealbox_cache_evictions_total{cache="keyring/material"} `, "sealbox_authz_policy_cache_hits_total "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("GET /metrics lacks %q:\n%s", want, body)
		}
	}
}
