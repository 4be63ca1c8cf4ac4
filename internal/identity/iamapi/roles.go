package iamapi

import (
	"context"
	"errors"
	"strconv"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

const defaultMaxSession = 3600

// checkTrustPolicy validates a role's trust policy: its size quota, then
// its grammar.
func (s *Service) checkTrustPolicy(doc string) error {
	if identity.CompactLen(doc) > maxTrustPolicyLen {
		return errQuota("ACLSizePerRole", maxTrustPolicyLen)
	}
	return identity.ValidateDocument(s.checker, doc, identity.TrustPolicy)
}

// CreateRole creates a role with its trust policy. MaxSessionDuration
// bounds AssumeRole's DurationSeconds (3600 to 43200; 3600 by default).
// Tags and a permissions boundary are set if given.
func (s *Service) CreateRole(ctx context.Context, in *CreateRoleRequest) (*CreateRoleResponse, error) {
	if err := identity.UniqueTags(tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	if err := s.checkTrustPolicy(in.AssumeRolePolicyDocument); err != nil {
		return nil, err
	}
	if err := s.authorizeCreate(ctx, identity.KindRole, in.Path, in.RoleName, in.Tags, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, identity.KindRole, in.RoleName, in.Path)
	e.TrustPolicy = in.AssumeRolePolicyDocument
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		e.TrustPinned, err = pinTrust(tx, s.account, e.TrustPolicy)
		return err
	})
	if err != nil {
		return nil, err
	}
	e.Description = in.Description
	e.MaxSessionDuration = int(in.MaxSessionDuration)
	if e.MaxSessionDuration == 0 {
		e.MaxSessionDuration = defaultMaxSession
	}
	e.Tags = tagsIn(in.Tags)
	if err := s.createEntity(ctx, e, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	request(ctx).AddResource(identity.KindRole.ResourceType(), e.ARN(s.account))
	r := s.roleOut(e, false)
	r.Tags = tagsOut(e.Tags)
	r.PermissionsBoundary = boundaryOut(e.Boundary)
	return &CreateRoleResponse{Role: &r}, nil
}

// GetRole returns a role, its trust policy (percent-encoded, as IAM
// returns it) and when it was last assumed.
func (s *Service) GetRole(ctx context.Context, in *GetRoleRequest) (*GetRoleResponse, error) {
	if err := s.authorizeOn(ctx, "iam:GetRole", identity.KindRole, in.RoleName); err != nil {
		return nil, err
	}
	var e *identity.Entity
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		e, err = mustEntity(tx, identity.KindRole, in.RoleName)
		return err
	})
	if err != nil {
		return nil, err
	}
	r := s.roleOut(e, true)
	return &GetRoleResponse{Role: &r}, nil
}

// ListRoles lists roles by name, optionally under a path prefix.
func (s *Service) ListRoles(ctx context.Context, in *ListRolesRequest) (*ListRolesResponse, error) {
	roles, next, more, err := listByPath(ctx, s, identity.KindRole, "iam:ListRoles", in.PathPrefix, in.Marker, int(in.MaxItems),
		func(e *identity.Entity) Role { return s.roleOut(e, false) })
	if err != nil {
		return nil, err
	}
	return &ListRolesResponse{Roles: roles, Marker: next, IsTruncated: more}, nil
}

// DeleteRole deletes a role without inline or attached policies, as AWS
// requires. Its sessions end with it: their keys stop authenticating at
// once.
func (s *Service) DeleteRole(ctx context.Context, in *DeleteRoleRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteRole", identity.KindRole, in.RoleName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, identity.KindRole, in.RoleName)
		if err != nil {
			return err
		}
		switch {
		case len(e.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(e.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		}
		if err := identity.DeleteSessionsOf(tx, identity.OwnerOf(identity.KindRole, e.Name)); err != nil {
			return err
		}
		if err := s.setBoundary(tx, e, ""); err != nil {
			return err
		}
		request(ctx).AddResource(identity.KindRole.ResourceType(), e.ARN(s.account))
		return tx.Delete(e.Key())
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UpdateAssumeRolePolicy replaces a role's trust policy. Sessions already
// made keep working until they expire, as in AWS.
func (s *Service) UpdateAssumeRolePolicy(ctx context.Context, in *UpdateAssumeRolePolicyRequest) (*Empty, error) {
	if err := s.checkTrustPolicy(in.PolicyDocument); err != nil {
		return nil, err
	}
	if err := s.authorizeOn(ctx, "iam:UpdateAssumeRolePolicy", identity.KindRole, in.RoleName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, identity.KindRole, in.RoleName)
		if err != nil {
			return err
		}
		e.TrustPolicy = in.PolicyDocument
		if e.TrustPinned, err = pinTrust(tx, s.account, e.TrustPolicy); err != nil {
			return err
		}
		request(ctx).AddResource(identity.KindRole.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// pinTrust is the pinned form of a trust policy (identity.PinPrincipals);
// one naming a user or role of the account that does not exist is
// refused in IAM's words.
func pinTrust(tx store.Tx, account, doc string) (string, error) {
	pinned, err := identity.PinPrincipals(tx, account, doc)
	var unknown *identity.UnknownPrincipalError
	if errors.As(err, &unknown) {
		return "", &sealbox.Error{Code: "MalformedPolicyDocument", Message: "Invalid principal in policy: " + strconv.Quote("AWS") + ":" + strconv.Quote(unknown.ARN)}
	}
	return pinned, err
}
