package identity

import (
	"fmt"
	"strings"

	"github.com/sealbox/sealbox"
)

// UniqueTags answers InvalidInput when two tags share a key, compared
// regardless of case, as IAM does.
func UniqueTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return InvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

func InvalidInput(format string, args ...any) error {
	return sealbox.Errorf("InvalidInput", format, args...)
}

func ValidationError(format string, args ...any) error {
	return sealbox.Errorf("ValidationError", format, args...)
}

// AccessDenied is IAM's and STS's AccessDenied, answered with 403.
func AccessDenied(format string, args ...any) error {
	e := sealbox.Errorf("AccessDenied", format, args...)
	e.Status = 403
	return e
}

// ValidationErrors collects constraint violations and words them as AWS
// does: "1 validation error detected: Value 'x' at 'userName' failed to
// satisfy constraint: Member must satisfy regular expression pattern: …".
type ValidationErrors []string

func (v *ValidationErrors) Add(member string, value *string, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + *value + "'"
	}
	*v = append(*v, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", shown, member, constraint))
}

func (v ValidationErrors) Err() error {
	switch len(v) {
	case 0:
		return nil
	case 1:
		return ValidationError("1 validation error detected: %s", v[0])
	default:
		return ValidationError("%d validation errors detected: %s", len(v), strings.Join(v, "; "))
	}
}
