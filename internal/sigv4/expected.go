package sigv4

import (
	"context"
	"hash/maphash"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox/internal/primitive"
)

// The expected signature is computed by aws-sdk-go-v2's own signer, not by
// a copy of the algorithm: the verifier builds a minimal request that
// carries exactly what the client signed and lets the SDK sign it with the
// stored secret. Three quirks of the SDK signer shape that request:
//
//   - It signs every header in the map except an ignore list (User-Agent,
//     X-Amzn-Trace-Id, Expect, Transfer-Encoding, Authorization). The list
//     is matched against the map key as written, so the clone stores each
//     signed header under its lower-case name: nothing is ignored, and a
//     client that signed User-Agent (aws-sdk-java v1 does) still verifies.
//   - It signs Host from Request.Host, Content-Length from
//     Request.ContentLength (and only when it is > 0), and always adds
//     X-Amz-Date itself from the signing time (in header mode). So those
//     three are never copied as headers.
//   - It cannot leave X-Amz-Date out of a header-signed request, so a
//     request dated by the Date header alone cannot be reproduced (Verify
//     refuses it with msgDateOnly), nor can a signed "content-length:0".

// signerShards spreads access keys over several SDK signers. Each signer
// caches one derived signing key per region/service pair, for the last
// access key that used it; sharding by access key keeps the cache warm when
// several keys call the same service.
const signerShards = 16

// signingInput is everything the SDK signer needs besides the request.
type signingInput struct {
	accessKeyID     string
	secret          primitive.Secret
	region, service string
	signedAt        time.Time
	payloadHash     string
	signedHeaders   string
	presign         bool
	query           url.Values // presign only: the query without X-Amz-Signature
}

// signer returns the SDK signer for an access key.
func (v *Verifier) signer(accessKeyID string) *v4.Signer {
	v.once.Do(func() {
		v.seed = maphash.MakeSeed()
		for i := range v.signers {
			// Hoisting would move signed X-Amz-* headers into the query of a
			// presigned request; the client already decided where they went.
			v.signers[i] = v4.NewSigner(func(o *v4.SignerOptions) { o.DisableHeaderHoisting = true })
		}
	})
	return v.signers[maphash.String(v.seed, accessKeyID)%signerShards]
}

// signatureMatches reports whether sig (hex) is the signature the SDK
// computes for r and in. The comparison is constant-time. A request whose
// canonical form the SDK cannot reproduce does not match.
//
// Signers disagree on one detail of header canonicalisation: the SDK signer
// collapses runs of spaces only, while botocore, aws-sdk-java and
// aws-sdk-js collapse runs of any white space (a tab, say) to one space.
// When a signed value holds such white space and the first attempt fails,
// the values are collapsed the botocore way and the signature computed
// again; no other request pays for the second attempt.
func (v *Verifier) signatureMatches(ctx context.Context, r *http.Request, in *signingInput, sig string) (bool, error) {
	got, ok := decodeSignature(sig)
	if !ok {
		return false, nil
	}
	for _, collapse := range [...]bool{false, true} {
		clone, otherSpace, cloned := cloneSigned(r, in.signedHeaders, in.presign, collapse)
		if !cloned {
			return false, nil
		}
		want, err := v.sign(ctx, clone, in)
		if err != nil {
			return false, err
		}
		exp, ok := decodeSignature(want)
		if ok && primitive.Equal(exp[:], got[:]) {
			return true, nil
		}
		if !otherSpace {
			break
		}
	}
	return false, nil
}

// sign has the SDK sign clone and returns the hex signature.
func (v *Verifier) sign(ctx context.Context, clone *http.Request, in *signingInput) (string, error) {
	// The boundary: the SDK signer takes the secret as a string. It is
	// made here, used for this one signature and dropped (the signer
	// caches the signing key it derives, not the secret).
	creds := aws.Credentials{AccessKeyID: in.accessKeyID, SecretAccessKey: string(in.secret.Bytes())}
	signer := v.signer(in.accessKeyID)
	if in.presign {
		clone.URL.RawQuery = in.query.Encode()
		u, _, err := signer.PresignHTTP(ctx, creds, clone, in.payloadHash, in.service, in.region, in.signedAt)
		if err != nil {
			return "", err
		}
		return after(u, "X-Amz-Signature="), nil
	}
	if err := signer.SignHTTP(ctx, creds, clone, in.payloadHash, in.service, in.region, in.signedAt); err != nil {
		return "", err
	}
	return after(headerValue(clone.Header, "Authorization"), "Signature="), nil
}

// decodeSignature decodes a 64-digit hex signature without allocating.
func decodeSignature(s string) (sig [32]byte, ok bool) {
	if len(s) != 2*len(sig) {
		return sig, false
	}
	for i := range sig {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return sig, false
		}
		sig[i] = hi<<4 | lo
	}
	return sig, true
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// after returns what follows the last occurrence of marker in s.
func after(s, marker string) string {
	i := strings.LastIndex(s, marker)
	if i < 0 {
		return ""
	}
	return s[i+len(marker):]
}

// cloneSigned builds the request the SDK signer needs: method, path, query,
// Host and exactly the headers named in signedHeaders, each under its
// lower-case name with all its values (the signer joins them with commas
// and trims spaces the way the SigV4 spec asks). With collapse, runs of any
// white space in the values become one space first; otherSpace reports
// whether a value held white space other than spaces, where collapsing
// changes the result.
//
// ok is false when the client's list cannot have come from a canonical
// request (not lower-case, not sorted, repeated) or names a header the
// request does not carry: such a request can never verify, and refusing
// early bounds the work an unauthenticated list can cause.
func cloneSigned(r *http.Request, signedHeaders string, presign, collapse bool) (c *http.Request, otherSpace, ok bool) {
	h := make(http.Header, strings.Count(signedHeaders, ";")+1)
	c = &http.Request{
		Method: r.Method,
		// The path is taken as it came on the wire (RawPath when it differs
		// from the default encoding); the signer escapes it once more, as
		// SigV4 asks for every service but S3.
		URL:    &url.URL{Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery},
		Host:   r.Host,
		Header: h,
	}
	prev := ""
	for rest := signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		if name <= prev || !isLower(name) {
			return nil, false, false
		}
		prev = name
		switch name {
		case "host":
			continue
		case "x-amz-date":
			if !presign {
				continue // the signer adds it from the signing time
			}
		case "content-length":
			n, ok := contentLength(r)
			if !ok {
				return nil, false, false
			}
			c.ContentLength = n
			continue
		}
		vals := headerValues(r.Header, name)
		if vals == nil {
			return nil, false, false
		}
		if hasOtherSpace(vals) {
			otherSpace = true
			if collapse {
				vals = collapseSpace(vals)
			}
		}
		h[name] = vals
	}
	return c, otherSpace, true
}

func hasOtherSpace(vals []string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v, otherWhiteSpace) {
			return true
		}
	}
	return false
}

// collapseSpace returns a copy of vals with every run of white space made
// one space and the ends trimmed, as botocore's " ".join(v.split()) does.
func collapseSpace(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = strings.Join(strings.Fields(v), " ")
	}
	return out
}

// otherWhiteSpace is the white space, other than ' ', that botocore's
// str.split() and Java's \s fold into one space and the SDK signer keeps.
const otherWhiteSpace = "\t\n\v\f\r"

// contentLength returns the request's Content-Length as the client sent it,
// provided the SDK signer would write it back the same way.
func contentLength(r *http.Request) (int64, bool) {
	v := headerValue(r.Header, "Content-Length")
	if v == "" {
		return r.ContentLength, r.ContentLength > 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != v {
		return 0, false
	}
	return n, true
}

// headerValues returns the values of the header named lower (lower-case).
// Common names are canonicalised without allocating.
func headerValues(h http.Header, lower string) []string {
	key := canonicalName(lower)
	if vals, ok := h[key]; ok {
		return vals
	}
	// A request built by hand may hold a key that is not canonical.
	var found []string
	for k, vals := range h {
		if strings.EqualFold(k, lower) {
			found = append(found, vals...)
		}
	}
	return found
}

func canonicalName(lower string) string {
	switch lower {
	case "content-type":
		return "Content-Type"
	case "x-amz-target":
		return "X-Amz-Target"
	case "x-amz-security-token":
		return "X-Amz-Security-Token"
	case "x-amz-content-sha256":
		return "X-Amz-Content-Sha256"
	case "x-amz-user-agent":
		return "X-Amz-User-Agent"
	case "amz-sdk-invocation-id":
		return "Amz-Sdk-Invocation-Id"
	case "amz-sdk-request":
		return "Amz-Sdk-Request"
	case "x-amz-date":
		return "X-Amz-Date"
	case "user-agent":
		return "User-Agent"
	case "date":
		return "Date"
	}
	return textproto.CanonicalMIMEHeaderKey(lower)
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}
