package identity

import (
	"context"

	"github.com/sealbox/sealbox/internal/store"
)

// CreateGroup creates a group.
func (s *IAM) CreateGroup(ctx context.Context, in *CreateGroupRequest) (*CreateGroupResponse, error) {
	if err := s.authorize(ctx, "iam:CreateGroup", s.entityARN(ctx, KindGroup, in.Path, in.GroupName)); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, KindGroup, in.GroupName, in.Path)
	if err := s.createEntity(ctx, e, ""); err != nil {
		return nil, err
	}
	request(ctx).AddResource(KindGroup.ResourceType(), e.ARN(s.account))
	g := s.groupOut(e)
	return &CreateGroupResponse{Group: &g}, nil
}

// GetGroup returns a group and, a page at a time, its users.
func (s *IAM) GetGroup(ctx context.Context, in *GetGroupRequest) (*GetGroupResponse, error) {
	if err := s.authorizeOn(ctx, "iam:GetGroup", KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	out := &GetGroupResponse{Users: []User{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		gv := s.groupOut(g)
		out.Group = &gv
		members, err := ListIndex(tx, MemberPrefix(g.Name))
		if err != nil {
			return err
		}
		members, out.Marker, out.IsTruncated = page(members, identityKey, in.Marker, int(in.MaxItems))
		for _, m := range members {
			u, err := LoadEntity(tx, KindUser, m)
			if IsNotFound(err) {
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
func (s *IAM) ListGroups(ctx context.Context, in *ListGroupsRequest) (*ListGroupsResponse, error) {
	groups, next, more, err := listByPath(ctx, s, KindGroup, "iam:ListGroups", in.PathPrefix, in.Marker, int(in.MaxItems), s.groupOut)
	if err != nil {
		return nil, err
	}
	return &ListGroupsResponse{Groups: groups, Marker: next, IsTruncated: more}, nil
}

// DeleteGroup deletes a group without users, inline or attached policies.
func (s *IAM) DeleteGroup(ctx context.Context, in *DeleteGroupRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteGroup", KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		switch {
		case hasAny(tx, MemberPrefix(g.Name)):
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(g.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		request(ctx).AddResource(KindGroup.ResourceType(), g.ARN(s.account))
		return tx.Delete(g.Key())
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// AddUserToGroup makes a user a member of a group; adding a member again
// changes nothing. A user is in at most 10 groups.
func (s *IAM) AddUserToGroup(ctx context.Context, in *AddUserToGroupRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:AddUserToGroup", KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		u, err := mustEntity(tx, KindUser, in.UserName)
		if err != nil {
			return err
		}
		if _, err := tx.Get(MemberKey(g.Name, u.Name)); err == nil {
			return nil
		} else if !IsNotFound(err) {
			return err
		}
		groups, err := ListIndex(tx, GroupsOfPrefix(u.Name))
		if err != nil {
			return err
		}
		if len(groups) >= maxGroupsPerUser {
			return errQuota("GroupsPerUser", maxGroupsPerUser)
		}
		request(ctx).AddResource(KindGroup.ResourceType(), g.ARN(s.account))
		if err := tx.Put(MemberKey(g.Name, u.Name), nil); err != nil {
			return err
		}
		return tx.Put(GroupsOfKey(u.Name, g.Name), nil)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// RemoveUserFromGroup ends a membership.
func (s *IAM) RemoveUserFromGroup(ctx context.Context, in *RemoveUserFromGroupRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:RemoveUserFromGroup", KindGroup, in.GroupName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		g, err := mustEntity(tx, KindGroup, in.GroupName)
		if err != nil {
			return err
		}
		u, err := mustEntity(tx, KindUser, in.UserName)
		if err != nil {
			return err
		}
		if _, err := tx.Get(MemberKey(g.Name, u.Name)); IsNotFound(err) {
			return errNoSuchUser(in.UserName)
		} else if err != nil {
			return err
		}
		request(ctx).AddResource(KindGroup.ResourceType(), g.ARN(s.account))
		if err := tx.Delete(MemberKey(g.Name, u.Name)); err != nil {
			return err
		}
		return tx.Delete(GroupsOfKey(u.Name, g.Name))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListGroupsForUser lists the groups a user is in, by name.
func (s *IAM) ListGroupsForUser(ctx context.Context, in *ListGroupsForUserRequest) (*ListGroupsForUserResponse, error) {
	if err := s.authorizeOn(ctx, "iam:ListGroupsForUser", KindUser, in.UserName); err != nil {
		return nil, err
	}
	out := &ListGroupsForUserResponse{Groups: []Group{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		u, err := mustEntity(tx, KindUser, in.UserName)
		if err != nil {
			return err
		}
		groups, err := ListIndex(tx, GroupsOfPrefix(u.Name))
		if err != nil {
			return err
		}
		groups, out.Marker, out.IsTruncated = page(groups, identityKey, in.Marker, int(in.MaxItems))
		for _, name := range groups {
			g, err := LoadEntity(tx, KindGroup, name)
			if IsNotFound(err) {
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
