package sigv4

import (
	"net/http"
	"slices"
	"strings"
)

// SigV4 lets a client choose which headers it signs, beyond Host. sealbox
// is stricter, because on the AWS JSON protocol a header selects the
// operation: a GetParameter signed over host and x-amz-date alone would
// otherwise replay, for the signature's five minutes, as DeleteParameter.
// So X-Amz-Target, Content-Type and every other x-amz-* header present
// must be among the signed headers, in either form of authentication.
//
// Two exceptions keep real clients working:
//   - X-Amz-Security-Token may be added after signing (some services
//     accept it so; the SigV4 suite's post-sts-header-after case). It
//     is compared with the key's own token once the signature holds.
//   - x-amzn-* headers (x-amzn-trace-id, which the SDKs leave unsigned
//     on purpose) are not x-amz-* headers.
//
// The AWS SDKs and the aws CLI sign every header they send but
// User-Agent, Expect, Transfer-Encoding and X-Amzn-Trace-Id, so nothing
// they send is refused.

// mustBeSigned reports whether a header named name (any case) must be
// covered by the signature when present.
func mustBeSigned(name string) bool {
	const amz = "x-amz-"
	switch {
	case strings.EqualFold(name, "Content-Type"):
		return true
	case len(name) < len(amz) || !strings.EqualFold(name[:len(amz)], amz):
		return false
	}
	return !strings.EqualFold(name, "X-Amz-Security-Token")
}

// unsignedHeaders returns nil when every header of h that must be signed is
// named in signedHeaders, and otherwise the refusal, naming them.
//
// A header held under two spellings (a map built by hand, never one read
// from the wire, where net/http folds them into one) counts as unsigned:
// the signature covers the values under the canonical key only (see
// headerValues), and a reader of the other spelling would act on a value
// no one signed.
func unsignedHeaders(h http.Header, signedHeaders string) *AuthError {
	var missing []string
	for name := range h {
		if !mustBeSigned(name) {
			continue
		}
		if !listed(signedHeaders, name) || twoSpellings(h, name) {
			missing = append(missing, strings.ToLower(name))
		}
	}
	if missing == nil {
		return nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing) // a hand-built map may hold two spellings
	return authErr(KindBadSignature, msgHeadersNotSigned+strings.Join(missing, ", "))
}

// listed reports whether the semicolon-separated list names name, ignoring
// case (the list is lower-case when it verifies; the check does not rely
// on it).
func listed(list, name string) bool {
	for list != "" {
		var item string
		item, list, _ = strings.Cut(list, ";")
		if strings.EqualFold(item, name) {
			return true
		}
	}
	return false
}

// twoSpellings reports whether name is not in canonical form while h also
// holds the header under its canonical form.
func twoSpellings(h http.Header, name string) bool {
	c := http.CanonicalHeaderKey(name) // no allocation when name is canonical
	if c == name {
		return false
	}
	_, ok := h[c]
	return ok
}
