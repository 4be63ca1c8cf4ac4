package stsapi_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	jose "github.com/go-jose/go-jose/v4"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// webEnv is a server that trusts a real OpenID Connect issuer's TLS, the
// issuer registered as a provider with client id "sts.amazonaws.com", and
// a role "ci" whose trust policy lets the issuer's tokens for subject
// "repo:acme/app:ref:refs/heads/main" assume it.
type webEnv struct {
	srv         *sealtest.Server
	is          *sealtest.Issuer
	providerARN string
	name        string // the provider's name: the issuer URL without https://
	roleARN     string
	anon        *sts.Client // no credentials: the SDK does not sign the call
}

const (
	webSub = "repo:acme/app:ref:refs/heads/main"
	webAud = "sts.amazonaws.com"
)

func webTrust(providerARN, name, sub string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},`+
		`"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{%q:%q,%q:%q}}}]}`,
		providerARN, name+":aud", webAud, name+":sub", sub)
}

func newWebEnv(t *testing.T) *webEnv {
	t.Helper()
	is := sealtest.StartIssuer(t)
	srv := sealtest.Start(t, sealtest.WithOIDCCA(is.CAFile))
	ctx := context.Background()
	p, err := srv.IAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String(is.URL), ClientIDList: []string{webAud}})
	if err != nil {
		t.Fatalf("CreateOpenIDConnectProvider: %v", err)
	}
	e := &webEnv{srv: srv, is: is, providerARN: aws.ToString(p.OpenIDConnectProviderArn), name: strings.TrimPrefix(is.URL, "https://")}
	e.roleARN = e.role(t, "ci", webTrust(e.providerARN, e.name, webSub))
	e.anon = sts.NewFromConfig(aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: srv.HTTPClient()})
	return e
}

// role makes a role with trust that may read secrets named app/*.
func (e *webEnv) role(t *testing.T, name, trust string) string {
	t.Helper()
	ctx := context.Background()
	r, err := e.srv.IAM().CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
	_, err = e.srv.IAM().PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String("read"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:123456789012:secret:app/*"}]}`)})
	if err != nil {
		t.Fatalf("PutRolePolicy %s: %v", name, err)
	}
	return aws.ToString(r.Role.Arn)
}

// claims are a valid token's claims at the server's time, changed by set.
func (e *webEnv) claims(set map[string]any) map[string]any {
	now := e.srv.Clock.Now()
	c := map[string]any{"iss": e.is.URL, "sub": webSub, "aud": webAud,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix()}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (e *webEnv) assume(roleARN, token string) (*sts.AssumeRoleWithWebIdentityOutput, error) {
	return e.anon.AssumeRoleWithWebIdentity(context.Background(), &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String(roleARN), RoleSessionName: aws.String("job-1"), WebIdentityToken: aws.String(token)})
}

// TestWebIdentitySDK: the SDK's own web identity credential provider
// (what EKS's AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN make every SDK
// use) gets a session of the role from a token file, and the session may
// do what the role may, and no more.
func TestWebIdentitySDK(t *testing.T) {
	e := newWebEnv(t)
	ctx := context.Background()
	sm := e.srv.SecretsManager()
	for _, name := range []string{"app/db", "other/db"} {
		if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("s3cret-" + name)}); err != nil {
			t.Fatalf("CreateSecret %s: %v", name, err)
		}
	}
	token := e.is.Sign(t, e.claims(nil))
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token), 0o600); err != nil {
		t.Fatal(err)
	}
	provider := stscreds.NewWebIdentityRoleProvider(e.anon, e.roleARN, stscreds.IdentityTokenFile(tokenFile),
		func(o *stscreds.WebIdentityRoleOptions) { o.RoleSessionName = "pod-7" })
	cfg := aws.Config{Region: "us-east-1", BaseEndpoint: aws.String(e.srv.URL), HTTPClient: e.srv.HTTPClient(),
		Credentials: aws.NewCredentialsCache(provider)}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity as the web identity session: %v", err)
	}
	if got := aws.ToString(who.Arn); got != "arn:aws:sts::123456789012:assumed-role/ci/pod-7" {
		t.Errorf("GetCallerIdentity Arn = %s, want the role session", got)
	}
	smAs := secretsmanager.NewFromConfig(cfg)
	v, err := smAs.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/db")})
	if err != nil || aws.ToString(v.SecretString) != "s3cret-app/db" {
		t.Fatalf("GetSecretValue(app/db) = %v, %v", v, err)
	}
	_, err = smAs.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/db")})
	sealtest.APIError(t, "GetSecretValue(other/db)", err, "AccessDeniedException", 400)

	// The answer's shape.
	out, err := e.assume(e.roleARN, token)
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if aws.ToString(out.SubjectFromWebIdentityToken) != webSub || aws.ToString(out.Audience) != webAud ||
		aws.ToString(out.Provider) != e.providerARN || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/ci/job-1" ||
		!strings.HasSuffix(aws.ToString(out.AssumedRoleUser.AssumedRoleId), ":job-1") || out.Credentials == nil {
		t.Errorf("AssumeRoleWithWebIdentity = %+v", out)
	}
	if want := e.srv.Clock.Now().Add(time.Hour); out.Credentials.Expiration.Sub(want).Abs() > 2*time.Second {
		t.Errorf("Expiration = %v, want about %v (an hour)", out.Credentials.Expiration, want)
	}

	// CloudTrail's record: a WebIdentityUser, the token nowhere.
	var found bool
	for _, ev := range sealtest.AuditEvents(t, e.srv.Dir) {
		if ev["eventName"] != "AssumeRoleWithWebIdentity" {
			continue
		}
		found = true
		ui, _ := ev["userIdentity"].(map[string]any)
		if ui["type"] != "WebIdentityUser" || ui["identityProvider"] != e.providerARN ||
			ui["principalId"] != e.providerARN+":"+webAud+":"+webSub || ui["userName"] != webSub {
			t.Errorf("audit userIdentity = %v", ui)
		}
	}
	if !found {
		t.Error("no AssumeRoleWithWebIdentity audit event")
	}
	sig := token[strings.LastIndexByte(token, '.')+1:]
	for name, text := range map[string]string{"server log": e.srv.Logs.String(), "audit log": auditText(t, e.srv.Dir)} {
		if strings.Contains(text, sig) {
			t.Errorf("the %s holds the web identity token", name)
		}
	}
}

func auditText(t *testing.T, dir string) string {
	var b strings.Builder
	for _, ev := range sealtest.AuditEvents(t, dir) {
		j, _ := json.Marshal(ev)
		b.Write(j)
	}
	return b.String()
}

// TestWebIdentityDenied: every token or trust that must not give a session
// is refused with AWS's error.
func TestWebIdentityDenied(t *testing.T) {
	e := newWebEnv(t)
	ctx := context.Background()
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	otherEC, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	now := e.srv.Clock.Now()
	good := e.claims(nil)
	pubDER, _ := x509.MarshalPKIXPublicKey(&e.is.RSA.PublicKey)

	// Roles whose trust does not let the token in.
	otherSub := e.role(t, "other-sub", webTrust(e.providerARN, e.name, "repo:acme/app:ref:refs/heads/feature"))
	otherProvider := e.role(t, "other-provider", webTrust("arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", "token.actions.githubusercontent.com", webSub))
	otherAccount := e.role(t, "other-account", webTrust(strings.Replace(e.providerARN, "123456789012", "210987654321", 1), e.name, webSub))
	noFederated := e.role(t, "no-federated", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]}]}`)
	anyone := e.role(t, "star", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}`)
	assumeOnly := e.role(t, "assume-only", fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":%q},"Action":"sts:AssumeRole"}]}`, e.providerARN))

	for _, c := range []struct {
		name, role, token, code string
		status                  int
		msg                     string
	}{
		{"bad signature", e.roleARN, tamper(e.is.Sign(t, good)), "InvalidIdentityToken", 400, ""},
		{"key not in the key set", e.roleARN, sealtest.SignToken(t, otherRSA, jose.RS256, "rsa-1", good), "InvalidIdentityToken", 400, ""},
		{"unknown key id", e.roleARN, sealtest.SignToken(t, otherEC, jose.ES256, "nobody", good), "InvalidIdentityToken", 400, ""},
		{"alg none", e.roleARN, unsigned(good), "InvalidIdentityToken", 400, ""},
		{"HS256 with the public key", e.roleARN, sealtest.SignToken(t, pubDER, jose.HS256, "rsa-1", good), "InvalidIdentityToken", 400, ""},
		{"HS256 with the public JWK", e.roleARN, sealtest.SignToken(t, []byte(mustJSON(t, e.is.KeySet().Keys[0])), jose.HS256, "rsa-1", good), "InvalidIdentityToken", 400, ""},
		{"expired", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"exp": now.Add(-10 * time.Minute).Unix()})), "ExpiredTokenException", 400, "Token expired: current date/time"},
		{"no exp", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"exp": nil})), "InvalidIdentityToken", 400, ""},
		{"not yet valid", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"nbf": now.Add(10 * time.Minute).Unix()})), "InvalidIdentityToken", 400, ""},
		{"issued in the future", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"iat": now.Add(10 * time.Minute).Unix()})), "InvalidIdentityToken", 400, ""},
		{"issuer not registered", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"iss": "https://evil.example.com"})), "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for https://evil.example.com"},
		{"issuer with a trailing slash", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"iss": e.is.URL + "/"})), "InvalidIdentityToken", 400, "No OpenIDConnect provider found"},
		{"issuer over http", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"iss": "http://" + e.name})), "InvalidIdentityToken", 400, "No OpenIDConnect provider found"},
		{"audience not a client id", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"aud": "someone-else"})), "InvalidIdentityToken", 400, "Incorrect token audience"},
		{"no subject", e.roleARN, e.is.Sign(t, e.claims(map[string]any{"sub": nil})), "InvalidIdentityToken", 400, ""},
		{"sub condition not met", otherSub, e.is.Sign(t, good), "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"trust names another provider", otherProvider, e.is.Sign(t, good), "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity"},
		{"trust names the provider in another account", otherAccount, e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"role without a Federated trust", noFederated, e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"role trusting * for AssumeRole", anyone, e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"trust allows sts:AssumeRole only", assumeOnly, e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"role that does not exist", "arn:aws:iam::123456789012:role/nobody", e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"role of another account", "arn:aws:iam::210987654321:role/ci", e.is.Sign(t, good), "AccessDenied", 403, ""},
		{"not a JWT", e.roleARN, "not-a-token", "InvalidIdentityToken", 400, ""},
		{"token over the model's limit", e.roleARN, strings.Repeat("a", 20001), "ValidationError", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := e.assume(c.role, c.token)
			if err == nil {
				t.Fatalf("AssumeRoleWithWebIdentity = %+v, want %s", out, c.code)
			}
			msg := sealtest.APIError(t, c.name, err, c.code, c.status)
			if !strings.Contains(msg, c.msg) {
				t.Errorf("message = %q, want it to contain %q", msg, c.msg)
			}
			if len(c.token) > 20 && strings.Contains(msg, c.token[len(c.token)-20:]) {
				t.Errorf("message %q repeats the token", msg)
			}
		})
	}

	// A session policy narrows, never widens: it allows everything, the
	// role only app/*.
	if _, err := e.srv.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("other/x"), SecretString: aws.String("x")}); err != nil {
		t.Fatal(err)
	}
	out, err := e.anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.roleARN), RoleSessionName: aws.String("wide"),
		WebIdentityToken: aws.String(e.is.Sign(t, good)), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with a session policy: %v", err)
	}
	//lint:ignore SA1019 the botocore model this server follows has PackedPolicySize, not the SDK's newer SessionTokenUtilization.
	if out.PackedPolicySize == nil || *out.PackedPolicySize <= 0 {
		t.Errorf("PackedPolicySize = %v, want > 0", out.PackedPolicySize) //lint:ignore SA1019 as above
	}
	c := out.Credentials
	wide := secretsmanager.NewFromConfig(e.srv.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *c.AccessKeyId, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken}))
	_, err = wide.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("other/x")})
	sealtest.APIError(t, "GetSecretValue(other/x) with a wide session policy", err, "AccessDeniedException", 400)
	_, err = e.anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.roleARN), RoleSessionName: aws.String("bad"),
		WebIdentityToken: aws.String(e.is.Sign(t, good)), Policy: aws.String(`{"Statement":[{"Effect":"Allow"}]}`)})
	sealtest.APIError(t, "malformed session policy", err, "MalformedPolicyDocument", 400)
	_, err = e.anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.roleARN), RoleSessionName: aws.String("long"),
		WebIdentityToken: aws.String(e.is.Sign(t, good)), DurationSeconds: aws.Int32(7200)})
	sealtest.APIErrorContaining(t, "DurationSeconds over the role's MaxSessionDuration", err, "ValidationError", 400, "MaxSessionDuration")
	_, err = e.anon.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{RoleArn: aws.String(e.roleARN), RoleSessionName: aws.String("bad name!"),
		WebIdentityToken: aws.String(e.is.Sign(t, good))})
	sealtest.APIError(t, "RoleSessionName with a space", err, "ValidationError", 400)

	// A token that worked stops working once its audience is removed
	// from the provider, and once the provider is deleted.
	token := e.is.Sign(t, good)
	if _, err := e.assume(e.roleARN, token); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity before the client id is removed: %v", err)
	}
	if _, err := e.srv.IAM().RemoveClientIDFromOpenIDConnectProvider(ctx, &iam.RemoveClientIDFromOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(e.providerARN), ClientID: aws.String(webAud)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.assume(e.roleARN, token)
	sealtest.APIErrorContaining(t, "replayed after the client id was removed", err, "InvalidIdentityToken", 400, "Incorrect token audience")
	if _, err := e.srv.IAM().AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: aws.String(e.providerARN), ClientID: aws.String(webAud)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.assume(e.roleARN, token); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity after the client id is back: %v", err)
	}
	if _, err := e.srv.IAM().DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(e.providerARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.assume(e.roleARN, token)
	sealtest.APIErrorContaining(t, "provider deleted after the role was made", err, "InvalidIdentityToken", 400, "No OpenIDConnect provider found")

	// Refusals are recorded too: a token never verified as an Unknown
	// caller, one verified but not trusted as its web identity.
	types := map[string]map[string]bool{}
	for _, ev := range sealtest.AuditEvents(t, e.srv.Dir) {
		if ev["eventName"] != "AssumeRoleWithWebIdentity" {
			continue
		}
		code, _ := ev["errorCode"].(string)
		ui, _ := ev["userIdentity"].(map[string]any)
		typ, _ := ui["type"].(string)
		if types[code] == nil {
			types[code] = map[string]bool{}
		}
		types[code][typ] = true
	}
	if !types["InvalidIdentityToken"]["Unknown"] || !types["AccessDenied"]["WebIdentityUser"] || len(types["AccessDenied"]) != 1 {
		t.Errorf("audited refusals by error code and userIdentity type: %v", types)
	}
	if auditText(t, e.srv.Dir) == "" || strings.Contains(auditText(t, e.srv.Dir), tamper(e.is.Sign(t, good))[:40]) {
		t.Error("the audit trail is empty, or holds a token")
	}
}

// tamper flips one bit of the token's signature.
func tamper(token string) string {
	i := strings.LastIndexByte(token, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(token[i+1:])
	sig[len(sig)/2] ^= 1
	return token[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
}

// unsigned is claims as an "alg":"none" token.
func unsigned(claims map[string]any) string {
	h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT","kid":"rsa-1"}`))
	p, _ := json.Marshal(claims)
	return h + "." + base64.RawURLEncoding.EncodeToString(p) + "."
}

func mustJSON(t *testing.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWebIdentityIssuerFailures: an issuer whose keys cannot be had is
// IDPCommunicationError, in bounded time and memory; and its keys are
// fetched once, not once a token.
func TestWebIdentityIssuerFailures(t *testing.T) {
	e := newWebEnv(t)
	token := e.is.Sign(t, e.claims(nil))
	if _, err := e.assume(e.roleARN, token); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	if _, err := e.assume(e.roleARN, e.is.Sign(t, e.claims(nil))); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity again: %v", err)
	}
	if n := e.is.KeyFetches.Load(); n != 1 {
		t.Errorf("key set fetched %d times for two tokens, want 1 (cached)", n)
	}

	for _, c := range []struct {
		name      string
		keys      http.HandlerFunc
		discovery http.HandlerFunc
	}{
		{name: "garbage keys", keys: func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>not json")) }},
		{name: "keys answer 500", keys: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }},
		{name: "huge keys", keys: func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"keys":[{"kty":"oct","k":"`))
			chunk := []byte(strings.Repeat("A", 64<<10))
			for range 160 { // 10 MiB
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
		{name: "slow keys", keys: func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(20 * time.Second):
			}
		}},
		{name: "jwks_uri over http", discovery: func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"issuer": e.is.URL, "jwks_uri": "http://" + e.name + "/keys"})
		}},
		{name: "discovery names another issuer", discovery: func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"issuer": "https://evil.example.com", "jwks_uri": e.is.URL + "/keys"})
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			// A fresh issuer and provider each: no cached keys.
			is := sealtest.StartIssuer(t)
			is.ServeKeys(c.keys)
			if c.discovery != nil {
				is.ServeDiscovery(func(w http.ResponseWriter, r *http.Request) {
					// The handler names e's issuer: rewrite to this one.
					rec := &rewriter{ResponseWriter: w, from: e.is.URL, to: is.URL}
					c.discovery(rec, r)
				})
			}
			ctx := context.Background()
			p, err := e.srv.IAM().CreateOpenIDConnectProvider(ctx, &iam.CreateOpenIDConnectProviderInput{Url: aws.String(is.URL), ClientIDList: []string{webAud}})
			if err != nil {
				t.Fatal(err)
			}
			name := strings.TrimPrefix(is.URL, "https://")
			role := e.role(t, "r-"+strings.ReplaceAll(c.name, " ", "-"), webTrust(aws.ToString(p.OpenIDConnectProviderArn), name, webSub))
			claims := e.claims(map[string]any{"iss": is.URL})
			start := time.Now()
			_, err = e.assume(role, is.Sign(t, claims))
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("refused after %v, want within the 5 s fetch timeout", took)
			}
			sealtest.APIErrorContaining(t, c.name, err, "IDPCommunicationError", 400, "Couldn't retrieve verification key")
		})
	}
}

// rewriter replaces from with to in what a handler writes, and the
// jwks_uri's http:// host too.
type rewriter struct {
	http.ResponseWriter
	from, to string
}

func (w *rewriter) Write(b []byte) (int, error) {
	s := strings.ReplaceAll(string(b), w.from, w.to)
	s = strings.ReplaceAll(s, "http://"+strings.TrimPrefix(w.from, "https://"), "http://"+strings.TrimPrefix(w.to, "https://"))
	_, err := w.ResponseWriter.Write([]byte(s))
	return len(b), err
}

// TestWebIdentityKeysElsewhere: a jwks_uri on another host than the issuer
// is followed, as AWS follows Google's (accounts.google.com publishes its
// keys at www.googleapis.com), over https with the same trust; a key
// rotated in is fetched on its first token.
func TestWebIdentityKeysElsewhere(t *testing.T) {
	e := newWebEnv(t)
	keys := sealtest.StartIssuer(t) // another host (port): serves the keys
	keys.RSA, keys.EC = e.is.RSA, e.is.EC
	e.is.ServeDiscovery(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": e.is.URL, "jwks_uri": keys.URL + "/keys"})
	})
	if _, err := e.assume(e.roleARN, e.is.Sign(t, e.claims(nil))); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity with keys on another host: %v", err)
	}
	if keys.KeyFetches.Load() != 1 || e.is.KeyFetches.Load() != 0 {
		t.Errorf("key fetches: keys host %d, issuer %d; want 1, 0", keys.KeyFetches.Load(), e.is.KeyFetches.Load())
	}
	// ES256 with the EC key works too.
	if _, err := e.assume(e.roleARN, sealtest.SignToken(t, e.is.EC, jose.ES256, "ec-1", e.claims(nil))); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity ES256: %v", err)
	}
}

// TestWebIdentityUnsignedOnly: AssumeRoleWithWebIdentity needs no
// signature; every other call still does.
func TestWebIdentityUnsignedOnly(t *testing.T) {
	e := newWebEnv(t)
	post := func(form url.Values) (int, string) {
		resp, err := e.srv.HTTPClient().Post(e.srv.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		return resp.StatusCode, b.String()
	}
	status, body := post(url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {e.roleARN},
		"RoleSessionName": {"raw"}, "WebIdentityToken": {e.is.Sign(t, e.claims(nil))}})
	if status != 200 || !strings.Contains(body, "<AssumeRoleWithWebIdentityResult>") {
		t.Errorf("unsigned AssumeRoleWithWebIdentity = %d %s", status, body)
	}
	for _, action := range []string{"AssumeRole", "GetCallerIdentity", "GetSessionToken"} {
		status, body := post(url.Values{"Action": {action}, "Version": {"2011-06-15"}, "RoleArn": {e.roleARN}, "RoleSessionName": {"raw"}})
		if status != 403 || !strings.Contains(body, "MissingAuthenticationToken") && !strings.Contains(body, "IncompleteSignature") && !strings.Contains(body, "AccessDenied") {
			t.Errorf("unsigned %s = %d %s, want refused", action, status, body)
		}
	}
	status, body = post(url.Values{"Action": {"ListOpenIDConnectProviders"}, "Version": {"2010-05-08"}})
	if status != 403 {
		t.Errorf("unsigned ListOpenIDConnectProviders = %d %s, want refused", status, body)
	}
}
