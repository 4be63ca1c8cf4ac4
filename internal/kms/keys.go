package kms

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// CreateKey creates a key of any KeySpec AWS offers in commercial Regions
// (symmetric, RSA, elliptic curve, Ed25519, ML-DSA, HMAC) with a KeyUsage
// its spec allows, single- or multi-Region (multiregion.go). SM2 (China
// Regions only), imported and custom-key-store keys are answered as
// unsupported.
func (s *Service) CreateKey(ctx context.Context, in *CreateKeyRequest) (*CreateKeyResponse, error) {
	r := sealbox.MustRequest(ctx)
	if in.KeySpec != "" && in.CustomerMasterKeySpec != "" {
		return nil, errValidation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
	}
	spec := in.KeySpec
	if spec == "" {
		spec = in.CustomerMasterKeySpec
	}
	if spec == "" {
		spec = symmetricDefault
	}
	usage := in.KeyUsage
	if usage == "" {
		usage = encryptDecrypt
	}
	if err := checkKeySpec(spec, usage); err != nil {
		return nil, err
	}
	external, err := checkOrigin(in.Origin, spec)
	if err != nil {
		return nil, err
	}
	if in.CustomKeyStoreId != "" {
		return nil, sealbox.Errorf("CustomKeyStoreNotFoundException", "Custom key store %s does not exist.", in.CustomKeyStoreId)
	}
	if in.XksKeyId != "" {
		return nil, errValidation("XksKeyId can be specified only for keys in an external key store.")
	}
	if err := s.authorize(ctx, "kms:CreateKey", nil, nil, createKeyConditions(in, spec, usage)); err != nil {
		return nil, err
	}
	policy, tags, err := newKeyPolicyTags(r, in.Policy, in.Tags)
	if err != nil {
		return nil, err
	}
	pinned, invalid, err := s.pin(ctx, policy)
	if err != nil {
		return nil, err
	}
	if invalid != nil {
		return nil, invalid
	}
	id := newKeyID(in.MultiRegion)
	if in.Policy != "" {
		if err := s.checkLockout(ctx, keyARN(r, id), policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
			return nil, err
		}
	}
	k := &keyRecord{
		ID:           id,
		Region:       r.Region,
		Partition:    r.Partition,
		Account:      r.AccountID,
		Description:  in.Description,
		Created:      s.clock.Now().UTC(),
		State:        stateEnabled,
		Manager:      managerCustomer,
		Policy:       policy,
		PolicyPinned: pinned,
		Tags:         tags,
	}
	if spec != symmetricDefault || usage != encryptDecrypt {
		k.Spec, k.Usage = spec, usage
	}
	if external {
		k.external()
	}
	k.setMultiRegion(in.MultiRegion)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if external {
			return saveKey(tx, k)
		}
		return s.createKey(tx, k)
	})
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceTypeKey, k.arn())
	return &CreateKeyResponse{KeyMetadata: s.metadata(k)}, nil
}

func (s *Service) createKey(tx store.Tx, k *keyRecord) error {
	mat, err := s.ring.CreateSpec(tx, k.Region, k.ID, k.spec())
	if err != nil {
		return err
	}
	k.Materials = []materialRef{{ID: mat, Created: k.Created}}
	return saveKey(tx, k)
}

// managedAliases are the AWS-managed keys sealbox's services use, created on
// first use, with the description AWS gives each.
var managedAliases = map[string]string{
	"alias/aws/ssm":            "Default key that protects my SSM parameters when no other key is defined",
	"alias/aws/secretsmanager": "Default key that protects my Secrets Manager data when no other key is defined",
	"alias/aws/lambda":         "Default key that protects my Lambda functions when no other key is defined",
}

// ensureManaged creates the AWS-managed key behind alias name inside tx
// (which must be writable: in a View, Put fails with store.ErrReadOnly and
// the caller retries in an Update).
func (s *Service) ensureManaged(ctx context.Context, tx store.Tx, name, description string) (*keyRecord, error) {
	r := sealbox.MustRequest(ctx)
	now := s.clock.Now().UTC()
	service := strings.TrimPrefix(name, "alias/aws/")
	k := &keyRecord{
		ID:              ids.UUID(),
		Region:          r.Region,
		Partition:       r.Partition,
		Account:         r.AccountID,
		Description:     description,
		Created:         now,
		State:           stateEnabled,
		Manager:         managerAWS,
		Policy:          managedPolicy(r, service),
		RotationEnabled: true,
		Aliases:         []string{name},
		RotationPeriod:  365,
		NextRotation:    now.AddDate(0, 0, 365),
	}
	if err := s.createKey(tx, k); err != nil {
		return nil, err
	}
	if err := store.PutJSON(tx, aliasStoreKey(r.Region, name), aliasRecord{Name: name, KeyID: k.ID, Created: now, Updated: now}); err != nil {
		return nil, err
	}
	r.AddResource(resourceTypeKey, k.arn())
	return k, nil
}

// ManagedKeyARN returns the ARN of the AWS-managed key behind alias (e.g.
// "alias/aws/ssm") in the call's region, creating it on first use. Other
// services use it for their default keys.
func (s *Service) ManagedKeyARN(ctx context.Context, alias string) (string, error) {
	var arn string
	err := s.view(ctx, func(tx store.Tx) error {
		k, err := s.resolveAlias(ctx, tx, alias, alias)
		if err != nil {
			return err
		}
		arn = k.arn()
		return nil
	})
	return arn, err
}

// DescribeKey returns a key's metadata; the key may be named by alias.
func (s *Service) DescribeKey(ctx context.Context, in *DescribeKeyRequest) (*DescribeKeyResponse, error) {
	var k *keyRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		k, err = s.resolve(ctx, tx, in.KeyId, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "kms:DescribeKey", k, nil, requestAlias(in.KeyId)); err != nil {
		return nil, err
	}
	return &DescribeKeyResponse{KeyMetadata: s.metadata(k)}, nil
}

// ListKeys lists the keys of the region, ordered by key id.
func (s *Service) ListKeys(ctx context.Context, in *ListKeysRequest) (*ListKeysResponse, error) {
	r := sealbox.MustRequest(ctx)
	if err := s.authorize(ctx, "kms:ListKeys", nil, nil, nil); err != nil {
		return nil, err
	}
	limit := pageLimit(in.Limit, 100)
	if in.Marker != "" {
		if !validKeyID(in.Marker) {
			return nil, errInvalidMarker()
		}
	}
	out := &ListKeysResponse{Keys: []KeyListEntry{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(keyPrefix(r.Region), keyPrefix(r.Region)+in.Marker, func(key string, _ []byte) error {
			id := strings.TrimPrefix(key, keyPrefix(r.Region))
			if len(out.Keys) == limit {
				out.Truncated = true
				out.NextMarker = out.Keys[len(out.Keys)-1].KeyId
				return store.ErrStop
			}
			out.Keys = append(out.Keys, KeyListEntry{KeyId: id, KeyArn: keyARN(r, id)})
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func pageLimit(limit int32, def int) int {
	if limit <= 0 {
		return def
	}
	return int(limit)
}

func errInvalidMarker() error {
	return sealbox.Errorf("InvalidMarkerException", "Invalid marker")
}

// update loads the key keyID names (key id or ARN, never an alias), checks
// the caller may perform action, and saves what fn changed.
func (s *Service) update(ctx context.Context, keyID, action string, extra map[string][]string, fn func(tx store.Tx, k *keyRecord) error) (*keyRecord, error) {
	var k *keyRecord
	err := s.store.Update(ctx, func(tx store.Tx) (err error) {
		k, err = s.resolve(ctx, tx, keyID, false)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, action, k, nil, extra); err != nil {
			return err
		}
		if err := fn(tx, k); err != nil {
			return err
		}
		return saveKey(tx, k)
	})
	return k, err
}

// read loads the key keyID names and checks the caller may perform action.
func (s *Service) read(ctx context.Context, keyID, action string, aliases bool) (*keyRecord, error) {
	var k *keyRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		k, err = s.resolve(ctx, tx, keyID, aliases)
		return err
	})
	if err != nil {
		return nil, err
	}
	return k, s.authorize(ctx, action, k, nil, nil)
}

// UpdateKeyDescription replaces a key's description.
func (s *Service) UpdateKeyDescription(ctx context.Context, in *UpdateKeyDescriptionRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:UpdateKeyDescription", nil, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:UpdateKeyDescription"); err != nil {
			return err
		}
		k.Description = in.Description
		return nil
	})
	return &Empty{}, err
}

// EnableKey sets a disabled key to Enabled.
func (s *Service) EnableKey(ctx context.Context, in *EnableKeyRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:EnableKey", nil, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:EnableKey"); err != nil {
			return err
		}
		if err := notPendingImport(k); err != nil {
			return err
		}
		k.State = stateEnabled
		return nil
	})
	return &Empty{}, err
}

// DisableKey sets a key to Disabled: it then refuses every cryptographic
// operation with DisabledException until enabled again.
func (s *Service) DisableKey(ctx context.Context, in *DisableKeyRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:DisableKey", nil, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:DisableKey"); err != nil {
			return err
		}
		if err := notPendingImport(k); err != nil {
			return err
		}
		k.State = stateDisabled
		return nil
	})
	return &Empty{}, err
}

// ScheduleKeyDeletion puts a key in PendingDeletion for 7 to 30 days (30 by
// default); the sweeper deletes it, its material and its aliases when the
// window ends.
func (s *Service) ScheduleKeyDeletion(ctx context.Context, in *ScheduleKeyDeletionRequest) (*ScheduleKeyDeletionResponse, error) {
	days := int(in.PendingWindowInDays)
	if days == 0 {
		days = 30
	}
	if days < 7 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7", days)
	}
	if days > 30 {
		return nil, errValidation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30", days)
	}
	k, err := s.update(ctx, in.KeyId, "kms:ScheduleKeyDeletion", map[string][]string{"kms:schedulekeydeletionpendingwindowindays": {strconv.Itoa(days)}}, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:ScheduleKeyDeletion"); err != nil {
			return err
		}
		k.State = statePendingDeletion
		k.PendingWindow = days
		k.DeletionDate = s.clock.Now().UTC().Add(time.Duration(days) * 24 * time.Hour)
		scheduleDeletion(k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ScheduleKeyDeletionResponse{KeyId: k.arn(), DeletionDate: sealbox.At(k.DeletionDate), KeyState: k.State, PendingWindowInDays: int32(days)}, nil
}

// CancelKeyDeletion takes a key out of PendingDeletion; as in AWS it is left
// Disabled.
func (s *Service) CancelKeyDeletion(ctx context.Context, in *CancelKeyDeletionRequest) (*CancelKeyDeletionResponse, error) {
	k, err := s.update(ctx, in.KeyId, "kms:CancelKeyDeletion", nil, func(_ store.Tx, k *keyRecord) error {
		if k.Manager == managerAWS {
			return mutable(ctx, k, "kms:CancelKeyDeletion")
		}
		if k.State != statePendingDeletion && k.State != statePendingReplicaDeletion {
			return sealbox.Errorf("KMSInvalidStateException", "%s is not pending deletion.", k.arn())
		}
		k.State = stateDisabled
		if k.Import != nil && k.Import.Missing {
			k.State = statePendingImport
		}
		k.DeletionDate = time.Time{}
		k.PendingWindow = 0
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CancelKeyDeletionResponse{KeyId: k.arn()}, nil
}

// deleteKey removes a key, its material and every alias that points at it.
func (s *Service) deleteKey(tx store.Tx, k *keyRecord) error {
	var aliases []string
	err := tx.Scan(aliasPrefix(k.Region), "", func(key string, v []byte) error {
		var a aliasRecord
		if err := json.Unmarshal(v, &a); err != nil {
			return err
		}
		if a.KeyID == k.ID {
			aliases = append(aliases, key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, a := range aliases {
		if err := tx.Delete(a); err != nil {
			return err
		}
	}
	if err := s.ring.Delete(tx, k.Region, k.ID); err != nil {
		return err
	}
	if err := s.forgetRecord(tx, k); err != nil {
		return err
	}
	return tx.Delete(keyStoreKey(k.Region, k.ID))
}

// createKeyConditions are CreateKey's condition keys.
func createKeyConditions(in *CreateKeyRequest, spec, usage string) map[string][]string {
	cond := requestTagConditions(in.Tags)
	if cond == nil {
		cond = map[string][]string{}
	}
	cond["kms:keyspec"] = []string{spec}
	cond["kms:keyusage"] = []string{usage}
	cond["kms:keyorigin"] = []string{orDefaultOrigin(in.Origin)}
	cond["kms:multiregion"] = []string{strconv.FormatBool(in.MultiRegion)}
	cond["kms:bypasspolicylockoutsafetycheck"] = []string{strconv.FormatBool(in.BypassPolicyLockoutSafetyCheck)}
	return cond
}
