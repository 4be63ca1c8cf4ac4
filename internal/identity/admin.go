package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

// The administrator, as a well-run AWS account has one: an IAM user with
// the AWS managed policy AdministratorAccess, whose access key the first
// start hands out. The account's root has no access key unless someone
// breaks glass (CreateRootAccessKey).
const (
	// adminUserName is the administrator IAM user the first start makes.
	adminUserName = "admin"
	// AdministratorAccessARN is the AWS managed policy attached to it.
	AdministratorAccessARN = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// adminPointer holds the id of the administrator's access key: the admin
// user's, or, in a data folder made before the admin user existed, the
// root's.
const adminPointer = "iam/admin-access-key"

// bootstrapMarker records that the first start made the administrator. It
// is written once and never removed: from then on EnsureAdmin makes no user
// and no key on its own, so that deleting the admin user (or its key) is a
// lock-down that restarts respect. A store with adminPointer but no marker
// (made before the marker) is bootstrapped too.
const bootstrapMarker = "iam/bootstrapped"

// Admin is the administrator's access key, as EnsureAdmin and
// MoveAdminToUser leave it.
type Admin struct {
	AccessKeyID     string
	SecretAccessKey primitive.Secret
	// UserName is the IAM user the key belongs to ("admin"); empty when
	// the key is the account root's (a data folder made by a version
	// before the admin user: see MoveAdminToUser).
	UserName string
	// Changed reports a new or replaced key, which the caller writes to
	// the credentials file.
	Changed bool
	// Absent says why there is no administrator key (AccessKeyID is
	// empty): the IAM user admin was deleted, or its key deleted or
	// deactivated, after the first start. EnsureAdmin made nothing.
	Absent string
}

// Root reports whether the administrator's key is the account root's.
func (a Admin) Root() bool { return a.UserName == "" && a.AccessKeyID != "" }

// EnsureAdmin makes the administrator on the first start and reports it
// afterwards.
//
// On a fresh store (no bootstrap marker) it creates the IAM user admin with
// AdministratorAccess attached and an access key for it: the preset pair
// when both presetID and presetSecret are set, else a new one.
//
// On every later start it keeps the administrator's key as it is, or
// replaces it with a different preset: the preset is the operator's
// explicit say. It never makes the user, nor a key of its own accord: if
// the admin user was deleted, or its key deleted or deactivated, that was a
// deliberate lock-down, and EnsureAdmin changes nothing and says so in
// Admin.Absent (a preset is then ignored too). Breaking glass
// (CreateRootAccessKey) is the way back in.
//
// A store whose administrator key is the account root's (made before the
// admin user existed) keeps working unchanged: the root's key is kept, or
// replaced by a different preset as it always was, and Admin.Root reports
// it; MoveAdminToUser moves it to the admin user.
func (s *Store) EnsureAdmin(ctx context.Context, presetID string, presetSecret primitive.Secret) (Admin, error) {
	if (presetID == "") != (presetSecret.Len() == 0) {
		return Admin{}, errors.New("both the admin access key id and its secret must be set, or neither")
	}
	var out Admin
	err := s.store.Update(ctx, func(tx store.Tx) error {
		out = Admin{}
		first, err := firstStart(tx)
		if err != nil {
			return err
		}
		if first {
			u, err := s.ensureAdminUser(tx)
			if err != nil {
				return err
			}
			rec, err := s.newAdminKey(tx, u, presetID, presetSecret)
			if err != nil {
				return err
			}
			out = Admin{AccessKeyID: rec.ID, SecretAccessKey: rec.Secret, UserName: u.Name, Changed: true}
			return tx.Put(bootstrapMarker, nil)
		}
		if err := tx.Put(bootstrapMarker, nil); err != nil { // stores made before the marker
			return err
		}
		cur, err := currentAdminKey(tx)
		if err != nil {
			return err
		}
		keep := cur.ID != "" && cur.Status == StatusActive &&
			(presetID == "" || (cur.ID == presetID && cur.Secret.Equal(presetSecret)))
		if cur.ID != "" && cur.Owner == OwnerRoot {
			// A data folder of the version before the admin user.
			if keep {
				out = Admin{AccessKeyID: cur.ID, SecretAccessKey: cur.Secret}
				// Keys made before the index existed get their entry.
				return tx.Put(KeysOfKey(OwnerRoot, cur.ID), nil)
			}
			if presetID != "" {
				if err := deleteAccessKey(tx, &cur); err != nil {
					return err
				}
				rec := AccessKeyRecord{ID: presetID, Secret: presetSecret, Status: StatusActive, Owner: OwnerRoot, Created: now(s.clock.Now())}
				if err := putAccessKey(tx, &rec); err != nil {
					return err
				}
				out = Admin{AccessKeyID: rec.ID, SecretAccessKey: rec.Secret, Changed: true}
				return tx.Put(adminPointer, []byte(rec.ID))
			}
			out.Absent = "the administrator's access key (the account root's) was deleted or deactivated"
			return nil
		}
		u, err := LoadEntity(tx, KindUser, adminUserName)
		if IsNotFound(err) {
			out.Absent = "the IAM user " + adminUserName + " was deleted"
			return nil
		}
		if err != nil {
			return err
		}
		if keep && strings.EqualFold(cur.UserName, u.Name) {
			out = Admin{AccessKeyID: cur.ID, SecretAccessKey: cur.Secret, UserName: u.Name}
			return nil
		}
		if presetID == "" {
			out = Admin{UserName: u.Name, Absent: "the access key of the IAM user " + u.Name + " was deleted or deactivated"}
			return nil
		}
		if cur.ID != "" && cur.Owner != OwnerRoot && cur.ID != presetID {
			// The admin user's previous key, replaced by the preset.
			if err := deleteAccessKey(tx, &cur); err != nil {
				return err
			}
		}
		rec, err := s.newAdminKey(tx, u, presetID, presetSecret)
		if err != nil {
			return err
		}
		out = Admin{AccessKeyID: rec.ID, SecretAccessKey: rec.Secret, UserName: u.Name, Changed: true}
		return nil
	})
	return out, err
}

// firstStart reports a store on which the administrator was never made.
func firstStart(tx store.Tx) (bool, error) {
	for _, key := range []string{bootstrapMarker, adminPointer} {
		_, err := tx.Get(key)
		if err == nil {
			return false, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return true, nil
}

// MoveAdminToUser moves the administrator of a store made before the admin
// user existed from the root's access key to the IAM user admin: it makes
// the user (AdministratorAccess attached) and a new key for it, which
// becomes the administrator's. The root's keys stay until
// DeleteRootAccessKeys; rootKeys lists them. On a store whose
// administrator is already the admin user it changes nothing (Changed is
// false).
func (s *Store) MoveAdminToUser(ctx context.Context) (admin Admin, rootKeys []string, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		admin, rootKeys = Admin{}, nil
		cur, err := currentAdminKey(tx)
		if err != nil {
			return err
		}
		if cur.ID == "" || cur.Owner != OwnerRoot {
			if cur.ID != "" {
				admin = Admin{AccessKeyID: cur.ID, SecretAccessKey: cur.Secret, UserName: cur.UserName}
			}
		} else {
			u, err := s.ensureAdminUser(tx)
			if err != nil {
				return err
			}
			rec, err := s.newAdminKey(tx, u, "", primitive.Secret{})
			if err != nil {
				return err
			}
			admin = Admin{AccessKeyID: rec.ID, SecretAccessKey: rec.Secret, UserName: u.Name, Changed: true}
		}
		rootKeys, err = scanKeyIDs(tx, OwnerRoot)
		return err
	})
	return admin, rootKeys, err
}

// CreateRootAccessKey makes an access key for the account's root: the
// break-glass path for a server whose administrators are locked out. AWS
// allows the root two keys; so does this.
func (s *Store) CreateRootAccessKey(ctx context.Context) (id string, secret primitive.Secret, err error) {
	err = s.store.Update(ctx, func(tx store.Tx) error {
		keys, err := scanKeyIDs(tx, OwnerRoot)
		if err != nil {
			return err
		}
		if len(keys) >= MaxAccessKeys {
			return fmt.Errorf("the root already has %d access keys (%s), the most AWS allows: delete one first", len(keys), strings.Join(keys, ", "))
		}
		rec := AccessKeyRecord{ID: ids.AccessKeyID("AKIA"), Secret: NewSecret(), Status: StatusActive, Owner: OwnerRoot, Created: now(s.clock.Now())}
		id, secret = rec.ID, rec.Secret
		return putAccessKey(tx, &rec)
	})
	return id, secret, err
}

// RootAccessKeys lists the ids of the root's access keys.
func (s *Store) RootAccessKeys(ctx context.Context) (keys []string, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		keys, err = scanKeyIDs(tx, OwnerRoot)
		return err
	})
	return keys, err
}

// DeleteRootAccessKeys deletes the root's access keys named, and the
// sessions made with GetSessionToken as the root; it refuses to delete the
// administrator's key (move it to the admin user first).
func (s *Store) DeleteRootAccessKeys(ctx context.Context, keys []string) error {
	return s.store.Update(ctx, func(tx store.Tx) error {
		ptr, err := tx.Get(adminPointer)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		for _, id := range keys {
			if id == string(ptr) {
				return fmt.Errorf("access key %s is the administrator's: move the administrator to the admin user first", id)
			}
			var rec AccessKeyRecord
			err := GetAccessKey(tx, id, &rec)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if rec.Owner != OwnerRoot {
				return fmt.Errorf("access key %s is not the root's", id)
			}
			if err := deleteAccessKey(tx, &rec); err != nil {
				return err
			}
		}
		return DeleteSessionsOf(tx, OwnerRoot)
	})
}

// currentAdminKey is the key the administrator pointer names; the zero
// record when there is none.
func currentAdminKey(tx store.Tx) (AccessKeyRecord, error) {
	var cur AccessKeyRecord
	ptr, err := tx.Get(adminPointer)
	if errors.Is(err, store.ErrNotFound) {
		return cur, nil
	}
	if err != nil {
		return cur, err
	}
	err = GetAccessKey(tx, string(ptr), &cur)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return cur, fmt.Errorf("failed to read the admin access key: %w", err)
	}
	return cur, nil
}

// ensureAdminUser returns the IAM user admin, made with AdministratorAccess
// attached if it does not exist. An existing user is left as it is.
func (s *Store) ensureAdminUser(tx store.Tx) (*Entity, error) {
	u, err := LoadEntity(tx, KindUser, adminUserName)
	if err == nil {
		return u, nil
	}
	if !IsNotFound(err) {
		return nil, err
	}
	u = &Entity{
		Kind:      KindUser,
		Name:      adminUserName,
		ID:        UniqueID(KindUser.IDPrefix()),
		Path:      "/",
		Partition: "aws",
		Created:   now(s.clock.Now()),
		Attached:  []string{AdministratorAccessARN},
	}
	if err := SaveEntity(tx, u); err != nil {
		return nil, err
	}
	var n awsAttachments
	name := strings.TrimPrefix(AdministratorAccessARN, "arn:aws:iam::aws:policy/")
	if err := store.GetJSON(tx, awsPolicyKey(name), &n); err != nil && !IsNotFound(err) {
		return nil, err
	}
	n.Attachments++
	if err := store.PutJSON(tx, awsPolicyKey(name), n); err != nil {
		return nil, err
	}
	return u, nil
}

// newAdminKey makes the admin user's key (the preset pair, or a new one)
// and points the administrator pointer at it.
func (s *Store) newAdminKey(tx store.Tx, u *Entity, presetID string, presetSecret primitive.Secret) (*AccessKeyRecord, error) {
	rec := &AccessKeyRecord{ID: presetID, Secret: presetSecret, Status: StatusActive, Owner: "user", UserName: u.Name, Created: now(s.clock.Now())}
	if presetID == "" {
		rec.ID, rec.Secret = ids.AccessKeyID("AKIA"), NewSecret()
	} else {
		// A preset id may already name a key: the administrator's own
		// (kept above when its secret matched) or another's, which the
		// preset takes over.
		var old AccessKeyRecord
		err := GetAccessKey(tx, presetID, &old)
		if err == nil {
			if err := deleteAccessKey(tx, &old); err != nil {
				return nil, err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if err := putAccessKey(tx, rec); err != nil {
		return nil, err
	}
	return rec, tx.Put(adminPointer, []byte(rec.ID))
}

func putAccessKey(tx store.Tx, rec *AccessKeyRecord) error {
	if err := SaveAccessKey(tx, rec); err != nil {
		return err
	}
	return tx.Put(KeysOfKey(rec.IndexOwner(), rec.ID), nil)
}

func deleteAccessKey(tx store.Tx, rec *AccessKeyRecord) error {
	if err := tx.Delete(AccessKeyKey(rec.ID)); err != nil {
		return err
	}
	return tx.Delete(KeysOfKey(rec.IndexOwner(), rec.ID))
}

// scanKeyIDs lists the ids of owner's access keys, sorted.
func scanKeyIDs(tx store.Tx, owner string) ([]string, error) {
	var keys []string
	err := tx.Scan(KeysOfPrefix(owner), "", func(key string, _ []byte) error {
		keys = append(keys, strings.TrimPrefix(key, KeysOfPrefix(owner)))
		return nil
	})
	slices.Sort(keys)
	return keys, err
}
