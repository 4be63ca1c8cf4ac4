package parameters

// GetParameter's hot path (issue #18): a cached parameter record carries
// what every read derives from it (its ARN, the encryption context its
// SecureString is bound to, its tags' condition keys), a read of cached
// records opens no store transaction, and the authorizer's condition map
// is pooled.

import (
	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// paramShared is what Share derives from a cached parameter record, for
// its readers only: everything in it is read-only (ec is the encryption
// context KMS reads and its audit event names).
type paramShared struct {
	arn  string
	ec   map[string]string
	tags map[string][]string // aws:ResourceTag/<key>, ssm:ResourceTag/<key>
}

var _ recordcache.Shared = (*paramRecord)(nil)

// Share prepares a parameter record that the record cache is about to
// share.
func (p *paramRecord) Share() {
	arn := p.arn()
	sh := &paramShared{arn: arn, ec: map[string]string{contextKey: arn}, tags: make(map[string][]string, 2*len(p.Tags))}
	for _, t := range p.Tags {
		sealbox.SetResourceTag(sh.tags, "ssm", t.Key, t.Value)
	}
	p.shared = sh
}

// context is the encryption context p's SecureString values are bound to.
func (p *paramRecord) context() map[string]string {
	if p.shared != nil {
		return p.shared.ec
	}
	return map[string]string{contextKey: p.arn()}
}

// paramKeys remembers the storage keys of parameters found, by Region and
// name, so that a hot parameter's lookup builds no string.
var paramKeys = cache.NewMemo[[2]string, string](recordcache.RecordCacheSize)
