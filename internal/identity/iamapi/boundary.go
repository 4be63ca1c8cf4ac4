package iamapi

import (
	"context"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

func boundaryOut(arn string) *AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &AttachedPermissionsBoundary{PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: arn}
}

// setBoundary makes the managed policy arn (which must exist) e's
// permissions boundary, or with arn "" removes it, and counts the
// policies' boundary uses. The caller saves e.
func (s *Service) setBoundary(tx store.Tx, e *identity.Entity, arn string) error {
	if arn != "" {
		p, err := s.mustPolicy(tx, arn, errPolicyNotAttachable)
		if err != nil {
			return err
		}
		arn = p.ARN(s.account)
		if arn == e.Boundary {
			return nil
		}
		p.BoundaryUses++
		if err := identity.SavePolicy(tx, p); err != nil {
			return err
		}
	}
	if e.Boundary != "" {
		old, err := s.ids.FindPolicy(tx, e.Boundary)
		if err == nil && old.BoundaryUses > 0 {
			old.BoundaryUses--
			if err := identity.SavePolicy(tx, old); err != nil {
				return err
			}
		} else if err != nil && !identity.IsNotFound(err) {
			return err
		}
	}
	e.Boundary = arn
	return nil
}

func (s *Service) putBoundary(ctx context.Context, kind identity.EntityKind, name, arn string) error {
	if err := s.authorizeOnWith(ctx, "iam:Put"+kind.Title()+"PermissionsBoundary", kind, name,
		map[string][]string{"iam:permissionsboundary": {arn}}); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		if err := s.setBoundary(tx, e, arn); err != nil {
			return err
		}
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

func (s *Service) deleteBoundary(ctx context.Context, kind identity.EntityKind, name string) error {
	if err := s.authorizeOn(ctx, "iam:Delete"+kind.Title()+"PermissionsBoundary", kind, name); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		if e.Boundary == "" {
			return nil
		}
		if err := s.setBoundary(tx, e, ""); err != nil {
			return err
		}
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

// PutUserPermissionsBoundary sets a user's permissions boundary: a managed
// policy that bounds what its identity-based policies allow.
func (s *Service) PutUserPermissionsBoundary(ctx context.Context, in *PutUserPermissionsBoundaryRequest) (*Empty, error) {
	if err := s.putBoundary(ctx, identity.KindUser, in.UserName, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// PutRolePermissionsBoundary sets a role's permissions boundary; it bounds
// the role's sessions from their next call.
func (s *Service) PutRolePermissionsBoundary(ctx context.Context, in *PutRolePermissionsBoundaryRequest) (*Empty, error) {
	if err := s.putBoundary(ctx, identity.KindRole, in.RoleName, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteUserPermissionsBoundary removes a user's permissions boundary.
func (s *Service) DeleteUserPermissionsBoundary(ctx context.Context, in *DeleteUserPermissionsBoundaryRequest) (*Empty, error) {
	if err := s.deleteBoundary(ctx, identity.KindUser, in.UserName); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteRolePermissionsBoundary removes a role's permissions boundary.
func (s *Service) DeleteRolePermissionsBoundary(ctx context.Context, in *DeleteRolePermissionsBoundaryRequest) (*Empty, error) {
	if err := s.deleteBoundary(ctx, identity.KindRole, in.RoleName); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
