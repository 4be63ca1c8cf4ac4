package identity

import (
	"encoding/json"

	"github.com/sealbox/sealbox"
)

// ValidateDocument asks the checker about doc; without a checker, doc must
// be a JSON object.
func ValidateDocument(pc PolicyChecker, doc string, kind PolicyKind) error {
	if pc != nil {
		return pc.Validate(doc, kind)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return &sealbox.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy."}
	}
	return nil
}
