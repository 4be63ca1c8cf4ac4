package iam

import (
	"strconv"
	"strings"
)

// Principal types, as CloudTrail's userIdentity names them.
const (
	TypeRoot        = "Root"
	TypeIAMUser     = "IAMUser"
	TypeAssumedRole = "AssumedRole"
	TypeService     = "Service"
	// TypeWebIdentity is a caller that a registered OpenID Connect
	// provider vouches for (AssumeRoleWithWebIdentity): it has no account
	// and no policies of its own; only a Federated principal naming its
	// provider names it.
	TypeWebIdentity = "WebIdentityUser"
)

// Principal is who makes a request, as the policy language sees it.
type Principal struct {
	// ARN is the caller's ARN: arn:aws:iam::123456789012:root,
	// arn:aws:iam::123456789012:user/path/name or, for a role session,
	// arn:aws:sts::123456789012:assumed-role/name/session.
	ARN string
	// AccountID is the 12-digit account of the caller (empty for a service).
	AccountID string
	// Type is TypeRoot, TypeIAMUser, TypeAssumedRole or TypeService.
	Type string
	// Service is the service principal, e.g. lambda.amazonaws.com, when
	// Type is TypeService.
	Service string
	// UserName is the friendly name of an IAM user (aws:username).
	UserName string
	// UserID is the unique id: AIDA... for a user, AROA...:session for a role
	// session (aws:userid).
	UserID string
	// Federated is the provider ARN of a web identity caller
	// (arn:aws:iam::123456789012:oidc-provider/host/path), when Type is
	// TypeWebIdentity.
	Federated string
	// RoleARN is the role of a role session,
	// arn:aws:iam::123456789012:role/path/name. A resource policy naming the
	// role matches every session of it.
	RoleARN string
}

// principalMatch is how a statement's Principal names the caller.
type principalMatch uint8

const (
	noPrincipal principalMatch = iota
	// byAccount: the statement names the caller's account
	// (arn:aws:iam::123456789012:root or 123456789012) and the caller is not
	// the account's root user. The account delegates: its identity policies
	// must allow too.
	byAccount
	// direct: the statement names the caller ("*", its user ARN, its role,
	// its service, or its account when the caller is the root user). A role
	// session's session policies still bound such an allow.
	direct
	// byUser: the statement names the caller, an IAM user, by its user ARN
	// or unique id. As in AWS, the user's permissions boundary does not
	// bound this allow (one naming a role's ARN, or "*", it does).
	byUser
	// bySession: the statement names the caller's role session by its own
	// ARN (arn:aws:sts::123456789012:assumed-role/name/session). As in AWS,
	// the session's session policies do not bound this allow.
	bySession
)

// principals is a compiled Principal or NotPrincipal element.
type principals struct {
	any      bool     // "*" or {"AWS": "*"}
	accounts []string // 12-digit account ids, from ids and :root ARNs
	arns     []string // user, role, assumed-role and federated-user ARNs
	ids      []string // unique ids (AIDA..., AROA...)
	// pinned are user and role ARNs bound to the unique id the user or
	// role had when the policy was saved ("<arn>#<id>", the form
	// identity.PinPrincipals keeps for evaluation): they name the caller
	// only if both its ARN and its id match, so one deleted and made again
	// under the same name is someone else.
	pinned   []pinnedARN
	services []string
	// federated are the Federated principals: OpenID Connect provider
	// ARNs, matched exactly against a web identity caller's provider.
	// CanonicalUser principals are accepted and never match: sealbox has
	// no S3 canonical users.
	federated []string
}

type pinnedARN struct{ arn, id string }

// parsePrincipals compiles a Principal or NotPrincipal value; stored
// accepts the pinned form "<arn>#<id>" (ParseStored).
func parsePrincipals(v jsonValue, kind Kind, stmt int, stored bool) (*principals, *ParseError) {
	p := &principals{}
	if v.kind == jsonString {
		if v.text != "*" {
			return nil, invalidPrincipal(kind, stmt, "", v.text)
		}
		p.any = true
		return p, nil
	}
	if v.kind != jsonObject || len(v.fields) == 0 {
		return nil, invalidPrincipal(kind, stmt, "", "")
	}
	for _, f := range v.fields {
		values, ok := stringList(f.value)
		if !ok || len(values) == 0 {
			return nil, invalidPrincipal(kind, stmt, f.name, "")
		}
		for _, s := range values {
			var ok bool
			switch f.name {
			case "AWS":
				ok = p.addAWS(s, stored)
			case "Service":
				ok = s != "" && !strings.ContainsAny(s, " \t\r\n")
				if s == "*" {
					p.any = true
				} else {
					p.services = append(p.services, s)
				}
			case "Federated":
				ok = s != ""
				p.federated = append(p.federated, s)
			case "CanonicalUser":
				ok = s != ""
			}
			if !ok {
				return nil, invalidPrincipal(kind, stmt, f.name, s)
			}
		}
	}
	return p, nil
}

func invalidPrincipal(kind Kind, stmt int, typ, value string) *ParseError {
	if kind == KindKey {
		return stmtVerbatim(stmt, MsgKeyPrincipals)
	}
	if typ == "" {
		return stmtError(stmt, "Invalid principal in policy: %q", value)
	}
	// IAM's own wording: Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/x"
	return &ParseError{Message: "Invalid principal in policy: " + strconv.Quote(typ) + ":" + strconv.Quote(value), Statement: stmt}
}

// addAWS adds one value of an "AWS" principal: "*", an account id, or the
// ARN of an account root, user, role, role session or federated user, or a
// unique id. Wildcards are not allowed inside ARNs (AWS refuses them too:
// use the aws:PrincipalArn condition key for patterns).
func (p *principals) addAWS(s string, stored bool) bool {
	if s == "*" {
		p.any = true
		return true
	}
	if isAccountID(s) {
		p.accounts = append(p.accounts, s)
		return true
	}
	if strings.ContainsAny(s, "*? \t\r\n") {
		return false
	}
	if arn, id, ok := strings.Cut(s, "#"); ok {
		var q principals
		if !stored || !isUniqueID(id) || !q.addAWS(arn, false) || len(q.arns) != 1 || !strings.Contains(arn, ":iam::") {
			return false
		}
		p.pinned = append(p.pinned, pinnedARN{arn: arn, id: id})
		return true
	}
	if rest, ok := strings.CutPrefix(s, "arn:"); ok {
		parts := strings.SplitN(rest, ":", 5) // partition, service, region, account, resource
		if len(parts) != 5 || !validPartition(parts[0]) || parts[2] != "" || !isAccountID(parts[3]) {
			return false
		}
		res := parts[4]
		switch parts[1] {
		case "iam":
			switch {
			case res == "root":
				p.accounts = append(p.accounts, parts[3])
				return true
			case namedResource(res, "user/"), namedResource(res, "role/"):
				p.arns = append(p.arns, s)
				return true
			}
		case "sts":
			if namedResource(res, "assumed-role/") || namedResource(res, "federated-user/") {
				p.arns = append(p.arns, s)
				return true
			}
		}
		return false
	}
	if isUniqueID(s) {
		p.ids = append(p.ids, s)
		return true
	}
	return false
}

func namedResource(res, prefix string) bool {
	name, ok := strings.CutPrefix(res, prefix)
	return ok && name != "" && !strings.HasSuffix(name, "/")
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isUniqueID reports whether s looks like an IAM unique id (AIDA..., AROA...):
// what AWS shows in a policy whose principal was deleted.
func isUniqueID(s string) bool {
	if len(s) < 16 || len(s) > 128 || !strings.HasPrefix(s, "A") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// partitions are the partitions an ARN in a policy may name.
var partitions = map[string]bool{
	"aws": true, "aws-cn": true, "aws-us-gov": true, "aws-iso": true,
	"aws-iso-b": true, "aws-iso-e": true, "aws-iso-f": true, "aws-eusc": true,
}

func validPartition(s string) bool { return partitions[s] }

// match says how the element names the caller.
func (p *principals) match(c *Principal) principalMatch {
	if c.Type == TypeWebIdentity {
		// Only a Federated principal naming the caller's provider: not
		// "*", which would let any provider of any account in, nor an
		// account (the caller has none).
		if p.hasFederated(c.Federated) {
			return direct
		}
		return noPrincipal
	}
	if c.Type == TypeService {
		if p.any {
			return direct
		}
		for _, s := range p.services {
			if s == c.Service {
				return direct
			}
		}
		return noPrincipal
	}
	m := noPrincipal
	for _, a := range p.arns {
		switch {
		case a == c.ARN && c.Type == TypeAssumedRole && c.ARN != c.RoleARN:
			return bySession
		case a == c.ARN && c.Type == TypeIAMUser:
			return byUser
		case a == c.ARN, c.Type == TypeAssumedRole && c.RoleARN != "" && a == c.RoleARN:
			m = direct
		}
	}
	if c.Type == TypeIAMUser && (p.hasID(c) || p.hasPinned(c.ARN, c)) {
		return byUser
	}
	if c.Type == TypeAssumedRole && c.RoleARN != "" && p.hasPinned(c.RoleARN, c) {
		m = direct
	}
	if m == direct || p.any || p.hasID(c) {
		return direct
	}
	if c.AccountID != "" {
		for _, a := range p.accounts {
			if a == c.AccountID {
				if c.Type == TypeRoot {
					return direct
				}
				return byAccount
			}
		}
	}
	return noPrincipal
}

// hasID reports whether the element lists the caller's unique id (for a
// role session, the role's id before the colon).
func (p *principals) hasID(c *Principal) bool {
	if c.UserID == "" {
		return false
	}
	id := c.UserID
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[:i]
	}
	for _, s := range p.ids {
		if s == id {
			return true
		}
	}
	return false
}

// hasPinned reports whether the element lists arn pinned to the caller's
// unique id (for a role session, the role's id before the colon).
func (p *principals) hasPinned(arn string, c *Principal) bool {
	if len(p.pinned) == 0 || arn == "" || c.UserID == "" {
		return false
	}
	id := c.UserID
	if i := strings.IndexByte(id, ':'); i >= 0 {
		id = id[:i]
	}
	for _, e := range p.pinned {
		if e.arn == arn && e.id == id {
			return true
		}
	}
	return false
}

// excludes reports whether a NotPrincipal element leaves the caller out of
// its statement. As AWS documents, a request is checked for each identity in
// its chain (the account, then the role, then the role session or user), and
// the statement applies unless every one of them is listed: a NotPrincipal
// naming only a user still applies to the user's account, and so to the user.
func (p *principals) excludes(c *Principal) bool {
	if p.any {
		return true
	}
	switch c.Type {
	case TypeWebIdentity:
		return p.hasFederated(c.Federated)
	case TypeService:
		for _, s := range p.services {
			if s == c.Service {
				return true
			}
		}
		return false
	case TypeRoot:
		return p.hasAccount(c.AccountID)
	case TypeAssumedRole:
		return p.hasAccount(c.AccountID) && (p.hasARN(c.RoleARN) || p.hasPinned(c.RoleARN, c)) && (p.hasARN(c.ARN) || p.hasID(c))
	default:
		return p.hasAccount(c.AccountID) && (p.hasARN(c.ARN) || p.hasID(c) || p.hasPinned(c.ARN, c))
	}
}

func (p *principals) hasFederated(provider string) bool {
	for _, f := range p.federated {
		if f == provider && provider != "" {
			return true
		}
	}
	return false
}

func (p *principals) hasAccount(id string) bool {
	for _, a := range p.accounts {
		if a == id && id != "" {
			return true
		}
	}
	return false
}

func (p *principals) hasARN(arn string) bool {
	for _, a := range p.arns {
		if a == arn && arn != "" {
			return true
		}
	}
	return false
}
