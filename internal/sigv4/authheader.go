package sigv4

import "strings"

const algorithm = "AWS4-HMAC-SHA256"

// authorization is the parsed Authorization header. Every field is a
// substring of the header, so parsing allocates nothing on the good path.
type authorization struct {
	algorithm     string
	credential    string
	signedHeaders string
	signature     string
	// hasSignedHeaders tells an empty SignedHeaders= (present, then refused
	// because host is not signed, as AWS does) from an absent one.
	hasSignedHeaders bool
}

// isSigV4Authorization reports whether h claims to be a SigV4 Authorization
// header. AWS answers anything else, including "AWS4" and SigV2's "AWS
// AKID:sig", with MissingAuthenticationToken rather than trying to parse it.
func isSigV4Authorization(h string) bool {
	return strings.HasPrefix(strings.TrimLeft(h, " \t"), "AWS4-")
}

// parseAuthorization splits
//
//	AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
//
// into its parts. Like AWS it accepts commas, spaces or both between the
// parameters and ignores parameters it does not know; the first occurrence of
// a repeated parameter wins. A parameter without '=' is an error, worded as
// AWS words it. Missing parameters are not an error here: the caller words
// them together with a missing date, as AWS does.
func parseAuthorization(h string) (authorization, *AuthError) {
	var a authorization
	rest := strings.TrimLeft(h, " \t")
	end := strings.IndexAny(rest, " \t,")
	if end < 0 {
		a.algorithm = rest
		return a, nil
	}
	a.algorithm, rest = rest[:end], rest[end:]
	var seenCredential, seenSignature bool
	for rest != "" {
		// Skip separators, then take one token.
		i := 0
		for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t' || rest[i] == ',') {
			i++
		}
		rest = rest[i:]
		if rest == "" {
			break
		}
		end := strings.IndexAny(rest, " \t,")
		if end < 0 {
			end = len(rest)
		}
		tok := rest[:end]
		rest = rest[end:]
		key, value, ok := strings.Cut(tok, "=")
		if !ok {
			return authorization{}, authErr(KindIncomplete, msgNoEqualSign(tok, h))
		}
		switch key {
		case "Credential":
			if !seenCredential {
				a.credential, seenCredential = value, true
			}
		case "SignedHeaders":
			if !a.hasSignedHeaders {
				a.signedHeaders, a.hasSignedHeaders = value, true
			}
		case "Signature":
			if !seenSignature {
				a.signature, seenSignature = value, true
			}
		}
	}
	return a, nil
}

// missingAuthParts words what an Authorization header lacks, as AWS does:
// every missing part in one message, followed by the header itself.
// It returns nil when nothing is missing.
func missingAuthParts(a authorization, header string, haveDate bool) *AuthError {
	if a.credential != "" && a.signature != "" && a.hasSignedHeaders && haveDate {
		return nil
	}
	var b strings.Builder
	if a.credential == "" {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if a.signature == "" {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !a.hasSignedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if !haveDate {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	b.WriteString("Authorization=")
	b.WriteString(header)
	return authErr(KindIncomplete, b.String())
}

// signsHost reports whether the SignedHeaders list names host. AWS refuses
// a signature that does not cover the Host header: without it a signed
// request could be replayed against another endpoint.
func signsHost(signedHeaders string) bool {
	for rest := signedHeaders; rest != ""; {
		var name string
		name, rest, _ = strings.Cut(rest, ";")
		if strings.EqualFold(name, "host") {
			return true
		}
	}
	return false
}
