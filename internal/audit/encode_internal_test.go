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
