package condition

import (
	"strings"

	"github.com/sealbox/sealbox/internal/iam/internal/pattern"
)

// Bool compares a key with "true" or "false", ignoring case. A policy value
// may be a policy variable; otherwise it must be true or false (a JSON
// boolean is read as its text).
type boolMatcher struct {
	pats []pattern.Pattern
}

func boolFamily(_ string, values []string, variables bool) (matcher, error) {
	m := &boolMatcher{pats: make([]pattern.Pattern, len(values))}
	for i, v := range values {
		p := pattern.Compile(v, pattern.Options{Variables: variables, Fold: true})
		if !p.HasVariables() {
			if _, ok := parseBool(v); !ok {
				return nil, badValue(v, "use true or false")
			}
		}
		m.pats[i] = p
	}
	return m, nil
}

func (m *boolMatcher) match(v string, ctx Context) bool {
	v = strings.TrimSpace(v)
	for i := range m.pats {
		if m.pats[i].Match(v, ctx) {
			return true
		}
	}
	return false
}
