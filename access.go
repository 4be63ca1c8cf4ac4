package sealbox

import (
	"context"
	"strings"
)

// Authorizer answers AccessQueries with AWS's policy evaluation logic for
// the caller of the request in ctx: nil allows, an *Error
// (AccessDeniedException, or AccessDenied for IAM) denies. It is the one
// call shape every service asks through; each service declares its own
// actions, resources and condition keys in the query. A service configured
// with none allows every authenticated caller (unit tests). Safe for
// concurrent use. Authorize must keep neither q nor its Context past the
// call: services use them again for their next question, and the values
// in Context may be shared, read-only slices.
type Authorizer interface {
	Authorize(ctx context.Context, q *AccessQuery) error
}

// AccessQuery is one authorization question a service asks the authorizer:
// may the caller of the request in the context perform Action on Resource?
// Services fill in what only they know (the resource's policy, their
// condition keys); the authorizer adds the caller and the global keys
// (aws:PrincipalArn, aws:SourceIp, aws:CurrentTime …) and decides with
// AWS's evaluation logic.
type AccessQuery struct {
	// Action is the IAM action, e.g. "kms:Decrypt".
	Action string
	// Resource is the resource's ARN, or "*" for actions on no resource.
	Resource string
	// ResourcePolicy is the resource's policy document ("" for none).
	ResourcePolicy string
	// ResourcePolicyGates says the resource policy must allow the call,
	// directly or by delegating to the account's IAM policies, as a KMS key
	// policy must. Otherwise either an identity or a resource policy may
	// allow it, as for Secrets Manager.
	ResourcePolicyGates bool
	// Grantees are the principals (ARNs or service principals) of the KMS
	// grants on the resource whose operations and constraints allow the
	// call; for kms:RetireGrant, the grant's retiring principal too. The
	// authorizer decides how each names the caller: a grant to the caller
	// allows as a key policy naming the caller does; a grant to the
	// caller's account delegates to the caller's identity policies, as a
	// key policy naming the account does.
	Grantees []string
	// Context holds the service's condition keys (lower-case names), e.g.
	// "kms:encryptioncontext:tenant" → ["acme"].
	Context map[string][]string
}

// RequestTagConditions are the condition keys of the tags a request sets:
// aws:RequestTag/<key> for each (the name lower-cased) and aws:TagKeys,
// the keys as the request spells them, in its order; nil without tags. tag
// gives a tag's key and value (each service has its own tag type).
func RequestTagConditions[T any](tags []T, tag func(T) (key, value string)) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	cond := map[string][]string{}
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		k, v := tag(t)
		cond["aws:requesttag/"+strings.ToLower(k)] = []string{v}
		keys = append(keys, k)
	}
	cond["aws:tagkeys"] = keys
	return cond
}

// SetResourceTag sets in cond the condition keys a resource's tag is known
// by: aws:ResourceTag/<key> and, unless service is "",
// <service>:ResourceTag/<key> (names lower-cased, as every key in
// AccessQuery.Context is).
func SetResourceTag(cond map[string][]string, service, key, value string) {
	k := strings.ToLower(key)
	cond["aws:resourcetag/"+k] = []string{value}
	if service != "" {
		cond[service+":resourcetag/"+k] = []string{value}
	}
}
