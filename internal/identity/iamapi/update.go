package iamapi

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// UpdateUser renames a user (NewUserName) or moves it to another path
// (NewPath). As in AWS, the caller needs iam:UpdateUser on the user's ARN
// before and after the change, and a name another user already has
// (regardless of case) is refused with EntityAlreadyExists.
//
// The user keeps its unique id, its policies, boundary and tags, its group
// memberships and its access keys and sessions, which from then on stand
// for the new ARN: the old name names nothing, so a policy naming the old
// ARN no longer applies to them. The change feed drops every cached lookup
// and policy set made from the old record as the change commits.
func (s *Service) UpdateUser(ctx context.Context, in *UpdateUserRequest) (*Empty, error) {
	if err := s.authorizeUpdateUser(ctx, in); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, identity.KindUser, in.UserName)
		if err != nil {
			return err
		}
		request(ctx).AddResource(identity.KindUser.ResourceType(), e.ARN(s.account))
		old := *e
		if in.NewPath != "" {
			e.Path = in.NewPath
		}
		if in.NewUserName != "" && in.NewUserName != e.Name {
			if !strings.EqualFold(in.NewUserName, e.Name) {
				if _, err := identity.LoadEntity(tx, identity.KindUser, in.NewUserName); err == nil {
					return errAlreadyExists(identity.KindUser, in.NewUserName)
				} else if !identity.IsNotFound(err) {
					return err
				}
			}
			e.Name = in.NewUserName
			if err := s.renameUserIndexes(tx, &old, e); err != nil {
				return err
			}
		} else if e.Path != old.Path {
			if err := moveSessions(tx, &old, e); err != nil {
				return err
			}
		}
		if e.Key() != old.Key() {
			if err := tx.Delete(old.Key()); err != nil {
				return err
			}
		}
		request(ctx).AddResource(identity.KindUser.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// authorizeUpdateUser asks for iam:UpdateUser on the user's ARN and, when
// the name or path changes, on the ARN it will have: AWS's "permission on
// both the source object and the target object". Both carry the user's
// tags as aws:ResourceTag/<key>.
func (s *Service) authorizeUpdateUser(ctx context.Context, in *UpdateUserRequest) error {
	if s.authz == nil {
		return nil
	}
	path, name := "/", in.UserName
	cond := map[string][]string{}
	e, err := s.taggedEntity(ctx, identity.KindUser, in.UserName, cond)
	if err != nil {
		return err
	}
	if e != nil {
		path, name = e.Path, e.Name
	}
	from := s.entityARN(ctx, identity.KindUser, path, name)
	if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:UpdateUser", Resource: from, Context: cond}); err != nil {
		return err
	}
	if in.NewPath != "" {
		path = in.NewPath
	}
	if in.NewUserName != "" {
		name = in.NewUserName
	}
	to := s.entityARN(ctx, identity.KindUser, path, name)
	if to == from {
		return nil
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:UpdateUser", Resource: to, Context: cond})
}

// renameUserIndexes moves what is filed under a user's name to its new
// name: its access keys (the records name their user), its sessions
// (GetSessionToken) and its group memberships, with their indexes.
func (s *Service) renameUserIndexes(tx store.Tx, old, e *identity.Entity) error {
	from, to := identity.OwnerOf(identity.KindUser, old.Name), identity.OwnerOf(identity.KindUser, e.Name)
	keyIDs, err := identity.ListIndex(tx, identity.KeysOfPrefix(from))
	if err != nil {
		return err
	}
	for _, id := range keyIDs {
		var rec identity.AccessKeyRecord
		if err := identity.GetAccessKey(tx, id, &rec); err != nil && !identity.IsNotFound(err) {
			return err
		} else if err == nil {
			rec.UserName = e.Name
			if err := identity.SaveAccessKey(tx, &rec); err != nil {
				return err
			}
		}
		if from != to {
			if err := tx.Delete(identity.KeysOfKey(from, id)); err != nil {
				return err
			}
			if err := tx.Put(identity.KeysOfKey(to, id), nil); err != nil {
				return err
			}
		}
	}
	if err := moveSessions(tx, old, e); err != nil {
		return err
	}
	groups, err := identity.ListIndex(tx, identity.GroupsOfPrefix(old.Name))
	if err != nil {
		return err
	}
	if strings.EqualFold(old.Name, e.Name) {
		return nil // the indexes are keyed by the lower-cased name
	}
	for _, g := range groups {
		for _, k := range []string{identity.MemberKey(g, old.Name), identity.GroupsOfKey(old.Name, g)} {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		for _, k := range []string{identity.MemberKey(g, e.Name), identity.GroupsOfKey(e.Name, g)} {
			if err := tx.Put(k, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// moveSessions makes the sessions a user made with GetSessionToken stand
// for it under its new name and path.
func moveSessions(tx store.Tx, old, e *identity.Entity) error {
	from, to := identity.OwnerOf(identity.KindUser, old.Name), identity.OwnerOf(identity.KindUser, e.Name)
	sessIDs, err := identity.ListIndex(tx, identity.SessionsOfPrefix(from))
	if err != nil {
		return err
	}
	for _, id := range sessIDs {
		var sess identity.SessionRecord
		if err := identity.GetSession(tx, id, &sess); err != nil && !identity.IsNotFound(err) {
			return err
		} else if err == nil {
			sess.Name, sess.Path = e.Name, e.Path
			if err := identity.SaveSession(tx, &sess); err != nil {
				return err
			}
		}
		if from != to {
			if err := tx.Delete(identity.SessionsOfKey(from, id)); err != nil {
				return err
			}
			if err := tx.Put(identity.SessionsOfKey(to, id), nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// UpdateRole changes a role's Description and MaxSessionDuration; a member
// absent from the request leaves its value as it is. Sessions already
// issued keep their expiry, as in AWS.
func (s *Service) UpdateRole(ctx context.Context, in *UpdateRoleRequest) (*UpdateRoleResponse, error) {
	if err := s.authorizeOn(ctx, "iam:UpdateRole", identity.KindRole, in.RoleName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, identity.KindRole, in.RoleName)
		if err != nil {
			return err
		}
		if in.Description != nil {
			e.Description = *in.Description
		}
		if in.MaxSessionDuration != nil {
			e.MaxSessionDuration = int(*in.MaxSessionDuration)
		}
		request(ctx).AddResource(identity.KindRole.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &UpdateRoleResponse{}, nil
}

// ListEntitiesForPolicy lists the groups, users and roles a managed policy
// is attached to (PolicyUsageFilter PermissionsPolicy), or is the
// permissions boundary of (PermissionsBoundary), or both (no filter);
// EntityFilter keeps one kind (User, Role or Group; LocalManagedPolicy and
// AWSManagedPolicy name no entity a policy is attached to, so nothing is
// listed), PathPrefix the entities under a path. MaxItems counts the three
// lists together; the Marker is opaque.
func (s *Service) ListEntitiesForPolicy(ctx context.Context, in *ListEntitiesForPolicyRequest) (*ListEntitiesForPolicyResponse, error) {
	if err := s.authorizePolicy(ctx, "iam:ListEntitiesForPolicy", in.PolicyArn); err != nil {
		return nil, err
	}
	kinds := []identity.EntityKind{identity.KindGroup, identity.KindRole, identity.KindUser} // the marker's order: see entityMarker
	switch in.EntityFilter {
	case "":
	case "User":
		kinds = []identity.EntityKind{identity.KindUser}
	case "Role":
		kinds = []identity.EntityKind{identity.KindRole}
	case "Group":
		kinds = []identity.EntityKind{identity.KindGroup}
	default:
		kinds = nil
	}
	out := &ListEntitiesForPolicyResponse{PolicyGroups: []PolicyGroup{}, PolicyUsers: []PolicyUser{}, PolicyRoles: []PolicyRole{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		p, err := s.mustPolicy(tx, in.PolicyArn, errPolicyNotFound)
		if err != nil {
			return err
		}
		arn := p.ARN(s.account)
		var found []*identity.Entity
		for _, kind := range kinds {
			err := tx.Scan(kind.Prefix(), "", func(_ string, v []byte) error {
				var e identity.Entity
				if err := json.Unmarshal(v, &e); err != nil {
					return err
				}
				if !strings.HasPrefix(e.Path, in.PathPrefix) {
					return nil
				}
				attached, boundary := e.IsAttached(arn), e.Boundary == arn
				switch in.PolicyUsageFilter {
				case "PermissionsPolicy":
					boundary = false
				case "PermissionsBoundary":
					attached = false
				}
				if attached || boundary {
					found = append(found, &e)
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		found, out.Marker, out.IsTruncated = page(found, entityMarker, in.Marker, int(in.MaxItems))
		for _, e := range found {
			switch e.Kind {
			case identity.KindGroup:
				out.PolicyGroups = append(out.PolicyGroups, PolicyGroup{GroupName: e.Name, GroupId: e.ID})
			case identity.KindRole:
				out.PolicyRoles = append(out.PolicyRoles, PolicyRole{RoleName: e.Name, RoleId: e.ID})
			default:
				out.PolicyUsers = append(out.PolicyUsers, PolicyUser{UserName: e.Name, UserId: e.ID})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// entityMarker orders the entities ListEntitiesForPolicy lists, groups,
// then roles, then users (the kinds sort in that order), each by name as
// stored.
func entityMarker(e *identity.Entity) string { return e.Key() }
