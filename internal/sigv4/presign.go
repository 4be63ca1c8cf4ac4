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
	q := rawQuery(r.URL.RawQuery)
	var missing strings.Builder
	for _, p := range presignParams {
		if q.get(p) == "" {
			missing.WriteString("AWS query-string parameters must include '")
			missing.WriteString(p)
			missing.WriteString("'. ")
		}
	}
	if missing.Len() > 0 {
		missing.WriteString(msgReexamineQuery)
		return signedRequest{}, authErr(KindIncomplete, missing.String())
	}
	signedAt, aerr := parseAmzDate(q.get("X-Amz-Date"))
	if aerr != nil {
		return signedRequest{}, aerr
	}
	if aerr := checkPresignTime(q, signedAt, now, skew); aerr != nil {
		return signedRequest{}, aerr
	}
	signedHeaders := q.get("X-Amz-SignedHeaders")
	sc, aerr := checkCommon(q.get("X-Amz-Algorithm"), q.get("X-Amz-Credential"), signedHeaders, service, signedAt, now, skew, false)
	if aerr != nil {
		return signedRequest{}, aerr
	}
	sr := signedRequest{
		scope:         sc,
		signedAt:      signedAt,
		signedHeaders: signedHeaders,
		signature:     q.get("X-Amz-Signature"),
		token:         q.get("X-Amz-Security-Token"),
		announcedHash: q.get("X-Amz-Content-Sha256"),
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
func checkPresignTime(q rawQuery, signedAt, now time.Time, skew time.Duration) *AuthError {
	if signedAt.After(now.Add(skew)) {
		return skewError(signedAt, now, skew)
	}
	v, ok := q.lookup("X-Amz-Expires")
	if !ok {
		return checkSkew(signedAt, now, skew)
	}
	secs, err := strconv.ParseInt(v, 10, 64)
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

// rawQuery is a query string as it came, read the way url.ParseQuery reads
// it (a pair holding ';' or a bad escape is skipped, and past
// maxQueryParams the query is empty) without building the whole map.
type rawQuery string

// get is url.Values.Get: the first value of key, or "".
func (q rawQuery) get(key string) string {
	v, _ := q.lookup(key)
	return v
}

// lookup returns the first value of key and whether there is one. Only a
// value that holds an escape is copied.
func (q rawQuery) lookup(key string) (string, bool) {
	raw := string(q)
	if strings.Count(raw, "&")+1 > maxQueryParams {
		return "", false
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if !queryKeyIs(k, key) {
			continue
		}
		if !strings.ContainsAny(v, "%+") {
			return v, true
		}
		if u, err := url.QueryUnescape(v); err == nil {
			return u, true
		}
		// A bad escape in the value drops the pair; a later one may count.
	}
	return "", false
}

// queryKeyIs reports whether the raw query key k decodes to key.
func queryKeyIs(k, key string) bool {
	if !strings.ContainsAny(k, "%+") {
		return k == key
	}
	var buf [64]byte
	if len(k) > 3*len(buf) {
		return false // decodes to more than 64 bytes, longer than any key asked for
	}
	d, ok := appendQueryUnescape(buf[:0], k)
	return ok && string(d) == key
}
