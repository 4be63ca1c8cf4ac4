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
func (s *IAM) createEntity(ctx context.Context, e *entity, boundary string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		_, err := loadEntity(tx, e.Kind, e.Name)
		if err == nil {
			return errAlreadyExists(e.Kind, e.Name)
		}
		if !isNotFound(err) {
			return err
		}
		if boundary != "" {
			if err := s.setBoundary(tx, e, boundary); err != nil {
				return err
			}
		}
		return saveEntity(tx, e)
	})
}

// authorizeCreate asks about creating the user or role name at path, with
// tags as aws:RequestTag/<key> and aws:TagKeys and the boundary as
// iam:PermissionsBoundary; tags also need iam:TagUser or iam:TagRole, as in
// AWS.
func (s *IAM) authorizeCreate(ctx context.Context, kind entityKind, path, name string, tags []Tag, boundary string) error {
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
	if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:Create" + kind.title(), Resource: arn, Context: cond}); err != nil {
		return err
	}
	if len(tags) == 0 {
		return nil
	}
	return s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:Tag" + kind.title(), Resource: arn, Context: tagConditions(tags)})
}

func (s *IAM) newEntity(ctx context.Context, kind entityKind, name, path string) *entity {
	return &entity{
		Kind:      kind,
		Name:      name,
		ID:        uniqueID(kind.idPrefix()),
		Path:      defaultPath(path),
		Partition: partition(request(ctx)),
		Created:   now(s.ids.clock.Now()),
	}
}

// CreateUser creates an IAM user, with tags and a permissions boundary if
// given.
func (s *IAM) CreateUser(ctx context.Context, in *CreateUserRequest) (*CreateUserResponse, error) {
	if err := uniqueTags(in.Tags); err != nil {
		return nil, err
	}
	if err := s.authorizeCreate(ctx, kindUser, in.Path, in.UserName, in.Tags, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	e := s.newEntity(ctx, kindUser, in.UserName, in.Path)
	e.Tags = in.Tags
	if err := s.createEntity(ctx, e, in.PermissionsBoundary); err != nil {
		return nil, err
	}
	request(ctx).AddResource(kindUser.resourceType(), e.arn(s.account))
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
			arn := rootARN(partition(request(ctx)), s.account)
			if err := s.authorize(ctx, "iam:GetUser", arn); err != nil {
				return nil, err
			}
			return &GetUserResponse{User: &User{UserId: s.account, Arn: arn}}, nil
		}
		name = caller
	}
	if err := s.authorizeOn(ctx, "iam:GetUser", kindUser, name); err != nil {
		return nil, err
	}
	var e *entity
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		e, err = mustEntity(tx, kindUser, name)
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
	users, next, more, err := listByPath(ctx, s, kindUser, "iam:ListUsers", in.PathPrefix, in.Marker, int(in.MaxItems),
		func(e *entity) User { return s.userOut(e, false) })
	if err != nil {
		return nil, err
	}
	return &ListUsersResponse{Users: users, Marker: next, IsTruncated: more}, nil
}

// DeleteUser deletes a user that has no access keys, inline or attached
// policies and group memberships left, as AWS requires; sessions the user
// made with GetSessionToken end with it.
func (s *IAM) DeleteUser(ctx context.Context, in *DeleteUserRequest) (*Empty, error) {
	if err := s.authorizeOn(ctx, "iam:DeleteUser", kindUser, in.UserName); err != nil {
		return nil, err
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kindUser, in.UserName)
		if err != nil {
			return err
		}
		owner := ownerOf(kindUser, e.Name)
		switch {
		case hasAny(tx, keysOfPrefix(owner)):
			return errDeleteConflict("Cannot delete entity, must delete access keys first.")
		case len(e.Inline) > 0:
			return errDeleteConflict("Cannot delete entity, must delete policies first.")
		case len(e.Attached) > 0:
			return errDeleteConflict("Cannot delete entity, must detach all policies first.")
		case hasAny(tx, groupsOfPrefix(e.Name)):
			return errDeleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := deleteSessionsOf(tx, owner); err != nil {
			return err
		}
		if err := s.setBoundary(tx, e, ""); err != nil {
			return err
		}
		request(ctx).AddResource(kindUser.resourceType(), e.arn(s.account))
		return tx.Delete(e.key())
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
func (s *IAM) keyOwner(ctx context.Context, tx store.Tx, userName string) (owner string, u *entity, err error) {
	if userName == "" {
		caller, root, err := callerUser(ctx)
		if err != nil {
			return "", nil, err
		}
		if root {
			return ownerRoot, nil, nil
		}
		userName = caller
	}
	u, err = mustEntity(tx, kindUser, userName)
	if err != nil {
		return "", nil, err
	}
	return ownerOf(kindUser, u.Name), u, nil
}

// CreateAccessKey makes a long-term key for a user, or for the caller
// without UserName (the account's root gets a root key). A user has at most
// two. The secret is in this answer and nowhere else, ever.
func (s *IAM) CreateAccessKey(ctx context.Context, in *CreateAccessKeyRequest) (*CreateAccessKeyResponse, error) {
	if err := s.authorizeKeys(ctx, "iam:CreateAccessKey", in.UserName); err != nil {
		return nil, err
	}
	var rec accessKeyRecord
	err := s.store.Update(ctx, func(tx store.Tx) error {
		owner, u, err := s.keyOwner(ctx, tx, in.UserName)
		if err != nil {
			return err
		}
		n := 0
		err = tx.Scan(keysOfPrefix(owner), "", func(string, []byte) error { n++; return nil })
		if err != nil {
			return err
		}
		if n >= maxAccessKeys {
			return errQuota("AccessKeysPerUser", maxAccessKeys)
		}
		rec = accessKeyRecord{ID: ids.AccessKeyID("AKIA"), Secret: newSecret(), Status: statusActive, Created: now(s.ids.clock.Now())}
		if u == nil {
			rec.Owner = ownerRoot
		} else {
			rec.Owner, rec.UserName = "user", u.Name
			request(ctx).AddResource(kindUser.resourceType(), u.arn(s.account))
		}
		if err := saveAccessKey(tx, &rec); err != nil {
			return err
		}
		return tx.Put(keysOfKey(owner, rec.ID), nil)
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
		err = tx.Scan(keysOfPrefix(owner), "", func(key string, _ []byte) error {
			keyIDs = append(keyIDs, strings.TrimPrefix(key, keysOfPrefix(owner)))
			return nil
		})
		if err != nil {
			return err
		}
		keyIDs, out.Marker, out.IsTruncated = page(keyIDs, func(id string) string { return id }, in.Marker, int(in.MaxItems))
		for _, id := range keyIDs {
			var rec accessKeyRecord
			if err := getAccessKey(tx, id, &rec); err != nil {
				if isNotFound(err) {
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
func ownedKey(tx store.Tx, owner, id string) (*accessKeyRecord, error) {
	var rec accessKeyRecord
	err := getAccessKey(tx, id, &rec)
	if isNotFound(err) || (err == nil && rec.owner() != owner) {
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
	if in.Status != statusActive && in.Status != statusInactive {
		return nil, errInvalidInput("Access key status %s is not valid: use Active or Inactive.", in.Status)
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
		return saveAccessKey(tx, rec)
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
		if err := tx.Delete(accessKeyKey(rec.ID)); err != nil {
			return err
		}
		if err := tx.Delete(keyUsedKey(rec.ID)); err != nil {
			return err
		}
		return tx.Delete(keysOfKey(owner, rec.ID))
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
	var rec accessKeyRecord
	err := s.store.View(ctx, func(tx store.Tx) error { return getAccessKey(tx, in.AccessKeyId, &rec) })
	if isNotFound(err) {
		return nil, errAccessDenied("User: %s is not authorized to perform: iam:GetAccessKeyLastUsed on resource: access key %s", request(ctx).Principal.ARN, in.AccessKeyId)
	}
	if err != nil {
		return nil, err
	}
	if rec.Owner == ownerRoot {
		err = s.authorize(ctx, "iam:GetAccessKeyLastUsed", rootARN(partition(request(ctx)), s.account))
	} else {
		err = s.authorizeOn(ctx, "iam:GetAccessKeyLastUsed", kindUser, rec.UserName)
	}
	if err != nil {
		return nil, err
	}
	out := &GetAccessKeyLastUsedResponse{UserName: rec.UserName, AccessKeyLastUsed: &AccessKeyLastUsed{ServiceName: "N/A", Region: "N/A"}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		var used keyUsedRecord
		err := store.GetJSON(tx, keyUsedKey(in.AccessKeyId), &used)
		if isNotFound(err) {
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
