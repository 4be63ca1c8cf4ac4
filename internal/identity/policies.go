package identity

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// allowNothing stands in for a managed session policy that no longer
// exists: it keeps the session's policy list non-empty (so the session
// stays narrowed) and allows nothing (NotAction "*" matches no action).
const allowNothing = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"*","Resource":"*"}]}`

// principalEntity names the user or role whose policies, tags and
// boundary apply to p, and the unique id it must still have (a user or role
// made again under the same name is another entity); ok is false for the
// root and service principals, which have none.
func principalEntity(p sealbox.Principal) (kind EntityKind, name, id string, ok bool) {
	switch p.Type {
	case "IAMUser":
		kind, name, id = KindUser, p.UserName, p.PrincipalID
		if name == "" {
			name = lastSegment(p.ARN)
		}
	case "AssumedRole":
		kind, name = KindRole, lastSegment(p.RoleARN)
		id, _, _ = strings.Cut(p.PrincipalID, ":")
	default:
		return "", "", "", false
	}
	return kind, name, id, true
}

// PoliciesFor returns every identity-based policy document that applies to
// p: for an IAM user (also through GetSessionToken) its inline policies,
// the default versions of its attached managed policies, and the same of
// each group it is in; for an assumed role the role's inline and attached
// policies. The account's root has none: root is allowed by identity. A
// principal whose user or role no longer exists (or was made again under
// the same name) has none either. Session policies are separate: see
// SessionPolicies.
//
// The result is cached until an IAM record changes; callers must not modify
// it. Safe for concurrent use.
func (s *Store) PoliciesFor(ctx context.Context, p sealbox.Principal) ([]PolicyDoc, error) {
	kind, name, id, ok := principalEntity(p)
	if !ok {
		return nil, nil
	}
	if name == "" {
		return nil, nil
	}
	key := string(kind) + "|" + strings.ToLower(name) + "|" + id
	if docs, ok := s.policies.Get(key); ok {
		return docs, nil
	}
	ticket := s.policies.Ticket() // before the snapshot is taken
	var docs []PolicyDoc
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := LoadEntity(tx, kind, name)
		if IsNotFound(err) || (err == nil && id != "" && e.ID != id) {
			return nil
		}
		if err != nil {
			return err
		}
		c := docCollector{s: s, tx: tx, seen: map[string]bool{}}
		if err := c.entity(e); err != nil {
			return err
		}
		if kind == KindUser {
			groups, err := ListIndex(tx, GroupsOfPrefix(e.Name))
			if err != nil {
				return err
			}
			for _, g := range groups {
				ge, err := LoadEntity(tx, KindGroup, g)
				if IsNotFound(err) {
					continue
				}
				if err != nil {
					return err
				}
				if err := c.entity(ge); err != nil {
					return err
				}
			}
		}
		docs = c.docs
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.policies.Put(key, docs, ticket)
	return docs, nil
}

// docCollector gathers policy documents, each source once.
type docCollector struct {
	s    *Store
	tx   store.Tx
	seen map[string]bool
	docs []PolicyDoc
}

func (c *docCollector) add(locator, doc string) {
	src := locator + "@" + docHash(doc)
	if c.seen[src] {
		return
	}
	c.seen[src] = true
	c.docs = append(c.docs, PolicyDoc{Source: src, Document: doc})
}

// entity adds e's inline policies, by name, and the default versions of
// its attached managed policies, in attachment order.
func (c *docCollector) entity(e *Entity) error {
	arn := e.ARN(c.s.account)
	for _, name := range e.InlineNames() {
		c.add(arn+"#"+name, e.Inline[name])
	}
	for _, parn := range e.Attached {
		if err := c.managed(parn, false); err != nil {
			return err
		}
	}
	return nil
}

// managed adds the default version of the policy parn names. A policy that
// no longer exists adds nothing, or with placeholder the allowNothing
// document (for session policies, which narrow a session).
func (c *docCollector) managed(parn string, placeholder bool) error {
	p, err := c.s.FindPolicy(c.tx, parn)
	if IsNotFound(err) || (err == nil && p.defaultVersion() == nil) {
		if placeholder {
			c.add(parn+"?deleted", allowNothing)
		}
		return nil
	}
	if err != nil {
		if _, ok := sealbox.AsError(err); ok && placeholder { // not a policy ARN
			c.add(parn+"?invalid", allowNothing)
			return nil
		}
		return err
	}
	v := p.defaultVersion()
	c.add(p.ARN(c.s.account)+"?"+v.ID, v.Document)
	return nil
}

func sessionCacheKey(id string) string { return "session|" + id }

// SessionPolicies returns the session policies of an assumed-role session
// (the inline Policy and the default versions of the PolicyArns given to
// AssumeRole), which the authorizer intersects with the role's
// permissions. It returns nil for any other key: such sessions are not
// narrowed. A session policy deleted since the session began is replaced
// by a document that allows nothing, so that the session stays narrowed.
func (s *Store) SessionPolicies(ctx context.Context, accessKeyID string) ([]PolicyDoc, error) {
	if !strings.HasPrefix(accessKeyID, "ASIA") {
		return nil, nil
	}
	key := sessionCacheKey(accessKeyID)
	if docs, ok := s.policies.Get(key); ok {
		return docs, nil
	}
	ticket := s.policies.Ticket() // before the snapshot is taken
	var docs []PolicyDoc
	err := s.store.View(ctx, func(tx store.Tx) error {
		var sess SessionRecord
		err := GetSession(tx, accessKeyID, &sess)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if sess.Kind != "role" {
			return nil
		}
		c := docCollector{s: s, tx: tx, seen: map[string]bool{}}
		if sess.Policy != "" {
			c.add(AssumedRoleARN(sess.Partition, s.account, sess.Name, sess.SessionName)+"#session", sess.Policy)
		}
		for _, parn := range sess.PolicyArns {
			if err := c.managed(parn, true); err != nil {
				return err
			}
		}
		docs = c.docs
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.policies.Put(key, docs, ticket)
	return docs, nil
}

// Principal resolves the ARN of a user, a role, an assumed-role session or
// the account's root to the principal it names, for policy simulation. A
// role resolves to an AssumedRole principal without a session name (ARN
// and RoleARN both the role's), which PoliciesFor serves. It reports false
// for an ARN that names nothing in this account.
func (s *Store) Principal(ctx context.Context, arn string) (sealbox.Principal, bool, error) {
	a, err := sealbox.ParseARN(arn)
	if err != nil || a.AccountID != s.account || a.Region != "" {
		return sealbox.Principal{}, false, nil
	}
	switch {
	case a.Service == "iam" && a.Resource == "root":
		p := s.RootPrincipal("")
		p.ARN = arn
		return p, true, nil
	case a.Service == "iam" && (strings.HasPrefix(a.Resource, "user/") || strings.HasPrefix(a.Resource, "role/")):
		kind := KindUser
		if strings.HasPrefix(a.Resource, "role/") {
			kind = KindRole
		}
		e, ok, err := s.lookupByARN(ctx, kind, a)
		if err != nil || !ok {
			return sealbox.Principal{}, false, err
		}
		if kind == KindUser {
			return s.userPrincipal(e, "", false), true, nil
		}
		return sealbox.Principal{
			Type:        "AssumedRole",
			ARN:         e.ARN(s.account),
			AccountID:   s.account,
			PrincipalID: e.ID,
			RoleARN:     e.ARN(s.account),
		}, true, nil
	case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
		parts := strings.Split(strings.TrimPrefix(a.Resource, "assumed-role/"), "/")
		if len(parts) != 2 || parts[0] == "" || parts[1] == "" {
			return sealbox.Principal{}, false, nil
		}
		var e *Entity
		err := s.store.View(ctx, func(tx store.Tx) (err error) {
			e, err = LoadEntity(tx, KindRole, parts[0])
			return err
		})
		if IsNotFound(err) {
			return sealbox.Principal{}, false, nil
		}
		if err != nil {
			return sealbox.Principal{}, false, err
		}
		return s.assumedRolePrincipal(e, parts[1], ""), true, nil
	}
	return sealbox.Principal{}, false, nil
}

// lookupByARN loads the user or role an IAM ARN names, path included.
func (s *Store) lookupByARN(ctx context.Context, kind EntityKind, a sealbox.ARN) (e *Entity, ok bool, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		e, ok, err = s.EntityByARN(tx, kind, a)
		return err
	})
	return e, ok, err
}

// EntityByARN loads the user or role an IAM ARN names, path included.
func (s *Store) EntityByARN(tx store.Tx, kind EntityKind, a sealbox.ARN) (*Entity, bool, error) {
	return entityByARN(tx, kind, a)
}

func entityByARN(tx store.Tx, kind EntityKind, a sealbox.ARN) (*Entity, bool, error) {
	rest := strings.TrimPrefix(a.Resource, string(kind))
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return nil, false, nil
	}
	path, name := rest[:i+1], rest[i+1:]
	if name == "" {
		return nil, false, nil
	}
	e, err := LoadEntity(tx, kind, name)
	if IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if e.Path != path || e.Partition != a.Partition || e.Name != name {
		return nil, false, nil
	}
	return e, true, nil
}

// lastSegment is what follows the last "/" of an ARN: a user's or role's
// name.
func lastSegment(arn string) string {
	i := strings.LastIndexByte(arn, '/')
	if i < 0 {
		return ""
	}
	return arn[i+1:]
}

// errInvalidARN is IAM's answer to a policy ARN it cannot read.
func errInvalidARN(arn string) error { return InvalidInput("ARN %s is not valid.", arn) }

// FindPolicy resolves a policy ARN. It returns InvalidInput for a string
// that is not a policy ARN, and errNotFound when no such policy exists.
func (s *Store) FindPolicy(tx store.Tx, arn string) (*PolicyRecord, error) {
	a, err := sealbox.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" || !strings.HasPrefix(a.Resource, "policy/") {
		return nil, errInvalidARN(arn)
	}
	rest := strings.TrimPrefix(a.Resource, "policy")
	i := strings.LastIndexByte(rest, '/')
	path, name := rest[:i+1], rest[i+1:]
	if name == "" {
		return nil, errInvalidARN(arn)
	}
	switch a.AccountID {
	case "aws":
		p, ok := builtinRecord(name, a.Partition)
		if !ok || path != p.Path {
			return nil, errNotFound
		}
		var n awsAttachments
		if err := store.GetJSON(tx, awsPolicyKey(name), &n); err != nil && !IsNotFound(err) {
			return nil, err
		}
		p.Attachments, p.BoundaryUses = n.Attachments, n.BoundaryUses
		return p, nil
	case s.account:
		var p PolicyRecord
		if err := store.GetJSON(tx, PolicyKey(name), &p); err != nil {
			return nil, err
		}
		if p.Path != path || p.Partition != a.Partition {
			return nil, errNotFound
		}
		return &p, nil
	default:
		return nil, errNotFound
	}
}

func SavePolicy(tx store.Tx, p *PolicyRecord) error {
	if p.aws {
		return store.PutJSON(tx, awsPolicyKey(p.Name), awsAttachments{Attachments: p.Attachments, BoundaryUses: p.BoundaryUses})
	}
	return store.PutJSON(tx, PolicyKey(p.Name), p)
}

// BoundaryFor returns the permissions boundary of p's user or role (the
// default version of the managed policy), or nil for none. A boundary
// policy that no longer exists is a document that allows nothing, so that
// the principal stays bounded.
func (s *Store) BoundaryFor(ctx context.Context, p sealbox.Principal) (*PolicyDoc, error) {
	kind, name, id, ok := principalEntity(p)
	if !ok {
		return nil, nil
	}
	var out *PolicyDoc
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := LoadEntity(tx, kind, name)
		if IsNotFound(err) || (err == nil && id != "" && e.ID != id) || (err == nil && e.Boundary == "") {
			return nil
		}
		if err != nil {
			return err
		}
		c := docCollector{s: s, tx: tx, seen: map[string]bool{}}
		if err := c.managed(e.Boundary, true); err != nil {
			return err
		}
		if len(c.docs) > 0 {
			out = &c.docs[0]
		}
		return nil
	})
	return out, err
}

// PrincipalTags returns the tags of the principal p, as the condition keys
// aws:PrincipalTag/<key> see them: an IAM user's tags (also through
// GetSessionToken); for an assumed role, the role's tags with the
// session's tags over them (a session tag wins over the role's tag of the
// same key, compared regardless of case). Keys are lower-cased. The root
// and principals that no longer exist have none.
func (s *Store) PrincipalTags(ctx context.Context, p sealbox.Principal) (map[string]string, error) {
	kind, name, id, ok := principalEntity(p)
	if !ok {
		return nil, nil
	}
	var tags map[string]string
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := LoadEntity(tx, kind, name)
		if IsNotFound(err) || (err == nil && id != "" && e.ID != id) {
			return nil
		}
		if err != nil {
			return err
		}
		tags = make(map[string]string, len(e.Tags))
		for _, t := range e.Tags {
			tags[strings.ToLower(t.Key)] = t.Value
		}
		if kind != KindRole || !strings.HasPrefix(p.AccessKeyID, "ASIA") {
			return nil
		}
		var sess SessionRecord
		err = GetSession(tx, p.AccessKeyID, &sess)
		if IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, t := range sess.Tags {
			tags[strings.ToLower(t.Key)] = t.Value
		}
		return nil
	})
	return tags, err
}
