package authz

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// fakeIDs serves fixed policies and counts how often the authorizer reads
// them. Session policies are per access key.
type fakeIDs struct {
	mu       sync.Mutex
	policies []identity.PolicyDoc
	sessions map[string][]identity.PolicyDoc
	reads    atomic.Int64
}

func (f *fakeIDs) PoliciesFor(context.Context, sealbox.Principal) ([]identity.PolicyDoc, error) {
	f.reads.Add(1)
	return f.policies, nil
}

func (f *fakeIDs) PrincipalTags(context.Context, sealbox.Principal) (map[string]string, error) {
	return nil, nil
}

func (f *fakeIDs) BoundaryFor(context.Context, sealbox.Principal) (*identity.PolicyDoc, error) {
	return nil, nil
}

func (f *fakeIDs) SessionPolicies(_ context.Context, id string) ([]identity.PolicyDoc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sessions[id], nil
}

func (f *fakeIDs) setSession(id, doc string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessions[id] = []identity.PolicyDoc{{Source: "arn:aws:sts::123456789012:assumed-role/app/" + id + "#session@h", Document: doc}}
}

const (
	roleDecrypt = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]}`
	keyPolicy   = `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	keyARN      = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)

func newTestAuthorizer() (*Authorizer, *fakeIDs, *store.FeedStore) {
	ids := &fakeIDs{policies: []identity.PolicyDoc{{Source: "arn:aws:iam::123456789012:role/app#inline@h", Document: roleDecrypt}}, sessions: map[string][]identity.PolicyDoc{}}
	feed := store.WithFeed(memstore.New())
	return New(ids, feed, nil, nil), ids, feed
}

func sessionCtx(id string) context.Context {
	return sealbox.NewContext(context.Background(), &sealbox.Request{Region: "us-east-1", Partition: "aws", AccountID: "123456789012",
		Principal: sealbox.Principal{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/app/" + id, AccountID: "123456789012",
			PrincipalID: "AROAAPPEXAMPLE0000001:" + id, AccessKeyID: id, RoleARN: "arn:aws:iam::123456789012:role/app", SessionName: id, Temporary: true}})
}

func decryptQuery() *sealbox.AccessQuery {
	return &sealbox.AccessQuery{Action: "kms:Decrypt", Resource: keyARN, ResourcePolicy: keyPolicy, ResourcePolicyGates: true,
		Context: map[string][]string{"kms:calleraccount": {"123456789012"}}}
}

func put(t testing.TB, feed *store.FeedStore, key string) {
	t.Helper()
	if err := feed.Update(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
}

// A session's record changing (AssumeRole made it, the sweeper expired it)
// drops that session's policy set only; a role's change drops every set; a
// bookkeeping write to a role (LastUsed) drops none.
func TestSessionChangeInvalidatesOnlyThatSession(t *testing.T) {
	a, ids, feed := newTestAuthorizer()
	const warm = "ASIAWARMEXAMPLE00001"
	ctx := sessionCtx(warm)
	if err := a.Authorize(ctx, decryptQuery()); err != nil {
		t.Fatalf("Authorize(Decrypt) as the warm session: %v", err)
	}
	reads := ids.reads.Load()
	for i := range 100 {
		put(t, feed, fmt.Sprintf("iam/session/ASIASTORM%011d", i))
		put(t, feed, fmt.Sprintf("iam/sessions-of/role:app/ASIASTORM%011d", i))
	}
	put(t, feed, "iam/accesskey/AKIAEXAMPLE")
	if err := feed.Update(store.Bookkeeping(context.Background()), func(tx store.Tx) error { return tx.Put("iam/role/app", []byte("{}")) }); err != nil {
		t.Fatal(err)
	}
	if err := a.Authorize(ctx, decryptQuery()); err != nil {
		t.Fatalf("Authorize(Decrypt) after the storm: %v", err)
	}
	if got := ids.reads.Load() - reads; got != 0 {
		t.Errorf("other sessions' changes made the warm session's policies be read %d more times, want 0", got)
	}

	// Its own record's change drops it: a session policy added shows.
	ids.setSession(warm, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}]}`)
	put(t, feed, "iam/session/"+warm)
	if err := a.Authorize(ctx, decryptQuery()); err == nil || !strings.Contains(err.Error(), "no session policy allows") {
		t.Fatalf("Authorize(Decrypt) after the session's change = %v, want denied by the session policy", err)
	}

	reads = ids.reads.Load()
	put(t, feed, "iam/role/app")
	a.Authorize(ctx, decryptQuery())
	if got := ids.reads.Load() - reads; got != 1 {
		t.Errorf("after a role change the policies were read %d times, want 1", got)
	}
}

// The compiled-policy cache holds at most DocCacheSize documents however
// many distinct session policies come by, and says so at /metrics.
func TestPolicyCacheIsBounded(t *testing.T) {
	a, ids, _ := newTestAuthorizer()
	n := DocCacheSize + 500
	for i := range n {
		id := fmt.Sprintf("ASIASESSION%09d", i)
		ids.setSession(id, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:123456789012:key/%d"}]}`, i))
		a.Authorize(sessionCtx(id), decryptQuery())
	}
	if got := a.docs.Len(); got > DocCacheSize {
		t.Errorf("compiled-policy cache holds %d documents, want at most %d", got, DocCacheSize)
	}
	var b bytes.Buffer
	a.WriteMetrics(&b)
	for _, want := range []string{
		fmt.Sprintf("sealbox_authz_policy_cache_entries %d\n", DocCacheSize),
		fmt.Sprintf("sealbox_authz_policy_cache_misses_total %d\n", n+2), // each session policy, the role's and the key policy once
		"sealbox_authz_policy_cache_evictions_total 502\n",
		"# TYPE sealbox_authz_policy_cache_hits_total counter\n",
		"sealbox_authz_principal_cache_entries ",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, b.String())
		}
	}
}

// Deciding a warm caller allocates no more than the request context needs.
func TestAuthorizeWarmAllocations(t *testing.T) {
	a, _, _ := newTestAuthorizer()
	ctx := sessionCtx("ASIAWARMEXAMPLE00001")
	q := decryptQuery()
	if err := a.Authorize(ctx, q); err != nil {
		t.Fatal(err)
	}
	ctx, err := a.Prepare(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The global keys' values are shared (the time keys made once a
	// second), the decision's request pooled: nothing is allocated.
	allocs := testing.AllocsPerRun(200, func() { a.Authorize(ctx, q) })
	t.Logf("Authorize as a warm session: %v allocations", allocs)
	if allocs > 0 && !raceEnabled {
		t.Errorf("Authorize as a warm session allocates %v times, want none", allocs)
	}
}

// BenchmarkAuthorizeWarm is one warm decision of a KMS Decrypt as a role
// session: the caller's policies and the key policy compiled and cached.
func BenchmarkAuthorizeWarm(b *testing.B) {
	a, _, _ := newTestAuthorizer()
	ctx, err := a.Prepare(sessionCtx("ASIAWARMEXAMPLE00001"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		q := decryptQuery()
		for pb.Next() {
			if err := a.Authorize(ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
