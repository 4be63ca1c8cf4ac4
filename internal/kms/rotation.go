package kms

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	defaultRotationDays = 365
	maxOnDemand         = 25
	rotationAutomatic   = "AUTOMATIC"
	rotationOnDemand    = "ON_DEMAND"
)

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// updateRotation is s.update for a change of k's rotation: the key must be
// customer managed and its rotation managed here (not a replica's, nor of a
// key that cannot rotate) before change runs.
func (s *Service) updateRotation(ctx context.Context, keyID, action string, extra map[string][]string, change func(store.Tx, *keyRecord) error) (*keyRecord, error) {
	return s.update(ctx, keyID, action, extra, func(tx store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, action); err != nil {
			return err
		}
		if err := rotatableHere(k); err != nil {
			return err
		}
		return change(tx, k)
	})
}

// EnableKeyRotation turns on automatic rotation every RotationPeriodInDays
// (90 to 2560, 365 by default); the scheduler adds the new material.
func (s *Service) EnableKeyRotation(ctx context.Context, in *EnableKeyRotationRequest) (*Empty, error) {
	period := int(in.RotationPeriodInDays)
	if period == 0 {
		period = defaultRotationDays
	}
	_, err := s.updateRotation(ctx, in.KeyId, "kms:EnableKeyRotation", map[string][]string{"kms:rotationperiodindays": {strconv.Itoa(period)}}, func(_ store.Tx, k *keyRecord) error {
		if k.Import != nil {
			return rotateImported(k, nil, rotationAutomatic, time.Time{})
		}
		if k.State == stateDisabled {
			return errDisabled(k)
		}
		k.RotationEnabled = true
		k.RotationPeriod = period
		k.NextRotation = s.clock.Now().UTC().Add(days(period))
		return nil
	})
	return &Empty{}, err
}

// DisableKeyRotation turns automatic rotation off; old material stays.
func (s *Service) DisableKeyRotation(ctx context.Context, in *DisableKeyRotationRequest) (*Empty, error) {
	_, err := s.updateRotation(ctx, in.KeyId, "kms:DisableKeyRotation", nil, func(_ store.Tx, k *keyRecord) error {
		if k.State == stateDisabled {
			return errDisabled(k)
		}
		k.RotationEnabled = false
		k.RotationPeriod = 0
		k.NextRotation = time.Time{}
		return nil
	})
	return &Empty{}, err
}

// readRotatable reads keyID for action, a read of its rotations: a key
// pending deletion, or one that cannot rotate, is refused.
func (s *Service) readRotatable(ctx context.Context, keyID, action string) (*keyRecord, error) {
	k, err := s.read(ctx, keyID, action, false)
	if err != nil {
		return nil, err
	}
	if k.State == statePendingDeletion {
		return nil, errPendingDeletion(k)
	}
	if err := rotatable(k); err != nil {
		return nil, err
	}
	return k, nil
}

// GetKeyRotationStatus tells whether and when a key rotates.
func (s *Service) GetKeyRotationStatus(ctx context.Context, in *GetKeyRotationStatusRequest) (*GetKeyRotationStatusResponse, error) {
	k, err := s.readRotatable(ctx, in.KeyId, "kms:GetKeyRotationStatus")
	if err != nil {
		return nil, err
	}
	out := &GetKeyRotationStatusResponse{KeyRotationEnabled: k.RotationEnabled, KeyId: k.arn()}
	if k.RotationEnabled {
		out.RotationPeriodInDays = int32(k.RotationPeriod)
		out.NextRotationDate = sealbox.At(k.NextRotation)
	}
	return out, nil
}

// rotate adds a new material version, which becomes current.
func (s *Service) rotate(tx store.Tx, k *keyRecord, kind string, now time.Time) error {
	if k.Import != nil {
		var peers []*keyRecord
		if k.isPrimary() {
			peers = s.peerRecords(tx, k)
		}
		return rotateImported(k, peers, kind, now)
	}
	id, err := s.ring.Create(tx, k.Region, k.ID)
	if err != nil {
		return err
	}
	k.Materials = append(k.Materials, materialRef{ID: id, Created: now, RotationType: kind})
	return s.replicateRotation(tx, k, id)
}

// RotateKeyOnDemand rotates a key now, at most 25 times a key; the
// automatic schedule is unchanged.
func (s *Service) RotateKeyOnDemand(ctx context.Context, in *RotateKeyOnDemandRequest) (*RotateKeyOnDemandResponse, error) {
	k, err := s.updateRotation(ctx, in.KeyId, "kms:RotateKeyOnDemand", nil, func(tx store.Tx, k *keyRecord) error {
		if k.State == stateDisabled {
			return errDisabled(k)
		}
		n := 0
		for _, m := range k.Materials {
			if m.RotationType == rotationOnDemand {
				n++
			}
		}
		if n >= maxOnDemand {
			return sealbox.Errorf("LimitExceededException", "The on-demand rotations limit has been reached for the given key.")
		}
		return s.rotate(tx, k, rotationOnDemand, s.clock.Now().UTC())
	})
	if err != nil {
		return nil, err
	}
	return &RotateKeyOnDemandResponse{KeyId: k.arn()}, nil
}

// ListKeyRotations lists a key's rotations, oldest first (with
// ALL_KEY_MATERIAL, the original material too).
func (s *Service) ListKeyRotations(ctx context.Context, in *ListKeyRotationsRequest) (*ListKeyRotationsResponse, error) {
	k, err := s.readRotatable(ctx, in.KeyId, "kms:ListKeyRotations")
	if err != nil {
		return nil, err
	}
	var all []RotationsListEntry
	cur := k.current().ID
	for _, m := range k.Materials {
		if m.RotationType == "" && in.IncludeKeyMaterial != "ALL_KEY_MATERIAL" {
			continue
		}
		state := "NON_CURRENT"
		if m.ID == cur {
			state = "CURRENT"
		}
		e := RotationsListEntry{KeyId: k.arn(), KeyMaterialId: m.ID, KeyMaterialState: state, RotationType: m.RotationType}
		if m.RotationType != "" {
			e.RotationDate = sealbox.At(m.Created)
		}
		all = append(all, e)
	}
	var peers []*keyRecord
	if k.MultiRegion && k.Import != nil {
		// The pending material's state is the set's: load the others.
		err := s.view(ctx, func(tx store.Tx) error {
			peers = nil
			for _, region := range k.peers() {
				p, err := s.loadKey(tx, region, k.ID)
				if errors.Is(err, store.ErrNotFound) {
					continue
				} else if err != nil {
					return err
				}
				peers = append(peers, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	all = importRotations(k, peers, all)
	if all == nil {
		all = []RotationsListEntry{}
	}
	page, next, err := paginateIndex(all, in.Marker, pageLimit(in.Limit, 100))
	if err != nil {
		return nil, err
	}
	return &ListKeyRotationsResponse{Rotations: page, NextMarker: next, Truncated: next != ""}, nil
}

// paginateIndex pages a list whose order is positional: the marker is the
// material id of the last item returned.
func paginateIndex(items []RotationsListEntry, marker string, limit int) ([]RotationsListEntry, string, error) {
	start := 0
	if marker != "" {
		start = -1
		for i, e := range items {
			if e.KeyMaterialId == marker {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, "", errInvalidMarker()
		}
	}
	end := start + limit
	if end >= len(items) {
		return items[start:], "", nil
	}
	return items[start:end], items[end-1].KeyMaterialId, nil
}

// RunDue does the work whose time has come, as of now: it deletes keys whose
// deletion window has ended, deletes imported material whose ValidTo has
// passed (a DeleteExpiredKeyMaterial service event for each version, sent to the Notifier
// before the change commits: at least once, never lost), and rotates keys
// whose rotation is due. The server calls it periodically; it is safe to
// call at any time and from several servers (each change is its own
// transaction and rechecks).
func (s *Service) RunDue(ctx context.Context, now time.Time) (deleted, rotated int, err error) {
	if err := s.flushUsage(ctx); err != nil {
		return 0, 0, err
	}
	type due struct {
		region, id string
		expired    []*ServiceEvent // the versions of material that expire
	}
	var work []due
	err = s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan("kms/", "", func(key string, v []byte) error {
			if !isKeyRecordKey(key) {
				return nil
			}
			k, err := decodeKey(v)
			if err != nil {
				return err
			}
			if dueNow(k, now) {
				d := due{region: k.Region, id: k.ID}
				if k.State != statePendingDeletion || now.Before(k.DeletionDate) {
					for _, mid := range expiredVersions(k, now) {
						d.expired = append(d.expired, &ServiceEvent{EventName: "DeleteExpiredKeyMaterial", Region: k.Region, AccountID: k.Account, KeyID: k.ID, KeyARN: k.arn(), KeyMaterialID: mid, Time: now})
					}
				}
				work = append(work, d)
			}
			return nil
		})
	})
	if err != nil {
		return 0, 0, err
	}
	for _, w := range work {
		// The event first, outside the transaction (the audit trail may
		// write to the store), then the change that it records.
		for _, e := range w.expired {
			if s.notify == nil {
				break
			}
			if err := s.notify.Notify(ctx, e); err != nil {
				return deleted, rotated, err
			}
		}
		// Counted once committed: on a shared store fn may run again.
		var wasDeleted, wasRotated bool
		err := s.store.Update(ctx, func(tx store.Tx) error {
			wasDeleted, wasRotated = false, false
			k, err := loadKey(tx, w.region, w.id)
			if err != nil || !dueNow(k, now) {
				return err
			}
			if k.State == statePendingDeletion && !now.Before(k.DeletionDate) {
				wasDeleted = true
				return s.deleteKey(tx, k)
			}
			if importExpired(k, now) {
				if err := s.expireImport(tx, k, now); err != nil {
					return err
				}
				return saveKey(tx, k)
			}
			// Rotate once even if several periods were missed, as AWS does.
			if err := s.rotate(tx, k, rotationAutomatic, now); err != nil {
				return err
			}
			k.NextRotation = now.Add(days(k.RotationPeriod))
			wasRotated = true
			return saveKey(tx, k)
		})
		if err != nil {
			return deleted, rotated, err
		}
		if wasDeleted {
			deleted++
		}
		if wasRotated {
			rotated++
		}
	}
	return deleted, rotated, nil
}

func dueNow(k *keyRecord, now time.Time) bool {
	if importExpired(k, now) {
		return true
	}
	if k.State == statePendingDeletion {
		return !now.Before(k.DeletionDate)
	}
	return k.State == stateEnabled && !k.isReplica() && k.RotationEnabled && !k.NextRotation.IsZero() && !now.Before(k.NextRotation)
}
