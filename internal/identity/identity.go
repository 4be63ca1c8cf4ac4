// Package identity is the credential and principal store: the records of
// IAM users, groups, roles, managed policies, access keys and STS sessions,
// and the questions the request path asks of them. Who signed this request
// (Store.LookupAccessKey, for SigV4); which policies, boundary and tags
// apply to this caller (Store.PoliciesFor, SessionPolicies, BoundaryFor,
// PrincipalTags, for the authorizer); when a key was last used
// (Store.NoteKeyUse); and the administrator's bootstrap (Store.EnsureAdmin).
// Lookups and policy sets are cached, and the change feed drops an entry the
// moment what it was made from changes.
//
// The IAM and STS APIs that manage these records are served by the
// packages iamapi and stsapi, over a Store. This package imports neither:
// what both services use (the records and their keys, the errors they word
// alike, the document and tag checks they share) is here.
//
// # Storage
//
// IAM is global, as in AWS: every record lives under "iam/", without a
// region. Names of users, groups, roles and managed policies are unique
// regardless of case, as AWS has them, so records are keyed by the
// lower-cased name and keep the name as created:
//
//	iam/user/<name>           iam/role/<name>          iam/group/<name>
//	iam/policy/<name>         customer managed policies, every version inside
//	iam/awspolicy/<name>      attachment count of an AWS managed policy
//	iam/accesskey/<AKIA…>     long-term keys, secret included
//	iam/keys-of/<owner>/<id>  index: the keys of "root" or "user/<name>"
//	iam/keyused/<AKIA…>       a key's last use (GetAccessKeyLastUsed), bookkeeping
//	iam/member/<group>/<user> and iam/groups-of/<user>/<group>: memberships
//	iam/session/<ASIA…>       STS sessions: secret, token, expiry, session policies
//	iam/sessions-of/<owner>/<id>  index: the sessions of "root", "user/<name>", "role/<name>"
//	iam/admin-access-key      the administrator's key id
//
// Secrets and session tokens are stored in the clear as far as this package
// is concerned; in production the store is the barrier, which seals every
// value (AES-256-GCM, the storage key as additional data). In memory they
// are primitive.Secrets, which do not print, marshal or compare in variable
// time; the records that hold them are read and written through their own
// encoding (records.go), in the format they have always had. No answer
// except CreateAccessKey, AssumeRole and GetSessionToken ever carries a
// secret.
//
// # Seams
//
// The policy language lives elsewhere: a PolicyChecker validates documents
// and evaluates trust policies for the IAM and STS services, which declare
// their own Config; the IAM service also takes an optional Authorizer. The
// PolicyChecker is declared here, where both services find it.
package identity

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox"
)

// PolicyKind tells a PolicyChecker which grammar a document must follow.
type PolicyKind int

const (
	// IdentityPolicy is a policy attached to a user, group or role (inline
	// or managed), or a session policy: no Principal element.
	IdentityPolicy PolicyKind = iota
	// TrustPolicy is a role's trust (assume-role) policy: a resource policy
	// whose Principal says who may assume the role.
	TrustPolicy
)

func (k PolicyKind) String() string {
	switch k {
	case IdentityPolicy:
		return "IdentityPolicy"
	case TrustPolicy:
		return "TrustPolicy"
	default:
		return fmt.Sprintf("PolicyKind(%d)", int(k))
	}
}

// ServicePrincipal is the Principal.Type of an AWS service acting as
// itself (Principal.ARN is the service principal, "lambda.amazonaws.com"),
// as a trust policy's {"Service": …} names it.
const ServicePrincipal = "Service"

// WebIdentityPrincipal is the Principal.Type of a caller an IAM OpenID
// Connect provider vouches for (AssumeRoleWithWebIdentity), as CloudTrail
// names it; Principal.IdentityProvider is the provider's ARN.
const WebIdentityPrincipal = "WebIdentityUser"

// PolicyChecker validates documents and evaluates trust policies.
// Implementations must be safe for concurrent use.
type PolicyChecker interface {
	// Validate checks doc against the policy grammar of kind. It returns
	// an *sealbox.Error with code MalformedPolicyDocument and the reason
	// (AWS's wording) when doc is not a valid policy; any other error is
	// an internal failure.
	Validate(doc string, kind PolicyKind) error
	// TrustAllows reports whether the role trust policy trustDoc lets
	// caller perform action ("sts:AssumeRole"). The AssumeRole request's
	// own facts (external id, session name, source identity, session tags)
	// are in ctx: see AssumeRoleRequestFromContext.
	TrustAllows(ctx context.Context, trustDoc string, caller sealbox.Principal, action string) (bool, error)
}

// Tag is a tag of a user, role, managed policy or session, as the records
// keep it. The IAM and STS wire types have a Tag of the same fields.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// wireTag is the IAM and STS wire types' Tag: generated in each service's
// package, with the fields of Tag.
type wireTag interface {
	~struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	}
}

// TagsFrom are wire tags as the records keep them (nil stays nil).
func TagsFrom[T wireTag](tags []T) []Tag {
	if tags == nil {
		return nil
	}
	out := make([]Tag, len(tags))
	for i, t := range tags {
		out[i] = Tag(t)
	}
	return out
}

// TagsTo are a record's tags as a service's wire type (nil stays nil).
func TagsTo[T wireTag](tags []Tag) []T {
	if tags == nil {
		return nil
	}
	out := make([]T, len(tags))
	for i, t := range tags {
		out[i] = T(t)
	}
	return out
}

// PolicyDoc is one policy document that applies to a caller.
type PolicyDoc struct {
	// Source names the document, stable and unique per document version,
	// usable as a cache key:
	//
	//	arn:aws:iam::123456789012:policy/Path/Name?v2@<hash>   managed, version v2
	//	arn:aws:iam::aws:policy/AdministratorAccess?v1@<hash>  AWS managed
	//	arn:aws:iam::123456789012:user/alice#inline-name@<hash> inline (user, group or role)
	//	arn:aws:sts::123456789012:assumed-role/R/S#session@<hash> inline session policy
	//
	// <hash> is 16 hex digits of the document's SHA-256, so that a source
	// never names two different documents (an inline policy rewritten, a
	// policy deleted and created again under the same name).
	Source string
	// Document is the policy JSON as stored (not URL-encoded).
	Document string
}

// TrustRequest is what an AssumeRole call asks, for the trust policy's
// conditions (sts:ExternalId, sts:RoleSessionName, sts:SourceIdentity,
// aws:RequestTag/…). STS puts it in the context it hands to TrustAllows.
type TrustRequest struct {
	RoleARN         string
	RoleSessionName string
	ExternalID      string
	SourceIdentity  string
	Tags            []Tag
	DurationSeconds int
	// WebIdentity are the condition keys a verified web identity token
	// gives (<provider>:aud, <provider>:sub, <provider>:amr,
	// aws:FederatedProvider), for AssumeRoleWithWebIdentity.
	WebIdentity map[string][]string
}

type assumeRoleKey struct{}

// WithAssumeRoleRequest returns a copy of ctx that carries r, the
// AssumeRole request being decided: STS hands it to
// PolicyChecker.TrustAllows.
func WithAssumeRoleRequest(ctx context.Context, r *TrustRequest) context.Context {
	return context.WithValue(ctx, assumeRoleKey{}, r)
}

// AssumeRoleRequestFromContext returns the AssumeRole request being
// decided, inside PolicyChecker.TrustAllows.
func AssumeRoleRequestFromContext(ctx context.Context) (*TrustRequest, bool) {
	r, ok := ctx.Value(assumeRoleKey{}).(*TrustRequest)
	return r, ok
}

// IsNotFound reports a store miss.
func IsNotFound(err error) bool { return errors.Is(err, errNotFound) }
