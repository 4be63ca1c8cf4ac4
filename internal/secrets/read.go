package secrets

import (
	"context"
	"encoding/base64"
	"slices"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// pick chooses the version a read names: VersionId, VersionStage, both
// (they must agree) or neither (AWSCURRENT).
func pick(sec *secretRecord, versionID, stage string) (*versionMeta, error) {
	if versionID != "" {
		v := sec.version(versionID)
		if v == nil {
			return nil, sealbox.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for VersionId: %s", versionID)
		}
		if stage != "" && !slices.Contains(v.Stages, stage) {
			return nil, errInvalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return v, nil
	}
	if stage == "" {
		stage = StageCurrent
	}
	v := sec.staged(stage)
	if v == nil {
		return nil, sealbox.Errorf("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: %s", stage)
	}
	return v, nil
}

// value opens version v of sec: its value record through the cache, its
// data key through KMS on the caller's behalf.
func (s *Service) value(ctx context.Context, sec *secretRecord, v *versionMeta) (*GetSecretValueResponse, error) {
	key, known := hotValueKey(sec.Region, sec.Name, v.ID)
	rec, err := s.valueRecord(ctx, key)
	if err == nil && !known && sec.shared != nil {
		storeKeys.Put(recordName{true, sec.Region, sec.Name, v.ID}, key)
	}
	if err != nil {
		return nil, err
	}
	pt, err := s.openIn(ctx, sec, v.ID, rec)
	if err != nil {
		return nil, err
	}
	// The answer, its string and its date in one allocation: a batch
	// read makes one for each secret.
	a := new(struct {
		out     GetSecretValueResponse
		str     string
		created sealbox.Timestamp
	})
	out := &a.out
	*out = GetSecretValueResponse{ARN: sec.ARN, Name: sec.Name, VersionId: v.ID, VersionStages: nonNil(v.Stages)}
	if !v.Created.IsZero() {
		a.created = sealbox.Timestamp{Time: v.Created}
		out.CreatedDate = &a.created
	}
	if v.Binary {
		out.SecretBinary = pt
	} else {
		a.str = string(pt)
		clear(pt)
		out.SecretString = &a.str
	}
	s.touch(ctx, sec, v)
	return out, nil
}

// valueRecord is s.cache.Read of the value record at key, the cache's hot
// transaction first without a closure.
func (s *Service) valueRecord(ctx context.Context, key string) (*valueRecord, error) {
	if tx := s.cache.Hot(); tx != nil {
		rec, err := recordcache.Get[valueRecord](tx, key)
		if recordcache.Done(tx) {
			return rec, err
		}
	}
	var rec *valueRecord
	err := s.cache.View(ctx, s.store, func(tx store.Tx) (err error) {
		rec, err = recordcache.Get[valueRecord](tx, key)
		return err
	})
	return rec, err
}

// touch records that version v of sec was read today (LastAccessedDate,
// which AWS keeps to the day): at most one write per secret and day. A
// failure to record it does not fail the read.
func (s *Service) touch(ctx context.Context, sec *secretRecord, v *versionMeta) {
	today := s.clock.Now().UTC().Truncate(24 * time.Hour)
	if !sec.Accessed.Before(today) && !v.Accessed.Before(today) {
		return
	}
	s.change(store.Bookkeeping(ctx), sec, false, false, nil, func(_ store.Tx, cur *secretRecord) error {
		cur.Accessed = today
		if cv := cur.version(v.ID); cv != nil {
			cv.Accessed = today
		}
		return nil
	})
}

func versionConditions(versionID, stage string) map[string][]string {
	cond := map[string][]string{}
	if versionID != "" {
		cond["secretsmanager:versionid"] = []string{versionID}
	}
	if stage != "" {
		cond["secretsmanager:versionstage"] = []string{stage}
	}
	return cond
}

// GetSecretValue answers a version's value: AWSCURRENT unless VersionId or
// VersionStage names another. SecretId is a name, a full ARN or a partial
// ARN.
func (s *Service) GetSecretValue(ctx context.Context, in *GetSecretValueRequest) (*GetSecretValueResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "GetSecretValue", versionConditions(in.VersionId, in.VersionStage), false)
	if err != nil {
		return nil, err
	}
	v, err := pick(sec, in.VersionId, in.VersionStage)
	if err != nil {
		return nil, err
	}
	return s.value(ctx, sec, v)
}

// BatchGetSecretValue answers the AWSCURRENT values of up to 20 secrets,
// named in SecretIdList or chosen by Filters. A secret that cannot be read
// is listed in Errors with the error GetSecretValue would answer; the call
// itself fails only for bad parameters or a denied
// secretsmanager:BatchGetSecretValue (or ListSecrets, with Filters).
func (s *Service) BatchGetSecretValue(ctx context.Context, in *BatchGetSecretValueRequest) (*BatchGetSecretValueResponse, error) {
	if (len(in.SecretIdList) > 0) == (len(in.Filters) > 0) {
		return nil, errInvalidParameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
	}
	if in.MaxResults != 0 && len(in.Filters) == 0 {
		return nil, errInvalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.")
	}
	if err := s.authorize(ctx, "BatchGetSecretValue", "*", nil, nil); err != nil {
		return nil, err
	}
	out := &BatchGetSecretValueResponse{SecretValues: make([]SecretValueEntry, 0, len(in.SecretIdList)), Errors: []APIErrorType{}}
	entry := func(v *GetSecretValueResponse) SecretValueEntry {
		return SecretValueEntry{ARN: v.ARN, Name: v.Name, VersionId: v.VersionId, SecretBinary: v.SecretBinary,
			SecretString: v.SecretString, VersionStages: v.VersionStages, CreatedDate: v.CreatedDate}
	}
	// get reads one secret as GetSecretValue would, and records it as
	// its own GetSecretValue event.
	get := func(id string) error {
		v, err := s.GetSecretValue(ctx, &GetSecretValueRequest{SecretId: id})
		e, ok := sealbox.AsError(err)
		if err != nil && (!ok || e.Server) {
			return err
		}
		if err := s.recordRead(ctx, id, v, e); err != nil {
			return err
		}
		if err != nil {
			out.Errors = append(out.Errors, APIErrorType{SecretId: id, ErrorCode: e.Code, Message: e.Message})
			return nil
		}
		out.SecretValues = append(out.SecretValues, entry(v))
		return nil
	}
	if len(in.SecretIdList) > 0 {
		for _, id := range in.SecretIdList {
			if err := get(id); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	if err := s.authorize(ctx, "ListSecrets", "*", nil, nil); err != nil {
		return nil, err
	}
	limit := int(in.MaxResults)
	if limit == 0 {
		limit = 20
	}
	page, next, err := s.list(ctx, in.Filters, false, "", "", limit, in.NextToken)
	if err != nil {
		return nil, err
	}
	for _, sec := range page {
		if err := get(sec.ARN); err != nil {
			return nil, err
		}
	}
	out.NextToken = next
	return out, nil
}

// recordRead records a batch's read of secret id as the GetSecretValue
// event AWS writes for it: the secret it resolved to, or the error.
func (s *Service) recordRead(ctx context.Context, id string, v *GetSecretValueResponse, failure *sealbox.Error) error {
	if s.recorder == nil {
		return nil
	}
	// The record, its one resource and its one parameter in one
	// allocation: the parameter a list, not a map, its string boxed by
	// pointer.
	one := &struct {
		sealbox.Record
		secret   [1]sealbox.Resource
		param    [1]sealbox.AuditParameter
		secretID string
	}{Record: sealbox.Record{EventSource: "secretsmanager.amazonaws.com", EventName: "GetSecretValue", ReadOnly: true},
		secretID: id}
	one.param[0] = sealbox.AuditParameter{Name: "secretId", Value: &one.secretID}
	one.Params = one.param[:]
	r := &one.Record
	if failure != nil {
		r.ErrorCode, r.ErrorMessage = failure.Code, failure.Message
	} else {
		a, _ := sealbox.ParseARN(v.ARN)
		one.secret[0] = sealbox.Resource{AccountID: a.AccountID, Type: "AWS::SecretsManager::Secret", ARN: v.ARN}
		r.Resources = one.secret[:]
	}
	return s.recorder.Record(ctx, r)
}

// DescribeSecret answers a secret's metadata, also while it is scheduled
// for deletion. KmsKeyId is left out for the AWS-managed key, as AWS does.
func (s *Service) DescribeSecret(ctx context.Context, in *DescribeSecretRequest) (*DescribeSecretResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "DescribeSecret", nil, true)
	if err != nil {
		return nil, err
	}
	out := &DescribeSecretResponse{ARN: sec.ARN, Name: sec.Name, Description: sec.Description, KmsKeyId: sec.KmsKeyID,
		LastChangedDate: sealbox.At(sec.Changed), LastAccessedDate: sealbox.At(sec.Accessed), DeletedDate: sealbox.At(sec.Deletion),
		Tags: sec.Tags, VersionIdsToStages: sec.stagesMap(), CreatedDate: sealbox.At(sec.Created), Type: sec.Type}
	out.RotationEnabled, out.RotationLambdaARN, out.RotationRules, out.LastRotatedDate, out.NextRotationDate = s.rotationShown(ctx, sec).rotationFields()
	out.PrimaryRegion = sec.primaryRegion()
	if len(sec.Replicas) > 0 {
		out.ReplicationStatus = s.replicationStatusRead(ctx, sec)
	}
	return out, nil
}

// ListSecretVersionIds lists a secret's versions, newest first; versions
// without a staging label ("deprecated") only with IncludeDeprecated.
// NextToken is the last version id returned.
func (s *Service) ListSecretVersionIds(ctx context.Context, in *ListSecretVersionIdsRequest) (*ListSecretVersionIdsResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "ListSecretVersionIds", nil, false)
	if err != nil {
		return nil, err
	}
	limit := int(in.MaxResults)
	if limit == 0 {
		limit = 100
	}
	var all []SecretVersionsListEntry
	for i := len(sec.Versions) - 1; i >= 0; i-- {
		v := sec.Versions[i]
		if len(v.Stages) == 0 && !in.IncludeDeprecated {
			continue
		}
		key := v.KeyARN
		if v.DefaultKey {
			key = "DefaultEncryptionKey"
		}
		all = append(all, SecretVersionsListEntry{VersionId: v.ID, VersionStages: append([]string(nil), v.Stages...),
			LastAccessedDate: sealbox.At(v.Accessed), CreatedDate: sealbox.At(v.Created), KmsKeyIds: []string{key}})
	}
	start := 0
	if in.NextToken != "" {
		raw, err := base64.RawURLEncoding.DecodeString(in.NextToken)
		if err != nil {
			return nil, errInvalidToken()
		}
		start = -1
		for i, e := range all {
			if e.VersionId == string(raw) {
				start = i + 1
			}
		}
		if start < 0 {
			return nil, errInvalidToken()
		}
	}
	out := &ListSecretVersionIdsResponse{ARN: sec.ARN, Name: sec.Name, Versions: []SecretVersionsListEntry{}}
	end := min(start+limit, len(all))
	out.Versions = append(out.Versions, all[start:end]...)
	if end < len(all) {
		out.NextToken = base64.RawURLEncoding.EncodeToString([]byte(all[end-1].VersionId))
	}
	return out, nil
}
