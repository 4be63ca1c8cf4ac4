package iamapi

import (
	"context"
	"maps"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

func (s *Service) putInline(ctx context.Context, kind identity.EntityKind, name, policy, doc string) error {
	if err := identity.ValidateDocument(s.checker, doc, identity.IdentityPolicy); err != nil {
		return err
	}
	if err := s.authorizeOn(ctx, "iam:Put"+kind.Title()+"Policy", kind, name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		inline := maps.Clone(e.Inline)
		if inline == nil {
			inline = map[string]string{}
		}
		inline[policy] = doc
		total := 0
		for _, d := range inline {
			total += identity.CompactLen(d)
		}
		if total > kind.InlineLimit() {
			return errLimit("Maximum policy size of %d bytes exceeded for %s %s", kind.InlineLimit(), kind, e.Name)
		}
		e.Inline = inline
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

func (s *Service) getInline(ctx context.Context, kind identity.EntityKind, name, policy string) (entityName, doc string, err error) {
	if err := s.authorizeOn(ctx, "iam:Get"+kind.Title()+"Policy", kind, name); err != nil {
		return "", "", err
	}
	err = s.store.View(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		d, ok := e.Inline[policy]
		if !ok {
			return errNoSuchInline(kind, policy)
		}
		entityName, doc = e.Name, d
		return nil
	})
	return entityName, doc, err
}

func (s *Service) listInline(ctx context.Context, kind identity.EntityKind, name, marker string, maxItems int) (*ListUserPoliciesResponse, error) {
	if err := s.authorizeOn(ctx, "iam:List"+kind.Title()+"Policies", kind, name); err != nil {
		return nil, err
	}
	out := &ListUserPoliciesResponse{}
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		out.PolicyNames, out.Marker, out.IsTruncated = page(e.InlineNames(), identityKey, marker, maxItems)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if out.PolicyNames == nil {
		out.PolicyNames = []string{}
	}
	return out, nil
}

func (s *Service) deleteInline(ctx context.Context, kind identity.EntityKind, name, policy string) error {
	if err := s.authorizeOn(ctx, "iam:Delete"+kind.Title()+"Policy", kind, name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		if _, ok := e.Inline[policy]; !ok {
			return errNoSuchInline(kind, policy)
		}
		inline := maps.Clone(e.Inline)
		delete(inline, policy)
		e.Inline = inline
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

// PutUserPolicy adds or replaces a user's inline policy. A user's inline
// policies together hold at most 2048 characters (whitespace aside).
func (s *Service) PutUserPolicy(ctx context.Context, in *PutUserPolicyRequest) (*Empty, error) {
	if err := s.putInline(ctx, identity.KindUser, in.UserName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// PutRolePolicy adds or replaces a role's inline policy (10240 characters
// in all).
func (s *Service) PutRolePolicy(ctx context.Context, in *PutRolePolicyRequest) (*Empty, error) {
	if err := s.putInline(ctx, identity.KindRole, in.RoleName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// PutGroupPolicy adds or replaces a group's inline policy (5120 characters
// in all).
func (s *Service) PutGroupPolicy(ctx context.Context, in *PutGroupPolicyRequest) (*Empty, error) {
	if err := s.putInline(ctx, identity.KindGroup, in.GroupName, in.PolicyName, in.PolicyDocument); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// GetUserPolicy returns a user's inline policy, percent-encoded.
func (s *Service) GetUserPolicy(ctx context.Context, in *GetUserPolicyRequest) (*GetUserPolicyResponse, error) {
	name, doc, err := s.getInline(ctx, identity.KindUser, in.UserName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetUserPolicyResponse{UserName: name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

// GetRolePolicy returns a role's inline policy, percent-encoded.
func (s *Service) GetRolePolicy(ctx context.Context, in *GetRolePolicyRequest) (*GetRolePolicyResponse, error) {
	name, doc, err := s.getInline(ctx, identity.KindRole, in.RoleName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetRolePolicyResponse{RoleName: name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

// GetGroupPolicy returns a group's inline policy, percent-encoded.
func (s *Service) GetGroupPolicy(ctx context.Context, in *GetGroupPolicyRequest) (*GetGroupPolicyResponse, error) {
	name, doc, err := s.getInline(ctx, identity.KindGroup, in.GroupName, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &GetGroupPolicyResponse{GroupName: name, PolicyName: in.PolicyName, PolicyDocument: encodeDocument(doc)}, nil
}

// ListUserPolicies lists the names of a user's inline policies.
func (s *Service) ListUserPolicies(ctx context.Context, in *ListUserPoliciesRequest) (*ListUserPoliciesResponse, error) {
	return s.listInline(ctx, identity.KindUser, in.UserName, in.Marker, int(in.MaxItems))
}

// ListRolePolicies lists the names of a role's inline policies.
func (s *Service) ListRolePolicies(ctx context.Context, in *ListRolePoliciesRequest) (*ListRolePoliciesResponse, error) {
	out, err := s.listInline(ctx, identity.KindRole, in.RoleName, in.Marker, int(in.MaxItems))
	return (*ListRolePoliciesResponse)(out), err
}

// ListGroupPolicies lists the names of a group's inline policies.
func (s *Service) ListGroupPolicies(ctx context.Context, in *ListGroupPoliciesRequest) (*ListGroupPoliciesResponse, error) {
	out, err := s.listInline(ctx, identity.KindGroup, in.GroupName, in.Marker, int(in.MaxItems))
	return (*ListGroupPoliciesResponse)(out), err
}

// DeleteUserPolicy deletes a user's inline policy.
func (s *Service) DeleteUserPolicy(ctx context.Context, in *DeleteUserPolicyRequest) (*Empty, error) {
	if err := s.deleteInline(ctx, identity.KindUser, in.UserName, in.PolicyName); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteRolePolicy deletes a role's inline policy.
func (s *Service) DeleteRolePolicy(ctx context.Context, in *DeleteRolePolicyRequest) (*Empty, error) {
	if err := s.deleteInline(ctx, identity.KindRole, in.RoleName, in.PolicyName); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteGroupPolicy deletes a group's inline policy.
func (s *Service) DeleteGroupPolicy(ctx context.Context, in *DeleteGroupPolicyRequest) (*Empty, error) {
	if err := s.deleteInline(ctx, identity.KindGroup, in.GroupName, in.PolicyName); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
