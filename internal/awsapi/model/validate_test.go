package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// The paths in validation messages: a list member's index, a map's key
// and a structure inside either, as AWS names them. The paths are made
// only for a message (where), so a valid request's keys and members
// build no string.
func TestValidationPaths(t *testing.T) {
	for _, tc := range []struct {
		service, shape, input string
		want                  []string
	}{
		{"kms", "DecryptRequest", `{"CiphertextBlob":"AAAA","GrantTokens":["t",""]}`,
			[]string{"Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
		{"lambda", "CreateFunctionRequest", `{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r","Code":{},"Environment":{"Variables":{"1x":"v"}}}`,
			[]string{"Value at 'environment.variables.key' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+"}},
		{"iam", "TagUserRequest", `{"UserName":"u","Tags":[{"Key":"k","Value":"v"},{"Key":"k"}]}`,
			[]string{"Value null at 'tags.2.member.value' failed to satisfy constraint: Member must not be null"}},
	} {
		t.Run(tc.service+"."+tc.shape, func(t *testing.T) {
			m := Load(tc.service)
			d := json.NewDecoder(strings.NewReader(tc.input))
			d.UseNumber()
			var v any
			if err := d.Decode(&v); err != nil {
				t.Fatal(err)
			}
			err := m.Validate(m.Shapes[tc.shape], v)
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Validate = %v, want a ValidationError", err)
			}
			if strings.Join(ve.Problems, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("problems\n%q\nwant\n%q", ve.Problems, tc.want)
			}
		})
	}
}
