package iam

// Span is where a statement is written in its policy document, in bytes of
// the document as given to Parse: Start is the offset of the statement's
// opening brace, End the offset just past its closing brace, so that
// doc[Start:End] is the statement's text.
type Span struct{ Start, End int }

// Matches appends to dst the spans of p's statements that apply to r (as
// Evaluate reads them: principal, action, resource and conditions) and have
// the given effect, Allow or Deny, in document order. It explains a
// decision, for the policy simulator; it takes no part in one. A nil
// Policy has no statements.
func (p *Policy) Matches(dst []Span, r *Request, effect Effect) []Span {
	if p == nil || (effect != Allow && effect != Deny) {
		return dst
	}
	ctx := (*requestContext)(r)
	for i := range p.statements {
		s := &p.statements[i]
		if s.effect == effect && s.applies(r, ctx) != noPrincipal {
			dst = append(dst, Span{Start: int(s.span.start), End: int(s.span.end)})
		}
	}
	return dst
}
