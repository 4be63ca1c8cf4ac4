package identity

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/sealbox/sealbox"
)

// validateDocument asks the checker about doc; without a checker, doc must
// be a JSON object.
func validateDocument(pc PolicyChecker, doc string, kind PolicyKind) error {
	if pc != nil {
		return pc.Validate(doc, kind)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return &sealbox.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy."}
	}
	return nil
}

// encodeDocument is a policy document as IAM returns it: percent-encoded
// (RFC 3986; a space is %20), which botocore decodes and aws-sdk-go-v2
// leaves to the caller (url.QueryUnescape).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}
