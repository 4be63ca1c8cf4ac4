package stsapi_test

import (
	"crypto/x509"
	"os"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/oidc"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// FuzzAssumeRoleWithWebIdentity: whatever WebIdentityToken an unsigned
// caller sends, the answer is credentials or a client error with a code
// the operation's model lists (or the common ones), never a server fault
// or a panic. The issuer is real (TLS, discovery, keys), the provider
// registered, the role trusting it: mutated valid tokens reach every check.
func FuzzAssumeRoleWithWebIdentity(f *testing.F) {
	is := sealtest.StartIssuer(f)
	e := newEnv(f)
	pem, err := os.ReadFile(is.CAFile)
	if err != nil {
		f.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	svc := stsapi.New(e.IDs, stsapi.Config{Checker: sealtest.JSONChecker{}, Web: oidc.New(oidc.Config{RootCAs: roots, Clock: e.Clock})})
	p := must(e.IAM.CreateOpenIDConnectProvider(e.Root, &iamapi.CreateOpenIDConnectProviderRequest{Url: is.URL, ClientIDList: []string{"sts.amazonaws.com"}}))(f, "CreateOpenIDConnectProvider")
	role := e.Role("ci", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"`+p.OpenIDConnectProviderArn+`"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`, 0)
	now := e.Clock.Now()
	claims := map[string]any{"iss": is.URL, "sub": "repo:acme/app", "aud": "sts.amazonaws.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	f.Add(is.Sign(f, claims))
	f.Add(sealtest.SignToken(f, is.EC, jose.ES256, "ec-1", claims))
	f.Add(sealtest.SignToken(f, is.RSA, jose.RS256, "", map[string]any{"iss": is.URL, "sub": "x", "aud": []string{"a", "sts.amazonaws.com"}, "exp": now.Add(-time.Hour).Unix()}))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("")
	f.Add("a.b.c")
	allowed := map[string]bool{"InvalidIdentityToken": true, "ExpiredTokenException": true, "IDPCommunicationError": true,
		"IDPRejectedClaim": true, "AccessDenied": true, "ValidationError": true, "MalformedPolicyDocument": true, "PackedPolicyTooLarge": true}
	f.Fuzz(func(t *testing.T, token string) {
		ctx := withPrincipal(sealbox.Principal{})
		out, err := svc.AssumeRoleWithWebIdentity(ctx, &stsapi.AssumeRoleWithWebIdentityRequest{RoleArn: role.Arn, RoleSessionName: "fuzz", WebIdentityToken: token})
		if err == nil {
			if out.Credentials == nil || out.SubjectFromWebIdentityToken == "" || out.Audience != "sts.amazonaws.com" {
				t.Fatalf("AssumeRoleWithWebIdentity(%q) = %+v", token, out)
			}
			return
		}
		se, ok := sealbox.AsError(err)
		if !ok || se.Server || !allowed[se.Code] {
			t.Fatalf("AssumeRoleWithWebIdentity(%q) = %v, want a client error of the model", token, err)
		}
	})
}
