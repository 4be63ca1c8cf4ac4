//go:build !fuzzbinary

package agent_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestPrefetch loads every kind of prefetch item before the first answer:
// afterwards every one of them is a cache hit, with no upstream call.
func TestPrefetch(t *testing.T) {
	srv := sealtest.Start(t)
	sm, ps := srv.SecretsManager(), srv.SSM()
	secret := func(name, value string, tags ...smtypes.Tag) {
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value), Tags: tags}))
	}
	param := func(name, value string, typ ssmtypes.ParameterType, tags ...ssmtypes.Tag) {
		must[*ssm.PutParameterOutput](t, "PutParameter")(ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Type: typ, Value: aws.String(value), Tags: tags}))
	}
	blue := smtypes.Tag{Key: aws.String("team"), Value: aws.String("blue")}
	secret("prod/db", "db")
	secret("prod/api", "api")
	secret("production-x", "not under prod/")
	secret("tagged/one", "t1", blue)
	secret("tagged/two", "t2", smtypes.Tag{Key: aws.String("team"), Value: aws.String("red")})
	param("/app/prod/url", "u", ssmtypes.ParameterTypeString)
	param("/app/prod/deep/pass", "deep", ssmtypes.ParameterTypeSecureString)
	param("/app/other", "o", ssmtypes.ParameterTypeString)
	param("/feature/flag", "on", ssmtypes.ParameterTypeString, ssmtypes.Tag{Key: aws.String("env"), Value: aws.String("prod")})
	param("/feature/other", "off", ssmtypes.ParameterTypeString, ssmtypes.Tag{Key: aws.String("env"), Value: aws.String("dev")})
	must[*ssm.PutParameterOutput](t, "PutParameter")(ps.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/other"), Type: ssmtypes.ParameterTypeString, Value: aws.String("o2"), Overwrite: aws.Bool(true)}))

	items, err := agent.ParsePrefetch("secret-prefix:prod/,secret-tag:team=blue,secret:production-x,param-path:/app/prod/,param-tag:env=prod,param:/app/other:1")
	if err != nil {
		t.Fatal(err)
	}
	h := startAgent(t, srv, noFeed, func(s *setup) { s.cfg.Prefetch = items })
	if n := h.metric(t, "sealbox_agent_prefetched_items"); n != 8 {
		t.Fatalf("prefetched items = %v, want 8", n)
	}
	before := h.upstream.count("secretsmanager.GetSecretValue") + h.upstream.count("AmazonSSM.GetParameter")
	q := url.QueryEscape
	for _, c := range []struct{ path, want string }{
		{"/secretsmanager/get?secretId=prod/db", "db"},
		{"/secretsmanager/get?secretId=prod/api", "api"},
		{"/v1/production-x", "not under prod/"},
		{"/secretsmanager/get?secretId=tagged/one", "t1"},
		{"/systemsmanager/parameters/get?name=" + q("/app/prod/url"), "u"},
		{"/systemsmanager/parameters/get?name=" + q("/app/prod/url") + "&withDecryption=true", "u"},
		{"/systemsmanager/parameters/get?name=" + q("/app/prod/deep/pass") + "&withDecryption=true", "deep"},
		{"/systemsmanager/parameters/get?name=" + q("/feature/flag"), "on"},
		{"/systemsmanager/parameters/get?name=" + q("/app/other") + "&version=1", "o"},
	} {
		pick := secretString
		if strings.HasPrefix(c.path, "/systemsmanager") {
			pick = parameterValue
		}
		within(t, h, time.Now(), 0, c.path, c.want, pick)
	}
	if after := h.upstream.count("secretsmanager.GetSecretValue") + h.upstream.count("AmazonSSM.GetParameter"); after != before {
		t.Fatalf("%d upstream calls after the prefetch, want none", after-before)
	}
	// What the lists left out was not fetched.
	for _, p := range []string{"/secretsmanager/get?secretId=tagged/two", "/systemsmanager/parameters/get?name=" + q("/feature/other")} {
		h.get(t, p)
	}
	if after := h.upstream.count("secretsmanager.GetSecretValue") + h.upstream.count("AmazonSSM.GetParameter"); after != before+2 {
		t.Fatalf("tagged/two and /feature/other: %d upstream calls, want 2", after-before)
	}
}

// TestPrefetchStaysReady: with the feed, a prefetched item that changes
// is fetched again at once, so it is still a hit when next read.
func TestPrefetchStaysReady(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "ready/s", "v1")
	h := startAgent(t, srv, func(s *setup) { s.cfg.Prefetch = []agent.PrefetchItem{{Kind: "secret", Value: "ready/s"}} })
	p := "/secretsmanager/get?secretId=ready/s"
	h.warm(t, p)
	calls := h.upstream.count("secretsmanager.GetSecretValue")
	start := time.Now()
	putSecret(t, srv, "ready/s", "v2")
	// Wait for the reload, without reading through the agent.
	if !sealtest.Eventually(t, pushed, func() bool { return h.upstream.count("secretsmanager.GetSecretValue") > calls }) {
		t.Fatalf("the prefetched secret was not fetched again after it changed")
	}
	h.warm(t, p)
	within(t, h, start, pushed, p, "v2", secretString)
}

// TestPrefetchFailure: an item that cannot be loaded is logged and the
// agent starts all the same.
func TestPrefetchFailure(t *testing.T) {
	srv := sealtest.Start(t)
	newSecret(t, srv, "ok", "fine")
	h := startAgent(t, srv, noFeed, func(s *setup) {
		s.cfg.Prefetch = []agent.PrefetchItem{{Kind: "secret", Value: "ok"}, {Kind: "secret", Value: "missing"}, {Kind: "param-path", Value: "/none/"}}
	})
	if !strings.Contains(h.logs.String(), `msg="prefetch failed" service=secretsmanager id=missing code=ResourceNotFoundException`) {
		t.Fatalf("the failed prefetch is not logged:\n%s", h.logs.String())
	}
	within(t, h, time.Now(), 0, "/secretsmanager/get?secretId=ok", "fine", secretString)
	if n := h.metric(t, `sealbox_agent_cache_hits_total{service="secretsmanager"}`); n != 1 {
		t.Fatalf("hits = %v, want 1", n)
	}
}
