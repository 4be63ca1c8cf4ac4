package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sealbox/sealbox/internal/clock"
)

const testIssuer = "https://issuer.example.com"

// fakeIdP answers the issuer's discovery and keys from memory, as a
// RoundTripper: Verify's logic without a network.
type fakeIdP struct {
	keys    jose.JSONWebKeySet
	fetches atomic.Int32
}

func (f *fakeIdP) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	switch r.URL.String() {
	case testIssuer + "/.well-known/openid-configuration":
		body, _ = json.Marshal(map[string]string{"issuer": testIssuer, "jwks_uri": testIssuer + "/keys"})
	case testIssuer + "/keys":
		f.fetches.Add(1)
		body, _ = json.Marshal(f.keys)
	default:
		return &http.Response{StatusCode: 404, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(body)), Request: r, Header: http.Header{}}, nil
}

type fixture struct {
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	idp   *fakeIdP
	clock *clock.Fake
	v     *Verifier
}

func newFixture(t testing.TB) *fixture {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	f := &fixture{rsa: rk, ec: ek, clock: clock.NewFake(time.Unix(1_800_000_000, 0))}
	f.idp = &fakeIdP{keys: jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &rk.PublicKey, KeyID: "r1", Algorithm: "RS256", Use: "sig"},
		{Key: &ek.PublicKey, KeyID: "e1", Algorithm: "ES256", Use: "sig"},
	}}}
	f.v = New(Config{Transport: f.idp, Clock: f.clock})
	return f
}

func sign(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := json.Marshal(claims)
	jws, err := s.Sign(p)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

func (f *fixture) claims(set map[string]any) map[string]any {
	now := f.clock.Now()
	c := map[string]any{"iss": testIssuer, "sub": "s", "aud": []string{"a", "b"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "amr": "mfa"}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestVerify(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c, err := f.v.Verify(ctx, sign(t, f.rsa, jose.RS256, "r1", f.claims(nil)), testIssuer)
	if err != nil {
		t.Fatalf("Verify(RS256) = %v", err)
	}
	if c.Subject != "s" || len(c.Audience) != 2 || len(c.AMR) != 1 || c.AMR[0] != "mfa" {
		t.Errorf("Verify(RS256) claims = %+v", c)
	}
	if _, err := f.v.Verify(ctx, sign(t, f.ec, jose.ES256, "", f.claims(nil)), testIssuer); err != nil {
		t.Errorf("Verify(ES256, no kid) = %v", err)
	}
	pub, _ := x509.MarshalPKIXPublicKey(&f.rsa.PublicKey)
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	for _, c := range []struct {
		name  string
		token string
		want  error
	}{
		{"HS256 keyed with the public key", sign(t, pub, jose.HS256, "r1", f.claims(nil)), ErrMalformed},
		{"alg none", base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+testIssuer+`"}`)) + ".", ErrMalformed},
		{"EdDSA", "eyJhbGciOiJFZERTQSJ9.e30.AAAA", ErrMalformed},
		{"another key, known kid", sign(t, otherRSA, jose.RS256, "r1", f.claims(nil)), ErrSignature},
		{"RSA key's kid on an EC alg", sign(t, f.ec, jose.ES256, "r1", f.claims(nil)), ErrSignature},
		{"expired", sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"exp": f.clock.Now().Add(-2 * time.Minute).Unix()})), ErrExpired},
		{"nbf ahead", sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"nbf": f.clock.Now().Add(2 * time.Minute).Unix()})), ErrNotValidYet},
		{"another issuer", sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"iss": "https://evil.example.com"})), ErrMalformed},
		{"no aud", sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"aud": nil})), ErrMalformed},
		{"amr a number", sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"amr": 7})), ErrMalformed},
	} {
		if _, err := f.v.Verify(ctx, c.token, testIssuer); !errors.Is(err, c.want) {
			t.Errorf("Verify(%s) = %v, want %v", c.name, err, c.want)
		}
	}
	// A 1024-bit RSA key the issuer publishes verifies nothing.
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	f.idp.keys.Keys = append(f.idp.keys.Keys, jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small", Algorithm: "RS256"})
	f.v = New(Config{Transport: f.idp, Clock: f.clock})
	if _, err := f.v.Verify(ctx, sign(t, small, jose.RS256, "small", f.claims(nil)), testIssuer); !errors.Is(err, ErrSignature) {
		t.Errorf("Verify(1024-bit RSA key) = %v, want ErrSignature", err)
	}
	// Within the skew, an expired token still passes.
	if _, err := f.v.Verify(ctx, sign(t, f.rsa, jose.RS256, "r1", f.claims(map[string]any{"exp": f.clock.Now().Add(-30 * time.Second).Unix()})), testIssuer); err != nil {
		t.Errorf("Verify(expired 30 s ago, 60 s skew) = %v", err)
	}
}

// TestKeyCache: keys are fetched once, again after the TTL, and for an
// unknown key id at most every RefetchEvery.
func TestKeyCache(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	good := func() string { return sign(t, f.rsa, jose.RS256, "r1", f.claims(nil)) }
	for range 3 {
		if _, err := f.v.Verify(ctx, good(), testIssuer); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.idp.fetches.Load(); n != 1 {
		t.Fatalf("fetches after three tokens = %d, want 1", n)
	}
	unknown := func() string { return sign(t, f.rsa, jose.RS256, "rotated", f.claims(nil)) }
	for range 5 {
		if _, err := f.v.Verify(ctx, unknown(), testIssuer); !errors.Is(err, ErrSignature) {
			t.Fatalf("Verify(unknown kid) = %v, want ErrSignature", err)
		}
	}
	if n := f.idp.fetches.Load(); n != 1 {
		t.Errorf("fetches after five unknown key ids within 30 s = %d, want 1", n)
	}
	// The issuer rotates in a key; after RefetchEvery a token naming it
	// fetches the keys again.
	f.idp.keys.Keys = append(f.idp.keys.Keys, jose.JSONWebKey{Key: &f.rsa.PublicKey, KeyID: "rotated", Algorithm: "RS256"})
	f.clock.Advance(31 * time.Second)
	if _, err := f.v.Verify(ctx, unknown(), testIssuer); err != nil {
		t.Errorf("Verify(rotated kid after 31 s) = %v", err)
	}
	if n := f.idp.fetches.Load(); n != 2 {
		t.Errorf("fetches = %d, want 2", n)
	}
	f.clock.Advance(61 * time.Minute)
	if _, err := f.v.Verify(ctx, good(), testIssuer); err != nil {
		t.Fatal(err)
	}
	if n := f.idp.fetches.Load(); n != 3 {
		t.Errorf("fetches after the TTL = %d, want 3", n)
	}
}

// FuzzVerify: whatever the token, Verify and Issuer answer one of the
// documented errors or claims, never another error or a panic.
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	f.Add(sign(f, fx.rsa, jose.RS256, "r1", fx.claims(nil)))
	f.Add(sign(f, fx.ec, jose.ES256, "e1", fx.claims(nil)))
	f.Add(sign(f, fx.rsa, jose.PS256, "", fx.claims(map[string]any{"amr": []string{"pwd"}})))
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLmNvbSJ9.")
	f.Add("a.b.c")
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, token string) {
		ctx := context.Background()
		_, ierr := Issuer(token)
		if ierr != nil && !errors.Is(ierr, ErrMalformed) {
			t.Fatalf("Issuer(%q) = %v, not ErrMalformed", token, ierr)
		}
		c, err := fx.v.Verify(ctx, token, testIssuer)
		if err == nil {
			if c.Issuer != testIssuer || c.Subject == "" || len(c.Audience) == 0 {
				t.Fatalf("Verify(%q) accepted claims %+v", token, c)
			}
			return
		}
		for _, want := range []error{ErrMalformed, ErrSignature, ErrExpired, ErrNotValidYet, ErrCommunication} {
			if errors.Is(err, want) {
				return
			}
		}
		t.Fatalf("Verify(%q) = %v, not a documented error", token, err)
	})
}
