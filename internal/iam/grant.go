package iam

import "strings"

// GrantMatch is how a KMS grant that allows a request names its caller:
// by the grant's grantee principal, or, for kms:RetireGrant, by its
// retiring principal. The values are ordered: of several grants, the
// greatest match counts.
type GrantMatch uint8

const (
	// NoGrant: no grant allows the request for the caller.
	NoGrant GrantMatch = iota
	// GrantByAccount: the grant names the caller's account
	// (arn:aws:iam::123456789012:root) and the caller is not the account's
	// root user. As a key policy naming the account, the grant delegates to
	// the account: an identity-based policy of the caller must allow the
	// request too.
	GrantByAccount
	// GrantDirect: the grant names the caller (its ARN, the role of a role
	// session, its service, or its account when the caller is the root
	// user). A role session's session policies still bound it.
	GrantDirect
)

// MatchGrantee says how a grant's principal (its grantee or retiring
// principal, an ARN or a service principal) names the caller c. An empty
// principal names no one.
//
// A principal pinned to the unique id its user or role had when the grant
// was made ("<arn>#<id>") names the caller only if its id matches too.
func MatchGrantee(principal string, c *Principal) GrantMatch {
	if principal == "" {
		return NoGrant
	}
	if arn, id, ok := strings.Cut(principal, "#"); ok {
		uid, _, _ := strings.Cut(c.UserID, ":")
		if uid == "" || uid != id || c.Type == TypeService {
			return NoGrant
		}
		principal = arn
	}
	if c.Type == TypeService {
		if principal == c.Service {
			return GrantDirect
		}
		return NoGrant
	}
	if principal == c.ARN || (c.Type == TypeAssumedRole && c.RoleARN != "" && principal == c.RoleARN) {
		return GrantDirect
	}
	if c.AccountID != "" && isAccountRoot(principal, c.AccountID) {
		if c.Type == TypeRoot {
			return GrantDirect
		}
		return GrantByAccount
	}
	return NoGrant
}

// isAccountRoot reports whether arn is exactly the root ARN of account
// (arn:<partition>:iam::<account>:root).
func isAccountRoot(arn, account string) bool {
	rest, ok := strings.CutPrefix(arn, "arn:")
	i := strings.IndexByte(rest, ':')
	if !ok || i < 0 || !validPartition(rest[:i]) {
		return false
	}
	rest, ok = strings.CutPrefix(rest[i+1:], "iam::")
	if !ok {
		return false
	}
	rest, ok = strings.CutPrefix(rest, account)
	return ok && rest == ":root"
}
