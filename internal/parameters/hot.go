package parameters

// GetParameter's hot path (issue #18): a cached parameter record carries
// what every read derives from it (its ARN, the encryption context its
// SecureString is bound to, its tags' condition keys), a read of cached
// records opens no store transaction, and the authorizer's condition map
// is pooled.

import (
	"context"
	"sync"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// paramShared is what Share derives from a cached parameter record, for
// its readers only: everything in it is read-only (ec is the encryption
// context KMS reads and its audit event names).
type paramShared struct {
	arn  string
	ec   map[string]string
	tags []condEntry
}

type condEntry struct {
	name   string
	values []string
}

var _ recordcache.Shared = (*paramRecord)(nil)

// Share prepares a parameter record that the record cache is about to
// share.
func (p *paramRecord) Share() {
	arn := p.arn()
	sh := &paramShared{arn: arn, ec: map[string]string{contextKey: arn}}
	c := map[string][]string{}
	for _, t := range p.Tags {
		clear(c)
		sealbox.SetResourceTag(c, "ssm", t.Key, t.Value)
		for name, v := range c {
			sh.tags = append(sh.tags, condEntry{name, v})
		}
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

// read runs fn from the caches alone when they hold all it reads, else in
// a read transaction (recordcache.Hot): fn must be safe to run twice.
func (s *Service) read(ctx context.Context, fn func(tx store.Tx) error) error {
	if tx := s.cache.Hot(); tx != nil {
		err := fn(tx)
		if recordcache.Done(tx) {
			return err
		}
	}
	return s.view(ctx, fn)
}

// paramKeys remembers the storage keys of parameters found, by Region and
// name, so that a hot parameter's lookup builds no string.
var paramKeys = cache.NewMemo[[2]string, string](recordcache.RecordCacheSize)

// conds is one authorization's query and condition map, pooled: the
// authorizer keeps neither past Authorize.
type conds struct {
	q sealbox.AccessQuery
	m map[string][]string
}

var condPool = sync.Pool{New: func() any { return &conds{m: make(map[string][]string, 16)} }}

func (c *conds) put() {
	if len(c.m) > 64 {
		return
	}
	c.q = sealbox.AccessQuery{}
	clear(c.m)
	condPool.Put(c)
}
