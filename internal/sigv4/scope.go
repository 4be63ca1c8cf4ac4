package sigv4

import (
	"net/http"
	"strings"
	"time"
)

// scope is a parsed credential: AKID/YYYYMMDD/region/service/aws4_request.
type scope struct {
	accessKeyID, date, region, service, terminator string
}

// parseCredential splits a credential into its five parts. AWS ignores
// trailing slashes, so this does too.
func parseCredential(cred string) (scope, *AuthError) {
	rest := strings.TrimRight(cred, "/")
	var s scope
	var ok bool
	parts := [...]*string{&s.accessKeyID, &s.date, &s.region, &s.service}
	for _, p := range parts {
		if *p, rest, ok = strings.Cut(rest, "/"); !ok {
			return scope{}, authErr(KindIncomplete, msgCredentialParts(cred))
		}
	}
	if strings.Contains(rest, "/") {
		return scope{}, authErr(KindIncomplete, msgCredentialParts(cred))
	}
	s.terminator = rest
	return s, nil
}

// check compares the scope with what the endpoint expects and with the
// signing time, and words every mismatch in one message, in AWS's order:
// region, service, terminator, date. AWS answers these as a signature
// mismatch (InvalidSignatureException / SignatureDoesNotMatch), not as an
// incomplete signature.
func (s scope) check(service string, signedAt time.Time) *AuthError {
	var dateBuf [8]byte
	wantDate := appendDate(dateBuf[:0], signedAt.UTC())
	regionOK := validRegion(s.region)
	if regionOK && s.service == service && s.terminator == "aws4_request" && s.date == string(wantDate) {
		return nil
	}
	var b strings.Builder
	if !regionOK {
		b.WriteString(msgRegion)
	}
	if s.service != service {
		b.WriteString("Credential should be scoped to correct service: '")
		b.WriteString(service)
		b.WriteString("'. ")
	}
	if s.terminator != "aws4_request" {
		b.WriteString("Credential should be scoped with a valid terminator: 'aws4_request', not '")
		b.WriteString(s.terminator)
		b.WriteString("'. ")
	}
	if s.date != string(wantDate) {
		b.WriteString("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '")
		b.WriteString(s.date)
		b.WriteString("' != '")
		b.Write(wantDate)
		b.WriteString("', from '")
		b.WriteString(signedAt.UTC().Format(isoBasic))
		b.WriteString("'. ")
	}
	return authErr(KindBadSignature, b.String())
}

// validRegion accepts any region name shaped like AWS's (lower-case letters,
// digits and hyphens): sealbox serves every region a signature names, each
// its own namespace, but the name ends up in ARNs and storage keys, so it
// must not carry ':' or '/' or be empty.
func validRegion(r string) bool {
	if r == "" || len(r) > 64 {
		return false
	}
	for i := 0; i < len(r); i++ {
		c := r[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// parseAmzDate parses an X-Amz-Date value (ISO 8601 basic format, UTC).
func parseAmzDate(v string) (time.Time, *AuthError) {
	t, err := parseISOBasic(v)
	if err != nil {
		return time.Time{}, authErr(KindIncomplete, msgBadDate(v))
	}
	return t, nil
}

// requestDate returns the signing time of a header-signed request: the
// X-Amz-Date header, or else the Date header (an HTTP date), as AWS allows.
// present is false when the request has neither.
func requestDate(h http.Header) (t time.Time, fromDateHeader, present bool, err *AuthError) {
	if v := headerValue(h, "X-Amz-Date"); v != "" {
		t, err = parseAmzDate(v)
		return t, false, true, err
	}
	v := headerValue(h, "Date")
	if v == "" {
		return time.Time{}, false, false, nil
	}
	t, perr := http.ParseTime(v)
	if perr != nil {
		return time.Time{}, true, true, authErr(KindIncomplete, msgBadDate(v))
	}
	return t.UTC(), true, true, nil
}

// headerValue is h.Get(key) for a key already in canonical form, without
// the allocation Get may make to canonicalise it.
func headerValue(h http.Header, canonicalKey string) string {
	if v := h[canonicalKey]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// checkSkew refuses a signing time more than skew away from now.
func checkSkew(signedAt, now time.Time, skew time.Duration) *AuthError {
	if signedAt.Before(now.Add(-skew)) || signedAt.After(now.Add(skew)) {
		return skewError(signedAt, now, skew)
	}
	return nil
}
