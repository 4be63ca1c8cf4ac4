package identity

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// createEntity stores e unless an entity of its kind already has its name
// (regardless of case), with the managed policy boundary (which must exist)
// as its permissions boundary unless boundary is "".
func (s *IAM) createEntity(ctx context.Context, e *Entity, boundary string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		_, err := LoadEntity(tx, e.Kind, e.Name)
		if err == nil {
			return errAlreadyExists(e.Kind, e.Name)
		}
		if !IsNotFound(err) {
			return err
		}
		if boundary != "" {
			if err := s.setBoundary(tx, e, boundary); err != nil {
				return err
			}
		}
		return SaveEntity(tx, e)
	})
}

// authorizeCreate asks about creating the user or role name at path, with
// tags as aws:RequestTag/<key> and aws:TagKeys and the boundary as
// iam:PermissionsBoundary; tags also need iam:TagUser or iam:TagRole, as in
// AWS.
func (s *IAM) authorizeCreate(ctx context.Context, kind EntityKind, path, name string, tags []Tag, boundary string) error {
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

func (s *IAM) newEntity(ctx context.Context, kind EntityKind, name, path string) *Entity {
	return &Entity{
		Kind:      kind,
		Name:      name,
		ID:        UniqueID(kind.IDPrefix()),
		Path:      defaultPath(path),
		Partition: partition(request(ctx)),
		Created:   s.ids.Now(),
	}
}

// CreateUser creates an IAM user, with tags and a permissions boundary if
// given.
func (s *IAM) CreateUser(ctx context.Context, in *CreateUserRequest) (*CreateUserResponse, error) {
	if err := UniqueTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.authorizeCreate(ctx, KindUser, in.Path, in.UserName, in.Tags, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, KindUser, in.UserName, in.Path)
	e.Tags = in.Tags
	if err := s.createEntity(ctx, e, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	request(ctx).AddResource(KindUser.ResourceType(), e.ARN(s.account))
	u := s.userOut(e, true)
	return &CreateUserResponse{User: &u}, nil
}

// GetUser returns a user; without UserName, the calling user (or, for the
// account's root, the account).
func (s *IAM) GetUser(ctx context.Context, in *GetUserRequest) (*GetUserResponse, error) {
	name := in.UserName
	if name == "" {
		caller, root, err := callerUser(ctx)
		if err != nil {
			return nil, err
		}
		if root {
			arn := RootARN(partition(request(ctx)), s.account)
			if err := s.authorize(ctx, "iam:GetUser", arn); err != nil {
				return nil, err
			}
			return &GetUserResponse{User: &User{UserId: s.account, Arn: arn}}, nil
		}
		name = caller
	}
	if err := s.authorizeOn(ctx, "iam:GetUser", KindUser, name); err != nil {
		return nil, err
	}
	var e *Entity
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		e, err = mustEntity(tx, KindUser, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	u := s.userOut(e, true)
	return &GetUserResponse{User: &u}, nil
}

// ListUsers lists users by name, optionally under a path prefix.
func (s *IAM) ListUsers(ctx context.Context, in *ListUsersRequest) (*ListUsersResponse, error) {
	users, next, more, err := listByPath(ctx, s, KindUser, "iam:ListUsers", in.PathPrefix, in.Marker, int(in.MaxItems),
		func(e *Entity) User { return s.userOut(e, false) })
	if err != nil {
		return nil, err
	}
	return &ListUsersResponse{Users: users, Marker: next, IsTruncated: more}, nil
}

// DeleteUser deletes a user that has no access keys, inline or attached
// policies and group memberships left, as AWS requires; sessions the user
// made with GetSessionToken end with it.
func (s *IAM) DeleteUser(ctx context.Context, in *DeleteUserRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteUser", KindUser, in.UserName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, KindUser, in.UserName)
		if err != nil {
			return err
		}
		owner := OwnerOf(KindUser, e.Name)
		switch {
		case hasAny(tx, KeysOfPrefix(owner)):
			return errDeleteConflict("Cannot delete entity, must delete access keys first.")
		case len(e.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(e.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		case hasAny(tx, GroupsOfPrefix(e.Name)):
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := DeleteSessionsOf(tx, owner); err != nil {
			return err
		}
		if err := s.setBoundary(tx, e, ""); err != nil {
			return err
		}
		request(ctx).AddResource(KindUser.ResourceType(), e.ARN(s.account))
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
func (s *IAM) keyOwner(ctx context.Context, tx store.Tx, userName string) (owner string, u *Entity, err error) {
	if userName == "" {
		caller, root, err := callerUser(ctx)
		if err != nil {
			return "", nil, err
		}
		if root {
			return OwnerRoot, nil, nil
		}
		userName = caller
	}
	u, err = mustEntity(tx, KindUser, userName)
	if err != nil {
		return "", nil, err
	}
	return OwnerOf(KindUser, u.Name), u, nil
}

// CreateAccessKey makes a long-term key for a user, or for the caller
// without UserName (the account's root gets a root key). A user has at most
// two. The secret is in this answer and nowhere else, ever.
func (s *IAM) CreateAccessKey(ctx context.Context, in *CreateAccessKeyRequest) (*CreateAccessKeyResponse, error) {
	if err := s.authorizeKeys(ctx, "iam:CreateAccessKey", in.UserName); err != nil {
		return nil, err
	}
	var rec AccessKeyRecord
	err := s.store.Update(ctx, func(tx store.Tx) error {
		owner, u, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		n := 0
		err = tx.Scan(KeysOfPrefix(owner), "", func(string, []byte) error { n++; return nil })
		if err != nil {
			return err
		}
		if n >= MaxAccessKeys {
			return errQuota("AccessKeysPerUser", MaxAccessKeys)
		}
		rec = AccessKeyRecord{ID: ids.AccessKeyID("AKIA"), Secret: NewSecret(), Status: StatusActive, Created: s.ids.Now()}
		if u == nil {
			rec.Owner = OwnerRoot
		} else {
			rec.Owner, rec.UserName = "user", u.Name
			request(ctx).AddResource(KindUser.ResourceType(), u.ARN(s.account))
		}
		if err := SaveAccessKey(tx, &rec); err != nil {
			return err
		}
		return tx.Put(KeysOfKey(owner, rec.ID), nil)
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
func (s *IAM) ListAccessKeys(ctx context.Context, in *ListAccessKeysRequest) (*ListAccessKeysResponse, error) {
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
		err = tx.Scan(KeysOfPrefix(owner), "", func(key string, _ []byte) error {
			keyIDs = append(keyIDs, strings.TrimPrefix(key, KeysOfPrefix(owner)))
			return nil
		})
		if err != nil {
			return err
		}
		keyIDs, out.Marker, out.IsTruncated = page(keyIDs, func(id string) string { return id }, in.Marker, int(in.MaxItems))
		for _, id := range keyIDs {
			var rec AccessKeyRecord
			if err := GetAccessKey(tx, id, &rec); err != nil {
				if IsNotFound(err) {
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
func ownedKey(tx store.Tx, owner, id string) (*AccessKeyRecord, error) {
	var rec AccessKeyRecord
	err := GetAccessKey(tx, id, &rec)
	if IsNotFound(err) || (err == nil && rec.IndexOwner() != owner) {
		return nil, errNoSuchAccessKey(id)
	}
	if err != nil {
		return nil, err
	}
	return &rec, nil
}

// UpdateAccessKey makes a key Active or Inactive. An Inactive key stops
// authenticating at once, on every server: the change feed drops it from
// the lookup cache as the change commits.
func (s *IAM) UpdateAccessKey(ctx context.Context, in *UpdateAccessKeyRequest) (*Empty, error) {
	if in.Status != StatusActive && in.Status != StatusInactive {
		return nil, InvalidInput("Access key status %s is not valid: use Active or Inactive.", in.Status)
	}
	if err := s.authorizeKeys(ctx, "iam:UpdateAccessKey", in.UserName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		owner, _, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		rec, err := ownedKey(tx, owner, in.AccessKeyId)
		if err != nil {
			return err
		}
		if rec.Status == in.Status {
			return nil
		}
		rec.Status = in.Status
		return SaveAccessKey(tx, rec)
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// DeleteAccessKey deletes a key; it stops authenticating at once.
func (s *IAM) DeleteAccessKey(ctx context.Context, in *DeleteAccessKeyRequest) (*Empty, error) {
	if err := s.authorizeKeys(ctx, "iam:DeleteAccessKey", in.UserName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		owner, _, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		rec, err := ownedKey(tx, owner, in.AccessKeyId)
		if err != nil {
			return err
		}
		if err := tx.Delete(AccessKeyKey(rec.ID)); err != nil {
			return err
		}
		if err := tx.Delete(KeyUsedKey(rec.ID)); err != nil {
			return err
		}
		return tx.Delete(KeysOfKey(owner, rec.ID))
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
func (s *IAM) GetAccessKeyLastUsed(ctx context.Context, in *GetAccessKeyLastUsedRequest) (*GetAccessKeyLastUsedResponse, error) {
	var rec AccessKeyRecord
	err := s.store.View(ctx, func(tx store.Tx) error { return GetAccessKey(tx, in.AccessKeyId, &rec) })
	if IsNotFound(err) {
		return nil, AccessDenied("User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", request(ctx).Principal.ARN, in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	if rec.Owner == OwnerRoot {
		err = s.authorize(ctx, "iam:GetAccessKeyLastUsed", RootARN(partition(request(ctx)), s.account))
	} else {
		err = s.authorizeOn(ctx, "iam:GetAccessKeyLastUsed", KindUser, rec.UserName)
	}
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedResponse{UserName: rec.UserName, AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		var used KeyUsedRecord
		err := store.GetJSON(tx, KeyUsedKey(in.AccessKeyId), &used)
		if IsNotFound(err) {
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
