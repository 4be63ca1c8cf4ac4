package kms

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

const resourceTypeAlias = "AWS::KMS::Alias"

// checkAliasName applies AWS's alias rules beyond the model's pattern.
func checkAliasName(ctx context.Context, name string) error {
	if !strings.HasPrefix(name, "alias/") {
		return errValidation(`Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`)
	}
	if strings.HasPrefix(name, "alias/aws/") {
		r := sealbox.MustRequest(ctx)
		return sealbox.Errorf("AccessDeniedException", "User: %s is not authorized to perform this operation: alias/aws/ is reserved for AWS managed keys.", r.Principal.ARN)
	}
	if name == "alias/" {
		return errValidation("Alias name must not be empty after the alias/ prefix.")
	}
	return nil
}

// authorizeAlias checks an alias action twice, as AWS does: on the alias
// (identity policies) and on the key (its key policy).
func (s *Service) authorizeAlias(ctx context.Context, action, alias string, k *keyRecord) error {
	if s.authz != nil {
		if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: aliasARN(sealbox.MustRequest(ctx), alias),
			Context: map[string][]string{"kms:calleraccount": {sealbox.MustRequest(ctx).Principal.AccountID}}}); err != nil {
			return err
		}
	}
	return s.authorize(ctx, action, k, nil, nil)
}

// targetKey resolves the key an alias is to point at: a key id or key ARN,
// never another alias, and not pending deletion.
func (s *Service) targetKey(ctx context.Context, tx store.Tx, id string) (*keyRecord, error) {
	if strings.HasPrefix(id, "alias/") || (strings.HasPrefix(id, "arn:") && strings.Contains(id, ":alias/")) {
		return nil, errValidation("Aliases must refer to keys. Not aliases")
	}
	k, err := s.resolve(ctx, tx, id, false)
	if err != nil {
		return nil, err
	}
	if k.Manager == managerAWS {
		return nil, mutable(ctx, k, "kms:CreateAlias")
	}
	if k.State == statePendingDeletion {
		return nil, errPendingDeletion(k)
	}
	return k, nil
}

// updateAlias checks the alias name, records the alias as the call's
// resource and runs change in a write transaction.
func (s *Service) updateAlias(ctx context.Context, name string, change func(tx store.Tx, r *sealbox.Request) error) (*Empty, error) {
	r := sealbox.MustRequest(ctx)
	if err := checkAliasName(ctx, name); err != nil {
		return nil, err
	}
	r.AddResource(resourceTypeAlias, aliasARN(r, name))
	err := s.store.Update(ctx, func(tx store.Tx) error { return change(tx, r) })
	return &Empty{}, err
}

// loadAlias reads the alias name of r's region, or answers NotFound.
func loadAlias(tx store.Tx, r *sealbox.Request, name string) (aliasRecord, error) {
	var a aliasRecord
	if err := store.GetJSON(tx, aliasStoreKey(r.Region, name), &a); errors.Is(err, store.ErrNotFound) {
		return a, errNotFoundAlias(r, name)
	} else if err != nil {
		return a, err
	}
	return a, nil
}

// CreateAlias names a key.
func (s *Service) CreateAlias(ctx context.Context, in *CreateAliasRequest) (*Empty, error) {
	return s.updateAlias(ctx, in.AliasName, func(tx store.Tx, r *sealbox.Request) error {
		k, err := s.targetKey(ctx, tx, in.TargetKeyId)
		if err != nil {
			return err
		}
		if err := s.authorizeAlias(ctx, "kms:CreateAlias", in.AliasName, k); err != nil {
			return err
		}
		if _, err := tx.Get(aliasStoreKey(r.Region, in.AliasName)); err == nil {
			return sealbox.Errorf("AlreadyExistsException", "An alias with the name %s already exists", aliasARN(r, in.AliasName))
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		now := s.clock.Now().UTC()
		if err := store.PutJSON(tx, aliasStoreKey(r.Region, in.AliasName), aliasRecord{Name: in.AliasName, KeyID: k.ID, Created: now, Updated: now}); err != nil {
			return err
		}
		return s.relinkAlias(tx, r.Region, in.AliasName, "", k)
	})
}

// UpdateAlias points an existing alias at another key.
func (s *Service) UpdateAlias(ctx context.Context, in *UpdateAliasRequest) (*Empty, error) {
	return s.updateAlias(ctx, in.AliasName, func(tx store.Tx, r *sealbox.Request) error {
		a, err := loadAlias(tx, r, in.AliasName)
		if err != nil {
			return err
		}
		k, err := s.targetKey(ctx, tx, in.TargetKeyId)
		if err != nil {
			return err
		}
		if err := s.authorizeAlias(ctx, "kms:UpdateAlias", in.AliasName, k); err != nil {
			return err
		}
		old := a.KeyID
		a.KeyID = k.ID
		a.Updated = s.clock.Now().UTC()
		if err := store.PutJSON(tx, aliasStoreKey(r.Region, in.AliasName), a); err != nil {
			return err
		}
		return s.relinkAlias(tx, r.Region, in.AliasName, old, k)
	})
}

// DeleteAlias removes an alias; the key is untouched.
func (s *Service) DeleteAlias(ctx context.Context, in *DeleteAliasRequest) (*Empty, error) {
	return s.updateAlias(ctx, in.AliasName, func(tx store.Tx, r *sealbox.Request) error {
		a, err := loadAlias(tx, r, in.AliasName)
		if err != nil {
			return err
		}
		if k, err := loadKey(tx, r.Region, a.KeyID); err == nil {
			if err := s.authorizeAlias(ctx, "kms:DeleteAlias", in.AliasName, k); err != nil {
				return err
			}
		}
		if err := tx.Delete(aliasStoreKey(r.Region, in.AliasName)); err != nil {
			return err
		}
		return s.relinkAlias(tx, r.Region, in.AliasName, a.KeyID, nil)
	})
}

// ListAliases lists the region's aliases by name, or those of one key. As in
// AWS, the predefined AWS-managed aliases are listed, without a target,
// before their keys are made.
func (s *Service) ListAliases(ctx context.Context, in *ListAliasesRequest) (*ListAliasesResponse, error) {
	r := sealbox.MustRequest(ctx)
	var all []AliasListEntry
	err := s.store.View(ctx, func(tx store.Tx) error {
		filter := ""
		if in.KeyId != "" {
			k, err := s.resolve(ctx, tx, in.KeyId, false)
			if err != nil {
				return err
			}
			filter = k.ID
		}
		seen := map[string]bool{}
		err := tx.Scan(aliasPrefix(r.Region), "", func(_ string, v []byte) error {
			var a aliasRecord
			if err := json.Unmarshal(v, &a); err != nil {
				return err
			}
			seen[a.Name] = true
			if filter != "" && a.KeyID != filter {
				return nil
			}
			all = append(all, AliasListEntry{AliasName: a.Name, AliasArn: aliasARN(r, a.Name), TargetKeyId: a.KeyID,
				CreationDate: sealbox.At(a.Created), LastUpdatedDate: sealbox.At(a.Updated)})
			return nil
		})
		if err != nil || filter != "" {
			return err
		}
		for name := range managedAliases {
			if !seen[name] {
				all = append(all, AliasListEntry{AliasName: name, AliasArn: aliasARN(r, name)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "kms:ListAliases", nil, nil, nil); err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].AliasName < all[j].AliasName })
	page, next, err := paginate(all, in.Marker, pageLimit(in.Limit, 50), func(a AliasListEntry) string { return a.AliasName })
	if err != nil {
		return nil, err
	}
	return &ListAliasesResponse{Aliases: page, NextMarker: next, Truncated: next != ""}, nil
}

// relinkAlias moves alias from the key fromID (if any) to key to (if any)
// in their Aliases lists, inside the alias operation's transaction.
func (s *Service) relinkAlias(tx store.Tx, region, alias, fromID string, to *keyRecord) error {
	if fromID != "" && (to == nil || fromID != to.ID) {
		if from, err := loadKey(tx, region, fromID); err == nil {
			from.Aliases = without(from.Aliases, alias)
			if err := saveKey(tx, from); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	if to == nil {
		return nil
	}
	to.Aliases = append(without(to.Aliases, alias), alias)
	sort.Strings(to.Aliases)
	return saveKey(tx, to)
}

func without(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, e := range list {
		if e != s {
			out = append(out, e)
		}
	}
	return out
}

// paginate returns the items after marker (the name of the last item of the
// previous page) and the marker of the next page, if any.
func paginate[T any](items []T, marker string, limit int, name func(T) string) ([]T, string, error) {
	start := 0
	if marker != "" {
		start = sort.Search(len(items), func(i int) bool { return name(items[i]) > marker })
		if start > 0 && name(items[start-1]) != marker {
			return nil, "", errInvalidMarker()
		}
		if start == 0 {
			return nil, "", errInvalidMarker()
		}
	}
	end := start + limit
	if end >= len(items) {
		return append([]T{}, items[start:]...), "", nil
	}
	return items[start:end], name(items[end-1]), nil
}
