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

// The query parameters the presigned form reads. The first five must be
// there, and are in the order AWS names the missing ones.
const (
	qAlgorithm = iota
	qCredential
	qSignature
	qSignedHeaders
	qDate
	qExpires
	qToken
	qContentSHA256
	qParams
	qRequired = qDate + 1
)

var presignKeys = [qParams]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date",
	"X-Amz-Expires", "X-Amz-Security-Token", "X-Amz-Content-Sha256"}

// presignQuery is what the presigned form reads from the query: the first
// value of each parameter, as url.ParseQuery would give it, read in one
// pass without building the whole map.
type presignQuery struct {
	val  [qParams]string
	seen [qParams]bool
}

// readPresignQuery reads raw the way url.ParseQuery does: a pair holding
// ';' or a bad escape is skipped, and past maxQueryParams the query is
// empty. Only a value that holds an escape is copied.
func readPresignQuery(raw string) (q presignQuery) {
	if strings.Count(raw, "&")+1 > maxQueryParams {
		return q
	}
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" || strings.IndexByte(pair, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		i := presignParam(k)
		if i < 0 || q.seen[i] {
			continue
		}
		if strings.IndexByte(v, '%') >= 0 || strings.IndexByte(v, '+') >= 0 {
			u, err := url.QueryUnescape(v)
			if err != nil {
				continue // the pair is dropped; a later one may count
			}
			v = u
		}
		q.val[i], q.seen[i] = v, true
	}
	return q
}

// presignParam returns the index in presignKeys of the raw query key k,
// or -1.
func presignParam(k string) int {
	if len(k) < len("X-Amz-") {
		return -1
	}
	if strings.IndexByte(k, '%') >= 0 || strings.IndexByte(k, '+') >= 0 {
		var buf [64]byte
		if len(k) > 3*len(buf) {
			return -1 // decodes to more than 64 bytes, longer than any key here
		}
		d, ok := appendQueryUnescape(buf[:0], k)
		if !ok {
			return -1
		}
		return presignParamDecoded(string(d))
	}
	return presignParamDecoded(k)
}

func presignParamDecoded(k string) int {
	for i, key := range presignKeys {
		if k == key {
			return i
		}
	}
	return -1
}

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
	q := readPresignQuery(r.URL.RawQuery)
	var missing strings.Builder
	for i, p := range presignKeys[:qRequired] {
		if q.val[i] == "" {
			missing.WriteString("AWS query-string parameters must include '")
			missing.WriteString(p)
			missing.WriteString("'. ")
		}
	}
	if missing.Len() > 0 {
		missing.WriteString(msgReexamineQuery)
		return signedRequest{}, authErr(KindIncomplete, missing.String())
	}
	signedAt, aerr := parseAmzDate(q.val[qDate])
	if aerr != nil {
		return signedRequest{}, aerr
	}
	if aerr := checkPresignTime(&q, signedAt, now, skew); aerr != nil {
		return signedRequest{}, aerr
	}
	signedHeaders := q.val[qSignedHeaders]
	sc, aerr := checkCommon(q.val[qAlgorithm], q.val[qCredential], signedHeaders, service, signedAt, now, skew, false)
	if aerr != nil {
		return signedRequest{}, aerr
	}
	sr := signedRequest{
		scope:         sc,
		signedAt:      signedAt,
		signedHeaders: signedHeaders,
		signature:     q.val[qSignature],
		token:         q.val[qToken],
		announcedHash: q.val[qContentSHA256],
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
func checkPresignTime(q *presignQuery, signedAt, now time.Time, skew time.Duration) *AuthError {
	if signedAt.After(now.Add(skew)) {
		return skewError(signedAt, now, skew)
	}
	v, ok := q.val[qExpires], q.seen[qExpires]
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
