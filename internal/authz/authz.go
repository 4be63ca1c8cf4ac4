// Package authz is sealbox's one authorizer: every service asks it the same
// question (sealbox.AccessQuery) and it answers with AWS's policy
// evaluation logic for one account. An explicit deny in any policy wins;
// then, where a resource policy gates access (a KMS key policy), the
// resource policy must allow the caller directly, or allow the account and
// so delegate to the caller's IAM policies; elsewhere an allow from either
// an identity policy or the resource policy suffices. Otherwise access is
// implicitly denied.
//
// Policies are compiled once and cached: compiled documents by their text,
// and each principal's identity policies until the store's change feed says
// an IAM record changed, so the hot path parses no JSON.
package authz

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// Identities is what the authorizer needs of the identity service.
type Identities interface {
	PoliciesFor(ctx context.Context, p sealbox.Principal) ([]identity.PolicyDoc, error)
	SessionPolicies(ctx context.Context, accessKeyID string) ([]identity.PolicyDoc, error)
}

// Authorizer decides access queries. Safe for concurrent use.
type Authorizer struct {
	ids   Identities
	clock clock.Clock

	docs sync.Map // policy text → *compiled

	mu       sync.Mutex
	gen      uint64
	identity map[string]*identitySet // principal ARN + access key → its policies
}

type compiled struct {
	policy *iam.Policy
	err    error
}

// identitySet is a principal's compiled identity and session policies.
type identitySet struct {
	policies []*iam.Policy
	session  []*iam.Policy // non-empty: an assumed role's session policies also bound it
}

// New returns an Authorizer over ids; feed invalidates its caches when IAM
// records change.
func New(ids Identities, feed store.Feed, c clock.Clock) *Authorizer {
	if c == nil {
		c = clock.Real{}
	}
	a := &Authorizer{ids: ids, clock: c, identity: map[string]*identitySet{}}
	feed.Watch("iam/", func(store.Change) {
		a.mu.Lock()
		a.gen++
		a.identity = map[string]*identitySet{}
		a.mu.Unlock()
	})
	return a
}

// compile returns the compiled form of a policy document of kind.
func (a *Authorizer) compile(doc string, kind iam.Kind) (*iam.Policy, error) {
	key := strconv.Itoa(int(kind)) + doc
	if c, ok := a.docs.Load(key); ok {
		return c.(*compiled).policy, c.(*compiled).err
	}
	p, err := iam.Parse(doc, kind)
	a.docs.Store(key, &compiled{p, err})
	return p, err
}

// preparedKey carries the caller's identity set, read by Prepare.
type preparedKey struct{}

type prepared struct {
	key string
	set *identitySet
}

// Prepare reads the policies of the caller of the request in ctx before the
// call begins, and returns a context that carries them: the service's
// authorization checks then read no store, so none opens a transaction
// inside the service's own (bbolt deadlocks on that when a commit must
// remap the file). The router calls it for every call.
func (a *Authorizer) Prepare(ctx context.Context) (context.Context, error) {
	r := sealbox.RequestFromContext(ctx)
	if r == nil || r.Principal.Type == "Root" {
		return ctx, nil
	}
	set, err := a.identitySet(ctx, r.Principal)
	if err != nil {
		return ctx, err
	}
	return context.WithValue(ctx, preparedKey{}, prepared{identityKey(r.Principal), set}), nil
}

func identityKey(p sealbox.Principal) string { return p.ARN + "\x00" + p.AccessKeyID }

func (a *Authorizer) identitySet(ctx context.Context, p sealbox.Principal) (*identitySet, error) {
	key := identityKey(p)
	if pr, ok := ctx.Value(preparedKey{}).(prepared); ok && pr.key == key {
		return pr.set, nil
	}
	a.mu.Lock()
	set, ok := a.identity[key]
	gen := a.gen
	a.mu.Unlock()
	if ok {
		return set, nil
	}
	docs, err := a.ids.PoliciesFor(ctx, p)
	if err != nil {
		return nil, err
	}
	set = &identitySet{}
	for _, d := range docs {
		if pol, err := a.compile(d.Document, iam.KindIdentity); err == nil {
			set.policies = append(set.policies, pol)
		}
	}
	if p.Temporary {
		sess, err := a.ids.SessionPolicies(ctx, p.AccessKeyID)
		if err != nil {
			return nil, err
		}
		for _, d := range sess {
			if pol, err := a.compile(d.Document, iam.KindIdentity); err == nil {
				set.session = append(set.session, pol)
			}
		}
	}
	a.mu.Lock()
	if a.gen == gen {
		a.identity[key] = set
	}
	a.mu.Unlock()
	return set, nil
}

// Authorize answers q for the caller of the request in ctx: nil to allow,
// an AccessDeniedException to deny.
func (a *Authorizer) Authorize(ctx context.Context, q *sealbox.AccessQuery) error {
	r := sealbox.RequestFromContext(ctx)
	if r == nil {
		return &sealbox.Error{Code: "AccessDeniedException", Message: "no caller"}
	}
	d, req, err := a.decide(ctx, r, q)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	return &sealbox.Error{Code: "AccessDeniedException", Message: d.Message(req)}
}

// decide evaluates q for the caller of r with AWS's logic (iam.Decide), then
// applies what Decide leaves to its caller: an assumed role's session
// policies bound what its identity policies allow, and a KMS grant allows
// like a key policy naming the caller, unless a policy explicitly denies.
func (a *Authorizer) decide(ctx context.Context, r *sealbox.Request, q *sealbox.AccessQuery) (iam.Decision, *iam.Request, error) {
	p := r.Principal
	req := &iam.Request{Principal: iamPrincipal(p), Action: q.Action, Resource: q.Resource, Context: a.conditions(r, q.Context)}
	var identityPolicies, session []*iam.Policy
	if p.Type != "Root" {
		set, err := a.identitySet(ctx, p)
		if err != nil {
			return iam.Decision{}, nil, err
		}
		identityPolicies, session = set.policies, set.session
	}
	var resource *iam.Policy
	if q.ResourcePolicy != "" {
		kind := iam.KindResource
		if q.ResourcePolicyGates {
			kind = iam.KindKey
		}
		pol, err := a.compile(q.ResourcePolicy, kind)
		if err != nil {
			// A stored policy that no longer parses allows nothing.
			return iam.Decision{Reason: iam.NoResourceAllow}, req, nil
		}
		resource = pol
	}
	d := iam.Decide(identityPolicies, resource, req)
	if d.Allowed && d.Reason == iam.IdentityAllow && len(session) > 0 {
		sd := iam.Decide(session, nil, req)
		if !sd.Allowed {
			d = sd
		}
	}
	if !d.Allowed && q.GrantAllows && d.Reason != iam.IdentityDeny && d.Reason != iam.ResourceDeny {
		d = iam.Decision{Allowed: true, Reason: iam.ResourceAllow}
	}
	return d, req, nil
}

// conditions adds the global condition keys to the service's.
func (a *Authorizer) conditions(r *sealbox.Request, svc map[string][]string) map[string][]string {
	c := svc
	if c == nil {
		c = make(map[string][]string, 10)
	}
	now := a.clock.Now().UTC()
	if r.SourceIP != "" {
		c["aws:sourceip"] = []string{r.SourceIP}
	}
	c["aws:currenttime"] = []string{now.Format(time.RFC3339)}
	c["aws:epochtime"] = []string{strconv.FormatInt(now.Unix(), 10)}
	c["aws:securetransport"] = []string{strconv.FormatBool(r.SecureTransport)}
	c["aws:requestedregion"] = []string{r.Region}
	if r.ViaService != "" {
		c["aws:viaawsservice"] = []string{"true"}
		c["aws:calledvia"] = []string{strings.SplitN(r.ViaService, ".", 2)[0] + ".amazonaws.com"}
	} else {
		c["aws:viaawsservice"] = []string{"false"}
	}
	return c
}

func iamPrincipal(p sealbox.Principal) iam.Principal {
	if p.Type == identity.ServicePrincipal {
		return iam.Principal{Type: iam.TypeService, Service: p.ARN}
	}
	return iam.Principal{ARN: p.ARN, AccountID: p.AccountID, Type: p.Type, UserName: p.UserName, UserID: p.PrincipalID, RoleARN: p.RoleARN}
}
