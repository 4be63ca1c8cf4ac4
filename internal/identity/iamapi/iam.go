// Package iamapi serves the AWS IAM API (AWS Query): users, groups, roles,
// access keys, inline and managed policies, permissions boundaries and
// tags, over the identity store, whose records it reads and writes in the
// store's transactions. It asks the authorizer before every operation and a
// PolicyChecker about every document. The protocol layer (internal/awsapi)
// calls its operations; it never sees HTTP. The policy language it does
// not know: that is internal/iam, reached through identity.PolicyChecker.
package iamapi

import (
	"context"
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// Config is what New needs besides the identity store.
type Config struct {
	// Checker validates policy documents and evaluates trust policies.
	// nil: documents must be JSON objects, and no trust policy allows
	// anything (AssumeRole is always refused).
	Checker identity.PolicyChecker
	// Authorizer, when set, is asked before every IAM operation. nil lets
	// every authenticated caller call every operation.
	Authorizer sealbox.Authorizer
}

// Service serves the IAM operations: users, groups, roles, access keys,
// inline and managed policies. Make one with New. Safe for concurrent use.
type Service struct {
	ids     *identity.Store
	store   store.Store
	account string
	checker identity.PolicyChecker
	authz   sealbox.Authorizer
}

// New returns the IAM service over ids.
func New(ids *identity.Store, c Config) *Service {
	return &Service{ids: ids, store: ids.Backend(), account: ids.Account(), checker: c.Checker, authz: c.Authorizer}
}

// authorize asks the authorizer whether the caller may perform action on
// resource.
func (s *Service) authorize(ctx context.Context, action, resource string) error {
	if s.authz == nil {
		return nil
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: resource})
}

// authorizeOn asks the authorizer about action on the entity of kind named
// name. It runs before, and outside, the operation's transaction (the
// authorizer reads the store too). An entity that does not exist is named by
// its ARN with the default path, so that a caller the action is denied to
// learns nothing of what exists; the operation then answers NoSuchEntity.
func (s *Service) authorizeOn(ctx context.Context, action string, kind identity.EntityKind, name string) error {
	return s.authorizeOnWith(ctx, action, kind, name, nil)
}

// authorizeOnWith is authorizeOn with the operation's condition keys
// (aws:RequestTag/<key>, aws:TagKeys ...). A user's or role's tags are
// aws:ResourceTag/<key> and iam:ResourceTag/<key>.
func (s *Service) authorizeOnWith(ctx context.Context, action string, kind identity.EntityKind, name string, extra map[string][]string) error {
	if s.authz == nil {
		return nil
	}
	arn := s.entityARN(ctx, kind, "/", name)
	cond := make(map[string][]string, len(extra)+4)
	for k, v := range extra {
		cond[k] = v
	}
	e, err := s.taggedEntity(ctx, kind, name, cond)
	if err != nil {
		return err
	}
	if e != nil {
		arn = e.ARN(s.account)
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: arn, Context: cond})
}

// taggedEntity loads the entity kind name and sets its tags in cond as
// aws:ResourceTag/<key> and iam:ResourceTag/<key>; an entity that does not
// exist is nil, without error (the authorizer is asked about its ARN all
// the same).
func (s *Service) taggedEntity(ctx context.Context, kind identity.EntityKind, name string, cond map[string][]string) (*identity.Entity, error) {
	var e *identity.Entity
	err := s.store.View(ctx, func(tx store.Tx) error {
		var err error
		if e, err = identity.LoadEntity(tx, kind, name); identity.IsNotFound(err) {
			return nil
		} else if err != nil {
			return err
		}
		for _, t := range e.Tags {
			sealbox.SetResourceTag(cond, "iam", t.Key, t.Value)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// authorizeKeys asks about an access-key action on userName's keys, or
// without a name on the caller's own.
func (s *Service) authorizeKeys(ctx context.Context, action, userName string) error {
	if userName != "" {
		return s.authorizeOn(ctx, action, identity.KindUser, userName)
	}
	if s.authz == nil {
		return nil
	}
	_, root, err := callerUser(ctx)
	if err != nil {
		return err
	}
	arn := request(ctx).Principal.ARN
	if root {
		arn = identity.RootARN(partition(request(ctx)), s.account)
	}
	return s.authorize(ctx, action, arn)
}

// entityARN is the ARN an entity of kind named name at path has (or would
// have), for authorization before it is loaded.
func (s *Service) entityARN(ctx context.Context, kind identity.EntityKind, path, name string) string {
	return "arn:" + partition(request(ctx)) + ":iam::" + s.account + ":" + string(kind) + defaultPath(path) + name
}

// defaultPath is the path IAM gives an entity created without one.
func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// callerUser is the user an operation without UserName is about: the
// calling IAM user, or "" for the account's root. Other callers must name
// the user.
func callerUser(ctx context.Context) (name string, root bool, err error) {
	p := request(ctx).Principal
	switch p.Type {
	case "IAMUser":
		return p.UserName, false, nil
	case "Root", "":
		return "", true, nil
	default:
		return "", false, identity.ValidationError("Must specify userName when calling with non-User credentials")
	}
}

// page cuts a sorted list at marker (the key of the last item of the
// previous page) and maxItems (default 100). It returns the page, and the
// marker of the next one when the list goes on.
func page[T any](items []T, key func(T) string, marker string, maxItems int) ([]T, string, bool) {
	if maxItems <= 0 {
		maxItems = 100
	}
	start := 0
	if marker != "" {
		start, _ = slices.BinarySearchFunc(items, marker, func(it T, m string) int {
			return strings.Compare(key(it), m)
		})
		if start < len(items) && key(items[start]) == marker {
			start++
		}
	}
	items = items[start:]
	if len(items) <= maxItems {
		return items, "", false
	}
	items = items[:maxItems]
	return items, key(items[len(items)-1]), true
}

// scanPage lists the records under prefix in key order, from after marker,
// keeping those keep accepts, up to maxItems (default 100). The next marker
// is the store key suffix of the last record returned.
func scanPage[T any](tx store.Tx, prefix, marker string, maxItems int, keep func(*T) bool) (out []*T, next string, truncated bool, err error) {
	if maxItems <= 0 {
		maxItems = 100
	}
	after := ""
	if marker != "" {
		after = prefix + marker
	}
	var last string
	err = tx.Scan(prefix, after, func(key string, v []byte) error {
		var rec T
		if err := json.Unmarshal(v, &rec); err != nil {
			return err
		}
		if !keep(&rec) {
			return nil
		}
		if len(out) == maxItems {
			truncated = true
			next = last
			return store.ErrStop
		}
		out = append(out, &rec)
		last = strings.TrimPrefix(key, prefix)
		return nil
	})
	return out, next, truncated, err
}

func (s *Service) userOut(e *identity.Entity, withTags bool) User {
	u := User{Path: e.Path, UserName: e.Name, UserId: e.ID, Arn: e.ARN(s.account), CreateDate: sealbox.At(e.Created)}
	if withTags {
		u.Tags = tagsOut(e.Tags)
		u.PermissionsBoundary = boundaryOut(e.Boundary)
	}
	return u
}

func (s *Service) groupOut(e *identity.Entity) Group {
	return Group{Path: e.Path, GroupName: e.Name, GroupId: e.ID, Arn: e.ARN(s.account), CreateDate: sealbox.At(e.Created)}
}

// roleOut is a role as IAM shows it; full adds what GetRole and CreateRole
// show and ListRoles leaves out.
func (s *Service) roleOut(e *identity.Entity, full bool) Role {
	r := Role{
		Path:                     e.Path,
		RoleName:                 e.Name,
		RoleId:                   e.ID,
		Arn:                      e.ARN(s.account),
		CreateDate:               sealbox.At(e.Created),
		AssumeRolePolicyDocument: encodeDocument(e.TrustPolicy),
		Description:              e.Description,
		MaxSessionDuration:       int32(e.MaxSessionDuration),
	}
	if full {
		r.Tags = tagsOut(e.Tags)
		r.PermissionsBoundary = boundaryOut(e.Boundary)
		r.RoleLastUsed = &RoleLastUsed{LastUsedDate: sealbox.At(e.LastUsed), Region: e.LastUsedRegion}
	}
	return r
}

// listByPath lists one page of the entities of kind under pathPrefix, by
// name, converted by out: ListUsers, ListRoles and ListGroups.
func listByPath[T any](ctx context.Context, s *Service, kind identity.EntityKind, action, pathPrefix, marker string, maxItems int, out func(*identity.Entity) T) ([]T, string, bool, error) {
	if err := s.authorize(ctx, action, "*"); err != nil {
		return nil, "", false, err
	}
	items := []T{}
	var next string
	var more bool
	err := s.store.View(ctx, func(tx store.Tx) error {
		list, n, m, err := scanPage(tx, kind.Prefix(), marker, maxItems, func(e *identity.Entity) bool {
			return strings.HasPrefix(e.Path, pathPrefix)
		})
		for _, e := range list {
			items = append(items, out(e))
		}
		next, more = n, m
		return err
	})
	if err != nil {
		return nil, "", false, err
	}
	return items, next, more, nil
}

// encodeDocument is a policy document as IAM returns it: percent-encoded
// (RFC 3986; a space is %20), which botocore decodes and aws-sdk-go-v2
// leaves to the caller (url.QueryUnescape).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// partition is the partition of the IAM ARNs a request makes: aws, unless
// the request's region is in aws-cn or aws-us-gov.
func partition(r *sealbox.Request) string {
	if r.Region != "" {
		return sealbox.PartitionFor(r.Region)
	}
	if r.Partition != "" {
		return r.Partition
	}
	return "aws"
}

// request is sealbox.MustRequest.
func request(ctx context.Context) *sealbox.Request { return sealbox.MustRequest(ctx) }
