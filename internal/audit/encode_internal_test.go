package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"testing"
	"time"
)

// plain8 agrees with the table for every byte in every position.
func TestPlain8(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			w := uint64(0x6161616161616161)
			w = w&^(0xff<<(8*pos)) | uint64(b)<<(8*pos)
			want := b < 0x80 && plain[b]
			if got := plain8(w); got != want {
				t.Fatalf("plain8 with %#x at %d = %v, want %v", b, pos, got, want)
			}
		}
	}
}

// plain8 agrees with the table on words of bytes near the ones it tests.
func TestPlain8Words(t *testing.T) {
	near := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '#', '$', '%', '&', '\'', ';', '<', '=', '>', '?', '[', '\\', ']', 'a', 0x7e, 0x7f, 0x80, 0xc3, 0xfe, 0xff}
	rng := uint64(1)
	for range 200000 {
		var w uint64
		want := true
		for pos := range 8 {
			rng = rng*6364136223846793005 + 1442695040888963407
			b := near[(rng>>33)%uint64(len(near))]
			w |= uint64(b) << (8 * pos)
			want = want && b < 0x80 && plain[b]
		}
		if got := plain8(w); got != want {
			t.Fatalf("plain8(%#x) = %v, want %v", w, got, want)
		}
	}
}

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
