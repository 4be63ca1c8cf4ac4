package sealtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/sealbox/sealbox/internal/config"
)

// Issuer is a real OpenID Connect issuer for the tests of web identity
// federation: an HTTPS server (httptest's, whose certificate CAFile holds)
// that serves /.well-known/openid-configuration and its key set, and signs
// ID tokens with real RSA and ECDSA keys. Safe for concurrent use.
type Issuer struct {
	URL    string // https://127.0.0.1:<port>
	CAFile string // PEM of the server's certificate, for --oidc-ca-file
	// RSA and EC are the keys the key set publishes, with key ids "rsa-1"
	// and "ec-1".
	RSA *rsa.PrivateKey
	EC  *ecdsa.PrivateKey

	srv *httptest.Server
	mu  sync.Mutex
	// jwks, when set, answers the key set's URL instead of the keys;
	// discovery, the discovery document's.
	jwks, discovery http.HandlerFunc
	// KeyFetches counts the key set's fetches.
	KeyFetches atomic.Int32
}

// StartIssuer starts an issuer, stopped when the test ends.
func StartIssuer(t testing.TB) *Issuer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	is := &Issuer{RSA: rk, EC: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		is.mu.Lock()
		h := is.discovery
		is.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"issuer": is.URL, "jwks_uri": is.URL + "/keys",
			"id_token_signing_alg_values_supported": []string{"RS256", "ES256"}})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		is.KeyFetches.Add(1)
		is.mu.Lock()
		h := is.jwks
		is.mu.Unlock()
		if h != nil {
			h(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(is.KeySet())
	})
	is.srv = httptest.NewTLSServer(mux)
	t.Cleanup(is.srv.Close)
	is.URL = is.srv.URL
	is.CAFile = filepath.Join(t.TempDir(), "issuer-ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: is.srv.Certificate().Raw})
	if err := os.WriteFile(is.CAFile, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	return is
}

// KeySet is the public key set the issuer publishes.
func (is *Issuer) KeySet() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &is.RSA.PublicKey, KeyID: "rsa-1", Algorithm: string(jose.RS256), Use: "sig"},
		{Key: &is.EC.PublicKey, KeyID: "ec-1", Algorithm: string(jose.ES256), Use: "sig"},
	}}
}

// ServeKeys replaces the key set's answer (nil: the keys again).
func (is *Issuer) ServeKeys(h http.HandlerFunc) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.jwks = h
}

// ServeDiscovery replaces the discovery document's answer (nil: the
// document again).
func (is *Issuer) ServeDiscovery(h http.HandlerFunc) {
	is.mu.Lock()
	defer is.mu.Unlock()
	is.discovery = h
}

// Sign returns a token of claims signed RS256 with the issuer's RSA key.
func (is *Issuer) Sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	return SignToken(t, is.RSA, jose.RS256, "rsa-1", claims)
}

// SignToken returns a compact JWS of claims signed with key and alg, its
// header naming kid ("" names none).
func SignToken(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader("kid", kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// WithOIDCCA trusts the certificates of file for OpenID Connect issuers
// (--oidc-ca-file).
func WithOIDCCA(file string) Option { return func(c *config.Config) { c.OIDCCAFile = file } }
