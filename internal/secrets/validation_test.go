package secrets

import (
	"strings"
	"testing"
)

// TestValidationTag checks the tag rule around the schema package: a
// binary value is refused, as is a value that is not JSON, and a failing
// check is worded as the service's InvalidRequestException.
func TestValidationTag(t *testing.T) {
	sec := &secretRecord{Tags: []Tag{{Key: validationTag, Value: `{"type":"object","required":["password"]}`}}}
	for _, tc := range []struct {
		value  string
		binary bool
		want   string // in the message; "" for no error
	}{
		{`{"password":"abc"}`, false, ""},
		{`{"password":"abc"}`, true, "its value must be a SecretString"},
		{`{"password":`, false, "SecretString is not a JSON document"},
		{`{} {}`, false, "SecretString is not a JSON document"},
		{`{"port":5432}`, false, `$ lacks the required property "password"`},
	} {
		err := checkValue(sec, []byte(tc.value), tc.binary)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("checkValue(%s, binary %v) = %v, want %q", tc.value, tc.binary, err, tc.want)
		}
	}
	if _, err := parseSchema(`{"type":`); err == nil || !strings.Contains(err.Error(), "must hold a JSON Schema") {
		t.Errorf("parseSchema(not JSON) = %v, want the tag's JSON error", err)
	}
	if _, err := parseSchema(`{"format":"email"}`); err == nil || !strings.Contains(err.Error(), `holds an unsupported schema: $: keyword "format" is not supported`) {
		t.Errorf("parseSchema(format) = %v, want the unsupported schema error", err)
	}
}
