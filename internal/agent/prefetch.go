package agent

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// PrefetchItem is one entry of the prefetch list: a kind and its value.
//
//	secret:ID             a secret's AWSCURRENT value, by name or ARN
//	secret-prefix:P       every secret whose name begins with P
//	secret-tag:K=V        every secret tagged K=V
//	param:NAME[:SEL]      a parameter (with decryption), at a version or label
//	param-path:/PATH/     every parameter under /PATH/, recursively
//	param-tag:K=V         every parameter tagged K=V
type PrefetchItem struct {
	Kind, Value string
}

func (p PrefetchItem) String() string { return p.Kind + ":" + p.Value }

var prefetchKinds = []string{"secret", "secret-prefix", "secret-tag", "param", "param-path", "param-tag"}

// ParsePrefetch parses a comma-separated prefetch list.
func ParsePrefetch(s string) ([]PrefetchItem, error) {
	var out []PrefetchItem
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, ":")
		if !ok || v == "" || !slices.Contains(prefetchKinds, k) {
			return nil, fmt.Errorf("prefetch item %q: want KIND:VALUE, KIND one of %s", part, strings.Join(prefetchKinds, ", "))
		}
		if strings.HasSuffix(k, "-tag") {
			if tk, _, ok := strings.Cut(v, "="); !ok || tk == "" {
				return nil, fmt.Errorf("prefetch item %q: want %s:KEY=VALUE", part, k)
			}
		}
		if k == "param-path" && !strings.HasPrefix(v, "/") {
			return nil, fmt.Errorf("prefetch item %q: a path begins with /", part)
		}
		out = append(out, PrefetchItem{k, v})
	}
	return out, nil
}

// splitSelector splits a parameter's name or ARN from a ":version" or
// ":label" after it.
func splitSelector(s string) (name, selector string) {
	colon := 0
	if strings.HasPrefix(s, "arn:") {
		// arn:partition:ssm:region:account:parameter/name[:selector]
		for i := 0; i < 5; i++ {
			j := strings.IndexByte(s[colon:], ':')
			if j < 0 {
				return s, ""
			}
			colon += j + 1
		}
	}
	if i := strings.IndexByte(s[colon:], ':'); i >= 0 {
		return s[:colon+i], s[colon+i:]
	}
	return s, ""
}

// prefetch loads the whole prefetch list into the cache and returns how
// many items it loaded and how many failed (each failure is logged).
func (a *Agent) prefetch(ctx context.Context) (loaded, failed int) {
	var reqs []request
	for _, it := range a.cfg.Prefetch {
		rs, n, err := a.expand(ctx, it)
		loaded += n
		if err != nil {
			failed++
			a.log.Warn("prefetch failed", "item", it.String(), "err", err)
			continue
		}
		reqs = append(reqs, rs...)
	}
	n, f := a.load(ctx, reqs)
	a.m.prefetched.Store(int64(loaded + n))
	return loaded + n, failed + f
}

// load fetches reqs into the cache, MaxConnections at a time, marking
// them prefetched.
func (a *Agent) load(ctx context.Context, reqs []request) (loaded, failed int) {
	var mu sync.Mutex
	work := make(chan request)
	var wg sync.WaitGroup
	for range min(a.cfg.MaxConnections, len(reqs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range work {
				ok, ue := a.loadOne(ctx, r)
				mu.Lock()
				if ok {
					loaded++
				} else {
					failed++
					if ue != nil {
						a.log.Warn("prefetch failed", "service", kindNames[r.kind], "id", r.id, "code", ue.code, "status", ue.status)
					}
				}
				mu.Unlock()
			}
		}()
	}
	for _, r := range reqs {
		select {
		case work <- r:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	return loaded, failed
}

// loadOne fetches r into the cache as a prefetched item. A change to the
// item while it was being fetched keeps the answer out of the cache (it
// may predate the change), so it asks again, a few times.
func (a *Agent) loadOne(ctx context.Context, r request) (bool, *upstreamError) {
	a.markPrefetched(r.key())
	for range 3 {
		start := a.cache.start()
		e, ue := a.fetch(ctx, r)
		if ue != nil {
			return false, ue
		}
		e.prefetched = true
		if a.cache.put(e, start) {
			return true, nil
		}
	}
	a.log.Warn("prefetch: the item kept changing while it was fetched; not cached", "service", kindNames[r.kind], "id", r.id)
	return false, nil
}

// markPrefetched notes that key is a prefetched item's, so that an entry
// for it stays ready whoever fetched it.
func (a *Agent) markPrefetched(key string) {
	a.prefetchMu.Lock()
	a.prefetchKeys[key] = true
	a.prefetchMu.Unlock()
}

func (a *Agent) isPrefetched(key string) bool {
	a.prefetchMu.Lock()
	defer a.prefetchMu.Unlock()
	return a.prefetchKeys[key]
}

// expand turns a prefetch item into the requests it stands for. A
// param-path item's values come with its listing: those are cached at
// once and counted in n.
func (a *Agent) expand(ctx context.Context, it PrefetchItem) (reqs []request, n int, err error) {
	switch it.Kind {
	case "secret":
		return []request{{kind: kindSecret, id: it.Value}}, 0, nil
	case "param":
		name, sel := splitSelector(it.Value)
		r := request{kind: kindParam, id: name, selector: sel, decrypt: true}
		return []request{r}, 0, nil
	case "secret-prefix", "secret-tag":
		in := &secretsmanager.ListSecretsInput{}
		tk, tv, _ := strings.Cut(it.Value, "=")
		if it.Kind == "secret-prefix" {
			in.Filters = []smtypes.Filter{{Key: smtypes.FilterNameStringTypeName, Values: []string{it.Value}}}
		} else {
			in.Filters = []smtypes.Filter{{Key: smtypes.FilterNameStringTypeTagKey, Values: []string{tk}}, {Key: smtypes.FilterNameStringTypeTagValue, Values: []string{tv}}}
		}
		for {
			var out *secretsmanager.ListSecretsOutput
			if ue := a.call(ctx, kindSecret, func(ctx context.Context) (err error) {
				out, err = a.sm.ListSecrets(ctx, in)
				return err
			}); ue != nil {
				return nil, 0, ue
			}
			for _, s := range out.SecretList {
				name := aws.ToString(s.Name)
				// The filters match word prefixes; keep exact matches.
				if it.Kind == "secret-prefix" && !strings.HasPrefix(name, it.Value) ||
					it.Kind == "secret-tag" && !slices.ContainsFunc(s.Tags, func(t smtypes.Tag) bool { return aws.ToString(t.Key) == tk && aws.ToString(t.Value) == tv }) {
					continue
				}
				reqs = append(reqs, request{kind: kindSecret, id: name})
			}
			if aws.ToString(out.NextToken) == "" {
				return reqs, 0, nil
			}
			in.NextToken = out.NextToken
		}
	case "param-tag":
		tk, tv, _ := strings.Cut(it.Value, "=")
		in := &ssm.DescribeParametersInput{ParameterFilters: []ssmtypes.ParameterStringFilter{{Key: aws.String("tag:" + tk), Values: []string{tv}}}}
		for {
			var out *ssm.DescribeParametersOutput
			if ue := a.call(ctx, kindParam, func(ctx context.Context) (err error) {
				out, err = a.ssm.DescribeParameters(ctx, in)
				return err
			}); ue != nil {
				return nil, 0, ue
			}
			for _, p := range out.Parameters {
				reqs = append(reqs, request{kind: kindParam, id: aws.ToString(p.Name), decrypt: true})
			}
			if aws.ToString(out.NextToken) == "" {
				return reqs, 0, nil
			}
			in.NextToken = out.NextToken
		}
	case "param-path":
		in := &ssm.GetParametersByPathInput{Path: aws.String(it.Value), Recursive: aws.Bool(true), WithDecryption: aws.Bool(true)}
		for {
			start := a.cache.start()
			var out *ssm.GetParametersByPathOutput
			if ue := a.call(ctx, kindParam, func(ctx context.Context) (err error) {
				out, err = a.ssm.GetParametersByPath(ctx, in)
				return err
			}); ue != nil {
				return nil, n, ue
			}
			for i := range out.Parameters {
				p := out.Parameters[i]
				r := request{kind: kindParam, id: aws.ToString(p.Name), decrypt: true}
				e := a.parameterEntry(r, &ssm.GetParameterOutput{Parameter: &p})
				e.prefetched = true
				a.markPrefetched(e.key)
				a.cache.put(e, start)
				n++
			}
			if aws.ToString(out.NextToken) == "" {
				return nil, n, nil
			}
			in.NextToken = out.NextToken
		}
	}
	return nil, 0, fmt.Errorf("unknown prefetch kind %q", it.Kind)
}
