package kms

// The cryptographic operations' hot path allocates as little as it can
// (issue #18): a cached key record carries what every call would derive
// from it (its ARN, its condition keys' values), the condition map the
// authorizer reads is pooled, and the strings a call would build from
// its parts are remembered.

import (
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// keyShared is what a cached key record's readers derive from it, made
// once by Share when the record cache shares it. A record read otherwise
// has none (keyRecord.shared is nil) and its methods compute the same.
// Everything here is read-only: the slices go into the authorizer's
// condition map, which reads them.
type keyShared struct {
	arn    string
	arnAny any // the ARN boxed once, as an audit parameter takes it
	// The key's own condition keys, as authorizeWith sets them.
	spec, usage, origin []string
	multiRegion         []string
	multiRegionType     []string            // nil: not multi-Region
	tags                map[string][]string // aws:ResourceTag/<key>
}

var _ recordcache.Shared = (*keyRecord)(nil)

// Share prepares a key record that the record cache is about to share.
func (k *keyRecord) Share() {
	arn := k.arn()
	sh := &keyShared{arn: arn, arnAny: arn, spec: []string{k.spec()}, usage: []string{k.usage()}, origin: []string{k.origin()}}
	c := map[string][]string{}
	multiRegionConditions(k, c)
	sh.multiRegion, sh.multiRegionType = c["kms:multiregion"], c["kms:multiregionkeytype"]
	sh.tags = make(map[string][]string, len(k.Tags))
	for _, t := range k.Tags {
		sealbox.SetResourceTag(sh.tags, "", t.TagKey, t.TagValue)
	}
	k.shared = sh
}

// auditARN is k's ARN as an audit parameter's value.
func (k *keyRecord) auditARN() any {
	if k.shared != nil {
		return k.shared.arnAny
	}
	return k.arn()
}

// auditAlgorithm is an algorithm's name as an audit parameter's value:
// boxing a constant allocates nothing.
func auditAlgorithm(alg string) any {
	switch alg {
	case "", symmetricDefault:
		return symmetricDefault
	case "RSAES_OAEP_SHA_1":
		return "RSAES_OAEP_SHA_1"
	case "RSAES_OAEP_SHA_256":
		return "RSAES_OAEP_SHA_256"
	case "SM2PKE":
		return "SM2PKE"
	}
	return alg
}

// storeKeys remembers the storage keys of keys that exist, by Region and
// id, so that a hot key's lookup builds no string.
var storeKeys = cache.NewMemo[[2]string, string](recordcache.RecordCacheSize)

func hotKeyStoreKey(region, id string) string {
	if k, ok := storeKeys.Get([2]string{region, id}); ok {
		return k
	}
	return keyStoreKey(region, id)
}

// ecConditionKeys remembers kms:encryptioncontext:<name> for the
// encryption context names seen, so that a call does not build it again.
var ecConditionKeys = cache.NewMemo[string, string](4096)

func ecConditionKey(name string) string {
	if k, ok := ecConditionKeys.Get(name); ok {
		return k
	}
	k := "kms:encryptioncontext:" + strings.ToLower(name)
	ecConditionKeys.Put(name, k)
	return k
}
