package iamapi

import (
	"context"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// CreateGroup creates a group.
func (s *Service) CreateGroup(ctx context.Context, in *CreateGroupRequest) (*CreateGroupResponse, error) {
	if err := s.authorize(ctx, "iam:CreateGroup", s.entityARN(ctx, identity.KindGroup, in.Path, in.GroupName)); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, identity.KindGroup, in.GroupName, in.Path)
	if err := s.createEntity(ctx, e, ""); err != nil {
		return nil, err
	}
	request(ctx).AddResource(identity.KindGroup.ResourceType(), e.ARN(s.account))
	g := s.groupOut(e)
	return &CreateGroupResponse{Group: &g}, nil
}

// GetGroup returns a group and, a page at a time, its users.
func (s *Service) GetGroup(ctx context.Context, in *GetGroupRequest) (*GetGroupResponse, error) {
	if err := s.authorizeOn(ctx, "iam:GetGroup", identity.KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	out := &GetGroupResponse{Users: []User{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, identity.KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		gv := s.groupOut(g)
		out.Group = &gv
		members, err := identity.ListIndex(tx, identity.MemberPrefix(g.Name))
		if err != nil {
			return err
		}
		members, out.Marker, out.IsTruncated = page(members, identityKey, in.Marker, int(in.MaxItems))
		for _, m := range members {
			u, err := identity.LoadEntity(tx, identity.KindUser, m)
			if identity.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			out.Users = append(out.Users, s.userOut(u, false))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListGroups lists groups by name, optionally under a path prefix.
func (s *Service) ListGroups(ctx context.Context, in *ListGroupsRequest) (*ListGroupsResponse, error) {
	groups, next, more, err := listByPath(ctx, s, identity.KindGroup, "iam:ListGroups", in.PathPrefix, in.Marker, int(in.MaxItems), s.groupOut)
	if err != nil {
		return nil, err
	}
	return &ListGroupsResponse{Groups: groups, Marker: next, IsTruncated: more}, nil
}

// DeleteGroup deletes a group without users, inline or attached policies.
func (s *Service) DeleteGroup(ctx context.Context, in *DeleteGroupRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteGroup", identity.KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, identity.KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		switch {
		case hasAny(tx, identity.MemberPrefix(g.Name)):
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		request(ctx).AddResource(identity.KindGroup.ResourceType(), g.ARN(s.account))
		return tx.Delete(g.Key())
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// updateMembership authorizes action on the group, then runs change in a
// transaction with the group and the user loaded: either unknown is
// NoSuchEntity.
func (s *Service) updateMembership(ctx context.Context, action, groupName, userName string, change func(tx store.Tx, g, u *identity.Entity) error) error {
	if err := s.authorizeOn(ctx, action, identity.KindGroup, groupName); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, identity.KindGroup, groupName)
		if err != nil {
			return err
		}
		u, err := mustEntity(tx, identity.KindUser, userName)
		if err != nil {
			return err
		}
		return change(tx, g, u)
	})
}

// AddUserToGroup makes a user a member of a group; adding a member again
// changes nothing. A user is in at most 10 groups.
func (s *Service) AddUserToGroup(ctx context.Context, in *AddUserToGroupRequest) (*Empty, error) {
	err := s.updateMembership(ctx, "iam:AddUserToGroup", in.GroupName, in.UserName, func(tx store.Tx, g, u *identity.Entity) error {
		if _, err := tx.Get(identity.MemberKey(g.Name, u.Name)); err == nil {
			return nil
		} else if !identity.IsNotFound(err) {
			return err
		}
		groups, err := identity.ListIndex(tx, identity.GroupsOfPrefix(u.Name))
		if err != nil {
			return err
		}
		if len(groups) >= maxGroupsPerUser {
			return errQuota("GroupsPerUser", maxGroupsPerUser)
		}
		request(ctx).AddResource(identity.KindGroup.ResourceType(), g.ARN(s.account))
		if err := tx.Put(identity.MemberKey(g.Name, u.Name), nil); err != nil {
			return err
		}
		return tx.Put(identity.GroupsOfKey(u.Name, g.Name), nil)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// RemoveUserFromGroup ends a membership.
func (s *Service) RemoveUserFromGroup(ctx context.Context, in *RemoveUserFromGroupRequest) (*Empty, error) {
	err := s.updateMembership(ctx, "iam:RemoveUserFromGroup", in.GroupName, in.UserName, func(tx store.Tx, g, u *identity.Entity) error {
		if _, err := tx.Get(identity.MemberKey(g.Name, u.Name)); identity.IsNotFound(err) {
			return errNoSuchUser(in.UserName)
		} else if err != nil {
			return err
		}
		request(ctx).AddResource(identity.KindGroup.ResourceType(), g.ARN(s.account))
		if err := tx.Delete(identity.MemberKey(g.Name, u.Name)); err != nil {
			return err
		}
		return tx.Delete(identity.GroupsOfKey(u.Name, g.Name))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListGroupsForUser lists the groups a user is in, by name.
func (s *Service) ListGroupsForUser(ctx context.Context, in *ListGroupsForUserRequest) (*ListGroupsForUserResponse, error) {
	if err := s.authorizeOn(ctx, "iam:ListGroupsForUser", identity.KindUser, in.UserName); err != nil {
		return nil, err
	}
	out := &ListGroupsForUserResponse{Groups: []Group{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		u, err := mustEntity(tx, identity.KindUser, in.UserName)
		if err != nil {
			return err
		}
		groups, err := identity.ListIndex(tx, identity.GroupsOfPrefix(u.Name))
		if err != nil {
			return err
		}
		groups, out.Marker, out.IsTruncated = page(groups, identityKey, in.Marker, int(in.MaxItems))
		for _, name := range groups {
			g, err := identity.LoadEntity(tx, identity.KindGroup, name)
			if identity.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			out.Groups = append(out.Groups, s.groupOut(g))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func identityKey(s string) string { return s }
