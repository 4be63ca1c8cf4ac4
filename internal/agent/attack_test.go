//go:build !fuzzbinary

package agent_test

// An attacker's tests of the agent: what a local process without the
// token, a web page, or a caller asking for less than was cached must not
// get.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/agent"
)

// TestTokenRefusals: without exactly the token in a token header, no
// route but /ping answers, and nothing is asked of the upstream.
func TestTokenRefusals(t *testing.T) {
	h := startAgent(t, nil)
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(h.srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("db"), SecretString: aws.String("never-without-the-token")}))
	path := "/secretsmanager/get?secretId=db"
	for _, c := range []struct {
		name    string
		path    string
		headers http.Header
		want    int
	}{
		{"none", path, nil, 403},
		{"empty", path, http.Header{"X-Aws-Parameters-Secrets-Token": {""}}, 403},
		{"a prefix", path, http.Header{"X-Aws-Parameters-Secrets-Token": {token[:len(token)-1]}}, 403},
		{"longer", path, http.Header{"X-Aws-Parameters-Secrets-Token": {token + "x"}}, 403},
		{"twice, one wrong", path, http.Header{"X-Aws-Parameters-Secrets-Token": {"wrong", token}}, 403},
		{"in the query", path + "&X-Aws-Parameters-Secrets-Token=" + url.QueryEscape(token), nil, 403},
		{"as a bearer", path, http.Header{"Authorization": {"Bearer " + token}}, 403},
		{"the vault header, wrong", path, http.Header{"X-Vault-Token": {"wrong"}}, 403},
		{"forwarded, with the token", path, http.Header{"X-Aws-Parameters-Secrets-Token": {token}, "X-Forwarded-For": {"203.0.113.9"}}, 400},
		{"metrics", "/metrics", nil, 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := h.upstream.count("secretsmanager.GetSecretValue")
			req, _ := http.NewRequest("GET", h.url+c.path, nil)
			for k, v := range c.headers {
				req.Header[k] = v
			}
			resp, err := h.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			buf := make([]byte, 4096)
			for {
				n, err := resp.Body.Read(buf)
				b.Write(buf[:n])
				if err != nil {
					break
				}
			}
			resp.Body.Close()
			if resp.StatusCode != c.want || strings.Contains(b.String(), "never-without-the-token") {
				t.Fatalf("%d %s, want %d without the value", resp.StatusCode, b.String(), c.want)
			}
			if h.upstream.count("secretsmanager.GetSecretValue") != before {
				t.Fatal("a refused request called the upstream")
			}
		})
	}
	if code, body := h.get(t, path); code != 200 || !strings.Contains(body, "never-without-the-token") {
		t.Fatalf("with the token: %d %s", code, body)
	}
}

// TestHostMustNameLoopback: a web page that rebinds its own name to
// 127.0.0.1 reaches the agent with its name in Host (DNS rebinding); the
// agent answers only requests for a loopback name, so such a page cannot
// even try tokens.
func TestHostMustNameLoopback(t *testing.T) {
	h := startAgent(t, nil)
	must[*ssm.PutParameterOutput](t, "PutParameter")(h.srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"),
		Type: ssmtypes.ParameterTypeString, Value: aws.String("v")}))
	_, port, _ := strings.Cut(strings.TrimPrefix(h.url, "http://"), ":")
	for host, want := range map[string]int{
		"evil.example:" + port:        403,
		"evil.example":                403,
		"127.0.0.1.evil.example":      403,
		"localhost.evil.example:2773": 403,
		"10.0.0.1:" + port:            403,
		"127.0.0.1:" + port:           200,
		"localhost:" + port:           200,
		"LOCALHOST:" + port:           200,
		"localhost":                   200,
		"127.0.0.2:" + port:           200,
		"[::1]:" + port:               200,
		"agent.localhost:" + port:     200,
	} {
		req, _ := http.NewRequest("GET", h.url+"/systemsmanager/parameters/get?name=%2Fp", nil)
		req.Host = host
		req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, resp.StatusCode, want)
		}
	}
}

// TestPlainRequestNeverGetsTheDecryptedValue: a SecureString read with
// decryption and cached is not what a request without decryption gets.
func TestPlainRequestNeverGetsTheDecryptedValue(t *testing.T) {
	h := startAgent(t, nil)
	must[*ssm.PutParameterOutput](t, "PutParameter")(h.srv.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/db/pass"),
		Type: ssmtypes.ParameterTypeSecureString, Value: aws.String("plaintext-only-with-decryption")}))
	h.warm(t, "/systemsmanager/parameters/get?name=%2Fdb%2Fpass&withDecryption=true")
	for _, p := range []string{"/systemsmanager/parameters/get?name=%2Fdb%2Fpass", "/systemsmanager/parameters/get?name=%2Fdb%2Fpass&withDecryption=false",
		"/systemsmanager/parameters/get?withDecryption=true&withDecryption=false&name=%2Fdb%2Fpass"} {
		code, body := h.get(t, p)
		if code != 200 || strings.Contains(body, "plaintext-only-with-decryption") {
			t.Fatalf("GET %s: %d %s", p, code, body)
		}
	}
}

// TestRevokedReadIsNotServedPastItsTTL: when the agent's own credentials
// lose a secret (a policy change is no change to the secret, so the feed
// does not evict it), the cached value is served until its TTL and not
// after, not even as a stale value; a refreshNow ends it at once.
func TestRevokedReadIsNotServedPastItsTTL(t *testing.T) {
	h0 := startAgent(t, nil)
	srv := h0.srv
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("mine"), SecretString: aws.String("revoked-value")}))
	creds := createUser(t, srv, "agent-revoked", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)
	for _, refresh := range []bool{false, true} {
		h := startAgent(t, srv, func(s *setup) {
			s.opts.AWS = srv.AWSConfigAs("us-east-1", creds)
			s.opts.Feed = agent.NewSealboxFeed(s.opts.AWS, srv.URL)
		})
		must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(srv.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("agent-revoked"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
		h.warm(t, "/secretsmanager/get?secretId=mine")
		must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(srv.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("agent-revoked"), PolicyName: aws.String("p"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`)}))
		if refresh {
			if code, body := h.get(t, "/secretsmanager/get?secretId=mine&refreshNow=true"); code != 400 || !strings.Contains(body, "AccessDenied") {
				t.Fatalf("refreshNow after the revocation: %d %s", code, body)
			}
		} else {
			h.clock.Advance(agent.Default().SecretsTTL + time.Second)
		}
		code, body := h.get(t, "/secretsmanager/get?secretId=mine")
		if code != 400 || strings.Contains(body, "revoked-value") {
			t.Fatalf("refresh %v: after the revocation: %d %s", refresh, code, body)
		}
	}
}
