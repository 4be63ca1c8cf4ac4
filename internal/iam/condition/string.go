package condition

import "github.com/sealbox/sealbox/internal/iam/internal/pattern"

// String operators: StringEquals and StringNotEquals compare exactly and
// case-sensitively; the IgnoreCase forms ignore case; StringLike and
// StringNotLike take the wildcards * and ?. All take policy variables.
type stringMatcher struct {
	pats []pattern.Pattern
}

func stringFamily(base string, values []string, variables bool) (matcher, error) {
	o := pattern.Options{Variables: variables}
	switch base {
	case "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase":
		o.Fold = true
	case "StringLike", "StringNotLike":
		o.Wildcards = true
	}
	m := &stringMatcher{pats: make([]pattern.Pattern, len(values))}
	for i, v := range values {
		m.pats[i] = pattern.Compile(v, o)
	}
	return m, nil
}

func (m *stringMatcher) match(v string, ctx Context) bool {
	for i := range m.pats {
		if m.pats[i].Match(v, ctx) {
			return true
		}
	}
	return false
}
