package authz

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// cachingIDs stands for the identity store as the server wires it: its own
// cache of policy documents, dropped by its own watcher on the change feed.
// Its watcher is registered when it is made, before the authorizer's, as
// identity.New runs before authz.New.
type cachingIDs struct {
	mu      sync.Mutex
	stored  []identity.PolicyDoc // what the store holds
	cached  []identity.PolicyDoc
	isCache bool
}

func newCachingIDs(feed store.Feed) *cachingIDs {
	c := &cachingIDs{}
	feed.Watch("iam/", func(store.Change) {
		c.mu.Lock()
		c.cached, c.isCache = nil, false
		c.mu.Unlock()
	})
	return c
}

// store sets what the store holds, as the transaction about to commit
// writes it.
func (c *cachingIDs) store(docs []identity.PolicyDoc) {
	c.mu.Lock()
	c.stored = docs
	c.mu.Unlock()
}

func (c *cachingIDs) PoliciesFor(context.Context, sealbox.Principal) ([]identity.PolicyDoc, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isCache {
		return c.cached, nil
	}
	c.cached, c.isCache = c.stored, true
	return c.stored, nil
}

func (c *cachingIDs) SessionPolicies(context.Context, string) ([]identity.PolicyDoc, error) {
	return nil, nil
}

func (c *cachingIDs) PrincipalTags(context.Context, sealbox.Principal) (map[string]string, error) {
	return nil, nil
}

func (c *cachingIDs) BoundaryFor(context.Context, sealbox.Principal) (*identity.PolicyDoc, error) {
	return nil, nil
}

func userCtx() context.Context {
	return sealbox.NewContext(context.Background(), &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012",
		Principal: sealbox.Principal{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/alice", AccountID: "123456789012",
			PrincipalID: "AIDAALICEEXAMPLE00001", AccessKeyID: "AKIAALICEEXAMPLE0001", UserName: "alice"}})
}

// A request served while a policy change's watchers run (after the commit,
// before every cache has heard of it) must not leave the old policies in
// the authorizer's cache. It did when the feed called its watchers in a
// random order: with the authorizer's watcher first, the request read the
// authorizer's new generation, then the identity store's cache not yet
// dropped, and cached the detached policy under the new generation, for
// good (until the next IAM change). The feed now calls watchers in the
// order they were registered, so the identity store's cache is always
// dropped first.
func TestPolicyDetachRacingAFillIsNotCached(t *testing.T) {
	feed := store.WithFeed(memstore.New())
	ids := newCachingIDs(feed)
	a := New(ids, feed, nil, nil)
	var during atomic.Bool
	feed.Watch("iam/", func(store.Change) {
		if during.Load() {
			a.Authorize(userCtx(), decryptQuery()) // a request served meanwhile
		}
	})
	allow := []identity.PolicyDoc{{Source: "arn:aws:iam::123456789012:user/alice#inline@h", Document: roleDecrypt}}
	for i := range 30 {
		ids.store(allow)
		put(t, feed, "iam/user/alice")
		if err := a.Authorize(userCtx(), decryptQuery()); err != nil {
			t.Fatalf("round %d: Authorize(Decrypt) with the policy attached: %v", i, err)
		}
		ids.store(nil)
		during.Store(true)
		put(t, feed, "iam/user/alice")
		during.Store(false)
		if err := a.Authorize(userCtx(), decryptQuery()); err == nil || !strings.Contains(err.Error(), "no identity-based policy allows") {
			t.Fatalf("round %d: Authorize(Decrypt) after the policy was detached = %v, want denied", i, err)
		}
	}
}
