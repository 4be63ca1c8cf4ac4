// Package authz is sealbox's one authorizer: every service asks it the same
// question (sealbox.AccessQuery) and it answers with AWS's policy
// evaluation logic for one account, as iam.Decide puts it: an explicit deny
// in any policy wins; then, where a resource policy gates access (a KMS key
// policy, a role's trust policy), the resource policy must allow the
// caller directly, or allow the account and so delegate to the caller's IAM
// policies; elsewhere an allow from an identity policy, the resource policy
// or a KMS grant suffices. A role session's session policies bound every
// allow except one from a resource policy naming the session itself. A
// policy that applies but no longer compiles denies. Otherwise access is
// implicitly denied.
//
// Policies are compiled once and cached (internal/cache): compiled
// documents by their text, and each principal's policy set until the
// store's change feed says what it was made from changed, so the hot path
// parses no JSON. Both caches are bounded.
package authz

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/cache"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// Identities is what the authorizer needs of the identity service.
type Identities interface {
	PoliciesFor(ctx context.Context, p sealbox.Principal) ([]identity.PolicyDoc, error)
	SessionPolicies(ctx context.Context, accessKeyID string) ([]identity.PolicyDoc, error)
	// PrincipalTags are the tags aws:PrincipalTag/<key> reads (lower-case
	// keys): a user's, or a role's with its session's tags over them.
	PrincipalTags(ctx context.Context, p sealbox.Principal) (map[string]string, error)
	// BoundaryFor is the permissions boundary of p's user or role; nil
	// for none.
	BoundaryFor(ctx context.Context, p sealbox.Principal) (*identity.PolicyDoc, error)
}

// Cache bounds. A compiled policy takes a few KiB; a principal's set is a
// few pointers to compiled policies.
const (
	// DocCacheSize is how many compiled policy documents are kept.
	DocCacheSize = 4096
	// PrincipalCacheSize is how many principals' policy sets are kept.
	PrincipalCacheSize = 4096
)

// Authorizer decides access queries: it is the sealbox.Authorizer every
// service asks. Safe for concurrent use.
type Authorizer struct {
	ids Identities
	// account is the account served, whose resources every query names:
	// a caller of another is foreign (iam.Facts.Foreign). "" when the
	// identities do not say (tests).
	account string
	clock   clock.Clock
	log     *slog.Logger

	docs *cache.Cache[docKey, *compiled]
	sets *cache.Cache[string, *identitySet] // see setKey
	now  atomic.Pointer[timeValues]         // the time keys of the last second asked
}

type docKey struct {
	kind iam.Kind
	doc  string
}

type compiled struct {
	policy *iam.Policy
	err    error
}

// identitySet is a principal's compiled identity and session policies.
type identitySet struct {
	arn      string
	policies []*iam.Policy
	session  []*iam.Policy // non-empty: an assumed role's session policies also bound it
	// unreadable: a policy of the principal's did not compile, so every
	// call of the principal is denied.
	unreadable bool
	// tags are the principal's tags (aws:PrincipalTag/<key>), by
	// lower-case key.
	tags map[string]string
	// boundary is the permissions boundary of the principal's user or
	// role; nil for none.
	boundary *iam.Policy
}

// New returns an Authorizer over ids; feed invalidates its caches when IAM
// records change. log (nil: slog.Default) hears of policies that no longer
// compile.
func New(ids Identities, feed store.Feed, c clock.Clock, log *slog.Logger) *Authorizer {
	if c == nil {
		c = clock.Real{}
	}
	if log == nil {
		log = slog.Default()
	}
	a := &Authorizer{ids: ids, clock: c, log: log}
	if acc, ok := ids.(interface{ Account() string }); ok {
		a.account = acc.Account()
	}
	a.docs = cache.New[docKey, *compiled](feed, "authz/documents", DocCacheSize)
	a.docs.Local("content-addressed: a document's compiled form is a function of its text and kind")
	// Made after the identity store's caches, so that the feed drops what
	// they hold before this cache hears of a change (see store.Feed).
	a.sets = cache.New[string, *identitySet](feed, "authz/principals", PrincipalCacheSize)
	a.sets.Follow("iam/", setsStale)
	return a
}

// setsStale says which policy sets a committed IAM change makes stale. A
// session's creation or expiry drops that session's set only (AssumeRole
// storms must not evict everyone); a change to a user, group, role, policy
// or membership drops every set. Bookkeeping writes (a role's LastUsed) and
// the access-key, key-use and index records change no policy.
func setsStale(ch store.Change) (string, cache.Scope) {
	rest := strings.TrimPrefix(ch.Key, "iam/")
	switch {
	case strings.HasPrefix(rest, "session/"):
		return strings.TrimPrefix(rest, "session/"), cache.DropKey
	case strings.HasPrefix(rest, "accesskey/"), strings.HasPrefix(rest, "keys-of/"), strings.HasPrefix(rest, "sessions-of/"), strings.HasPrefix(rest, "keyused/"):
		return "", cache.Keep
	case ch.Bookkeeping && (strings.HasPrefix(rest, "role/") || strings.HasPrefix(rest, "user/")):
		return "", cache.Keep
	}
	return "", cache.DropAll
}

// compile returns the compiled form of a policy document of kind, and
// whether it was compiled just now (not found in the cache).
func (a *Authorizer) compile(doc string, kind iam.Kind) (_ *iam.Policy, fresh bool, _ error) {
	key := docKey{kind, doc}
	if c, ok := a.docs.Get(key); ok {
		return c.policy, false, c.err
	}
	p, err := iam.ParseStored(doc, kind)                // the policies sealbox keeps: pinned principals read
	a.docs.Put(key, &compiled{p, err}, a.docs.Ticket()) // never outdated: see New
	return p, true, err
}

// preparedKey carries the caller's identity set, read by Prepare.
type preparedKey struct{}

type prepared struct {
	arn, accessKeyID string
	set              *identitySet
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
	return context.WithValue(ctx, preparedKey{}, prepared{r.Principal.ARN, r.Principal.AccessKeyID, set}), nil
}

// setKey is the principal cache's key: a session's access key id, which
// names one session and which the session record's change names too; else
// the principal's ARN and access key.
func setKey(p sealbox.Principal) string {
	if strings.HasPrefix(p.AccessKeyID, "ASIA") {
		return p.AccessKeyID
	}
	if k, ok := setKeys.Get([2]string{p.ARN, p.AccessKeyID}); ok {
		return k
	}
	k := p.ARN + "\x00" + p.AccessKeyID
	setKeys.Put([2]string{p.ARN, p.AccessKeyID}, k)
	return k
}

// setKeys remembers the principal cache's keys of long-term callers, so
// that Prepare, on every call, builds none.
var setKeys = cache.NewMemo[[2]string, string](PrincipalCacheSize)

func (a *Authorizer) identitySet(ctx context.Context, p sealbox.Principal) (*identitySet, error) {
	if pr, ok := ctx.Value(preparedKey{}).(prepared); ok && pr.arn == p.ARN && pr.accessKeyID == p.AccessKeyID {
		return pr.set, nil
	}
	key := setKey(p)
	set, ok := a.sets.Get(key)
	if ok && set.arn == p.ARN {
		return set, nil
	}
	// What is read from here on may be cached only if no invalidation
	// of every set, or of one that shares this key's stripe, happens
	// meanwhile.
	ticket := a.sets.TicketFor(key)
	docs, err := a.ids.PoliciesFor(ctx, p)
	if err != nil {
		return nil, err
	}
	set = &identitySet{arn: p.ARN}
	if set.tags, err = a.ids.PrincipalTags(ctx, p); err != nil {
		return nil, err
	}
	bd, err := a.ids.BoundaryFor(ctx, p)
	if err != nil {
		return nil, err
	}
	if bd != nil {
		if pol, ok := a.compileFor(p, *bd, "boundary"); ok {
			set.boundary = pol
		} else {
			set.unreadable = true
		}
	}
	for _, d := range docs {
		if pol, ok := a.compileFor(p, d, "identity"); ok {
			set.policies = append(set.policies, pol)
		} else {
			set.unreadable = true
		}
	}
	if p.Temporary {
		sess, err := a.ids.SessionPolicies(ctx, p.AccessKeyID)
		if err != nil {
			return nil, err
		}
		for _, d := range sess {
			if pol, ok := a.compileFor(p, d, "session"); ok {
				set.session = append(set.session, pol)
			} else {
				set.unreadable = true
			}
		}
	}
	a.sets.Put(key, set, ticket)
	return set, nil
}

// compileFor compiles one of p's policies. A policy that does not compile
// (stored by an older server, or damaged) is logged, by where it comes
// from and never by its text, and reported: the caller denies p.
func (a *Authorizer) compileFor(p sealbox.Principal, d identity.PolicyDoc, kind string) (*iam.Policy, bool) {
	pol, _, err := a.compile(d.Document, iam.KindIdentity)
	if err == nil {
		return pol, true
	}
	attrs := []any{"principal", p.ARN, "policy", policyLocator(d.Source), "kind", kind}
	var pe *iam.ParseError
	if errors.As(err, &pe) && pe.Statement > 0 {
		attrs = append(attrs, "statement", pe.Statement)
	}
	a.log.Error("policy does not compile: the principal's calls are denied", attrs...)
	return nil, false
}

// policyLocator is where a policy document comes from (an inline policy's
// owner ARN and name, a managed policy's ARN and version), without the
// hash of its text.
func policyLocator(source string) string {
	if i := strings.LastIndexByte(source, '@'); i >= 0 {
		return source[:i]
	}
	return source
}

var _ sealbox.Authorizer = (*Authorizer)(nil)

// Authorize answers q for the caller of the request in ctx: nil to allow,
// an AccessDeniedException to deny.
func (a *Authorizer) Authorize(ctx context.Context, q *sealbox.AccessQuery) error {
	r := sealbox.RequestFromContext(ctx)
	if r == nil {
		return &sealbox.Error{Code: "AccessDeniedException", Message: "no caller"}
	}
	// iam.Decide hands the request to its conditions' evaluation, which
	// the compiler cannot follow: a pooled request costs no allocation.
	req := requests.Get().(*iam.Request)
	defer func() {
		*req = iam.Request{}
		requests.Put(req)
	}()
	d, err := a.decide(ctx, r, q, req)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	return &sealbox.Error{Code: "AccessDeniedException", Message: d.Message(req)}
}

var requests = sync.Pool{New: func() any { return new(iam.Request) }}

// decide gathers the facts of q for the caller of r into req and decides
// with iam.Decide.
func (a *Authorizer) decide(ctx context.Context, r *sealbox.Request, q *sealbox.AccessQuery, req *iam.Request) (iam.Decision, error) {
	p := r.Principal
	*req = iam.Request{Principal: iamPrincipal(p), Action: q.Action, Resource: q.Resource, Context: q.Context}
	a.callerKeys(r, &req.Caller)
	f := iam.Facts{}
	for _, g := range q.Grantees {
		f.Grant = max(f.Grant, iam.MatchGrantee(g, &req.Principal))
	}
	tags, err := a.callerFacts(ctx, p, &f)
	if err != nil {
		return iam.Decision{}, err
	}
	setPrincipalTags(&req.Caller, tags)
	f.Foreign = a.account != "" && p.AccountID != "" && p.AccountID != a.account && p.Type != identity.ServicePrincipal
	if q.ResourcePolicy != "" {
		kind := iam.KindResource
		if q.ResourcePolicyGates {
			kind = iam.KindKey
		}
		pol, fresh, err := a.compile(q.ResourcePolicy, kind)
		if err != nil {
			// A stored policy that no longer parses denies: its Deny
			// statements are unknown.
			if fresh {
				a.log.Error("resource policy does not compile: calls on the resource are denied", "resource", q.Resource)
			}
			f.Unreadable = true
		}
		f.Resource = pol
	}
	return iam.Decide(&f, req), nil
}

// callerFacts fills in the policies of the caller p: identity and session
// policies, and whether one of them did not compile. It returns p's tags.
func (a *Authorizer) callerFacts(ctx context.Context, p sealbox.Principal, f *iam.Facts) (map[string]string, error) {
	if p.Type == "Root" || p.Type == identity.ServicePrincipal || p.Type == identity.WebIdentityPrincipal {
		return nil, nil // no policies of its own
	}
	set, err := a.identitySet(ctx, p)
	if err != nil {
		return nil, err
	}
	f.Identity, f.Session, f.Unreadable = set.policies, set.session, f.Unreadable || set.unreadable
	f.Boundary = set.boundary
	return set.tags, nil
}

// WriteMetrics writes the authorizer's cache counters in Prometheus' text
// format, under the names they had before every cache was counted alike
// (sealbox_cache_*{cache="authz/..."}).
func (a *Authorizer) WriteMetrics(w io.Writer) {
	docs, sets := a.docs.Stats(), a.sets.Stats()
	metric := func(name, typ, help string, v uint64) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	metric("sealbox_authz_policy_cache_hits_total", "counter", "Policy documents found compiled in the cache.", docs.Hits)
	metric("sealbox_authz_policy_cache_misses_total", "counter", "Policy documents compiled because the cache did not hold them.", docs.Misses)
	metric("sealbox_authz_policy_cache_evictions_total", "counter", "Compiled policy documents dropped because the cache was full.", docs.Evictions)
	metric("sealbox_authz_policy_cache_entries", "gauge", "Compiled policy documents in the cache (at most "+strconv.Itoa(DocCacheSize)+").", uint64(docs.Len))
	metric("sealbox_authz_principal_cache_hits_total", "counter", "Calls whose caller's policy set was cached.", sets.Hits)
	metric("sealbox_authz_principal_cache_misses_total", "counter", "Calls whose caller's policy set was read from the store.", sets.Misses)
	metric("sealbox_authz_principal_cache_entries", "gauge", "Principals' policy sets in the cache (at most "+strconv.Itoa(PrincipalCacheSize)+").", uint64(sets.Len))
}

// callerKeys fills k with the global condition keys of r's call. iam
// reads them before the service's keys (q.Context), which it so neither
// copies nor writes: a decision builds no map. The strings repeat from
// call to call (the second's time, the calling service's name) and are
// made once.
func (a *Authorizer) callerKeys(r *sealbox.Request, k *iam.CallerKeys) {
	t := a.timeConditions()
	*k = iam.CallerKeys{Set: true, SourceIP: r.SourceIP, CurrentTime: t.current, EpochTime: t.epoch,
		SecureTransport: r.SecureTransport, RequestedRegion: r.Region, ViaAWSService: r.ViaService != ""}
	if r.ViaService != "" {
		k.CalledVia = calledVia(r.ViaService)
	}
}

// setPrincipalTags has aws:PrincipalTag/<key> answered from the caller's
// tags alone: any such key a service put in its conditions is not read,
// so that only the identity store says what the caller's tags are.
func setPrincipalTags(k *iam.CallerKeys, tags map[string]string) {
	k.TagsSet, k.Tags = true, tags
}

var calledVias = cache.NewMemo[string, string](256)

// calledVia is aws:CalledVia for a call made on the caller's behalf by the
// service via ("ssm.us-east-1.amazonaws.com"): ssm.amazonaws.com.
func calledVia(via string) string {
	if s, ok := calledVias.Get(via); ok {
		return s
	}
	s := strings.SplitN(via, ".", 2)[0] + ".amazonaws.com"
	calledVias.Put(via, s)
	return s
}

// timeValues are the time keys' values for one second.
type timeValues struct {
	unix           int64
	current, epoch string
}

// timeConditions answers the time keys for now, made once a second.
func (a *Authorizer) timeConditions() *timeValues {
	now := a.clock.Now().UTC()
	if t := a.now.Load(); t != nil && t.unix == now.Unix() {
		return t
	}
	t := &timeValues{unix: now.Unix(), current: now.Format(time.RFC3339), epoch: strconv.FormatInt(now.Unix(), 10)}
	a.now.Store(t)
	return t
}

func iamPrincipal(p sealbox.Principal) iam.Principal {
	if p.Type == identity.ServicePrincipal {
		return iam.Principal{Type: iam.TypeService, Service: p.ARN}
	}
	if p.Type == identity.WebIdentityPrincipal {
		return iam.Principal{Type: iam.TypeWebIdentity, Federated: p.IdentityProvider, UserID: p.PrincipalID}
	}
	return iam.Principal{ARN: p.ARN, AccountID: p.AccountID, Type: p.Type, UserName: p.UserName, UserID: p.PrincipalID, RoleARN: p.RoleARN}
}
