package kms

// Multi-Region keys. A multi-Region key is a set of key records with one
// key id (mrk-…), one in each of its Regions: the primary, and replicas
// made by ReplicateKey. They share the key material (each replica Region
// holds copies of every version, copied by the keyring in the transaction
// that makes the replica or the new version), the key spec and usage, the
// origin and the rotation settings; policy, tags, aliases, description and
// state are each record's own. Every record carries the set's Regions, and
// each change to the set rewrites all of them in one transaction.

import (
	"context"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	statePendingReplicaDeletion = "PendingReplicaDeletion"
	mrkPrefix                   = "mrk-"
)

// multiRegion is a key record's multi-Region part (embedded in keyRecord).
type multiRegion struct {
	MultiRegion    bool     `json:"multiRegion,omitempty"`
	PrimaryRegion  string   `json:"primaryRegion,omitempty"`
	ReplicaRegions []string `json:"replicaRegions,omitempty"` // sorted
}

func (k *keyRecord) isPrimary() bool { return k.MultiRegion && k.PrimaryRegion == k.Region }
func (k *keyRecord) isReplica() bool { return k.MultiRegion && k.PrimaryRegion != k.Region }

// peers are the Regions of the key's other records.
func (k *keyRecord) peers() []string {
	var out []string
	for _, r := range append([]string{k.PrimaryRegion}, k.ReplicaRegions...) {
		if r != k.Region {
			out = append(out, r)
		}
	}
	return out
}

// newKeyID is a new key id: a UUID, or mrk- and 32 hex digits.
func newKeyID(multiRegion bool) string {
	if multiRegion {
		return mrkPrefix + hex.EncodeToString(keyring.Random(16))
	}
	return ids.UUID()
}

// validKeyID reports whether id (lower case) is a key id's form.
func validKeyID(id string) bool {
	if rest, ok := strings.CutPrefix(id, mrkPrefix); ok {
		_, err := hex.DecodeString(rest)
		return len(rest) == 32 && err == nil
	}
	_, ok := ids.ParseUUID(id)
	return ok
}

func (k *keyRecord) setMultiRegion(on bool) {
	if on {
		k.MultiRegion, k.PrimaryRegion = true, k.Region
	}
}

func regionARN(k *keyRecord, region string) string {
	return "arn:" + k.Partition + ":kms:" + region + ":" + k.Account + ":key/" + k.ID
}

// multiRegionConditions sets kms:MultiRegion and kms:MultiRegionKeyType.
func multiRegionConditions(k *keyRecord, cond map[string][]string) {
	cond["kms:multiregion"] = []string{strconv.FormatBool(k.MultiRegion)}
	switch {
	case k.isPrimary():
		cond["kms:multiregionkeytype"] = []string{"PRIMARY"}
	case k.isReplica():
		cond["kms:multiregionkeytype"] = []string{"REPLICA"}
	}
}

// multiRegionMetadata adds the multi-Region part of DescribeKey's answer.
func multiRegionMetadata(k *keyRecord, m *KeyMetadata) {
	if k.State == statePendingReplicaDeletion {
		m.PendingDeletionWindowInDays = int32(k.PendingWindow)
	}
	if !k.MultiRegion {
		return
	}
	m.MultiRegion = true
	c := &MultiRegionConfiguration{
		MultiRegionKeyType: "PRIMARY",
		PrimaryKey:         &MultiRegionKey{Arn: regionARN(k, k.PrimaryRegion), Region: k.PrimaryRegion},
		ReplicaKeys:        []MultiRegionKey{},
	}
	if k.isReplica() {
		c.MultiRegionKeyType = "REPLICA"
	}
	for _, r := range k.ReplicaRegions {
		c.ReplicaKeys = append(c.ReplicaKeys, MultiRegionKey{Arn: regionARN(k, r), Region: r})
	}
	m.MultiRegionConfiguration = c
}

var regionPattern = regexp.MustCompile(`^([a-z]+-){2,3}\d+$`)

func checkRegion(member, region string) error {
	if region == "" {
		return errValidation("1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	}
	if len(region) > 32 || !regionPattern.MatchString(region) {
		return errValidation("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-){2,3}\\d+$", region, member)
	}
	return nil
}

func errNotMultiRegion(k *keyRecord) error {
	return sealbox.Errorf("UnsupportedOperationException", "%s is not a multi-Region key.", k.arn())
}

func errNotPrimary(k *keyRecord) error {
	return sealbox.Errorf("UnsupportedOperationException", "%s is not a multi-region primary key.", k.arn())
}

// primaryKey resolves a multi-Region primary key for a change of its set.
func (s *Service) primaryKey(ctx context.Context, tx store.Tx, keyID, action string, extra map[string][]string) (*keyRecord, error) {
	k, err := s.resolve(ctx, tx, keyID, false)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, action, k, nil, extra); err != nil {
		return nil, err
	}
	if err := mutable(ctx, k, action); err != nil {
		return nil, err
	}
	if !k.MultiRegion {
		return nil, errNotMultiRegion(k)
	}
	if !k.isPrimary() {
		return nil, errNotPrimary(k)
	}
	if k.State == stateDisabled {
		return nil, errDisabled(k)
	}
	return k, nil
}

// ReplicateKey makes a replica of a multi-Region primary key in another
// Region: same id, material, spec, usage, origin and rotation; its own
// policy (the default one unless given), description and tags.
func (s *Service) ReplicateKey(ctx context.Context, in *ReplicateKeyRequest) (*ReplicateKeyResponse, error) {
	r := sealbox.MustRequest(ctx)
	if err := checkRegion("replicaRegion", in.ReplicaRegion); err != nil {
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
	// AWS: kms:CreateKey in the replica Region, and kms:TagResource to
	// tag it, from the caller's IAM policies.
	if err := s.authorize(ctx, "kms:CreateKey", nil, nil, map[string][]string{"kms:multiregion": {"true"}}); err != nil {
		return nil, err
	}
	if len(in.Tags) > 0 {
		if err := s.authorize(ctx, "kms:TagResource", nil, nil, requestTagConditions(in.Tags)); err != nil {
			return nil, err
		}
	}
	var rep *keyRecord
	err = s.store.Update(ctx, func(tx store.Tx) error {
		k, err := s.primaryKey(ctx, tx, in.KeyId, "kms:ReplicateKey", map[string][]string{"kms:replicaregion": {in.ReplicaRegion}})
		if err != nil {
			return err
		}
		if invalid != nil {
			return invalid
		}
		if in.ReplicaRegion == k.Region || slices.Contains(k.ReplicaRegions, in.ReplicaRegion) {
			return sealbox.Errorf("AlreadyExistsException", "Replica key %s already exists in region %s.", k.ID, in.ReplicaRegion)
		}
		if _, err := loadKey(tx, in.ReplicaRegion, k.ID); !errors.Is(err, store.ErrNotFound) {
			if err == nil {
				return sealbox.Errorf("AlreadyExistsException", "Replica key %s already exists in region %s.", k.ID, in.ReplicaRegion)
			}
			return err
		}
		rep = &keyRecord{
			ID: k.ID, Spec: k.Spec, Usage: k.Usage, Region: in.ReplicaRegion, Partition: k.Partition, Account: k.Account,
			Description: in.Description, Created: s.clock.Now().UTC(), State: stateEnabled, Manager: managerCustomer,
			Policy: policy, PolicyPinned: pinned, Tags: tags,
			RotationEnabled: k.RotationEnabled, RotationPeriod: k.RotationPeriod, NextRotation: k.NextRotation,
			Materials: []materialRef{},
		}
		rep.multiRegion = multiRegion{MultiRegion: true, PrimaryRegion: k.Region}
		if in.Policy != "" {
			if err := s.checkLockout(ctx, rep.arn(), policy, in.BypassPolicyLockoutSafetyCheck); err != nil {
				return err
			}
		}
		if k.origin() == originExternal {
			// AWS: the replica of a key with imported material has none
			// until the same material is imported into it: it expects the
			// primary's versions (PENDING_IMPORT), and is PendingImport
			// until it has them all.
			rep.external()
			rep.shareVersions(k)
		} else {
			rep.Materials = slices.Clone(k.Materials)
			mids := make([]string, len(k.Materials))
			for i, m := range k.Materials {
				mids[i] = m.ID
			}
			if err := s.ring.Replicate(tx, k.Region, rep.Region, k.ID, mids...); err != nil {
				return err
			}
		}
		replicas := append(slices.Clone(k.ReplicaRegions), rep.Region)
		slices.Sort(replicas)
		return s.rewriteSet(tx, append(s.peerRecords(tx, k), k, rep), k.Region, replicas)
	})
	if err != nil {
		return nil, err
	}
	// AWS: "A ReplicateKey request results in a ReplicateKey operation
	// and a CreateKey operation" (KMS developer guide, the ReplicateKey
	// CloudTrail example): the call's own event in the primary's Region,
	// whose resources are the primary key alone, and the replica's
	// CreateKey in its Region, which names the replica.
	params := map[string]any{"description": in.Description, "keyUsage": rep.usage(), "keySpec": rep.spec(),
		"origin": rep.origin(), "multiRegion": true, "bypassPolicyLockoutSafetyCheck": in.BypassPolicyLockoutSafetyCheck}
	if in.Policy != "" {
		params["policy"] = in.Policy
	}
	if err := s.recordIn(ctx, rep.Region, "CreateKey", params, rep.arn()); err != nil {
		return nil, err
	}
	return &ReplicateKeyResponse{ReplicaKeyMetadata: s.metadata(rep), ReplicaPolicy: policy, ReplicaTags: tags}, nil
}

// peerRecords loads k's other records (inside a write transaction, so each
// is the caller's to change); a record missing is skipped.
func (s *Service) peerRecords(tx store.Tx, k *keyRecord) []*keyRecord {
	var out []*keyRecord
	for _, region := range k.peers() {
		if p, err := loadKey(tx, region, k.ID); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// rewriteSet gives every record of a multi-Region key the set's Regions
// and saves it.
func (s *Service) rewriteSet(tx store.Tx, records []*keyRecord, primary string, replicas []string) error {
	for _, rec := range records {
		rec.PrimaryRegion, rec.ReplicaRegions = primary, replicas
		if err := store.PutJSON(tx, keyStoreKey(rec.Region, rec.ID), rec); err != nil {
			return err
		}
	}
	return nil
}

// UpdatePrimaryRegion makes the replica in PrimaryRegion the primary key
// and the current primary a replica.
func (s *Service) UpdatePrimaryRegion(ctx context.Context, in *UpdatePrimaryRegionRequest) (*Empty, error) {
	if err := checkRegion("primaryRegion", in.PrimaryRegion); err != nil {
		return nil, err
	}
	var newPrimary string
	err := s.store.Update(ctx, func(tx store.Tx) error {
		k, err := s.primaryKey(ctx, tx, in.KeyId, "kms:UpdatePrimaryRegion", map[string][]string{"kms:primaryregion": {in.PrimaryRegion}})
		if err != nil {
			return err
		}
		if in.PrimaryRegion == k.Region {
			return sealbox.Errorf("UnsupportedOperationException", "%s is already the primary key in region %s.", k.arn(), k.Region)
		}
		if !slices.Contains(k.ReplicaRegions, in.PrimaryRegion) {
			return sealbox.Errorf("NotFoundException", "Key '%s' does not exist", regionARN(k, in.PrimaryRegion))
		}
		peers := s.peerRecords(tx, k)
		for _, p := range peers {
			// AWS: both keys must be Enabled when the operation starts.
			if p.Region == in.PrimaryRegion && p.State != stateEnabled {
				return usable(p)
			}
		}
		replicas := append(slices.DeleteFunc(slices.Clone(k.ReplicaRegions), func(s string) bool { return s == in.PrimaryRegion }), k.Region)
		slices.Sort(replicas)
		newPrimary = regionARN(k, in.PrimaryRegion)
		return s.rewriteSet(tx, append(peers, k), in.PrimaryRegion, replicas)
	})
	if err != nil {
		return nil, err
	}
	// AWS writes two events (KMS developer guide, the UpdatePrimaryRegion
	// CloudTrail examples): the call's, in the Region of the primary
	// turned replica, whose resources are that key alone, and one in the
	// Region of the replica turned primary, whose keyId is the new
	// primary's ARN and which lists no resources.
	params := map[string]any{"keyId": newPrimary, "primaryRegion": in.PrimaryRegion}
	if err := s.recordIn(ctx, in.PrimaryRegion, "UpdatePrimaryRegion", params, ""); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// recordIn records the event a multi-Region call writes in region, another
// Region than the one called: the caller's own event (same identity and
// request id), which CloudTrail marks invokedBy kms.amazonaws.com, about
// the key arn ("" lists no resource). If the record cannot be kept, the
// call fails (the audit trail fails closed).
func (s *Service) recordIn(ctx context.Context, region, name string, params map[string]any, arn string) error {
	if s.rec == nil {
		return nil
	}
	r := *sealbox.MustRequest(ctx)
	r.Region, r.ViaService, r.Resources, r.AuditParameters = region, "kms."+region+".amazonaws.com", nil, nil
	rec := &sealbox.Record{EventSource: "kms.amazonaws.com", EventName: name, RequestParameters: params}
	if arn != "" {
		rec.Resources = []sealbox.Resource{{AccountID: r.AccountID, Type: resourceTypeKey, ARN: arn}}
	}
	return s.rec.Record(sealbox.NewContext(ctx, &r), rec)
}

// scheduleDeletion is ScheduleKeyDeletion's multi-Region rule: a primary
// with replicas waits in PendingReplicaDeletion, its window not yet
// started, until its last replica is deleted.
func scheduleDeletion(k *keyRecord) {
	if k.isPrimary() && len(k.ReplicaRegions) > 0 {
		k.State, k.DeletionDate = statePendingReplicaDeletion, time.Time{}
	}
}

// replicateRotation copies a multi-Region primary's new material version
// to its replicas.
func (s *Service) replicateRotation(tx store.Tx, k *keyRecord, materialID string) error {
	if !k.isPrimary() {
		return nil
	}
	for _, region := range k.ReplicaRegions {
		if err := s.ring.Replicate(tx, k.Region, region, k.ID, materialID); err != nil && !errors.Is(err, keyring.ErrNoMaterial) {
			return err
		}
	}
	return nil
}

// syncShared copies a multi-Region primary's shared properties (material
// versions, rotation settings) to its replicas as it is saved. A replica
// with imported material gets the versions (and the material pending
// rotation) but not the material: its state follows at once, PendingImport
// while it lacks a version.
func syncShared(tx store.Tx, k *keyRecord) error {
	if !k.isPrimary() {
		return nil
	}
	for _, region := range k.ReplicaRegions {
		p, err := loadKey(tx, region, k.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if p.Import != nil {
			p.shareVersions(k)
		} else {
			p.Materials = slices.Clone(k.Materials)
		}
		p.RotationEnabled, p.RotationPeriod, p.NextRotation = k.RotationEnabled, k.RotationPeriod, k.NextRotation
		if err := store.PutJSON(tx, keyStoreKey(p.Region, p.ID), p); err != nil {
			return err
		}
	}
	return nil
}

// forgetRecord takes a deleted record out of its multi-Region set: the
// others no longer list its Region, and a primary waiting in
// PendingReplicaDeletion for its last replica starts its window.
func (s *Service) forgetRecord(tx store.Tx, k *keyRecord) error {
	s.usage.forget(k.arn())
	if err := tx.Delete(usageStoreKey(k.Region, k.ID)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if !k.MultiRegion {
		return nil
	}
	peers := s.peerRecords(tx, k)
	replicas := slices.DeleteFunc(slices.Clone(k.ReplicaRegions), func(s string) bool { return s == k.Region })
	for _, p := range peers {
		if p.isPrimary() && p.State == statePendingReplicaDeletion && len(replicas) == 0 {
			p.State = statePendingDeletion
			p.DeletionDate = s.clock.Now().UTC().Add(days(p.PendingWindow))
		}
	}
	return s.rewriteSet(tx, peers, k.PrimaryRegion, replicas)
}

// rotatableHere is rotatable for a change of rotation: a multi-Region key's
// rotation is its primary's, shared by its replicas.
func rotatableHere(k *keyRecord) error {
	if k.isReplica() {
		return sealbox.Errorf("UnsupportedOperationException", "%s is a multi-Region replica key: its rotation is managed on its primary key in %s.", k.arn(), k.PrimaryRegion)
	}
	return rotatable(k)
}
