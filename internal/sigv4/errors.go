package sigv4

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrUnknownAccessKey is what Credentials.LookupAccessKey returns, possibly
// wrapped, for an access key id it does not know. Verify turns it into an
// AuthError of KindUnknownKey; any other lookup error is an internal failure
// and is returned wrapped, not as an AuthError.
var ErrUnknownAccessKey = errors.New("sigv4: unknown access key")

// Kind says why a request failed authentication. The protocol layer maps it
// to the AWS error code and HTTP status of its protocol:
//
//	Kind              JSON 1.1 (__type)                     Query (Code)
//	KindMissing       MissingAuthenticationTokenException   MissingAuthenticationToken
//	KindIncomplete    IncompleteSignatureException          IncompleteSignature
//	KindUnknownKey    UnrecognizedClientException           InvalidClientTokenId
//	KindBadSignature  InvalidSignatureException             SignatureDoesNotMatch
//	KindExpired       InvalidSignatureException             SignatureDoesNotMatch
//	KindInvalidToken  UnrecognizedClientException           InvalidClientTokenId
//	KindExpiredToken  ExpiredTokenException                 ExpiredToken
//
// The zero Kind is not used, so a zero AuthError is recognisably a bug.
type Kind int

const (
	// KindMissing: the request carries no SigV4 authentication at all.
	KindMissing Kind = iota + 1
	// KindIncomplete: the Authorization header or the presigned query is
	// malformed or lacks a part (credential, signature, date ...).
	KindIncomplete
	// KindUnknownKey: the access key id is not known.
	KindUnknownKey
	// KindBadSignature: the signature does not match, or the credential
	// scope names another service, region or date.
	KindBadSignature
	// KindExpired: the signing time is outside the allowed clock skew, or a
	// presigned URL has expired.
	KindExpired
	// KindInvalidToken: the session token is missing, wrong, or sent with a
	// long-term key.
	KindInvalidToken
	// KindExpiredToken: the temporary credentials have expired.
	KindExpiredToken
)

var kindNames = [...]string{
	KindMissing:      "missing authentication",
	KindIncomplete:   "incomplete signature",
	KindUnknownKey:   "unknown access key",
	KindBadSignature: "signature mismatch",
	KindExpired:      "signature expired",
	KindInvalidToken: "invalid security token",
	KindExpiredToken: "expired security token",
}

func (k Kind) String() string {
	if k > 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// AuthError is the error Verify returns when a request fails authentication.
// Message is AWS's own wording for the failure, safe to send to the client
// as the error message.
type AuthError struct {
	Kind    Kind
	Message string
}

func (e *AuthError) Error() string { return "sigv4: " + e.Kind.String() + ": " + e.Message }

func authErr(k Kind, msg string) *AuthError { return &AuthError{Kind: k, Message: msg} }

// AWS's wording for each failure, as AWS's JSON and Query services answer
// (recorded against live endpoints by dynalite's tests, by
// scratchstack-aws-signature and by published STS probes), and as S3
// answers for presigned URLs (minio's S3 error table). Where a message ends
// in ". " the trailing space is AWS's: the scope messages are concatenated.
const (
	msgMissingToken   = "Request is missing Authentication Token"
	msgUnknownKey     = "The security token included in the request is invalid."
	msgInvalidToken   = "The security token included in the request is invalid."
	msgExpiredToken   = "The security token included in the request is expired"
	msgBadSignature   = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgHostNotSigned  = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."
	msgBothAuthForms  = "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header."
	msgRequestExpired = "Request has expired"
	msgRegion         = "Credential should be scoped to a valid region. "
	msgReexamineQuery = "Re-examine the query-string parameters."
	msgExpiresNumber  = "X-Amz-Expires should be a number"
	msgExpiresNeg     = "X-Amz-Expires must be non-negative"
	msgExpiresWeek    = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
	// S3's AccessDenied wording for headers sent but not signed, followed
	// by the names it lists in HeadersNotSigned.
	msgHeadersNotSigned = "There were headers present in the request which were not signed. HeadersNotSigned: "
	msgPayloadHash      = "The provided 'x-amz-content-sha256' header does not match what was computed."
	// Adapted from S3's InvalidArgument text, which also lists the
	// STREAMING-* forms that sealbox does not accept.
	msgPayloadValue = "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, or a valid sha256 value."
	// AWS accepts a request dated only by the Date header; the SDK signer,
	// which the verifier follows, cannot produce its canonical request (see
	// expected.go), so sealbox says so plainly rather than answering with a
	// misleading mismatch.
	msgDateOnly = "Signing with the 'Date' header alone is not supported; sign the 'X-Amz-Date' header."
)

// isoBasic is the ISO 8601 basic format of X-Amz-Date.
const isoBasic = "20060102T150405Z"

func msgBadDate(got string) string {
	return "Date must be in ISO-8601 'basic format'. Got '" + got + "'. See http://en.wikipedia.org/wiki/ISO_8601"
}

func msgAlgorithm(got string) string {
	return "Unsupported AWS 'algorithm': '" + got + "' (only AWS4-HMAC-SHA256 for now). "
}

func msgCredentialParts(got string) string {
	return "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '" + got + "'"
}

func msgNoEqualSign(part, header string) string {
	return "'" + part + "' not a valid key=value pair (missing equal-sign) in Authorization header: '" + header + "'."
}

// skewError words a signing time outside [now-skew, now+skew] as AWS does:
//
//	Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T001000Z - 5 min.)
//	Signature not yet current: 20130524T002000Z is still later than 20130524T001500Z (20130524T001000Z + 5 min.)
func skewError(signedAt, now time.Time, skew time.Duration) *AuthError {
	var b strings.Builder
	if signedAt.Before(now) {
		b.WriteString("Signature expired: ")
		b.WriteString(signedAt.UTC().Format(isoBasic))
		b.WriteString(" is now earlier than ")
		b.WriteString(now.Add(-skew).UTC().Format(isoBasic))
		b.WriteString(" (")
		b.WriteString(now.UTC().Format(isoBasic))
		b.WriteString(" - ")
	} else {
		b.WriteString("Signature not yet current: ")
		b.WriteString(signedAt.UTC().Format(isoBasic))
		b.WriteString(" is still later than ")
		b.WriteString(now.Add(skew).UTC().Format(isoBasic))
		b.WriteString(" (")
		b.WriteString(now.UTC().Format(isoBasic))
		b.WriteString(" + ")
	}
	if skew%time.Minute == 0 {
		b.WriteString(strconv.FormatInt(int64(skew/time.Minute), 10))
		b.WriteString(" min.)")
	} else {
		b.WriteString(strconv.FormatInt(int64(skew/time.Second), 10))
		b.WriteString(" sec.)")
	}
	return authErr(KindExpired, b.String())
}
