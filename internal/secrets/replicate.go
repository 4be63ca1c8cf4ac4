package secrets

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// Replication to other Regions, as Secrets Manager does it.
//
// A replica is a secret record in another Region with the primary's name
// and its ARN but for the Region (AWS keeps the random suffix), marked with
// the primary's Region (PrimaryRegion). Its versions are the primary's
// versions, each sealed again under a KMS key of the replica's Region (the
// ReplicaRegionType's KmsKeyId, or that Region's alias/aws/secretsmanager)
// with the replica's ARN in its encryption context; its description, tags
// and resource policy are the primary's (AWS replicates them).
//
// Replication is synchronous: every write to a primary seals what its
// replicas lack (the new version; everything, for a new replica) before its
// store transaction, on the caller's behalf in each replica's Region, and
// writes the primary and its replicas in that one transaction, so a replica
// is never half-written and never behind a committed primary unless it is
// marked Failed. sealbox serves every Region from one store, so there is no
// network between them to wait for, and a durable queue would only add a
// window in which a replica answers stale values. A replica whose KMS key
// cannot seal (disabled, missing, denied) does not fail the primary's
// write: its ReplicationStatus becomes Failed with the reason, and the next
// write to the primary tries again, sealing everything it lacks.
//
// A replica is read-only: the writes AWS refuses on it are refused with
// AWS's InvalidParameterException. StopReplicationToReplica, called in the
// replica's Region, makes it a standalone secret.

// Replication statuses (StatusType) and AWS's messages.
const (
	statusInSync = "InSync"
	statusFailed = "Failed"
	msgInSync    = "Replication succeeded"
)

// replicaState is a primary's record of one of its replicas.
type replicaState struct {
	Region   string `json:"region"`
	KmsKeyID string `json:"kmsKeyId,omitempty"` // as the caller named it; "" is alias/aws/secretsmanager
	Status   string `json:"status"`
	Message  string `json:"message,omitempty"`
}

// validRegion is RegionType's pattern.
var validRegion = regexp.MustCompile(`^([a-z]+-)+\d+$`)

// refusedOnReplica are the operations AWS refuses on a replica: every
// write but StopReplicationToReplica.
var refusedOnReplica = map[string]bool{
	"PutSecretValue": true, "UpdateSecret": true, "UpdateSecretVersionStage": true, "DeleteSecret": true,
	"RestoreSecret": true, "RotateSecret": true, "CancelRotateSecret": true, "TagResource": true,
	"UntagResource": true, "PutResourcePolicy": true, "DeleteResourcePolicy": true,
	"ReplicateSecretToRegions": true, "RemoveRegionsFromReplication": true,
}

// errOnReplica is AWS's answer to a write on a replica.
func errOnReplica() error {
	return errInvalidParameter("Operation not permitted on a replica secret. Call must be made in primary secret's region.")
}

func (s *secretRecord) isReplica() bool { return s.PrimaryRegion != "" }

func (s *secretRecord) replica(region string) *replicaState {
	for i := range s.Replicas {
		if s.Replicas[i].Region == region {
			return &s.Replicas[i]
		}
	}
	return nil
}

// replicationStatus is ReplicationStatus as AWS answers it.
func (s *secretRecord) replicationStatus() []ReplicationStatusType {
	out := make([]ReplicationStatusType, 0, len(s.Replicas))
	for _, r := range s.Replicas {
		key := r.KmsKeyID
		if key == "" {
			key = defaultKeyAlias
		}
		out = append(out, ReplicationStatusType{Region: r.Region, KmsKeyId: key, Status: r.Status, StatusMessage: r.Message})
	}
	return out
}

// primaryRegion is the PrimaryRegion AWS answers for s: the primary's
// Region for a replica, its own Region otherwise.
func (s *secretRecord) primaryRegion() string {
	if s.isReplica() {
		return s.PrimaryRegion
	}
	return s.Region
}

// replicaARN is the ARN of the replica in region of the secret arn in from.
func replicaARN(arn, from, to string) string {
	return strings.Replace(arn, ":secretsmanager:"+from+":", ":secretsmanager:"+to+":", 1)
}

// inRegion returns a context whose Request is the caller's in region: the
// KMS calls made with it reach region's keys, on the caller's behalf.
func inRegion(ctx context.Context, region string) context.Context {
	r := *sealbox.MustRequest(ctx)
	r.Region, r.Resources, r.AuditParameters = region, nil, nil
	return sealbox.NewContext(ctx, &r)
}

// isReplicaOf reports whether rep is the replica of the primary prim.
func isReplicaOf(rep, prim *secretRecord, region string) bool {
	return rep.PrimaryRegion == prim.Region && rep.ARN == replicaARN(prim.ARN, prim.Region, region)
}

// checkReplicaRegions refuses AddReplicaRegions that AWS refuses.
func checkReplicaRegions(primary string, regions []ReplicaRegionType) error {
	seen := map[string]bool{}
	for _, r := range regions {
		if !validRegion.MatchString(r.Region) || len(r.Region) > 128 {
			return errInvalidParameter("Invalid replica region.")
		}
		if r.Region == primary || seen[r.Region] {
			return errInvalidParameter("Invalid replica region.")
		}
		seen[r.Region] = true
	}
	return nil
}

// replicaPlan is what one replica lacks, sealed for it before the write's
// transaction; a plan that failed carries the reason in state.
type replicaPlan struct {
	state     replicaState
	sealed    map[string]*pendingVersion // by version id
	overwrite bool                       // ForceOverwriteReplicaSecret
}

func (p *replicaPlan) fail(msg string) *replicaPlan {
	p.state.Status, p.state.Message = statusFailed, msg
	return p
}

// replicationFailure words why a replica could not be sealed: the KMS
// refusal's own words, never a value.
func replicationFailure(err error) string {
	if e, ok := sealbox.AsError(err); ok && !e.Server {
		return "Replication failed: " + e.Message
	}
	return "Replication failed: An error occurred on the server side."
}

// plan seals, for the replica st of prim, every version of prim (and of
// fresh, the versions the write adds) that the replica lacks. It runs
// outside any store transaction: KMS runs its own.
func (s *Service) plan(ctx context.Context, prim *secretRecord, st replicaState, fresh []*pendingVersion, overwrite bool) *replicaPlan {
	st.Status, st.Message = "InProgress", ""
	p := &replicaPlan{state: st, sealed: map[string]*pendingVersion{}, overwrite: overwrite}
	arn := replicaARN(prim.ARN, prim.Region, st.Region)
	var have *secretRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		have, err = recordcache.Get[secretRecord](tx, secretKey(st.Region, prim.Name))
		return err
	})
	switch {
	case isNotFound(err):
		have = nil
	case err != nil:
		return p.fail(replicationFailure(err))
	case !isReplicaOf(have, prim, st.Region):
		if msg := overwriteRefused(have, overwrite); msg != "" {
			return p.fail(msg)
		}
		have = nil
	}
	var rctx context.Context
	versions := slices.Clone(prim.Versions)
	for _, f := range fresh {
		versions = append(versions, f.meta)
	}
	for _, v := range versions {
		if have != nil && have.version(v.ID) != nil || p.sealed[v.ID] != nil {
			continue
		}
		if rctx == nil {
			if sealbox.RequestFromContext(ctx) == nil {
				// Only a call seals, on its caller's behalf.
				return p.fail(replicationFailure(errors.New("replication outside a call")))
			}
			rctx = inRegion(ctx, st.Region)
		}
		var plain []byte
		opened := false
		if i := slices.IndexFunc(fresh, func(f *pendingVersion) bool { return f.meta.ID == v.ID }); i >= 0 {
			plain = fresh[i].plain
		} else {
			var rec *valueRecord
			err := s.view(ctx, func(tx store.Tx) (err error) {
				rec, err = recordcache.Get[valueRecord](tx, valueKey(prim.Region, prim.Name, v.ID))
				return err
			})
			if err == nil {
				plain, err = s.open(ctx, prim.ARN, v.ID, rec)
			}
			if err != nil {
				return p.fail(replicationFailure(err))
			}
			opened = true
		}
		sealed, keyARN, err := s.seal(rctx, st.KmsKeyID, arn, v.ID, plain)
		if opened {
			clear(plain) // a value opened here; a fresh one is the caller's
		}
		if err != nil {
			return p.fail(replicationFailure(unwrapKMS(err)))
		}
		p.sealed[v.ID] = &pendingVersion{meta: versionMeta{KeyARN: keyARN, DefaultKey: st.KmsKeyID == ""}, value: sealed}
	}
	return p
}

// unwrapKMS undoes kmsError's EncryptionFailure wording for a replica's
// status message, which names the cause only.
func unwrapKMS(err error) error {
	e, ok := sealbox.AsError(err)
	if !ok || e.Code != "EncryptionFailure" {
		return err
	}
	if i := strings.LastIndex(e.Message, " ("); i >= 0 && strings.HasSuffix(e.Message, ")") {
		return sealbox.Errorf(e.Code, "%s", e.Message[i+2:len(e.Message)-1])
	}
	return err
}

// plans seals what each replica of the secret seen lacks, for the write
// about to add fresh. It reads the secret afresh: seen may not know its
// replicas.
func (s *Service) plans(ctx context.Context, seen *secretRecord, fresh []*pendingVersion) map[string]*replicaPlan {
	cur := seen
	if len(seen.Replicas) == 0 {
		err := s.view(ctx, func(tx store.Tx) (err error) {
			cur, err = recordcache.Get[secretRecord](tx, secretKey(seen.Region, seen.Name))
			return err
		})
		if err != nil || cur.ARN != seen.ARN {
			return nil // the write's transaction answers for it
		}
	}
	if len(cur.Replicas) == 0 {
		return nil
	}
	out := make(map[string]*replicaPlan, len(cur.Replicas))
	for _, st := range cur.Replicas {
		out[st.Region] = s.plan(ctx, cur, st, fresh, false)
	}
	return out
}

// applyReplicas writes the replicas of prim, as prim now is, in tx, with
// what plans sealed for them, and records each one's status in prim.
func (s *Service) applyReplicas(tx store.Tx, prim *secretRecord, plans map[string]*replicaPlan) error {
	for i := range prim.Replicas {
		st := &prim.Replicas[i]
		p := plans[st.Region]
		if p == nil {
			continue // added or changed by a concurrent call, which wrote it
		}
		res, err := s.applyReplica(tx, prim, p)
		if err != nil {
			return err
		}
		st.Status, st.Message = res.Status, res.Message
	}
	return nil
}

// applyReplica writes the replica p plans for, or nothing when p failed
// or the replica lacks a version p did not seal (the primary changed since
// p was made: the next write to it replicates it again).
func (s *Service) applyReplica(tx store.Tx, prim *secretRecord, p *replicaPlan) (replicaState, error) {
	st := p.state
	if st.Status == statusFailed {
		return st, nil
	}
	region := st.Region
	var have secretRecord
	var old *secretRecord
	err := store.GetJSON(tx, secretKey(region, prim.Name), &have)
	switch {
	case isNotFound(err):
	case err != nil:
		return st, err
	case isReplicaOf(&have, prim, region):
		old = &have
	default:
		if msg := overwriteRefused(&have, p.overwrite); msg != "" {
			return p.fail(msg).state, nil
		}
	}
	now := s.clock.Now().UTC()
	rep := &secretRecord{Name: prim.Name, ARN: replicaARN(prim.ARN, prim.Region, region), Region: region,
		Partition: prim.Partition, Account: prim.Account, Description: prim.Description, KmsKeyID: st.KmsKeyID,
		Type: prim.Type, Created: now, Changed: prim.Changed, Tags: slices.Clone(prim.Tags), Policy: prim.Policy, PolicyPinned: prim.PolicyPinned,
		PrimaryRegion: prim.Region}
	if old != nil {
		rep.Created, rep.Accessed = old.Created, old.Accessed
	}
	for _, v := range prim.Versions {
		nv := v
		nv.Stages, nv.Accessed = slices.Clone(v.Stages), old.versionAccessed(v.ID)
		if sp := p.sealed[v.ID]; sp != nil {
			nv.KeyARN, nv.DefaultKey = sp.meta.KeyARN, sp.meta.DefaultKey
		} else if ov := old.versionOrNil(v.ID); ov != nil {
			nv.KeyARN, nv.DefaultKey = ov.KeyARN, ov.DefaultKey
		} else {
			return p.fail("Replication failed: The primary secret changed while it was replicated. The next change to it replicates it again.").state, nil
		}
		rep.Versions = append(rep.Versions, nv)
	}
	if old == nil && err == nil {
		// ForceOverwriteReplicaSecret: the secret of that name goes.
		if err := removeSecret(tx, &have); err != nil {
			return st, err
		}
	}
	for _, v := range rep.Versions {
		if sp := p.sealed[v.ID]; sp != nil {
			if err := store.PutJSON(tx, valueKey(region, rep.Name, v.ID), sp.value); err != nil {
				return st, err
			}
		}
	}
	if old != nil {
		for _, v := range old.Versions {
			if rep.version(v.ID) == nil {
				if err := tx.Delete(valueKey(region, rep.Name, v.ID)); err != nil {
					return st, err
				}
			}
		}
	}
	if err := save(tx, rep); err != nil {
		return st, err
	}
	st.Status, st.Message = statusInSync, msgInSync
	return st, nil
}

// overwriteRefused is why the secret have, of a primary's name in the
// Region of a replica being made, stays: any secret, unless
// ForceOverwriteReplicaSecret; with it, a secret that is itself part of
// a replication. ForceOverwriteReplicaSecret "specifies whether to
// overwrite a secret with the same name in the destination Region"; a
// replica of another primary, or a primary with replicas of its own, is
// not overwritten, as that would leave the other primary listing a replica
// that is gone, or replicas whose primary is gone. "" means it goes.
func overwriteRefused(have *secretRecord, overwrite bool) string {
	switch {
	case !overwrite:
		return fmt.Sprintf("Replication failed: Secret name %s already exists in region %s.", have.Name, have.Region)
	case have.isReplica():
		return fmt.Sprintf("Replication failed: Secret name %s already exists in region %s as a replica of a secret in region %s.", have.Name, have.Region, have.PrimaryRegion)
	case len(have.Replicas) > 0:
		regions := make([]string, len(have.Replicas))
		for i, r := range have.Replicas {
			regions[i] = r.Region
		}
		return fmt.Sprintf("Replication failed: Secret name %s already exists in region %s as a primary secret with replica regions [%s].", have.Name, have.Region, strings.Join(regions, ", "))
	}
	return ""
}

// versionOrNil is s.version(id), nil for a nil s.
func (s *secretRecord) versionOrNil(id string) *versionMeta {
	if s == nil {
		return nil
	}
	return s.version(id)
}

// versionAccessed is when the replica s last had version id read.
func (s *secretRecord) versionAccessed(id string) (t time.Time) {
	if v := s.versionOrNil(id); v != nil {
		return v.Accessed
	}
	return t
}

// replicaConditions are the condition keys of a call adding replicas.
func replicaConditions(cond map[string][]string, regions []ReplicaRegionType, force bool) {
	names := make([]string, 0, len(regions))
	for _, r := range regions {
		names = append(names, r.Region)
	}
	cond["secretsmanager:addreplicaregions"] = names
	cond["secretsmanager:forceoverwritereplicasecret"] = []string{fmt.Sprint(force)}
}

// newReplicaState is the state of a replica being added.
func newReplicaState(r ReplicaRegionType) replicaState {
	key := r.KmsKeyId
	if key == defaultKeyAlias {
		key = ""
	}
	return replicaState{Region: r.Region, KmsKeyID: key, Status: "InProgress"}
}

// ReplicateSecretToRegions replicates a primary secret to more Regions.
// A Region it is already replicated to is left as it is, unless its
// replication failed: then it is tried again. A Region holding another
// secret of the same name fails, unless ForceOverwriteReplicaSecret.
func (s *Service) ReplicateSecretToRegions(ctx context.Context, in *ReplicateSecretToRegionsRequest) (*ReplicateSecretToRegionsResponse, error) {
	cond := map[string][]string{}
	replicaConditions(cond, in.AddReplicaRegions, in.ForceOverwriteReplicaSecret)
	sec, err := s.access(ctx, in.SecretId, "ReplicateSecretToRegions", cond, false)
	if err != nil {
		return nil, err
	}
	if len(in.AddReplicaRegions) == 0 {
		return nil, errInvalidParameter("You must specify at least one replica Region.")
	}
	if err := checkReplicaRegions(sec.Region, in.AddReplicaRegions); err != nil {
		return nil, err
	}
	plans := map[string]*replicaPlan{}
	for _, r := range in.AddReplicaRegions {
		if st := sec.replica(r.Region); st != nil && st.Status == statusInSync {
			continue
		}
		plans[r.Region] = s.plan(ctx, sec, newReplicaState(r), nil, in.ForceOverwriteReplicaSecret)
	}
	out, err := s.change(ctx, sec, false, false, nil, func(tx store.Tx, cur *secretRecord) error {
		for _, r := range in.AddReplicaRegions {
			p := plans[r.Region]
			if p == nil {
				continue
			}
			if st := cur.replica(r.Region); st != nil {
				*st = p.state
			} else {
				cur.Replicas = append(cur.Replicas, p.state)
			}
		}
		return s.applyReplicas(tx, cur, plans)
	})
	if err != nil {
		return nil, err
	}
	return &ReplicateSecretToRegionsResponse{ARN: out.ARN, ReplicationStatus: out.replicationStatus()}, nil
}

// RemoveRegionsFromReplication deletes a primary secret's replicas in the
// Regions named; a Region it is not replicated to is no error.
func (s *Service) RemoveRegionsFromReplication(ctx context.Context, in *RemoveRegionsFromReplicationRequest) (*RemoveRegionsFromReplicationResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "RemoveRegionsFromReplication", nil, false)
	if err != nil {
		return nil, err
	}
	if len(in.RemoveReplicaRegions) == 0 {
		return nil, errInvalidParameter("You must specify at least one replica Region.")
	}
	for _, r := range in.RemoveReplicaRegions {
		if !validRegion.MatchString(r) || len(r) > 128 {
			return nil, errInvalidParameter("Invalid replica region.")
		}
	}
	out, err := s.change(ctx, sec, false, false, nil, func(tx store.Tx, cur *secretRecord) error {
		for _, region := range in.RemoveReplicaRegions {
			if cur.replica(region) == nil {
				continue
			}
			cur.Replicas = slices.DeleteFunc(cur.Replicas, func(st replicaState) bool { return st.Region == region })
			var rep secretRecord
			err := store.GetJSON(tx, secretKey(region, cur.Name), &rep)
			if isNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if isReplicaOf(&rep, cur, region) {
				if err := removeSecret(tx, &rep); err != nil {
					return err
				}
			}
		}
		if len(cur.Replicas) == 0 {
			cur.Replicas = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RemoveRegionsFromReplicationResponse{ARN: out.ARN, ReplicationStatus: out.replicationStatus()}, nil
}

// StopReplicationToReplica, called in a replica's Region, makes the replica
// a standalone secret: its primary forgets it, and it takes writes.
func (s *Service) StopReplicationToReplica(ctx context.Context, in *StopReplicationToReplicaRequest) (*StopReplicationToReplicaResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "StopReplicationToReplica", nil, false)
	if err != nil {
		return nil, err
	}
	if !sec.isReplica() {
		return nil, errInvalidRequest("Operation not permitted on a primary secret. Call must be made on a replica secret.")
	}
	out, err := s.change(ctx, sec, false, false, nil, func(tx store.Tx, cur *secretRecord) error {
		if !cur.isReplica() {
			return nil // promoted meanwhile
		}
		from := cur.PrimaryRegion
		cur.PrimaryRegion = ""
		var prim secretRecord
		err := store.GetJSON(tx, secretKey(from, cur.Name), &prim)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if prim.ARN != replicaARN(cur.ARN, cur.Region, from) || prim.replica(cur.Region) == nil {
			return nil
		}
		prim.Replicas = slices.DeleteFunc(prim.Replicas, func(st replicaState) bool { return st.Region == cur.Region })
		if len(prim.Replicas) == 0 {
			prim.Replicas = nil
		}
		prim.Changed = s.clock.Now().UTC()
		return save(tx, &prim)
	})
	if err != nil {
		return nil, err
	}
	return &StopReplicationToReplicaResponse{ARN: out.ARN}, nil
}

// replicaKeyChanged records in the primary of the replica rep, in tx, the
// replica's new KMS key, under which the primary's next versions are
// sealed for it.
func (s *Service) replicaKeyChanged(tx store.Tx, rep *secretRecord) error {
	var prim secretRecord
	err := store.GetJSON(tx, secretKey(rep.PrimaryRegion, rep.Name), &prim)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	st := prim.replica(rep.Region)
	if st == nil || prim.ARN != replicaARN(rep.ARN, rep.Region, rep.PrimaryRegion) {
		return nil
	}
	st.KmsKeyID = rep.KmsKeyID
	return save(tx, &prim)
}

// replicationStatusRead is sec's ReplicationStatus with each replica's
// LastAccessedDate, read from the replica.
func (s *Service) replicationStatusRead(ctx context.Context, sec *secretRecord) []ReplicationStatusType {
	out := sec.replicationStatus()
	s.view(ctx, func(tx store.Tx) error {
		for i := range out {
			rep, err := recordcache.Get[secretRecord](tx, secretKey(out[i].Region, sec.Name))
			if err == nil && isReplicaOf(rep, sec, out[i].Region) {
				out[i].LastAccessedDate = sealbox.At(rep.Accessed)
			}
		}
		return nil
	})
	return out
}

// rotationShown is the secret whose rotation settings sec reports: for a
// replica, its primary's. AWS rotates a replicated secret in the primary's
// Region only and the new value reaches the replicas ("If you turn on
// rotation for your primary secret, Secrets Manager rotates the secret in
// the primary Region, and the new secret value propagates to all of the
// associated replica secrets", user guide, replicate-secrets); a replica
// has "the same secret value and metadata as the primary" and turning on
// rotation for it takes promoting it (standalone-secret). The replica
// record keeps no rotation state of its own, so that nothing schedules a
// rotation of it; a replica whose primary is gone shows none.
func (s *Service) rotationShown(ctx context.Context, sec *secretRecord) *secretRecord {
	if !sec.isReplica() {
		return sec
	}
	var prim *secretRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		prim, err = recordcache.Get[secretRecord](tx, secretKey(sec.PrimaryRegion, sec.Name))
		return err
	})
	if err != nil || !isReplicaOf(sec, prim, sec.Region) || prim.replica(sec.Region) == nil {
		return sec
	}
	return prim
}
