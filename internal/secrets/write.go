package secrets

import (
	"context"
	"slices"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// newValue reads the value a write sends: exactly one of SecretString and
// SecretBinary, or none (ok false).
func newValue(str *string, bin []byte) (value []byte, binary, ok bool, err error) {
	switch {
	case str != nil && bin != nil:
		return nil, false, false, errInvalidParameter("You can't specify both a binary secret value and a string secret value in the same secret.")
	case str != nil:
		value = []byte(*str)
	case bin != nil:
		value, binary = bin, true
	default:
		return nil, false, false, nil
	}
	if len(value) > maxValue {
		return nil, false, false, errInvalidParameter("The secret value exceeds the maximum size of %d bytes.", maxValue)
	}
	return value, binary, true, nil
}

// pendingVersion is a version sealed and ready to be committed.
type pendingVersion struct {
	meta  versionMeta
	value *valueRecord
	plain []byte
}

// prepare seals value as version id of the secret arn under keyID, outside
// any store transaction (KMS runs its own).
func (s *Service) prepare(ctx context.Context, keyID, arn, id string, value []byte, binary bool) (*pendingVersion, error) {
	rec, keyARN, err := s.seal(ctx, keyID, arn, id, value)
	if err != nil {
		return nil, err
	}
	return &pendingVersion{meta: versionMeta{ID: id, KeyARN: keyARN, Binary: binary, DefaultKey: keyID == "" || keyID == defaultKeyAlias, Created: s.clock.Now().UTC()}, value: rec, plain: value}, nil
}

// commit adds p to sec in tx with the staging labels stages, stores its
// value and removes the versions AWS no longer keeps.
func (s *Service) commit(tx store.Tx, sec *secretRecord, p *pendingVersion, stages []string) error {
	if sec.version(p.meta.ID) != nil {
		return errVersionExists(p.meta.ID, sec.ARN)
	}
	sec.addVersion(p.meta, stages)
	if slices.Contains(sec.version(p.meta.ID).Stages, StageCurrent) {
		if err := checkValue(sec, p.plain, p.meta.Binary); err != nil {
			return err
		}
	}
	if err := store.PutJSON(tx, valueKey(sec.Region, sec.Name, p.meta.ID), p.value); err != nil {
		return err
	}
	for _, id := range sec.prune(s.clock.Now().UTC()) {
		if err := tx.Delete(valueKey(sec.Region, sec.Name, id)); err != nil {
			return err
		}
	}
	sec.Changed = s.clock.Now().UTC()
	return nil
}

// errVersionExists is the answer to a ClientRequestToken that names an
// existing version of the secret arn with another value, in AWS's words.
func errVersionExists(token, arn string) error {
	return sealbox.Errorf("ResourceExistsException", "You can't use ClientRequestToken %s because that value is already in use for a version of secret %s.", token, arn)
}

// retried is the version versionID of sec when this call repeats the one
// that made it, with the same value: the caller answers as that call did.
// No such version is nil; one that holds another value is
// errVersionExists.
func (s *Service) retried(ctx context.Context, sec *secretRecord, versionID string, value []byte, binary bool) (*versionMeta, error) {
	v := sec.version(versionID)
	if v == nil {
		return nil, nil
	}
	same, err := s.sameVersion(ctx, sec, v, value, binary)
	if err != nil {
		return nil, err
	}
	if !same {
		return nil, errVersionExists(versionID, sec.ARN)
	}
	return v, nil
}

// sameVersion reports whether the existing version v of sec holds value:
// a retry of the call that created it. The stored value is opened through
// KMS, on the caller's behalf, and wiped after the comparison.
func (s *Service) sameVersion(ctx context.Context, sec *secretRecord, v *versionMeta, value []byte, binary bool) (bool, error) {
	if v.Binary != binary {
		return false, nil
	}
	var rec *valueRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		rec, err = recordcache.Get[valueRecord](tx, valueKey(sec.Region, sec.Name, v.ID))
		return err
	})
	if err != nil {
		return false, err
	}
	old, err := s.open(ctx, sec.ARN, v.ID, rec)
	if err != nil {
		return false, err
	}
	defer clear(old)
	return sameValue(old, value), nil
}

// CreateSecret creates a secret, and with SecretString or SecretBinary its
// first version, labelled AWSCURRENT. ClientRequestToken is the version's
// id: a retry with the same token and value answers the same version.
func (s *Service) CreateSecret(ctx context.Context, in *CreateSecretRequest) (*CreateSecretResponse, error) {
	r := sealbox.MustRequest(ctx)
	if err := checkName(in.Name); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	if err := checkReplicaRegions(r.Region, in.AddReplicaRegions); err != nil {
		return nil, err
	}
	value, binary, hasValue, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	existing, err := s.load(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	arn := secretARN(r, in.Name, randomSuffix())
	if existing != nil {
		arn = existing.ARN
	}
	cond := map[string][]string{"secretsmanager:name": {in.Name}}
	if in.Description != nil {
		cond["secretsmanager:description"] = []string{*in.Description}
	}
	if in.KmsKeyId != "" {
		cond["secretsmanager:kmskeyid"] = []string{in.KmsKeyId}
	}
	for k, v := range requestTagConditions(tags) {
		cond[k] = v
	}
	if len(in.AddReplicaRegions) > 0 {
		replicaConditions(cond, in.AddReplicaRegions, in.ForceOverwriteReplicaSecret)
	}
	r.AddResource(resourceType, arn)
	if err := s.authorize(ctx, "CreateSecret", arn, nil, cond); err != nil {
		return nil, err
	}
	if len(in.AddReplicaRegions) > 0 {
		// Adding replicas at creation needs ReplicateSecretToRegions too.
		if err := s.authorize(ctx, "ReplicateSecretToRegions", arn, nil, cond); err != nil {
			return nil, err
		}
	}
	if len(tags) > 0 {
		// Tagging at creation is authorized with CreateSecret's keys.
		if err := s.authorize(ctx, "TagResource", arn, nil, cond); err != nil {
			return nil, err
		}
	}
	versionID := in.ClientRequestToken
	if versionID == "" {
		versionID = ids.UUID()
	}
	if existing != nil {
		if existing.deleted() {
			return nil, errInvalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
		}
		// A retry of the call that created the secret answers the same.
		if hasValue && in.ClientRequestToken != "" {
			if v, err := s.retried(ctx, existing, versionID, value, binary); err != nil {
				return nil, err
			} else if v != nil {
				return &CreateSecretResponse{ARN: existing.ARN, Name: existing.Name, VersionId: v.ID}, nil
			}
		}
		return nil, sealbox.Errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
	}
	var p *pendingVersion
	if hasValue {
		if p, err = s.prepare(ctx, in.KmsKeyId, arn, versionID, value, binary); err != nil {
			return nil, err
		}
	}
	now := s.clock.Now().UTC()
	sec := &secretRecord{Name: in.Name, ARN: arn, Region: r.Region, Partition: r.Partition, Account: r.AccountID,
		KmsKeyID: in.KmsKeyId, Type: in.Type, Created: now, Changed: now, Tags: tags}
	if in.Description != nil {
		sec.Description = *in.Description
	}
	if sec.KmsKeyID == defaultKeyAlias {
		sec.KmsKeyID = ""
	}
	plans := map[string]*replicaPlan{}
	if len(in.AddReplicaRegions) > 0 {
		var fresh []*pendingVersion
		if p != nil {
			fresh = append(fresh, p)
		}
		for _, rr := range in.AddReplicaRegions {
			pl := s.plan(ctx, sec, newReplicaState(rr), fresh, in.ForceOverwriteReplicaSecret)
			plans[rr.Region] = pl
			sec.Replicas = append(sec.Replicas, pl.state)
		}
	}
	built := *sec
	err = s.store.Update(ctx, func(tx store.Tx) error {
		// commit and applyReplicas change sec: a second run (after a
		// conflict on a shared store) starts again from the record as
		// built.
		*sec = built
		sec.Versions, sec.Replicas = slices.Clone(built.Versions), slices.Clone(built.Replicas)
		if _, err := tx.Get(secretKey(r.Region, in.Name)); err == nil {
			return sealbox.Errorf("ResourceExistsException", "The operation failed because the secret %s already exists.", in.Name)
		} else if !isNotFound(err) {
			return err
		}
		if p != nil {
			if err := s.commit(tx, sec, p, nil); err != nil {
				return err
			}
		}
		if err := s.applyReplicas(tx, sec, plans); err != nil {
			return err
		}
		return save(tx, sec)
	})
	if err != nil {
		return nil, err
	}
	out := &CreateSecretResponse{ARN: arn, Name: in.Name}
	if len(sec.Replicas) > 0 {
		out.ReplicationStatus = sec.replicationStatus()
	}
	if p != nil {
		out.VersionId = versionID
	}
	return out, nil
}

// PutSecretValue adds a version to a secret. Without VersionStages the new
// version gets AWSCURRENT, and the version that had it AWSPREVIOUS. A
// ClientRequestToken naming an existing version with the same value does
// nothing; with another value it is refused.
func (s *Service) PutSecretValue(ctx context.Context, in *PutSecretValueRequest) (*PutSecretValueResponse, error) {
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	value, binary, hasValue, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{StageCurrent}
	}
	cond := map[string][]string{"secretsmanager:versionstage": stages}
	if in.ClientRequestToken != "" {
		cond["secretsmanager:versionid"] = []string{in.ClientRequestToken}
	}
	sec, err := s.access(ctx, in.SecretId, "PutSecretValue", cond, false)
	if err != nil {
		return nil, err
	}
	if !hasValue {
		return nil, errInvalidRequest("You must provide either SecretString or SecretBinary.")
	}
	versionID := in.ClientRequestToken
	if versionID == "" {
		versionID = ids.UUID()
	}
	if v, err := s.retried(ctx, sec, versionID, value, binary); err != nil {
		return nil, err
	} else if v != nil {
		return &PutSecretValueResponse{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: nonNil(v.Stages)}, nil
	}
	p, err := s.prepare(ctx, sec.KmsKeyID, sec.ARN, versionID, value, binary)
	if err != nil {
		return nil, err
	}
	out, err := s.updateAdding(ctx, sec, []*pendingVersion{p}, func(tx store.Tx, cur *secretRecord) error {
		return s.commit(tx, cur, p, slices.Compact(slices.Sorted(slices.Values(stages))))
	})
	if err != nil {
		return nil, err
	}
	return &PutSecretValueResponse{ARN: out.ARN, Name: out.Name, VersionId: versionID, VersionStages: nonNil(out.version(versionID).Stages)}, nil
}

// UpdateSecret changes a secret's description and key, and with a new value
// adds a version labelled AWSCURRENT, as PutSecretValue does.
func (s *Service) UpdateSecret(ctx context.Context, in *UpdateSecretRequest) (*UpdateSecretResponse, error) {
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	value, binary, hasValue, err := newValue(in.SecretString, in.SecretBinary)
	if err != nil {
		return nil, err
	}
	cond := map[string][]string{}
	if in.Description != nil {
		cond["secretsmanager:description"] = []string{*in.Description}
	}
	if in.KmsKeyId != nil {
		cond["secretsmanager:kmskeyid"] = []string{*in.KmsKeyId}
	}
	// A replica's only change of its own is its KMS key (AWS's
	// "A replica secret can't be updated independently from its primary
	// secret, except for its encryption key").
	keyOnly := in.KmsKeyId != nil && !hasValue && in.Description == nil
	sec, err := s.accessOn(ctx, in.SecretId, "UpdateSecret", cond, false, !keyOnly)
	if err != nil {
		return nil, err
	}
	keyID := sec.KmsKeyID
	if in.KmsKeyId != nil {
		keyID = *in.KmsKeyId
		if keyID == defaultKeyAlias {
			keyID = ""
		}
	}
	versionID := in.ClientRequestToken
	if versionID == "" {
		versionID = ids.UUID()
	}
	var p *pendingVersion
	if hasValue {
		if v, err := s.retried(ctx, sec, versionID, value, binary); err != nil {
			return nil, err
		} else if v != nil {
			return &UpdateSecretResponse{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID}, nil
		}
		if p, err = s.prepare(ctx, keyID, sec.ARN, versionID, value, binary); err != nil {
			return nil, err
		}
	}
	// A new key without a new value: as AWS does, the labelled versions
	// (AWSCURRENT, AWSPENDING, AWSPREVIOUS) move to the new key.
	var rekeyed map[string]rekeyedVersion
	if in.KmsKeyId != nil && !hasValue && keyID != sec.KmsKeyID {
		if rekeyed, err = s.rekeyLabelled(ctx, sec, keyID); err != nil {
			return nil, err
		}
	}
	var fresh []*pendingVersion
	if p != nil {
		fresh = append(fresh, p)
	}
	out, err := s.updateAdding(ctx, sec, fresh, func(tx store.Tx, cur *secretRecord) error {
		if in.Description != nil {
			cur.Description = *in.Description
		}
		cur.KmsKeyID = keyID
		cur.Changed = s.clock.Now().UTC()
		if cur.isReplica() {
			if err := s.replicaKeyChanged(tx, cur); err != nil {
				return err
			}
		}
		for id, r := range rekeyed {
			v := cur.version(id)
			if v == nil {
				continue // removed meanwhile
			}
			if err := store.PutJSON(tx, valueKey(cur.Region, cur.Name, id), r.value); err != nil {
				return err
			}
			v.KeyARN, v.DefaultKey = r.keyARN, keyID == ""
		}
		if p != nil {
			return s.commit(tx, cur, p, []string{StageCurrent})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	res := &UpdateSecretResponse{ARN: out.ARN, Name: out.Name}
	if p != nil {
		res.VersionId = versionID
	}
	return res, nil
}

// UpdateSecretVersionStage moves a staging label: onto MoveToVersionId, off
// RemoveFromVersionId. A label on another version must be named in
// RemoveFromVersionId; AWSCURRENT can only be moved, never removed, and
// moving it moves AWSPREVIOUS to the version it left.
func (s *Service) UpdateSecretVersionStage(ctx context.Context, in *UpdateSecretVersionStageRequest) (*UpdateSecretVersionStageResponse, error) {
	cond := map[string][]string{"secretsmanager:versionstage": {in.VersionStage}}
	if in.MoveToVersionId != "" {
		cond["secretsmanager:versionid"] = []string{in.MoveToVersionId}
	}
	sec, err := s.access(ctx, in.SecretId, "UpdateSecretVersionStage", cond, false)
	if err != nil {
		return nil, err
	}
	if in.VersionStage == StageCurrent && in.MoveToVersionId != "" {
		// The validation schema is checked before a version becomes
		// AWSCURRENT: this is how a rotation function finishes.
		if v := sec.version(in.MoveToVersionId); v != nil && !slices.Contains(v.Stages, StageCurrent) {
			if err := s.checkVersion(ctx, sec, v); err != nil {
				return nil, err
			}
		}
	}
	out, err := s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		if err := moveStage(cur, in.VersionStage, in.RemoveFromVersionId, in.MoveToVersionId); err != nil {
			return err
		}
		cur.Changed = s.clock.Now().UTC()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &UpdateSecretVersionStageResponse{ARN: out.ARN, Name: out.Name}, nil
}

// moveStage applies UpdateSecretVersionStage's rules to sec.
func moveStage(sec *secretRecord, label, removeFrom, moveTo string) error {
	if removeFrom == "" && moveTo == "" {
		return errInvalidParameter("You must specify either MoveToVersionId or RemoveFromVersionId.")
	}
	if moveTo != "" && sec.version(moveTo) == nil {
		return errInvalidParameter("Not a valid version: %s", moveTo)
	}
	if removeFrom != "" {
		v := sec.version(removeFrom)
		if v == nil {
			return errInvalidParameter("Not a valid version: %s", removeFrom)
		}
		if !slices.Contains(v.Stages, label) {
			return errInvalidParameter("Version stage %s not found in version %s", label, removeFrom)
		}
	}
	owner := sec.staged(label)
	if owner != nil && owner.ID != moveTo && owner.ID != removeFrom {
		return errInvalidParameter("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", label, owner.ID)
	}
	if moveTo == "" {
		if label == StageCurrent {
			return errInvalidParameter("You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.")
		}
		removeStage(sec.version(removeFrom), label)
		return nil
	}
	sec.attach(label, moveTo)
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string(nil), s...)
}

type rekeyedVersion struct {
	value  *valueRecord
	keyARN string
}

// rekeyLabelled re-encrypts the data keys of sec's labelled versions under
// keyID, outside any store transaction (KMS runs its own).
func (s *Service) rekeyLabelled(ctx context.Context, sec *secretRecord, keyID string) (map[string]rekeyedVersion, error) {
	out := map[string]rekeyedVersion{}
	for _, v := range sec.Versions {
		if len(v.Stages) == 0 {
			continue
		}
		var rec valueRecord
		if err := s.store.View(ctx, func(tx store.Tx) error {
			return store.GetJSON(tx, valueKey(sec.Region, sec.Name, v.ID), &rec)
		}); err != nil {
			return nil, err
		}
		nv, keyARN, err := s.rekey(ctx, keyID, sec.ARN, v.ID, &rec)
		if err != nil {
			return nil, err
		}
		out[v.ID] = rekeyedVersion{nv, keyARN}
	}
	return out, nil
}
