package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxExpires is the longest a presigned URL may live: a week, because the
// signing key it was made with is derived for one day's scope and AWS
// documents seven days as the limit.
const maxExpires = 7 * 24 * time.Hour

// queryHasKey reports whether the raw query has a parameter named key,
// without parsing (and allocating) the whole query. AWS treats a query that
// names X-Amz-Algorithm, even with no value, as a presigned request.
func queryHasKey(raw, key string) bool {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		k, _, _ := strings.Cut(pair, "=")
		if k == key {
			return true
		}
		if strings.ContainsAny(k, "%+") {
			if u, err := url.QueryUnescape(k); err == nil && u == key {
				return true
			}
		}
	}
	return false
}

// presignParams are the query parameters a presigned request must carry,
// in the order AWS names the missing ones.
var presignParams = [...]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date"}

// parseQueryAuth reads and checks the presigned (query string) form.
//
// X-Amz-Expires is optional, as it is for AWS's JSON and Query services
// (which hold a presigned request to the clock-skew window whatever it
// says); when present it must be 1..604800 seconds, and it replaces the
// past half of the skew window: the URL is good until X-Amz-Date plus
// X-Amz-Expires, as S3 keeps it.
func parseQueryAuth(r *http.Request, service string, now time.Time, skew time.Duration) (signedRequest, *AuthError) {
	// Parse errors are ignored as the SDK signer ignores them: a parameter
	// it cannot read is left out of both sides.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	var missing strings.Builder
	for _, p := range presignParams {
		if q.Get(p) == "" {
			missing.WriteString("AWS query-string parameters must include '")
			missing.WriteString(p)
			missing.WriteString("'. ")
		}
	}
	if missing.Len() > 0 {
		missing.WriteString(msgReexamineQuery)
		return signedRequest{}, authErr(KindIncomplete, missing.String())
	}
	signedAt, aerr := parseAmzDate(q.Get("X-Amz-Date"))
	if aerr != nil {
		return signedRequest{}, aerr
	}
	if aerr := checkPresignTime(q, signedAt, now, skew); aerr != nil {
		return signedRequest{}, aerr
	}
	signedHeaders := q.Get("X-Amz-SignedHeaders")
	sc, aerr := checkCommon(q.Get("X-Amz-Algorithm"), q.Get("X-Amz-Credential"), signedHeaders, service, signedAt, now, skew, false)
	if aerr != nil {
		return signedRequest{}, aerr
	}
	sr := signedRequest{
		scope:         sc,
		signedAt:      signedAt,
		signedHeaders: signedHeaders,
		signature:     q.Get("X-Amz-Signature"),
		token:         q.Get("X-Amz-Security-Token"),
		announcedHash: q.Get("X-Amz-Content-Sha256"),
		presign:       true,
	}
	if sr.token == "" {
		sr.token = headerValue(r.Header, "X-Amz-Security-Token")
	}
	if sr.announcedHash == "" {
		sr.announcedHash = headerValue(r.Header, "X-Amz-Content-Sha256")
	}
	return sr, nil
}

// checkPresignTime refuses a presigned request dated too far in the future,
// or past its X-Amz-Expires (or, without one, older than the skew allows).
func checkPresignTime(q url.Values, signedAt, now time.Time, skew time.Duration) *AuthError {
	if signedAt.After(now.Add(skew)) {
		return skewError(signedAt, now, skew)
	}
	v, ok := q["X-Amz-Expires"]
	if !ok || len(v) == 0 {
		return checkSkew(signedAt, now, skew)
	}
	secs, err := strconv.ParseInt(v[0], 10, 64)
	switch {
	case err != nil:
		return authErr(KindIncomplete, msgExpiresNumber)
	case secs < 0:
		return authErr(KindIncomplete, msgExpiresNeg)
	case secs > int64(maxExpires/time.Second):
		return authErr(KindIncomplete, msgExpiresWeek)
	}
	// X-Amz-Expires=0 is a URL that was never good.
	if secs == 0 || now.After(signedAt.Add(time.Duration(secs)*time.Second)) {
		return authErr(KindExpired, msgRequestExpired)
	}
	return nil
}
