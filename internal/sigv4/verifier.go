package sigv4

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/primitive"
)

// Credentials is what the verifier needs from the identity store.
type Credentials interface {
	// LookupAccessKey returns the access key's secret and principal, or
	// ErrUnknownAccessKey. It is called for every request, so that a key
	// revoked, deactivated or expired stops working at once; the signing
	// keys the verifier derives are cached, but only ever used again with
	// the very secret they came from.
	LookupAccessKey(ctx context.Context, accessKeyID string) (Key, error)
}

// Key is an access key as the identity store holds it. Its secrets print
// as placeholders and do not marshal.
type Key struct {
	// Secret is the secret access key.
	Secret primitive.Secret
	// SessionToken is set for temporary (ASIA…) credentials: the request's
	// X-Amz-Security-Token must equal it. For a long-term key it is empty,
	// and a request that carries a token anyway is refused.
	SessionToken primitive.Secret
	// Expires is when temporary credentials stop working; zero means never.
	Expires time.Time
	// Principal is who the key belongs to.
	Principal sealbox.Principal
}

// Verifier checks AWS Signature Version 4 on incoming requests, in the
// Authorization header or in a presigned query string.
//
// The zero value needs only Credentials. A Verifier is safe for concurrent
// use and must not be copied after first use.
type Verifier struct {
	Credentials Credentials
	// Clock tells the time for the skew and expiry checks; nil is the real
	// clock.
	Clock clock.Clock
	// MaxSkew is how far the signing time may be from the clock, either
	// way; 0 means 5 minutes, as AWS.
	MaxSkew time.Duration

	once sync.Once
	keys *keyCache // behind a pointer, so that printing a Verifier shows no key
}

// Result is who signed a request and for what.
type Result struct {
	// Principal is the key's owner; its AccessKeyID is the signing key.
	Principal sealbox.Principal
	// AccessKeyID, Region and Service come from the credential scope.
	AccessKeyID, Region, Service string
	// SignedAt is the signing time (X-Amz-Date, or the Date header).
	SignedAt time.Time
	// Presigned is set when the signature came in the query string.
	Presigned bool
	// UnsignedPayload is set when the client signed X-Amz-Content-Sha256:
	// UNSIGNED-PAYLOAD: the body is then not covered by the signature, and
	// an operation that must trust its body may refuse the request.
	UnsignedPayload bool
}

// signedRequest is what either form of SigV4 authentication yields once
// parsed and checked against the clock and the credential scope.
type signedRequest struct {
	scope         scope
	signedAt      time.Time
	signedHeaders string
	signature     string
	token         string
	announcedHash string // X-Amz-Content-Sha256, if sent
	dateOnly      bool   // dated by the Date header alone
	presign       bool
}

// Verify checks r, whose body has already been read into body, and returns
// who signed it. service is the signing name the endpoint expects ("kms",
// "ssm", "iam" ...); the region is whatever the credential scope names.
//
// Authentication failures are *AuthError, with AWS's wording, in the order
// the package doc lists: form, date and clock skew, signed Host,
// algorithm, credential scope, sealbox's own rule that Content-Type and
// x-amz-* headers be signed (signedheaders.go), payload hash, a date from
// the Date header alone, access key, signature, session token, expiry.
// Everything that needs no key is checked before the identity store is
// asked. A failure of the identity store is returned wrapped and is not an
// AuthError: answer it as an internal error.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, service string) (*Result, error) {
	return v.VerifyPayload(ctx, r, SHA256Hex(body), service)
}

// VerifyPayload is Verify for a body that is not held in memory: it takes
// the SHA-256 of the body as received (lower-case hex, as SHA256Hex
// writes it), computed while the body was read, spooled or streamed.
func (v *Verifier) VerifyPayload(ctx context.Context, r *http.Request, payloadSHA256, service string) (*Result, error) {
	now := v.now()
	skew := v.MaxSkew
	if skew <= 0 {
		skew = 5 * time.Minute
	}

	authz := headerValue(r.Header, "Authorization")
	presign := queryHasKey(r.URL.RawQuery, "X-Amz-Algorithm")
	var sr signedRequest
	var aerr *AuthError
	switch {
	case authz != "" && presign:
		return nil, authErr(KindBadSignature, msgBothAuthForms)
	case authz != "":
		if !isSigV4Authorization(authz) {
			return nil, authErr(KindMissing, msgMissingToken)
		}
		sr, aerr = parseHeaderAuth(r, authz, service, now, skew)
	case presign:
		sr, aerr = parseQueryAuth(r, service, now, skew)
	default:
		return nil, authErr(KindMissing, msgMissingToken)
	}
	if aerr != nil {
		return nil, aerr
	}
	if aerr := unsignedHeaders(r.Header, sr.signedHeaders); aerr != nil {
		return nil, aerr
	}

	hash, unsigned, aerr := payloadHash(sr.announcedHash, payloadSHA256)
	if aerr != nil {
		return nil, aerr
	}
	if sr.dateOnly {
		return nil, authErr(KindIncomplete, msgDateOnly)
	}

	key, err := v.Credentials.LookupAccessKey(ctx, sr.scope.accessKeyID)
	if errors.Is(err, ErrUnknownAccessKey) {
		return nil, authErr(KindUnknownKey, msgUnknownKey)
	}
	if err != nil {
		return nil, fmt.Errorf("sigv4: failed to look up access key: %w", err)
	}
	if key.Secret.Len() == 0 {
		// A key without a secret would verify signatures made with the
		// empty secret: a broken store must not open the door.
		return nil, fmt.Errorf("sigv4: access key %q has no secret", sr.scope.accessKeyID)
	}

	in := signingInput{
		accessKeyID:   sr.scope.accessKeyID,
		secret:        key.Secret,
		region:        sr.scope.region,
		service:       sr.scope.service,
		signedAt:      sr.signedAt,
		payloadHash:   hash,
		signedHeaders: sr.signedHeaders,
		presign:       sr.presign,
	}
	if !v.signatureMatches(r, &in, sr.signature) {
		return nil, authErr(KindBadSignature, msgBadSignature)
	}

	// The token is checked only once the signature holds, as AWS does, so
	// that an unsigned caller learns nothing about a key's session.
	if key.SessionToken.Len() != 0 || sr.token != "" {
		if !key.SessionToken.EqualString(sr.token) {
			return nil, authErr(KindInvalidToken, msgInvalidToken)
		}
	}
	if !key.Expires.IsZero() && !now.Before(key.Expires) {
		return nil, authErr(KindExpiredToken, msgExpiredToken)
	}

	p := key.Principal
	p.AccessKeyID = sr.scope.accessKeyID
	return &Result{
		Principal:       p,
		AccessKeyID:     sr.scope.accessKeyID,
		Region:          sr.scope.region,
		Service:         sr.scope.service,
		SignedAt:        sr.signedAt,
		Presigned:       sr.presign,
		UnsignedPayload: unsigned,
	}, nil
}

func (v *Verifier) now() time.Time {
	if v.Clock == nil {
		return time.Now()
	}
	return v.Clock.Now()
}

// parseHeaderAuth reads and checks the Authorization header form.
func parseHeaderAuth(r *http.Request, authz, service string, now time.Time, skew time.Duration) (signedRequest, *AuthError) {
	a, aerr := parseAuthorization(authz)
	if aerr != nil {
		return signedRequest{}, aerr
	}
	signedAt, dateOnly, haveDate, dateErr := requestDate(r.Header)
	if aerr := missingAuthParts(a, authz, haveDate); aerr != nil {
		return signedRequest{}, aerr
	}
	if dateErr != nil {
		return signedRequest{}, dateErr
	}
	sr := signedRequest{
		signedAt:      signedAt,
		signedHeaders: a.signedHeaders,
		signature:     a.signature,
		token:         headerValue(r.Header, "X-Amz-Security-Token"),
		announcedHash: headerValue(r.Header, "X-Amz-Content-Sha256"),
		dateOnly:      dateOnly,
	}
	sc, aerr := checkCommon(a.algorithm, a.credential, a.signedHeaders, service, signedAt, now, skew, true)
	if aerr != nil {
		return signedRequest{}, aerr
	}
	sr.scope = sc
	return sr, nil
}

// checkCommon runs the checks both forms share, in AWS's order: clock skew
// (when checkTime), signed Host, algorithm, credential, scope.
func checkCommon(alg, cred, signedHeaders, service string, signedAt, now time.Time, skew time.Duration, checkTime bool) (scope, *AuthError) {
	if checkTime {
		if aerr := checkSkew(signedAt, now, skew); aerr != nil {
			return scope{}, aerr
		}
	}
	if !signsHost(signedHeaders) {
		return scope{}, authErr(KindBadSignature, msgHostNotSigned)
	}
	if alg != algorithm {
		return scope{}, authErr(KindIncomplete, msgAlgorithm(alg))
	}
	sc, aerr := parseCredential(cred)
	if aerr != nil {
		return scope{}, aerr
	}
	if aerr := sc.check(service, signedAt); aerr != nil {
		return scope{}, aerr
	}
	return sc, nil
}
