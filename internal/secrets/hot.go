package secrets

// GetSecretValue's hot path (issue #18): a cached secret record carries
// what every read derives from it (its condition keys, each version's
// envelope binding), reads of cached records open no store transaction,
// and the authorizer's condition map is pooled.

import (
	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/envelope"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// secretShared is what Share derives from a cached secret record, for its
// readers only: everything in it is read-only (the binding's context is
// the encryption context KMS reads and the audit event names).
type secretShared struct {
	secretID []string            // secretsmanager:SecretId
	tags     map[string][]string // aws:ResourceTag/<key>, secretsmanager:ResourceTag/<key>
	bindings map[string]envelope.Binding
}

var _ recordcache.Shared = (*secretRecord)(nil)

// Share prepares a secret record that the record cache is about to share.
func (s *secretRecord) Share() {
	sh := &secretShared{secretID: []string{s.ARN}, tags: make(map[string][]string, 2*len(s.Tags)), bindings: make(map[string]envelope.Binding, len(s.Versions))}
	for _, t := range s.Tags {
		sealbox.SetResourceTag(sh.tags, "secretsmanager", t.Key, t.Value)
	}
	for _, v := range s.Versions {
		sh.bindings[v.ID] = binding(s.ARN, v.ID)
	}
	s.shared = sh
}

// bindingOf is version versionID's binding, shared when sec is.
func bindingOf(sec *secretRecord, versionID string) envelope.Binding {
	if sec.shared != nil && sec.ARN != "" {
		if b, ok := sec.shared.bindings[versionID]; ok {
			return b
		}
	}
	return binding(sec.ARN, versionID)
}

// storeKeys remembers the storage keys of records read, by their parts,
// so that a hot secret's lookups build no string.
var storeKeys = cache.NewMemo[recordName, string](2 * recordcache.RecordCacheSize)

// recordName is a record's parts: a secret's Region and name, and a
// value's version id too.
type recordName struct {
	value              bool
	region, name, vers string
}

// hotSecretKey is secretKey, remembered once the secret was found.
func hotSecretKey(region, name string) (string, bool) {
	if k, ok := storeKeys.Get(recordName{false, region, name, ""}); ok {
		return k, true
	}
	return secretKey(region, name), false
}

func hotValueKey(region, name, id string) (string, bool) {
	if k, ok := storeKeys.Get(recordName{true, region, name, id}); ok {
		return k, true
	}
	return valueKey(region, name, id), false
}

var actions = cache.NewMemo[string, string](256)

// iamAction is "secretsmanager:" + action, remembered.
func iamAction(action string) string {
	if a, ok := actions.Get(action); ok {
		return a
	}
	a := "secretsmanager:" + action
	actions.Put(action, a)
	return a
}
