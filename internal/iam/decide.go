package iam

import "strings"

// Reason says why Decide decided as it did, so the caller can word
// AccessDeniedException as AWS does and audit the decision.
type Reason uint8

const (
	// NoIdentityAllow: implicit deny, because no identity-based policy
	// allows the action (and no resource policy allows it on its own).
	NoIdentityAllow Reason = iota
	// NoResourceAllow: implicit deny, because the key policy or trust
	// policy, which must allow the request, does not.
	NoResourceAllow
	// IdentityDeny: an identity-based policy explicitly denies.
	IdentityDeny
	// ResourceDeny: the resource-based policy explicitly denies.
	ResourceDeny
	// IdentityAllow: an identity-based policy allows (and, for a key or
	// trust policy, that policy delegates to the caller's account).
	IdentityAllow
	// ResourceAllow: the resource-based policy allows the caller by name.
	ResourceAllow
	// RootAllow: the caller is its account's root user, which is allowed
	// everything no policy denies, except where a key or trust policy must
	// allow.
	RootAllow
)

// Decision is the outcome of Decide.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Sid is the Sid of the statement that decided (the explicit Deny or
	// the Allow), when there is one and it has a Sid.
	Sid string
}

// Decide combines the policies that apply to a request as AWS's policy
// evaluation logic does within one account:
//
//  1. An explicit Deny in any identity-based policy or in the resource
//     policy denies.
//  2. The resource policy allows when it names the caller (its ARN, its
//     role, "*", its service, or its account for the root user): a
//     same-account grant needs no identity policy.
//  3. A resource policy that names only the caller's account delegates to
//     the account: an identity-based policy must allow too.
//  4. A key policy (KindKey) or trust policy (KindTrust) must allow,
//     directly or by naming the account; an identity-based policy counts
//     only when it does. Other resource policies (and none) leave the
//     decision to identity-based policies.
//  5. The account's root user is allowed what no policy denies, unless a
//     key or trust policy must allow.
//  6. Otherwise the request is implicitly denied.
//
// identity are the caller's identity-based policies (user, group and role
// policies; session policies and permission boundaries are not modelled);
// resource is the resource's policy, or nil. Decide does not allocate.
func Decide(identity []*Policy, resource *Policy, r *Request) Decision {
	var idAllow bool
	var idSid string
	for _, p := range identity {
		res := p.eval(r)
		if res.deny {
			return Decision{Reason: IdentityDeny, Sid: res.denySid}
		}
		if res.allow != noPrincipal && !idAllow {
			idAllow, idSid = true, res.allowSid
		}
	}
	res := resource.eval(r)
	if res.deny {
		return Decision{Reason: ResourceDeny, Sid: res.denySid}
	}
	if res.allow == direct {
		return Decision{Allowed: true, Reason: ResourceAllow, Sid: res.allowSid}
	}
	gate := resource != nil && (resource.kind == KindKey || resource.kind == KindTrust)
	switch {
	case gate && res.allow == noPrincipal:
		return Decision{Reason: NoResourceAllow}
	case idAllow:
		return Decision{Allowed: true, Reason: IdentityAllow, Sid: idSid}
	case !gate && r.Principal.Type == TypeRoot:
		return Decision{Allowed: true, Reason: RootAllow}
	}
	return Decision{Reason: NoIdentityAllow}
}

// Explain words why the request was denied the way AWS ends an
// AccessDeniedException message: "because no identity-based policy allows
// the kms:Decrypt action", "with an explicit deny in a resource-based
// policy". It returns "" for an allowed request.
func (d Decision) Explain(action string) string {
	if d.Allowed {
		return ""
	}
	switch d.Reason {
	case IdentityDeny:
		return "with an explicit deny in an identity-based policy"
	case ResourceDeny:
		return "with an explicit deny in a resource-based policy"
	case NoResourceAllow:
		return "because no resource-based policy allows the " + action + " action"
	}
	return "because no identity-based policy allows the " + action + " action"
}

// Message returns AWS's AccessDeniedException message for a denied request:
// "User: arn:aws:iam::123456789012:user/alice is not authorized to perform:
// kms:Decrypt on resource: arn:aws:kms:...:key/... because no identity-based
// policy allows the kms:Decrypt action".
func (d Decision) Message(r *Request) string {
	var b strings.Builder
	who := r.Principal.ARN
	if r.Principal.Type == TypeService {
		who = r.Principal.Service
	}
	b.WriteString("User: ")
	b.WriteString(who)
	b.WriteString(" is not authorized to perform: ")
	b.WriteString(r.Action)
	if r.Resource != "" && r.Resource != "*" {
		b.WriteString(" on resource: ")
		b.WriteString(r.Resource)
	}
	if e := d.Explain(r.Action); e != "" {
		b.WriteString(" ")
		b.WriteString(e)
	}
	return b.String()
}

func (r Reason) String() string {
	switch r {
	case NoIdentityAllow:
		return "no identity-based policy allows"
	case NoResourceAllow:
		return "no resource-based policy allows"
	case IdentityDeny:
		return "explicit deny in an identity-based policy"
	case ResourceDeny:
		return "explicit deny in a resource-based policy"
	case IdentityAllow:
		return "allowed by an identity-based policy"
	case ResourceAllow:
		return "allowed by a resource-based policy"
	case RootAllow:
		return "allowed as the account's root user"
	}
	return "Reason(?)"
}
