package authz

import (
	"context"
	"errors"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
)

// Checker is the identity service's policy checker: it validates documents
// with the policy engine and decides trust policies with the authorizer, so
// that AssumeRole follows the same logic as every other call (iam.Decide):
// the trust policy must allow the caller by name, or allow the account and
// so delegate to the caller's identity policies (sts:AssumeRole on the
// role); a calling session's session policies bound either allow, unless
// the trust policy names the session itself, so that a narrow session
// cannot chain into a wider role.
type Checker struct{ A *Authorizer }

var _ identity.PolicyChecker = Checker{}

// Validate implements identity.PolicyChecker.
func (c Checker) Validate(doc string, kind identity.PolicyKind) error {
	k := iam.KindIdentity
	if kind == identity.TrustPolicy {
		k = iam.KindTrust
	}
	if _, err := iam.Parse(doc, k); err != nil {
		var pe *iam.ParseError
		if errors.As(err, &pe) {
			return &sealbox.Error{Code: "MalformedPolicyDocument", Message: pe.Message}
		}
		return err
	}
	return nil
}

// TrustAllows implements identity.PolicyChecker.
func (c Checker) TrustAllows(ctx context.Context, trustDoc string, caller sealbox.Principal, action string) (bool, error) {
	ar, _ := identity.AssumeRoleRequestFromContext(ctx)
	cond := map[string][]string{}
	resource := "*"
	if ar != nil {
		resource = ar.RoleARN
		cond["sts:rolesessionname"] = []string{ar.RoleSessionName}
		if ar.ExternalID != "" {
			cond["sts:externalid"] = []string{ar.ExternalID}
		}
		if ar.SourceIdentity != "" {
			cond["sts:sourceidentity"] = []string{ar.SourceIdentity}
		}
		var keys []string
		for _, t := range ar.Tags {
			cond["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
			keys = append(keys, t.Key)
		}
		if len(keys) > 0 {
			cond["aws:tagkeys"] = keys
		}
		for k, v := range ar.WebIdentity {
			cond[strings.ToLower(k)] = v
		}
	}
	r := sealbox.RequestFromContext(ctx)
	if r == nil {
		return false, nil
	}
	asCaller := *r
	asCaller.Principal = caller
	req := &iam.Request{Principal: iamPrincipal(caller), Action: action, Resource: resource, Context: cond}
	c.A.callerKeys(&asCaller, &req.Caller)
	var f iam.Facts
	tags, err := c.A.callerFacts(ctx, caller, &f)
	if err != nil {
		return false, err
	}
	setPrincipalTags(&req.Caller, tags)
	pol, _, err := c.A.compile(trustDoc, iam.KindTrust)
	if err != nil {
		f.Unreadable = true // a trust policy that no longer compiles trusts no one
	}
	f.Resource = pol
	return iam.Decide(&f, req).Allowed, nil
}
