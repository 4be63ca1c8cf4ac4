package cloudtrail

import (
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	q := &query{region: "us-east-1", key: "EventName", value: "Decrypt", end: time.Unix(1700000000, 0)}
	tok := encodeToken("audit/e/0123", q.fingerprint())
	if c, err := decodeToken(tok, q.fingerprint()); err != nil || c != "audit/e/0123" {
		t.Fatalf("decodeToken(encodeToken(…)) = %q, %v; want the cursor", c, err)
	}
	other := &query{region: "us-east-1", key: "EventName", value: "Encrypt", end: q.end}
	if _, err := decodeToken(tok, other.fingerprint()); err == nil {
		t.Fatal("a token of one query was taken by another")
	}
	if _, err := decodeToken(tok, (&query{region: "eu-west-1", key: "EventName", value: "Decrypt", end: q.end}).fingerprint()); err == nil {
		t.Fatal("a token of one region was taken in another")
	}
}

// FuzzDecodeToken: a NextToken is untrusted input. Decoding never panics,
// and only a token made for the query is taken.
func FuzzDecodeToken(f *testing.F) {
	q := &query{region: "us-east-1"}
	f.Add(encodeToken("audit/e/00", q.fingerprint()))
	f.Add("")
	f.Add("e30")
	f.Add("eyJjIjoiYSIsInEiOiJiIn0")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeToken(s, q.fingerprint())
		if err == nil && (c == "" || len(s) > maxToken) {
			t.Fatalf("decodeToken(%q) took it with cursor %q", s, c)
		}
	})
}
