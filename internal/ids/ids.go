// Package ids makes the random identifiers AWS uses: UUIDs for request,
// event and key ids, and the upper-case base32 ids of access keys.
package ids

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID returns a random (version 4) UUID in its canonical text form.
func UUID() string {
	var out [36]byte
	UUIDInto(&out)
	return string(out[:])
}

// UUIDInto writes a random (version 4) UUID in its canonical text form to
// out: for a caller that holds the text in a struct it allocates anyway.
func UUIDInto(out *[36]byte) {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on failure)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:], b[10:])
}

// ParseUUID returns the 16 bytes of a canonical UUID string.
func ParseUUID(s string) ([16]byte, bool) {
	var b [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return b, false
	}
	hexs := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(b[:], []byte(hexs)); err != nil {
		return b, false
	}
	return b, true
}

// FormatUUID is the inverse of ParseUUID.
func FormatUUID(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

const base32Upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// AccessKeyID returns prefix ("AKIA" or "ASIA") followed by 16 random
// characters of AWS's access-key alphabet.
func AccessKeyID(prefix string) string {
	var b [16]byte
	rand.Read(b[:])
	out := []byte(prefix)
	for _, c := range b {
		out = append(out, base32Upper[c&31])
	}
	return string(out)
}
