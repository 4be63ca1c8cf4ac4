package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

const unsignedPayload = "UNSIGNED-PAYLOAD"

// payloadHash returns the payload hash that goes into the canonical
// request, and whether the body is left unsigned; computed is the body's
// SHA-256 in lower-case hex.
//
// A client may announce the hash in X-Amz-Content-Sha256 (botocore uses the
// header's value in place of hashing the body whenever the header is set).
// The announced value is what the client signed, so it is what the canonical
// request must carry; but a hex hash that does not match the body would let
// a signed hash vouch for a different body, so it is checked here. The one
// non-hash value accepted is UNSIGNED-PAYLOAD, which leaves the body
// unauthenticated; the caller reports that in Result.UnsignedPayload.
func payloadHash(announced, computed string) (hash string, unsigned bool, err *AuthError) {
	switch {
	case announced == "":
		return computed, false, nil
	case announced == unsignedPayload:
		return announced, true, nil
	case len(announced) != 2*sha256.Size || !isHex(announced):
		return "", false, authErr(KindIncomplete, msgPayloadValue)
	case !strings.EqualFold(announced, computed):
		return "", false, authErr(KindBadSignature, msgPayloadHash)
	}
	return announced, false, nil
}

// SHA256Hex is the lower-case hex SHA-256 of body, as VerifyPayload takes
// it.
func SHA256Hex(body []byte) string {
	sum := sha256.Sum256(body)
	var buf [2 * sha256.Size]byte
	hex.Encode(buf[:], sum[:])
	return string(buf[:])
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
