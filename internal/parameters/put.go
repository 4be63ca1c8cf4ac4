package parameters

import (
	"context"
	"regexp"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/store"
)

var amiID = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// PutParameter creates a parameter, or with Overwrite adds a version to it.
// Type is required on create; on overwrite every omitted attribute keeps its
// value, and policies are kept until new ones (or "[]") are sent. A
// SecureString's value is encrypted by KMS, once, on the caller's behalf.
func (s *Service) PutParameter(ctx context.Context, in *PutParameterRequest) (*PutParameterResult, error) {
	r := sealbox.MustRequest(ctx)
	name, err := cleanName(in.Name)
	if err != nil {
		return nil, err
	}
	if err := checkNewName(r, name); err != nil {
		return nil, err
	}
	value := ""
	if in.Value != nil {
		value = *in.Value
	}
	if value == "" {
		return nil, errValidation("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.")
	}
	if in.Overwrite && len(in.Tags) > 0 {
		return nil, errValidation("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	if in.Type != "" && in.KeyId != "" && in.Type != typeSecureString {
		return nil, errValidation("KeyId is required for SecureString type parameter only.")
	}
	switch in.DataType {
	case "", dataTypeText, dataTypeImage:
	default:
		return nil, errValidation("The following data type is not supported: %s (Data type names are all lowercase.)", in.DataType)
	}
	now := s.clock.Now().UTC()
	var policies []policy
	if in.Policies != nil {
		if policies, err = parsePolicies(*in.Policies, now); err != nil {
			return nil, err
		}
	}
	arn := requestARN(r, name)
	cond := map[string][]string{"ssm:overwrite": {boolString(in.Overwrite)}}
	if in.Policies != nil {
		cond["ssm:policies"] = []string{*in.Policies}
	}
	for k, v := range requestTagConditions(tags) {
		cond[k] = v
	}
	r.AddResource(resourceType, arn)

	// The value is encrypted outside the store's transaction (KMS runs its
	// own); the write then commits only if the parameter did not change
	// meanwhile, or the whole put starts again.
	for attempt := 0; attempt < 5; attempt++ {
		var cur *paramRecord
		err := s.view(ctx, func(tx store.Tx) (err error) {
			cur, err = s.load(tx, r.Region, name)
			if isNotFound(err) {
				cur, err = nil, nil
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		if err := s.authorize(ctx, "ssm:PutParameter", arn, cur, cond); err != nil {
			return nil, err
		}
		if len(tags) > 0 {
			if err := s.authorize(ctx, "ssm:AddTagsToResource", arn, cur, requestTagConditions(tags)); err != nil {
				return nil, err
			}
		}
		if cur != nil && !in.Overwrite {
			return nil, sealbox.Errorf("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		next, err := s.nextVersion(in, cur, value, policies)
		if err != nil {
			return nil, err
		}
		if next.Type == typeSecureString {
			if err := s.encrypt(ctx, next, arn, value); err != nil {
				return nil, err
			}
		} else {
			next.Value = value
		}
		// Batch: concurrent puts share one durable commit (and its fsync);
		// the closure has no effect outside the transaction, so it may rerun.
		conflict := false
		err = s.store.Batch(ctx, func(tx store.Tx) error {
			conflict = false
			latest, err := loadForUpdate(tx, r.Region, name)
			if isNotFound(err) {
				latest, err = nil, nil
			}
			if err != nil {
				return err
			}
			if (latest == nil) != (cur == nil) || latest != nil && latest.Version != cur.Version {
				conflict = true
				return nil
			}
			return s.write(tx, r, name, latest, next, tags)
		})
		if err != nil {
			return nil, err
		}
		if !conflict {
			return &PutParameterResult{Version: next.Version, Tier: next.Tier}, nil
		}
	}
	return nil, sealbox.Errorf("TooManyUpdates", "There are concurrent updates for a resource that supports one update at a time.")
}

// nextVersion builds the version PutParameter writes over cur (nil for a
// new parameter) and checks it against AWS's rules.
func (s *Service) nextVersion(in *PutParameterRequest, cur *paramRecord, value string, policies []policy) (*version, error) {
	v := &version{Version: 1, Type: in.Type, KeyID: in.KeyId, DataType: in.DataType}
	if cur != nil {
		if err := checkVersionLimit(cur); err != nil {
			return nil, err
		}
		v.Version = cur.Version + 1
		if v.Type == "" {
			v.Type = cur.Type
		}
		if v.Type != cur.Type {
			return nil, sealbox.Errorf("HierarchyTypeMismatchException", "Parameter Store doesn't support changing a parameter type in a hierarchy. For example, you can't change a parameter from a String type to a SecureString type. You must create a new, unique parameter.")
		}
		if v.DataType == "" {
			v.DataType = cur.DataType
		}
		v.Description, v.AllowedPattern = cur.Description, cur.AllowedPattern
		if v.Type == typeSecureString && v.KeyID == "" && cur.Type == typeSecureString {
			v.KeyID = cur.KeyID
		}
		v.Policies = carryPolicies(cur.Policies)
	}
	if v.Type == "" {
		return nil, errValidation("A parameter type is required when you create a parameter.")
	}
	if v.DataType == "" {
		v.DataType = dataTypeText
	}
	if v.Type == typeSecureString && v.KeyID == "" {
		v.KeyID = defaultKeyAlias
	}
	if v.Type != typeSecureString && in.KeyId != "" {
		return nil, errValidation("KeyId is required for SecureString type parameter only.")
	}
	if in.Description != nil {
		v.Description = *in.Description
	}
	if in.AllowedPattern != nil {
		v.AllowedPattern = *in.AllowedPattern
	}
	if in.Policies != nil {
		v.Policies = policies
	}
	if v.DataType == dataTypeImage {
		if v.Type != typeString {
			return nil, errValidation("Data type aws:ec2:image is supported only for String parameters.")
		}
		if !amiID.MatchString(value) {
			return nil, errValidation("The parameter value isn't a valid AMI ID: the aws:ec2:image data type needs the form ami-12345abcdeEXAMPLE.")
		}
	}
	if v.AllowedPattern != "" {
		re, err := regexp.Compile("^(?:" + v.AllowedPattern + ")$")
		if err != nil {
			return nil, sealbox.Errorf("InvalidAllowedPatternException", "The request doesn't meet the regular expression requirement: %s is not a valid regular expression.", v.AllowedPattern)
		}
		if !re.MatchString(value) {
			return nil, sealbox.Errorf("ParameterPatternMismatchException", "Parameter value, cannot be validated against allowedPattern: %s", v.AllowedPattern)
		}
	}
	tier, err := chooseTier(in.Tier, cur, len(value), len(v.Policies) > 0)
	if err != nil {
		return nil, err
	}
	v.Tier = tier
	return v, nil
}

// chooseTier picks the tier of a new version: the one asked for; with
// Intelligent-Tiering, Advanced only when the value or policies need it;
// without a tier, the parameter's own (Standard for a new one, the
// account's default). A parameter may move up to Advanced, never down.
func chooseTier(want string, cur *paramRecord, size int, hasPolicies bool) (string, error) {
	curTier := ""
	if cur != nil {
		curTier = cur.Tier
	}
	tier := want
	switch want {
	case "":
		tier = curTier
		if tier == "" {
			tier = tierStandard
		}
	case tierIntelligent:
		tier = tierStandard
		if size > maxStandardValue || hasPolicies || curTier == tierAdvanced {
			tier = tierAdvanced
		}
	}
	if tier == tierStandard && curTier == tierAdvanced {
		return "", errValidation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	}
	if tier == tierStandard && size > maxStandardValue {
		return "", errValidation("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html", maxStandardValue)
	}
	if size > maxAdvancedValue {
		return "", errValidation("Advanced tier parameters support a maximum parameter value of %d characters.", maxAdvancedValue)
	}
	if hasPolicies && tier != tierAdvanced {
		return "", errValidation("%s", msgPoliciesNeedAdvanced)
	}
	return tier, nil
}

// encrypt seals value for v through KMS, on the caller's behalf, under the
// parameter's key and the encryption context AWS uses.
func (s *Service) encrypt(ctx context.Context, v *version, arn, value string) error {
	via := viaSSM(ctx)
	keyID := v.KeyID
	if keyID == defaultKeyAlias {
		managed, err := s.kms.ManagedKeyARN(via, defaultKeyAlias)
		if err != nil {
			return kmsError(ctx, err)
		}
		keyID = managed
	}
	out, err := s.kms.Encrypt(via, &kms.EncryptRequest{KeyId: keyID, Plaintext: []byte(value), EncryptionContext: map[string]string{contextKey: arn}})
	if err != nil {
		return kmsError(ctx, err)
	}
	v.Blob, v.KeyARN = out.CiphertextBlob, out.KeyId
	return nil
}

// write commits next as the parameter's current version: the version it
// replaces moves to its history record, and the oldest goes once 100 are
// kept.
func (s *Service) write(tx store.Tx, r *sealbox.Request, name string, cur *paramRecord, next *version, tags []Tag) error {
	next.Modified = s.clock.Now().UTC()
	next.ModifiedUser = r.Principal.ARN
	p := &paramRecord{Name: name, Region: r.Region, Partition: r.Partition, Account: r.AccountID, Oldest: 1, Tags: tags}
	var oldDue = p.Due
	if cur != nil {
		p = cur
		oldDue = cur.Due
		if err := store.PutJSON(tx, histKey(p.Region, p.Name, p.Version), &p.version); err != nil {
			return err
		}
		if err := checkVersionLimit(p); err != nil {
			return err
		}
		if p.Version-p.Oldest+1 >= maxVersions {
			if err := tx.Delete(histKey(p.Region, p.Name, p.Oldest)); err != nil {
				return err
			}
			p.Oldest++
		}
	}
	p.version = *next
	if err := setDue(tx, p, oldDue); err != nil {
		return err
	}
	return save(tx, p)
}

// deleteParameter removes p, its history and its due entry.
func deleteParameter(tx store.Tx, p *paramRecord) error {
	var keys []string
	err := tx.Scan(histPrefix(p.Region, p.Name), "", func(key string, _ []byte) error {
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	if !p.Due.IsZero() {
		if err := tx.Delete(dueKey(p.Due, p.Region, p.Name)); err != nil {
			return err
		}
	}
	return tx.Delete(paramKey(p.Region, p.Name))
}

// trimSlash is the name as it appears in ARNs and store keys.
func trimSlash(name string) string { return strings.TrimPrefix(name, "/") }

// checkVersionLimit refuses a new version when 100 are kept and the oldest,
// which would have to go, carries a label.
func checkVersionLimit(p *paramRecord) error {
	if p.Version-p.Oldest+1 >= maxVersions && len(p.labelsOf(p.Oldest)) > 0 {
		return sealbox.Errorf("ParameterMaxVersionLimitExceeded", "You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", p.Name, p.Oldest)
	}
	return nil
}
