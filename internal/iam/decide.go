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
	// ResourceAllow: the resource-based policy allows the caller by name,
	// or a KMS grant allows the request.
	ResourceAllow
	// RootAllow: the caller is its account's root user, which is allowed
	// everything no policy denies, except where a key or trust policy must
	// allow.
	RootAllow
	// SessionDeny: a session policy explicitly denies.
	SessionDeny
	// NoSessionAllow: implicit deny, because a policy allows the request
	// but none of the caller's session policies does.
	NoSessionAllow
	// Unreadable: a policy that applies to the caller could not be
	// compiled. Its statements, Deny included, are unknown, so the request
	// is denied whatever the other policies say.
	Unreadable
	// BoundaryDeny: the caller's permissions boundary explicitly denies.
	BoundaryDeny
	// NoBoundaryAllow: implicit deny, because a policy allows the request
	// but the caller's permissions boundary does not.
	NoBoundaryAllow
)

// Decision is the outcome of Decide.
type Decision struct {
	Allowed bool
	Reason  Reason
	// Sid is the Sid of the statement that decided (the explicit Deny or
	// the Allow), when there is one and it has a Sid.
	Sid string
}

// Facts are everything that bears on one request besides the request
// itself: the caller's policies, the resource's, and a KMS grant.
type Facts struct {
	// Identity are the caller's identity-based policies (user, group and
	// role policies).
	Identity []*Policy
	// Session are the session policies of a role session made with some
	// (AssumeRole's Policy or PolicyArns). When there are any, they bound
	// every allow but one from a resource policy that names the session's
	// own ARN. Empty for every other caller.
	Session []*Policy
	// Resource is the resource's policy (KindResource), its key policy
	// (KindKey) or the role's trust policy (KindTrust); nil for none.
	Resource *Policy
	// Grant says whether a KMS grant allows the request and how it names
	// the caller (MatchGrantee): a grant to the caller allows as a key
	// policy naming the caller does; a grant to the caller's account
	// delegates as a key policy naming the account does.
	Grant GrantMatch
	// Unreadable says a policy that applies to the caller could not be
	// compiled: the request is denied.
	Unreadable bool
	// Foreign says the caller is a principal of another account than the
	// resource's: then the resource policy and the caller's identity
	// policies must both allow.
	Foreign bool
	// Boundary is the permissions boundary of the caller's user or role;
	// nil for none. It bounds every allow but one from a resource policy
	// that names the IAM user by its ARN, or the session by its own ARN.
	Boundary *Policy
}

// Decide is the one place where sealbox combines the policies that apply
// to a request, as AWS's policy evaluation logic does within one account:
//
//  1. A policy that applies but cannot be read denies: its Deny
//     statements are unknown (fail closed).
//  2. An explicit Deny in any identity-based policy, session policy or the
//     resource policy denies.
//  3. The resource policy allows when it names the caller (its ARN, its
//     role, "*", its service, or its account for the root user): a
//     same-account grant needs no identity policy. A KMS grant to the
//     caller (GrantDirect) allows likewise.
//  4. A resource policy that names only the caller's account delegates to
//     the account: an identity-based policy must allow too. So does a KMS
//     grant to the caller's account (GrantByAccount): it is not an allow
//     for every principal of the account.
//  5. A key policy (KindKey) or trust policy (KindTrust) must allow,
//     directly or by naming the account (or a grant must allow, directly
//     or by naming the account); an identity-based policy counts only when
//     it does. Other resource policies (and none) leave the decision to
//     identity-based policies.
//  6. The account's root user is allowed what no policy denies, unless a
//     key or trust policy must allow.
//  7. A role session with session policies is allowed only what one of
//     them allows too: they bound the allows of 3 to 5, resource policies
//     naming the role, the account or "*" and grants included. Only a
//     resource policy naming the session's own ARN is not bounded.
//  8. A user or role with a permissions boundary is allowed only what the
//     boundary allows too (an explicit Deny in it denies): it bounds the
//     allows of 3 to 5 as session policies do, resource policies naming a
//     role's ARN included, as in AWS; a resource policy naming the IAM user
//     by its ARN is not bounded (AWS's "Policy evaluation logic").
//  9. A caller of another account than the resource's (Facts.Foreign)
//     needs an allow of the resource policy and of its own identity
//     policies (its root user none), as across accounts in AWS; 3 and 5
//     alone do not allow it.
//  10. Otherwise the request is implicitly denied.
//
// SCPs are not modelled. Decide does not allocate.
func Decide(f *Facts, r *Request) Decision {
	if f.Unreadable {
		return Decision{Reason: Unreadable}
	}
	var idAllow bool
	var idSid string
	for _, p := range f.Identity {
		res := p.eval(r)
		if res.deny {
			return Decision{Reason: IdentityDeny, Sid: res.denySid}
		}
		if res.allow != noPrincipal && !idAllow {
			idAllow, idSid = true, res.allowSid
		}
	}
	bounded := len(f.Session) > 0
	var sessAllow bool
	for _, p := range f.Session {
		res := p.eval(r)
		if res.deny {
			return Decision{Reason: SessionDeny, Sid: res.denySid}
		}
		sessAllow = sessAllow || res.allow != noPrincipal
	}
	var bAllow bool
	if f.Boundary != nil {
		b := f.Boundary.eval(r)
		if b.deny {
			return Decision{Reason: BoundaryDeny, Sid: b.denySid}
		}
		bAllow = b.allow != noPrincipal
	}
	res := f.Resource.eval(r)
	if res.deny {
		return Decision{Reason: ResourceDeny, Sid: res.denySid}
	}
	if f.Foreign && f.Grant == NoGrant {
		// AWS: a principal of another account than the resource's needs
		// both an allow of the resource policy (naming it or its
		// account) and one of its own account's identity policies (its
		// root user needs none); neither is enough alone, whoever the
		// resource policy names (a session's own ARN included).
		if res.allow == noPrincipal {
			return Decision{Reason: NoResourceAllow}
		}
		if !idAllow && r.Principal.Type != TypeRoot {
			return Decision{Reason: NoIdentityAllow}
		}
	}
	if res.allow == bySession {
		// sealbox bounds an allow naming the session's own ARN by the
		// role's boundary, which AWS may not: a denial, never a false
		// allow.
		if f.Boundary != nil && !bAllow {
			return Decision{Reason: NoBoundaryAllow}
		}
		return Decision{Allowed: true, Reason: ResourceAllow, Sid: res.allowSid}
	}
	// What the caller's policies and the resource's would allow, before
	// the session's bound.
	var d Decision
	gate := f.Resource != nil && (f.Resource.kind == KindKey || f.Resource.kind == KindTrust)
	switch {
	case res.allow == direct || res.allow == byUser:
		d = Decision{Allowed: true, Reason: ResourceAllow, Sid: res.allowSid}
	case f.Grant == GrantDirect:
		d = Decision{Allowed: true, Reason: ResourceAllow}
	case gate && res.allow == noPrincipal && f.Grant != GrantByAccount:
		return Decision{Reason: NoResourceAllow}
	case idAllow:
		d = Decision{Allowed: true, Reason: IdentityAllow, Sid: idSid}
	case !gate && r.Principal.Type == TypeRoot:
		d = Decision{Allowed: true, Reason: RootAllow}
	default:
		return Decision{Reason: NoIdentityAllow}
	}
	if bounded && !sessAllow {
		return Decision{Reason: NoSessionAllow}
	}
	// AWS: a same-account resource policy naming the IAM user's ARN is not
	// limited by the user's boundary.
	if f.Boundary != nil && !bAllow && d.Reason != RootAllow && !(d.Reason == ResourceAllow && res.allow == byUser) {
		return Decision{Reason: NoBoundaryAllow}
	}
	return d
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
	case SessionDeny:
		return "with an explicit deny in a session policy"
	case NoSessionAllow:
		return "because no session policy allows the " + action + " action"
	case Unreadable:
		return "because a policy that applies to the caller cannot be read"
	case BoundaryDeny:
		return "with an explicit deny in a permissions boundary"
	case NoBoundaryAllow:
		return "because no permissions boundary allows the " + action + " action"
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
	case SessionDeny:
		return "explicit deny in a session policy"
	case NoSessionAllow:
		return "no session policy allows"
	case Unreadable:
		return "a policy that applies cannot be read"
	case BoundaryDeny:
		return "explicit deny in a permissions boundary"
	case NoBoundaryAllow:
		return "no permissions boundary allows"
	}
	return "Reason(?)"
}
