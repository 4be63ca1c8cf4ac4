package cloudtrail

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/sealbox/sealbox"
)

// A NextToken says where the next page starts (the trail's cursor after
// the last event read) and which query it belongs to, since CloudTrail
// wants the same parameters with it. It is not secret and needs no MAC: a
// forged cursor can only start a lookup the caller may make anyway
// elsewhere in the trail, and one that is not a cursor is refused.
type token struct {
	Cursor string `json:"c"`
	Query  string `json:"q"`
}

// maxToken bounds a NextToken before it is decoded.
const maxToken = 512

// fingerprint names the query's filters, not its page size.
func (q *query) fingerprint() string {
	ms := func(t int64) string { return strconv.FormatInt(t, 10) }
	var start, end int64
	if !q.start.IsZero() {
		start = q.start.UnixMilli()
	}
	if !q.end.IsZero() {
		end = q.end.UnixMilli()
	}
	sum := sha256.Sum256([]byte(q.region + "\x00" + q.key + "\x00" + q.value + "\x00" + ms(start) + "\x00" + ms(end)))
	return hex.EncodeToString(sum[:8])
}

func encodeToken(cursor, query string) string {
	b, _ := json.Marshal(token{Cursor: cursor, Query: query})
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeToken returns the cursor of a NextToken given for query. s is
// untrusted input.
func decodeToken(s, query string) (string, error) {
	if len(s) > maxToken {
		return "", errNextToken()
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", errNextToken()
	}
	var t token
	if err := json.Unmarshal(b, &t); err != nil || t.Cursor == "" || t.Query != query {
		return "", errNextToken()
	}
	return t.Cursor, nil
}

func errNextToken() error {
	return sealbox.Errorf("InvalidNextTokenException", "Invalid NextToken: it was not returned by a LookupEvents call with the same parameters.")
}
