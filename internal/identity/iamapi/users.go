package iamapi

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// createEntity stores e unless an entity of its kind already has its name
// (regardless of case), with the managed policy boundary (which must exist)
// as its permissions boundary unless boundary is "".
func (s *Service) createEntity(ctx context.Context, e *identity.Entity, boundary string) error {
	built := e.Boundary
	return s.store.Update(ctx, func(tx store.Tx) error {
		// setBoundary counts the boundary's use only when it changes e's:
		// a second run (after a conflict on a shared store) starts from e
		// as built.
		e.Boundary = built
		_, err := identity.LoadEntity(tx, e.Kind, e.Name)
		if err == nil {
			return errAlreadyExists(e.Kind, e.Name)
		}
		if !identity.IsNotFound(err) {
			return err
		}
		if boundary != "" {
			if err := s.setBoundary(tx, e, boundary); err != nil {
				return err
			}
		}
		return identity.SaveEntity(tx, e)
	})
}

// authorizeCreate asks about creating the user or role name at path, with
// tags as aws:RequestTag/<key> and aws:TagKeys and the boundary as
// iam:PermissionsBoundary; tags also need iam:TagUser or iam:TagRole, as in
// AWS.
func (s *Service) authorizeCreate(ctx context.Context, kind identity.EntityKind, path, name string, tags []Tag, boundary string) error {
	if s.authz == nil {
		return nil
	}
	arn := s.entityARN(ctx, kind, path, name)
	cond := tagConditions(tags)
	if boundary != "" {
		if cond == nil {
			cond = map[string][]string{}
		}
		cond["iam:permissionsboundary"] = []string{boundary}
	}
	if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:Create" + kind.Title(), Resource: arn, Context: cond}); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:Tag" + kind.Title(), Resource: arn, Context: tagConditions(tags)})
}

func (s *Service) newEntity(ctx context.Context, kind identity.EntityKind, name, path string) *identity.Entity {
	return &identity.Entity{
		Kind:      kind,
		Name:      name,
		ID:        identity.UniqueID(kind.IDPrefix()),
		Path:      defaultPath(path),
		Partition: partition(request(ctx)),
		Created:   s.ids.Now(),
	}
}

// CreateUser creates an IAM user, with tags and a permissions boundary if
// given.
func (s *Service) CreateUser(ctx context.Context, in *CreateUserRequest) (*CreateUserResponse, error) {
	if err := identity.UniqueTags(tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	if err := s.authorizeCreate(ctx, identity.KindUser, in.Path, in.UserName, in.Tags, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, identity.KindUser, in.UserName, in.Path)
	e.Tags = tagsIn(in.Tags)
	if err := s.createEntity(ctx, e, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	request(ctx).AddResource(identity.KindUser.ResourceType(), e.ARN(s.account))
	u := s.userOut(e, true)
	return &CreateUserResponse{User: &u}, nil
}

// GetUser returns a user; without UserName, the calling user (or, for the
// account's root, the account).
func (s *Service) GetUser(ctx context.Context, in *GetUserRequest) (*GetUserResponse, error) {
	name := in.UserName
	if name == "" {
		caller, root, err := callerUser(ctx)
		if err != nil {
			return nil, err
		}
		if root {
			arn := identity.RootARN(partition(request(ctx)), s.account)
			if err := s.authorize(ctx, "iam:GetUser", arn); err != nil {
				return nil, err
			}
			return &GetUserResponse{User: &User{UserId: s.account, Arn: arn}}, nil
		}
		name = caller
	}
	if err := s.authorizeOn(ctx, "iam:GetUser", identity.KindUser, name); err != nil {
		return nil, err
	}
	var e *identity.Entity
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		e, err = mustEntity(tx, identity.KindUser, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	u := s.userOut(e, true)
	return &GetUserResponse{User: &u}, nil
}

// ListUsers lists users by name, optionally under a path prefix.
func (s *Service) ListUsers(ctx context.Context, in *ListUsersRequest) (*ListUsersResponse, error) {
	users, next, more, err := listByPath(ctx, s, identity.KindUser, "iam:ListUsers", in.PathPrefix, in.Marker, int(in.MaxItems),
		func(e *identity.Entity) User { return s.userOut(e, false) })
	if err != nil {
		return nil, err
	}
	return &ListUsersResponse{Users: users, Marker: next, IsTruncated: more}, nil
}

// DeleteUser deletes a user that has no access keys, inline or attached
// policies and group memberships left, as AWS requires; sessions the user
// made with GetSessionToken end with it.
func (s *Service) DeleteUser(ctx context.Context, in *DeleteUserRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteUser", identity.KindUser, in.UserName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, identity.KindUser, in.UserName)
		if err != nil {
			return err
		}
		owner := identity.OwnerOf(identity.KindUser, e.Name)
		switch {
		case hasAny(tx, identity.KeysOfPrefix(owner)):
			return errDeleteConflict("Cannot delete entity, must delete access keys first.")
		case len(e.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(e.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		case hasAny(tx, identity.GroupsOfPrefix(e.Name)):
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := identity.DeleteSessionsOf(tx, owner); err != nil {
			return err
		}
		if err := s.setBoundary(tx, e, ""); err != nil {
			return err
		}
		request(ctx).AddResource(identity.KindUser.ResourceType(), e.ARN(s.account))
		return tx.Delete(e.Key())
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// hasAny reports whether any key starts with prefix.
func hasAny(tx store.Tx, prefix string) bool {
	found := false
	tx.Scan(prefix, "", func(string, []byte) error {
		found = true
		return store.ErrStop
	})
	return found
}

// keyOwner resolves whose access keys an operation is about: the named
// user (which must exist), or without a name the caller.
func (s *Service) keyOwner(ctx context.Context, tx store.Tx, userName string) (owner string, u *identity.Entity, err error) {
	if userName == "" {
		caller, root, err := callerUser(ctx)
		if err != nil {
			return "", nil, err
		}
		if root {
			return identity.OwnerRoot, nil, nil
		}
		userName = caller
	}
	u, err = mustEntity(tx, identity.KindUser, userName)
	if err != nil {
		return "", nil, err
	}
	return identity.OwnerOf(identity.KindUser, u.Name), u, nil
}

// CreateAccessKey makes a long-term key for a user, or for the caller
// without UserName (the account's root gets a root key). A user has at most
// two. The secret is in this answer and nowhere else, ever.
func (s *Service) CreateAccessKey(ctx context.Context, in *CreateAccessKeyRequest) (*CreateAccessKeyResponse, error) {
	if err := s.authorizeKeys(ctx, "iam:CreateAccessKey", in.UserName); err != nil {
		return nil, err
	}
	var rec identity.AccessKeyRecord
	err := s.store.Update(ctx, func(tx store.Tx) error {
		owner, u, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		n := 0
		err = tx.Scan(identity.KeysOfPrefix(owner), "", func(string, []byte) error { n++; return nil })
		if err != nil {
			return err
		}
		if n >= identity.MaxAccessKeys {
			return errQuota("AccessKeysPerUser", identity.MaxAccessKeys)
		}
		rec = identity.AccessKeyRecord{ID: ids.AccessKeyID("AKIA"), Secret: identity.NewSecret(), Status: identity.StatusActive, Created: s.ids.Now()}
		if u == nil {
			rec.Owner = identity.OwnerRoot
		} else {
			rec.Owner, rec.UserName = "user", u.Name
			request(ctx).AddResource(identity.KindUser.ResourceType(), u.ARN(s.account))
		}
		if err := identity.SaveAccessKey(tx, &rec); err != nil {
			return err
		}
		return tx.Put(identity.KeysOfKey(owner, rec.ID), nil)
	})
	if err != nil {
		return nil, err
	}
	// The boundary: the wire answer carries the secret as a string, once,
	// to the caller that made the key.
	return &CreateAccessKeyResponse{AccessKey: &AccessKey{
		UserName:        rec.UserName,
		AccessKeyId:     rec.ID,
		Status:          rec.Status,
		SecretAccessKey: string(rec.Secret.Bytes()),
		CreateDate:      sealbox.At(rec.Created),
	}}, nil
}

// ListAccessKeys lists a user's keys (or the caller's) without secrets.
func (s *Service) ListAccessKeys(ctx context.Context, in *ListAccessKeysRequest) (*ListAccessKeysResponse, error) {
	if err := s.authorizeKeys(ctx, "iam:ListAccessKeys", in.UserName); err != nil {
		return nil, err
	}
	out := &ListAccessKeysResponse{AccessKeyMetadata: []AccessKeyMetadata{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		owner, _, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		var keyIDs []string
		err = tx.Scan(identity.KeysOfPrefix(owner), "", func(key string, _ []byte) error {
			keyIDs = append(keyIDs, strings.TrimPrefix(key, identity.KeysOfPrefix(owner)))
			return nil
		})
		if err != nil {
			return err
		}
		keyIDs, out.Marker, out.IsTruncated = page(keyIDs, func(id string) string { return id }, in.Marker, int(in.MaxItems))
		for _, id := range keyIDs {
			var rec identity.AccessKeyRecord
			if err := identity.GetAccessKey(tx, id, &rec); err != nil {
				if identity.IsNotFound(err) {
					continue
				}
				return err
			}
			out.AccessKeyMetadata = append(out.AccessKeyMetadata, AccessKeyMetadata{
				UserName:    rec.UserName,
				AccessKeyId: rec.ID,
				Status:      rec.Status,
				CreateDate:  sealbox.At(rec.Created),
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ownedKey loads the access key id of owner, or answers NoSuchEntity.
func ownedKey(tx store.Tx, owner, id string) (*identity.AccessKeyRecord, error) {
	var rec identity.AccessKeyRecord
	err := identity.GetAccessKey(tx, id, &rec)
	if identity.IsNotFound(err) || (err == nil && rec.IndexOwner() != owner) {
		return nil, errNoSuchAccessKey(id)
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// updateOwnedKey authorizes action on userName's keys, then runs change in
// a transaction with the key id of the owner (userName, or the caller when
// it is empty) loaded: an unknown key, or another's, is NoSuchEntity.
func (s *Service) updateOwnedKey(ctx context.Context, action, userName, id string, change func(tx store.Tx, owner string, rec *identity.AccessKeyRecord) error) error {
	if err := s.authorizeKeys(ctx, action, userName); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		owner, _, err := s.keyOwner(ctx, tx, userName)
		if err != nil {
			return err
		}
		rec, err := ownedKey(tx, owner, id)
		if err != nil {
			return err
		}
		return change(tx, owner, rec)
	})
}

// UpdateAccessKey makes a key Active or Inactive. An Inactive key stops
// authenticating at once, on every server: the change feed drops it from
// the lookup cache as the change commits.
func (s *Service) UpdateAccessKey(ctx context.Context, in *UpdateAccessKeyRequest) (*Empty, error) {
	if in.Status != identity.StatusActive && in.Status != identity.StatusInactive {
		return nil, identity.InvalidInput("Access key status %s is not valid: use Active or Inactive.", in.Status)
	}
	err := s.updateOwnedKey(ctx, "iam:UpdateAccessKey", in.UserName, in.AccessKeyId, func(tx store.Tx, _ string, rec *identity.AccessKeyRecord) error {
		if rec.Status == in.Status {
			return nil
		}
		rec.Status = in.Status
		return identity.SaveAccessKey(tx, rec)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteAccessKey deletes a key; it stops authenticating at once.
func (s *Service) DeleteAccessKey(ctx context.Context, in *DeleteAccessKeyRequest) (*Empty, error) {
	err := s.updateOwnedKey(ctx, "iam:DeleteAccessKey", in.UserName, in.AccessKeyId, func(tx store.Tx, owner string, rec *identity.AccessKeyRecord) error {
		if err := tx.Delete(identity.AccessKeyKey(rec.ID)); err != nil {
			return err
		}
		if err := tx.Delete(identity.KeyUsedKey(rec.ID)); err != nil {
			return err
		}
		return tx.Delete(identity.KeysOfKey(owner, rec.ID))
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// GetAccessKeyLastUsed says when an access key was last used, with which
// service and in which region ("N/A" for a key never used), and whose it
// is. The caller needs iam:GetAccessKeyLastUsed on the key's user (the
// account's root for a root key). A key that does not exist is refused as
// one the caller may not read, so that callers learn nothing of keys they
// may not see.
func (s *Service) GetAccessKeyLastUsed(ctx context.Context, in *GetAccessKeyLastUsedRequest) (*GetAccessKeyLastUsedResponse, error) {
	var rec identity.AccessKeyRecord
	err := s.store.View(ctx, func(tx store.Tx) error { return identity.GetAccessKey(tx, in.AccessKeyId, &rec) })
	if identity.IsNotFound(err) {
		return nil, identity.AccessDenied("User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", request(ctx).Principal.ARN, in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	if rec.Owner == identity.OwnerRoot {
		err = s.authorize(ctx, "iam:GetAccessKeyLastUsed", identity.RootARN(partition(request(ctx)), s.account))
	} else {
		err = s.authorizeOn(ctx, "iam:GetAccessKeyLastUsed", identity.KindUser, rec.UserName)
	}
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedResponse{UserName: rec.UserName, AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		var used identity.KeyUsedRecord
		err := store.GetJSON(tx, identity.KeyUsedKey(in.AccessKeyId), &used)
		if identity.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out.AccessKeyLastUsed = &AccessKeyLastUsed{LastUsedDate: sealbox.At(used.Date), ServiceName: used.Service, Region: used.Region}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
