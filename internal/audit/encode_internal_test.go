package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"
)

// signedLine is json.Marshal's signedDigest, byte for byte.
func TestSignedLineMatchesJSON(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	s := NewSigner(priv)
	for _, n := range []int{0, 1, 3, 1000} {
		r := run{trail: "2026-11-23.jsonl", first: 1, prevChain: genesis("2026-11-23.jsonl"), reason: "a <reason> & \u2028 more"}
		for i := range n {
			r.events = append(r.events, pendingEvent{hash: sha256.Sum256([]byte{byte(i), byte(i >> 8)}), size: 100, time: int64(i)})
		}
		d, _, _ := r.digest(7, "prev", time.Now(), s.fp)
		line, _, err := s.sign(d)
		if err != nil {
			t.Fatal(err)
		}
		var sd signedDigest
		if err := json.Unmarshal(line, &sd); err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(sd)
		if !bytes.Equal(line, want) {
			t.Fatalf("signed line\n got %s\nwant %s", line, want)
		}
		if _, err := ParseDigest(line, []ed25519.PublicKey{s.PublicKey()}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAppendTimeMatchesMarshalJSON: an event's time is written as
// time.Time's MarshalJSON writes it, by the UTC fast path (every digit of
// the fraction, trailing zeros, none) and by the layout for other zones.
func TestAppendTimeMatchesMarshalJSON(t *testing.T) {
	base := []time.Time{
		time.Date(2026, 12, 7, 6, 59, 19, 202035524, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 2, 29, 12, 0, 0, 100000000, time.UTC),
		time.Date(2026, 6, 1, 12, 0, 0, 120000, time.FixedZone("x", 3600)),
		time.Date(2026, 6, 1, 12, 0, 0, 5, time.FixedZone("zero", 0)),
	}
	for ns := 1; ns < 1e9; ns *= 10 {
		for _, m := range []int{1, 3, 9} {
			base = append(base, time.Date(2026, 12, 7, 6, 59, 19, ns*m, time.UTC))
		}
	}
	for d := time.Date(2023, 12, 25, 0, 0, 0, 0, time.UTC); d.Year() < 2025; d = d.Add(7*time.Hour + 13*time.Minute + 17*time.Second + 123456789) {
		base = append(base, d)
	}
	for _, tm := range append(base, time.Now().UTC(), time.Now()) {
		want, werr := tm.MarshalJSON()
		got, gerr := appendTime([]byte("x"), tm)
		if (werr == nil) != (gerr == nil) || (werr == nil && string(got) != "x"+string(want)) {
			t.Errorf("appendTime(%v) = %s, %v; MarshalJSON = %s, %v", tm, got, gerr, want, werr)
		}
	}
}
