package restjson

import (
	"net/url"
	"sort"
	"strings"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// Table finds the operation of a REST request from the method and the
// request target, using every operation's http.method and
// http.requestUri in the model. Immutable once built; safe for concurrent
// use.
type Table struct {
	routes []*route
}

// route is one operation's request line pattern.
type route struct {
	op     string
	method string
	segs   []segment
	query  []literal // literal query parameters of the requestUri
}

type segKind int

// Kinds in increasing specificity: at the first position where two
// patterns differ, the more specific kind wins.
const (
	segGreedy  segKind = iota // {Key+}: one or more whole segments
	segLabel                  // {Name}: one non-empty segment
	segLiteral                // text
)

type segment struct {
	kind segKind
	text string // the literal text, or the label's name
}

// literal is a query parameter written into a requestUri: "?List=ALL"
// asks for List with the value ALL, "?versions" for the key alone.
type literal struct {
	key, value string
	hasValue   bool
}

// NewTable builds the routing table of m's operations. Operations without
// an http.requestUri are left out.
func NewTable(m *model.Service) *Table {
	t := &Table{}
	names := make([]string, 0, len(m.Operations))
	for name := range m.Operations {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		op := m.Operations[name]
		if op == nil || op.HTTP.RequestURI == "" {
			continue
		}
		method := op.HTTP.Method
		if method == "" {
			method = "POST"
		}
		segs, query := parseTemplate(op.HTTP.RequestURI)
		t.routes = append(t.routes, &route{op: name, method: method, segs: segs, query: query})
	}
	return t
}

// parseTemplate splits a requestUri such as
// "/2019-09-30/functions/{FunctionName}/provisioned-concurrency?List=ALL"
// into its path segments and literal query parameters.
func parseTemplate(uri string) ([]segment, []literal) {
	path, rawQuery, _ := strings.Cut(uri, "?")
	var segs []segment
	for _, s := range splitPath(path) {
		switch {
		case len(s) > 3 && s[0] == '{' && strings.HasSuffix(s, "+}"):
			segs = append(segs, segment{segGreedy, s[1 : len(s)-2]})
		case len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}':
			segs = append(segs, segment{segLabel, s[1 : len(s)-1]})
		default:
			segs = append(segs, segment{segLiteral, s})
		}
	}
	var query []literal
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" {
			continue
		}
		k, v, has := strings.Cut(pair, "=")
		query = append(query, literal{key: k, value: v, hasValue: has})
	}
	return segs, query
}

// splitPath splits a path into its segments, without the leading slash and
// a single trailing one: "/a/b/" and "/a/b" are [a b], "/" is none.
func splitPath(path string) []string {
	path = strings.TrimPrefix(path, "/")
	path = strings.TrimSuffix(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// Match finds the operation of a request: method is the HTTP method, path
// the request target as sent, its escaped path with the query if any
// (r.URL.RequestURI(), not r.URL.Path, whose %2F are already slashes).
// A pattern's literal segments must equal the percent-decoded segments, a
// {Label} takes one non-empty segment and a {Label+} one or more, and the
// literal query parameters of the requestUri ("?List=ALL", "?versions")
// must be in the query. When several operations match, the most specific
// wins: the one asking for more literal query parameters, then the one
// whose pattern is more specific at the first segment where they differ
// (a literal beats a label, which beats a greedy label). labels holds each label's percent-decoded value (a
// full ARN sent as arn%3Aaws%3Alambda%3A… comes back with its colons; a
// greedy label keeps its slashes), keyed by the label's name in the
// requestUri, which is the member's locationName. ok is false when no
// operation matches or the path is not valid percent-encoding.
func (t *Table) Match(method, path string) (op string, labels map[string]string, ok bool) {
	rawPath, rawQuery, _ := strings.Cut(path, "?")
	if !strings.HasPrefix(rawPath, "/") {
		return "", nil, false
	}
	raw := splitPath(rawPath)
	decoded := make([]string, len(raw))
	for i, s := range raw {
		d, err := url.PathUnescape(s)
		if err != nil {
			return "", nil, false
		}
		decoded[i] = d
	}
	query := lenientQuery(rawQuery)
	var best *route
	var bestLabels map[string]string
	for _, rt := range t.routes {
		if rt.method != method || !rt.queryMatches(query) {
			continue
		}
		got := map[string]string{}
		if !matchSegments(rt.segs, raw, decoded, got) {
			continue
		}
		if best == nil || moreSpecific(rt, best) {
			best, bestLabels = rt, got
		}
	}
	if best == nil {
		return "", nil, false
	}
	return best.op, bestLabels, true
}

func (rt *route) queryMatches(q map[string][]string) bool {
	for _, l := range rt.query {
		vs, ok := q[l.key]
		if !ok {
			return false
		}
		if l.hasValue && !contains(vs, l.value) {
			return false
		}
	}
	return true
}

// matchSegments matches the pattern against the request's segments (raw
// and percent-decoded), filling labels. A greedy label takes as many
// segments as it can while the rest of the pattern still matches.
func matchSegments(segs []segment, raw, decoded []string, labels map[string]string) bool {
	if len(segs) == 0 {
		return len(raw) == 0
	}
	s := segs[0]
	switch s.kind {
	case segLiteral:
		return len(decoded) > 0 && decoded[0] == s.text && matchSegments(segs[1:], raw[1:], decoded[1:], labels)
	case segLabel:
		if len(decoded) == 0 || decoded[0] == "" {
			return false
		}
		if !matchSegments(segs[1:], raw[1:], decoded[1:], labels) {
			return false
		}
		labels[s.text] = decoded[0]
		return true
	}
	for end := len(raw); end > 0; end-- {
		v, err := url.PathUnescape(strings.Join(raw[:end], "/"))
		if err != nil || v == "" {
			continue
		}
		if matchSegments(segs[1:], raw[end:], decoded[end:], labels) {
			labels[s.text] = v
			return true
		}
	}
	return false
}

// moreSpecific reports whether a is a more specific pattern than b, both
// having matched the same request: the one that asks for more literal query
// parameters (a client of the other would not have sent them), then the
// one with the more specific segment where they first differ (a literal
// beats a label, which beats a greedy label), then the longer.
func moreSpecific(a, b *route) bool {
	if len(a.query) != len(b.query) {
		return len(a.query) > len(b.query)
	}
	for i := 0; i < len(a.segs) && i < len(b.segs); i++ {
		if a.segs[i].kind != b.segs[i].kind {
			return a.segs[i].kind > b.segs[i].kind
		}
	}
	return len(a.segs) > len(b.segs)
}

// lenientQuery reads a query string for routing: pairs that are not valid
// percent-encoding are skipped, and ';' is an ordinary character.
func lenientQuery(raw string) map[string][]string {
	q := map[string][]string{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		q[k] = append(q[k], v)
	}
	return q
}

// parseQuery reads a query string as AWS clients write it: pairs separated
// by '&', '+' and %20 for spaces, ';' an ordinary character. A pair that is
// not valid percent-encoding is an error.
func parseQuery(raw string) (url.Values, error) {
	q := url.Values{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			return nil, err
		}
		if v, err = url.QueryUnescape(v); err != nil {
			return nil, err
		}
		q[k] = append(q[k], v)
	}
	return q, nil
}

// literalQuery returns the literal query parameters of the requestUri of
// every operation whose input is input: they select the operation and are
// not data.
func literalQuery(m *model.Service, input *model.Shape) map[string]bool {
	keys := map[string]bool{}
	for _, op := range m.Operations {
		if op == nil || op.Input == nil || m.Shapes[op.Input.Shape] != input {
			continue
		}
		_, q := parseTemplate(op.HTTP.RequestURI)
		for _, l := range q {
			keys[l.key] = true
		}
	}
	return keys
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
