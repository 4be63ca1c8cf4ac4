// Package oidc verifies OpenID Connect ID tokens (JWTs) for STS's
// AssumeRoleWithWebIdentity: the signature against the issuer's keys
// (discovered from <issuer>/.well-known/openid-configuration's jwks_uri,
// fetched over https with a short timeout and a size limit, and cached),
// an allow-list of asymmetric algorithms, and the token's times. Which
// issuers and audiences are trusted is not its business: the caller names
// the issuer, a registered provider's, and checks the audience. The JWS
// itself is go-jose's; nothing here parses a signature by hand.
package oidc

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/sealbox/sealbox/internal/clock"
)

// The errors Verify and Issuer return, each wrapped with what went wrong
// (never with the token). STS answers them as AWS does.
var (
	// ErrMalformed: not a signed JWT of an allowed algorithm, or its
	// claims are not what an ID token's are (InvalidIdentityToken).
	ErrMalformed = errors.New("oidc: malformed token")
	// ErrSignature: no key of the issuer's verifies the signature
	// (InvalidIdentityToken).
	ErrSignature = errors.New("oidc: signature not verified")
	// ErrExpired: the token's exp is past (ExpiredTokenException).
	ErrExpired = errors.New("oidc: token expired")
	// ErrNotValidYet: the token's nbf or iat is in the future
	// (InvalidIdentityToken).
	ErrNotValidYet = errors.New("oidc: token not valid yet")
	// ErrCommunication: the issuer's discovery document or keys could not
	// be fetched, or made no sense (IDPCommunicationError).
	ErrCommunication = errors.New("oidc: cannot fetch the issuer's keys")
)

// ExpiredError is ErrExpired with the times compared.
type ExpiredError struct{ Now, Expiry time.Time }

func (e *ExpiredError) Error() string {
	return fmt.Sprintf("oidc: token expired: current date/time %d must be before the expiration date/time %d", e.Now.Unix(), e.Expiry.Unix())
}

// Is makes errors.Is(err, ErrExpired) hold.
func (e *ExpiredError) Is(target error) bool { return target == ErrExpired }

// Algorithms are the signature algorithms accepted: RSA (PKCS#1 v1.5 and
// PSS) and ECDSA. Never "none", never HMAC (whose key would be the
// public key a forger knows), never EdDSA (which AWS does not accept).
var Algorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512,
	jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// Config is what New needs; the zero value is usable.
type Config struct {
	// RootCAs are the roots the issuers' TLS certificates are verified
	// against; nil is the system's.
	RootCAs *x509.CertPool
	// Timeout bounds one fetch (discovery or keys); 0 is 5 s.
	Timeout time.Duration
	// MaxBody bounds a discovery document or key set; 0 is 256 KiB.
	MaxBody int64
	// TTL is how long fetched keys are used before they are fetched
	// again; 0 is an hour.
	TTL time.Duration
	// RefetchEvery is the least time between two fetches of an issuer's
	// keys: for a token whose key id is unknown (the issuer rotated its
	// keys), and after a failed fetch. 0 is 30 s.
	RefetchEvery time.Duration
	// Skew is the clock skew allowed on exp, nbf and iat; 0 is 60 s.
	Skew time.Duration
	// Clock tells the time the token's times are checked against; nil is
	// the real clock.
	Clock clock.Clock
	// Transport, when set, replaces the HTTPS transport (RootCAs is then
	// the transport's business).
	Transport http.RoundTripper
}

// Verifier verifies tokens and caches the issuers' keys. Make one with
// New. Safe for concurrent use.
type Verifier struct {
	cfg    Config
	client *http.Client

	mu      sync.Mutex
	issuers map[string]*issuerKeys
}

// issuerKeys are one issuer's cached keys; fetchMu serializes its fetches,
// so that a storm of tokens makes one.
type issuerKeys struct {
	fetchMu   sync.Mutex
	keys      *jose.JSONWebKeySet // nil until fetched
	fetched   time.Time           // when keys were fetched
	attempted time.Time           // the last fetch, whether it worked
	lastErr   error               // the last fetch's error, nil if it worked
}

// New returns a Verifier.
func New(cfg Config) *Verifier {
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 256 << 10
	}
	if cfg.TTL == 0 {
		cfg.TTL = time.Hour
	}
	if cfg.RefetchEvery == 0 {
		cfg.RefetchEvery = 30 * time.Second
	}
	if cfg.Skew == 0 {
		cfg.Skew = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	tr := cfg.Transport
	if tr == nil {
		tr = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			TLSClientConfig:       &tls.Config{RootCAs: cfg.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:   cfg.Timeout,
			ResponseHeaderTimeout: cfg.Timeout,
			MaxIdleConnsPerHost:   2,
			IdleConnTimeout:       90 * time.Second,
		}
	}
	client := &http.Client{
		Transport: tr,
		Timeout:   cfg.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if req.URL.Scheme != "https" || len(via) >= 3 {
				return errors.New("redirect refused")
			}
			return nil
		},
	}
	return &Verifier{cfg: cfg, client: client, issuers: map[string]*issuerKeys{}}
}

// Claims are what a verified token says.
type Claims struct {
	Issuer          string
	Subject         string
	Audience        []string
	AuthorizedParty string // azp
	AMR             []string
	Expiry          time.Time
	IssuedAt        time.Time
	NotBefore       time.Time
}

// idClaims are the token's claims as they are decoded.
type idClaims struct {
	jwt.Claims
	AuthorizedParty string          `json:"azp,omitempty"`
	AMR             json.RawMessage `json:"amr,omitempty"`
}

// MaxTokenSize bounds the tokens parsed: STS's model bounds
// WebIdentityToken to 20000 characters.
const MaxTokenSize = 20000

// parse parses token as a compact JWS of an allowed algorithm.
func parse(token string) (*jwt.JSONWebToken, *idClaims, error) {
	if len(token) > MaxTokenSize || strings.Count(token, ".") != 2 {
		return nil, nil, fmt.Errorf("%w: not a compact JWS", ErrMalformed)
	}
	tok, err := jwt.ParseSigned(token, Algorithms)
	if err != nil || len(tok.Headers) != 1 {
		return nil, nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	var c idClaims
	if err := tok.UnsafeClaimsWithoutVerification(&c); err != nil {
		return nil, nil, fmt.Errorf("%w: claims: %v", ErrMalformed, err)
	}
	return tok, &c, nil
}

// Issuer is the iss claim of token, unverified: which registered provider
// the caller must look up before it asks Verify. It fails as Verify does
// for a token that is not a signed JWT of an allowed algorithm.
func Issuer(token string) (string, error) {
	_, c, err := parse(token)
	if err != nil {
		return "", err
	}
	if c.Issuer == "" {
		return "", fmt.Errorf("%w: no iss", ErrMalformed)
	}
	return c.Issuer, nil
}

// Verify checks token's signature against issuer's keys and its times,
// and returns its claims. The token's iss must be issuer exactly.
func (v *Verifier) Verify(ctx context.Context, token, issuer string) (*Claims, error) {
	tok, uc, err := parse(token)
	if err != nil {
		return nil, err
	}
	if uc.Issuer != issuer {
		return nil, fmt.Errorf("%w: iss is not the issuer's", ErrMalformed)
	}
	hdr := tok.Headers[0]
	keys, err := v.keysFor(ctx, issuer, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	var c idClaims
	verified := false
	for _, k := range keys {
		if k.Algorithm != "" && k.Algorithm != hdr.Algorithm {
			continue
		}
		if err := tok.Claims(k.Key, &c); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return nil, ErrSignature
	}
	if c.Issuer != issuer || c.Subject == "" || len(c.Audience) == 0 {
		return nil, fmt.Errorf("%w: iss, sub or aud missing", ErrMalformed)
	}
	if c.Expiry == nil {
		return nil, fmt.Errorf("%w: no exp", ErrMalformed)
	}
	now := v.cfg.Clock.Now()
	out := &Claims{Issuer: c.Issuer, Subject: c.Subject, Audience: c.Audience, AuthorizedParty: c.AuthorizedParty, Expiry: c.Expiry.Time()}
	if now.After(out.Expiry.Add(v.cfg.Skew)) {
		return nil, &ExpiredError{Now: now, Expiry: out.Expiry}
	}
	if c.NotBefore != nil {
		out.NotBefore = c.NotBefore.Time()
		if now.Add(v.cfg.Skew).Before(out.NotBefore) {
			return nil, fmt.Errorf("%w: nbf", ErrNotValidYet)
		}
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.Time()
		if now.Add(v.cfg.Skew).Before(out.IssuedAt) {
			return nil, fmt.Errorf("%w: iat", ErrNotValidYet)
		}
	}
	if out.AMR, err = stringOrList(c.AMR); err != nil {
		return nil, fmt.Errorf("%w: amr", ErrMalformed)
	}
	return out, nil
}

// stringOrList decodes a claim that is a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, nil
	}
	var list []string
	err := json.Unmarshal(raw, &list)
	return list, err
}

// keysFor returns the issuer's public keys that may have signed a token
// whose header names kid ("" for every key). Keys older than the TTL are
// fetched again; a kid not among them makes a fetch too, at most every
// RefetchEvery.
func (v *Verifier) keysFor(ctx context.Context, issuer, kid string) ([]jose.JSONWebKey, error) {
	v.mu.Lock()
	ik := v.issuers[issuer]
	if ik == nil {
		ik = &issuerKeys{}
		v.issuers[issuer] = ik
	}
	v.mu.Unlock()

	ik.fetchMu.Lock()
	defer ik.fetchMu.Unlock()
	now := v.cfg.Clock.Now()
	fresh := ik.keys != nil && now.Sub(ik.fetched) < v.cfg.TTL
	if fresh {
		if keys := usable(ik.keys, kid); len(keys) > 0 {
			return keys, nil
		}
	}
	if !ik.attempted.IsZero() && now.Sub(ik.attempted) < v.cfg.RefetchEvery {
		// Fetched a moment ago: do not let tokens with made-up key ids
		// make sealbox hammer the issuer.
		if ik.lastErr != nil && !fresh {
			return nil, ik.lastErr
		}
		if fresh {
			return nil, fmt.Errorf("%w: no key %q", ErrSignature, kid)
		}
	}
	ik.attempted = now
	set, err := v.fetchKeys(ctx, issuer)
	if err != nil {
		ik.lastErr = err
		return nil, err
	}
	ik.keys, ik.fetched, ik.lastErr = set, now, nil
	if keys := usable(set, kid); len(keys) > 0 {
		return keys, nil
	}
	return nil, fmt.Errorf("%w: no key %q", ErrSignature, kid)
}

// minRSABits is the smallest RSA key trusted: a weaker key an issuer
// publishes verifies nothing.
const minRSABits = 2048

// usable are set's public RSA (of minRSABits or more) and ECDSA signing keys with key id kid (all
// of them when kid is "").
func usable(set *jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	var out []jose.JSONWebKey
	for _, k := range set.Keys {
		if kid != "" && k.KeyID != kid || k.Use == "enc" {
			continue
		}
		switch pub := k.Key.(type) {
		case *rsa.PublicKey:
			if pub.N.BitLen() >= minRSABits {
				out = append(out, k)
			}
		case *ecdsa.PublicKey:
			out = append(out, k)
		}
	}
	return out
}

// discovery is the part of the OpenID Provider metadata sealbox reads.
type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// fetchKeys discovers the issuer's jwks_uri and fetches its key set.
func (v *Verifier) fetchKeys(ctx context.Context, issuer string) (*jose.JSONWebKeySet, error) {
	var d discovery
	if err := v.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &d); err != nil {
		return nil, err
	}
	if d.Issuer != issuer {
		return nil, fmt.Errorf("%w: the discovery document names another issuer", ErrCommunication)
	}
	u, err := url.Parse(d.JWKSURI)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: jwks_uri is not an https URL", ErrCommunication)
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, u.String(), &set); err != nil {
		return nil, err
	}
	return &set, nil
}

// getJSON fetches an https URL's JSON into dst, within the timeout and
// the size limit.
func (v *Verifier) getJSON(ctx context.Context, u string, dst any) error {
	if !strings.HasPrefix(u, "https://") {
		return fmt.Errorf("%w: not https", ErrCommunication)
	}
	ctx, cancel := context.WithTimeout(ctx, v.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s answered %d", ErrCommunication, u, resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, v.cfg.MaxBody+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCommunication, err)
	}
	if int64(len(body)) > v.cfg.MaxBody {
		return fmt.Errorf("%w: %s answered more than %d bytes", ErrCommunication, u, v.cfg.MaxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCommunication, u, err)
	}
	return nil
}
