package condition

import "github.com/sealbox/sealbox/internal/iam/internal/pattern"

// ARN operators: ArnEquals and ArnLike behave identically, as do ArnNotEquals
// and ArnNotLike. Each of the six colon-separated parts of the ARN is matched
// on its own, case-sensitively, with the wildcards * and ? and policy
// variables; a request value that is not an ARN does not match.
type arnMatcher struct {
	pats []pattern.ARN
}

func arnFamily(_ string, values []string, variables bool) (matcher, error) {
	m := &arnMatcher{pats: make([]pattern.ARN, len(values))}
	for i, v := range values {
		m.pats[i] = pattern.CompileARN(v, pattern.Options{Wildcards: true, Variables: variables})
	}
	return m, nil
}

func (m *arnMatcher) match(v string, ctx Context) bool {
	for i := range m.pats {
		if m.pats[i].Match(v, ctx) {
			return true
		}
	}
	return false
}
