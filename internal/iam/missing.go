package iam

// MissingContext lists the condition keys that statements applying to r's
// action and resource read but r's context does not hold: what IAM's policy
// simulator reports as MissingContextValues. It is for the simulator, not
// the request path, and may allocate.
func (p *Policy) MissingContext(r *Request) []string {
	if p == nil {
		return nil
	}
	ctx := (*requestContext)(r)
	var missing []string
	seen := map[string]bool{}
	for i := range p.statements {
		s := &p.statements[i]
		if !s.hasAction || !s.hasResource || !s.matchAction(r.Action) || !s.matchResource(r.Resource, ctx) {
			continue
		}
		for _, c := range s.conditions {
			key := c.Key()
			if _, ok := ctx.Values(key); ok || seen[key] {
				continue
			}
			seen[key] = true
			missing = append(missing, key)
		}
	}
	return missing
}
