package iam

// Effect is what a policy says about a request.
type Effect uint8

const (
	// NoMatch: no statement applies to the request.
	NoMatch Effect = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// Deny: a statement denies the request.
	Deny
)

func (e Effect) String() string {
	switch e {
	case Allow:
		return "Allow"
	case Deny:
		return "Deny"
	}
	return "NoMatch"
}

// Evaluate applies the policy to a request: Deny if a statement that applies
// denies it, else Allow if one allows it, else NoMatch; with the Sid of that
// statement (empty if it has none), for messages and audit.
//
// A statement applies when its Principal names the caller (or its
// NotPrincipal leaves it out), the action matches Action (or not
// NotAction), the resource matches Resource (or not NotResource), and every
// condition holds. For a resource policy, a Principal naming the caller's
// account counts as naming the caller here; Decide tells the two apart.
//
// Evaluate does not allocate. A nil Policy returns NoMatch.
func (p *Policy) Evaluate(r *Request) (Effect, string) {
	res := p.eval(r)
	switch {
	case res.deny:
		return Deny, res.denySid
	case res.allow != noPrincipal:
		return Allow, res.allowSid
	}
	return NoMatch, ""
}

// result is what one policy says, in the detail Decide needs.
type result struct {
	deny     bool
	denySid  string
	allow    principalMatch // the most direct Allow that applies
	allowSid string
}

func (p *Policy) eval(r *Request) result {
	var res result
	if p == nil {
		return res
	}
	ctx := (*requestContext)(r)
	for i := range p.statements {
		s := &p.statements[i]
		m := s.applies(r, ctx)
		if m == noPrincipal {
			continue
		}
		if s.effect == Deny {
			return result{deny: true, denySid: s.sid}
		}
		if m > res.allow {
			res.allow, res.allowSid = m, s.sid
		}
	}
	return res
}

// applies reports whether the statement applies to the request, and how it
// names the caller (direct for statements that name no principal).
func (s *statement) applies(r *Request, ctx *requestContext) principalMatch {
	if !s.hasAction || !s.hasResource || !s.matchAction(r.Action) {
		return noPrincipal
	}
	m := direct
	if s.principal != nil {
		if s.notPrincipal {
			if s.principal.excludes(&r.Principal) {
				return noPrincipal
			}
		} else if m = s.principal.match(&r.Principal); m == noPrincipal {
			return noPrincipal
		}
	}
	if !s.matchResource(r.Resource, ctx) {
		return noPrincipal
	}
	for _, c := range s.conditions {
		if !c.Eval(ctx) {
			return noPrincipal
		}
	}
	return m
}

func (s *statement) matchAction(action string) bool {
	for i := range s.actions {
		if s.actions[i].Match(action, nil) {
			return !s.notAction
		}
	}
	return s.notAction
}

func (s *statement) matchResource(resource string, ctx *requestContext) bool {
	for i := range s.resources {
		if s.resources[i].Match(resource, ctx) {
			return !s.notResource
		}
	}
	return s.notResource
}
