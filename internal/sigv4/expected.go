package sigv4

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/primitive"
)

// The expected signature is computed here, into pooled buffers, following
// the SigV4 specification the way aws-sdk-go-v2's signer (aws/signer/v4)
// applies it; FuzzVerifyMatchesSDK holds the two to the same signature for
// the same request. Where the SDK signer departs from the letter of the
// spec, this follows the SDK, since that is what clients sign with:
//
//   - Canonical URI: the path as it came on the wire (URL.EscapedPath),
//     escaped once more, every byte but A-Z a-z 0-9 - . _ ~ and '/': the
//     double encoding of every service but S3. sealbox serves no S3, so
//     the path is never left single-encoded.
//   - Canonical query: parsed as url.ParseQuery parses it (a pair with ';'
//     or a bad %-escape is left out, '+' is a space), each key and value
//     escaped as above with '/' escaped too, sorted by key then value.
//   - Canonical headers: host from Request.Host with runs of spaces made
//     one; every other value trimmed of white space at both ends (as
//     strings.TrimSpace does) with inner runs of spaces made one, several
//     values joined by commas. Content-Length only when it is positive.
//     X-Amz-Date must be signed in a header-signed request.
//
// The SDK signer cannot leave X-Amz-Date out of a header-signed request,
// so a request dated by the Date header alone is refused (msgDateOnly)
// rather than verified in a form no SDK produces.

// signingInput is what the signature covers besides the request.
type signingInput struct {
	accessKeyID     string
	secret          primitive.Secret
	region, service string
	signedAt        time.Time
	payloadHash     string
	signedHeaders   string
	presign         bool
}

// maxQueryParams is url.ParseQuery's limit: past it the SDK signer sees an
// empty query. A request so long is refused instead of verified with its
// query unsigned.
const maxQueryParams = 10000

// workspace holds the buffers one signature computation writes into; they
// are pooled so that a verification allocates nothing for them.
type workspace struct {
	canon  []byte   // the canonical request
	sts    []byte   // the string to sign
	qbuf   []byte   // the encoded query keys and values, back to back
	qkey   []byte   // one query key, unescaped
	qval   []byte   // one query value, unescaped
	params []qparam // where each pair of qbuf lies
	key    [32]byte // the signing key (here, not on the stack: the MAC takes a slice of it)
	got    [32]byte // the client's signature, decoded
	want   [32]byte // the signature computed, when the signing key is cached
	date   [8]byte  // the scope's day, YYYYMMDD
	amz    [16]byte // the signing time, YYYYMMDDTHHMMSSZ
}

// qparam is one query parameter in qbuf: the key at [k0:k1], '=' at k1,
// the value at [k1+1:v1].
type qparam struct{ k0, k1, v1 int }

var workspaces = sync.Pool{New: func() any {
	return &workspace{canon: make([]byte, 0, 1024), sts: make([]byte, 0, 256)}
}}

// maxPooled is the largest buffer returned to the pool: one huge request
// must not pin its buffers for the life of the process.
const maxPooled = 64 << 10

func (w *workspace) release() {
	clear(w.key[:])
	if cap(w.canon) > maxPooled || cap(w.qbuf) > maxPooled || cap(w.qkey) > maxPooled || cap(w.qval) > maxPooled {
		return
	}
	workspaces.Put(w)
}

// signatureMatches reports whether sig (hex) is the signature of r and in.
// The comparison is constant-time. A request whose canonical form the SDK
// signer cannot produce does not match.
//
// Signers disagree on one detail of header canonicalisation: the SDK signer
// collapses runs of spaces only, while botocore, aws-sdk-java and
// aws-sdk-js collapse runs of any white space (a tab, say) to one space.
// When a signed value holds such white space and the first attempt fails,
// the values are collapsed the botocore way and the signature computed
// again; no other request pays for the second attempt.
func (v *Verifier) signatureMatches(r *http.Request, in *signingInput, sig string) bool {
	w := workspaces.Get().(*workspace)
	defer w.release()
	var ok bool
	if w.got, ok = decodeSignature(sig); !ok {
		return false
	}
	utc := in.signedAt.UTC()
	appendDate(w.date[:0], utc)
	appendISOBasic(w.amz[:0], utc)
	var sum [sha256.Size]byte
	var mac *primitive.MACKey
	derived := false
	for _, collapse := range [...]bool{false, true} {
		otherSpace, ok := w.stringToSign(r, in, collapse)
		if !ok {
			return false
		}
		if !derived {
			sum, mac = v.signingKey(in, &w.date, &w.key)
			derived = true
		}
		var want []byte
		if mac != nil {
			want = mac.Sum(w.want[:0], w.sts)
		} else {
			want = primitive.HMAC(w.key[:], w.sts)
		}
		if primitive.Equal(want, w.got[:]) {
			if mac == nil {
				// Only a key that verified a signature is kept, so that
				// unsigned requests cannot crowd the cache.
				v.keepSigningKey(in, &w.date, &sum, &w.key)
			}
			return true
		}
		if !otherSpace {
			break
		}
	}
	return false
}

// stringToSign writes the string to sign into w.sts. ok is false when the
// request cannot have been signed as the client claims (see
// appendCanonicalHeaders); otherSpace is appendCanonicalHeaders's.
func (w *workspace) stringToSign(r *http.Request, in *signingInput, collapse bool) (otherSpace, ok bool) {
	b := append(w.canon[:0], r.Method...)
	b = append(b, '\n')
	b = appendCanonicalURI(b, r)
	b = append(b, '\n')
	if b, ok = w.appendCanonicalQuery(b, r.URL.RawQuery, in); !ok {
		w.canon = b
		return false, false
	}
	b = append(b, '\n')
	if b, otherSpace, ok = w.appendCanonicalHeaders(b, r, in, collapse); !ok {
		w.canon = b
		return false, false
	}
	b = append(b, '\n')
	b = append(b, in.signedHeaders...)
	b = append(b, '\n')
	b = append(b, in.payloadHash...)
	w.canon = b
	sum := sha256.Sum256(b)

	s := append(w.sts[:0], algorithm+"\n"...)
	s = append(s, w.amz[:]...)
	s = append(s, '\n')
	s = appendScope(s, &w.date, in.region, in.service)
	s = append(s, '\n')
	s = hex.AppendEncode(s, sum[:])
	w.sts = s
	return otherSpace, true
}

// appendScope appends date/region/service/aws4_request.
func appendScope(b []byte, date *[8]byte, region, service string) []byte {
	b = append(b, date[:]...)
	b = append(b, '/')
	b = append(b, region...)
	b = append(b, '/')
	b = append(b, service...)
	return append(b, "/aws4_request"...)
}

// appendCanonicalURI appends the path as it came on the wire, escaped once
// more, as SigV4 asks for every service but S3.
func appendCanonicalURI(b []byte, r *http.Request) []byte {
	p := r.URL.EscapedPath() // no allocation unless RawPath is set
	if p == "" {
		p = "/"
	}
	return appendEscaped(b, p, false)
}

// appendEscaped appends s with every byte but the unreserved ones (and '/'
// unless escapeSlash) written as %XX, upper-case, as SigV4's UriEncode.
func appendEscaped[T string | []byte](b []byte, s T, escapeSlash bool) []byte {
	const hexUpper = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || c == '/' && !escapeSlash {
			b = append(b, c)
			continue
		}
		b = append(b, '%', hexUpper[c>>4], hexUpper[c&15])
	}
	return b
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// appendCanonicalQuery appends the canonical query string. In a presigned
// request X-Amz-Signature is left out, and every other parameter is signed
// as sent, X-Amz-Date and X-Amz-Credential too (the SDK signer writes them
// itself, the same way): a second copy of one, or the same date written
// otherwise, does not verify.
func (w *workspace) appendCanonicalQuery(b []byte, raw string, in *signingInput) ([]byte, bool) {
	if strings.Count(raw, "&")+1 > maxQueryParams {
		return b, false
	}
	w.qbuf, w.params = w.qbuf[:0], w.params[:0]
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue // as url.ParseQuery: not a parameter
		}
		k, val, _ := strings.Cut(pair, "=")
		var okK, okV bool
		w.qkey, okK = appendQueryUnescape(w.qkey[:0], k)
		w.qval, okV = appendQueryUnescape(w.qval[:0], val)
		if !okK || !okV {
			continue // as url.ParseQuery: a bad escape drops the pair
		}
		if in.presign && string(w.qkey) == "X-Amz-Signature" {
			continue
		}
		w.addParam(w.qkey, w.qval)
	}
	q := w.qbuf
	slices.SortFunc(w.params, func(x, y qparam) int {
		if c := bytes.Compare(q[x.k0:x.k1], q[y.k0:y.k1]); c != 0 {
			return c
		}
		return bytes.Compare(q[x.k1+1:x.v1], q[y.k1+1:y.v1])
	})
	for i, p := range w.params {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, q[p.k0:p.v1]...)
	}
	return b, true
}

// addParam appends key=value, both escaped, to w.qbuf and records it.
func (w *workspace) addParam(key, value []byte) {
	p := qparam{k0: len(w.qbuf)}
	w.qbuf = appendEscaped(w.qbuf, key, true)
	p.k1 = len(w.qbuf)
	w.qbuf = append(w.qbuf, '=')
	w.qbuf = appendEscaped(w.qbuf, value, true)
	p.v1 = len(w.qbuf)
	w.params = append(w.params, p)
}

// appendQueryUnescape appends s decoded as url.QueryUnescape decodes it
// ('+' is a space), and reports false where QueryUnescape fails.
func appendQueryUnescape(b []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) {
				return b, false
			}
			hi, ok1 := fromHex(s[i+1])
			lo, ok2 := fromHex(s[i+2])
			if !ok1 || !ok2 {
				return b, false
			}
			b = append(b, hi<<4|lo)
			i += 2
		case '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return b, true
}

// appendCanonicalHeaders appends one name:value line for each header the
// client's list names. With collapse, runs of any white space in the values
// become one space first; otherSpace reports whether a value held white
// space other than spaces, where collapsing changes the result.
//
// ok is false when the client's list cannot have come from the SDK signer:
// not lower-case, not sorted, repeated, without host or (header-signed)
// x-amz-date, or naming a header the request does not carry. Such a
// request can never verify, and refusing early bounds the work an
// unauthenticated list can cause.
func (w *workspace) appendCanonicalHeaders(b []byte, r *http.Request, in *signingInput, collapse bool) (_ []byte, otherSpace, ok bool) {
	prev := ""
	var sawHost, sawDate bool
	for rest := in.signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		if name <= prev || !isLower(name) {
			return b, false, false
		}
		prev = name
		b = append(b, name...)
		b = append(b, ':')
		switch {
		case name == "host":
			// The SDK signer trims and collapses spaces in Host, nothing else.
			b = appendCollapsed(b, strings.Trim(r.Host, " "))
			sawHost = true
		case name == "content-length":
			n, ok := contentLength(r)
			if !ok {
				return b, false, false
			}
			b = strconv.AppendInt(b, n, 10)
		default:
			// X-Amz-Date is signed as sent, like any header: the same
			// instant written otherwise, or a second value after the one
			// read as the signing time, does not verify.
			sawDate = sawDate || name == "x-amz-date"
			vals := headerValues(r.Header, name)
			if vals == nil {
				return b, false, false
			}
			fold := false
			if hasOtherSpace(vals) {
				otherSpace = true
				fold = collapse
			}
			for i, v := range vals {
				if i > 0 {
					b = append(b, ',')
				}
				if fold {
					b = appendFields(b, v)
				} else {
					b = appendCollapsed(b, strings.TrimSpace(v))
				}
			}
		}
		b = append(b, '\n')
	}
	if !sawHost || !in.presign && !sawDate {
		return b, false, false
	}
	return b, otherSpace, true
}

// appendCollapsed appends s with every run of spaces made one space.
func appendCollapsed(b []byte, s string) []byte {
	for {
		i := strings.Index(s, "  ")
		if i < 0 {
			return append(b, s...)
		}
		b = append(b, s[:i+1]...)
		s = strings.TrimLeft(s[i+1:], " ")
	}
}

// appendFields appends s with every run of white space made one space and
// the ends trimmed, as botocore's " ".join(v.split()) does.
func appendFields(b []byte, s string) []byte {
	first := true
	for f := range strings.FieldsSeq(s) {
		if !first {
			b = append(b, ' ')
		}
		first = false
		b = append(b, f...)
	}
	return b
}

func hasOtherSpace(vals []string) bool {
	for _, v := range vals {
		if strings.ContainsAny(v, otherWhiteSpace) {
			return true
		}
	}
	return false
}

// otherWhiteSpace is the white space, other than ' ', that botocore's
// str.split() and Java's \s fold into one space and the SDK signer keeps.
const otherWhiteSpace = "\t\n\v\f\r"

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

// contentLength returns the request's Content-Length as the client sent it,
// provided the SDK signer would write it back the same way (it signs the
// header only when the length is positive).
func contentLength(r *http.Request) (int64, bool) {
	v := headerValue(r.Header, "Content-Length")
	if v == "" {
		return r.ContentLength, r.ContentLength > 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	var buf [20]byte
	if err != nil || n <= 0 || string(strconv.AppendInt(buf[:0], n, 10)) != v {
		return 0, false
	}
	return n, true
}

// headerValues returns the values of the header named lower (lower-case),
// under its canonical key, or else under any spelling (a request built by
// hand may hold a key that is not canonical).
func headerValues(h http.Header, lower string) []string {
	if vals, ok := lookupCanonical(h, lower); ok {
		return vals
	}
	var found []string
	for k, vals := range h {
		if strings.EqualFold(k, lower) {
			found = append(found, vals...)
		}
	}
	return found
}

// lookupCanonical is h[textproto.CanonicalMIMEHeaderKey(lower)], the
// canonical key built on the stack for names of ordinary length.
func lookupCanonical(h http.Header, lower string) ([]string, bool) {
	var buf [64]byte
	if len(lower) > len(buf) {
		vals, ok := h[textproto.CanonicalMIMEHeaderKey(lower)]
		return vals, ok
	}
	upper := true
	for i := 0; i < len(lower); i++ {
		c := lower[i]
		if !tokenByte(c) {
			// CanonicalMIMEHeaderKey leaves such a name as it is.
			vals, ok := h[lower]
			return vals, ok
		}
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
		upper = c == '-'
	}
	vals, ok := h[string(buf[:len(lower)])] // the lookup does not allocate
	return vals, ok
}

// tokenByte reports whether c may appear in a header name (RFC 9110's
// tchar), as net/textproto decides whether to canonicalise one.
func tokenByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}
