package agent

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// metrics are the agent's counters, shown at GET /metrics in Prometheus'
// text format. Safe for concurrent use; nothing on the hit path locks.
type metrics struct {
	requests  sync.Map // requestLabel -> *atomic.Uint64
	hits      [kinds]atomic.Uint64
	misses    [kinds]atomic.Uint64
	stale     [kinds]atomic.Uint64
	evictions counterVec[evictReason]

	upstreamCalls  [kinds]counterVec[outcome]
	upstreamTime   [kinds]histogram
	upstreamActive atomic.Int64

	feedState   atomic.Int32 // a feedState
	feedChanges atomic.Uint64
	feedResets  atomic.Uint64
	feedErrors  atomic.Uint64
	feedLag     histogram
	feedLastLag atomic.Int64 // nanoseconds

	prefetched atomic.Int64
	entries    func() int
}

type requestLabel struct {
	route string
	code  int
}

func (m *metrics) request(route string, code int) {
	l := requestLabel{route, code}
	v, ok := m.requests.Load(l)
	if !ok {
		v, _ = m.requests.LoadOrStore(l, new(atomic.Uint64))
	}
	v.(*atomic.Uint64).Add(1)
}

// counterVec counts by a small enum label.
type counterVec[L ~int] struct{ v [8]atomic.Uint64 }

func (c *counterVec[L]) add(l L, n uint64) { c.v[l].Add(n) }
func (c *counterVec[L]) get(l L) uint64    { return c.v[l].Load() }

type evictReason int

const (
	evictSize    evictReason = iota // the cache was full: least recently used out
	evictExpired                    // past TTL and the stale bound
	evictChange                     // the change feed said it changed
	evictReset                      // the change feed may have missed changes
	evictError                      // the upstream said it is gone or unreadable
	evictReasons
)

var evictNames = [...]string{"size", "expired", "change", "reset", "error"}

type outcome int

const (
	outcomeOK outcome = iota
	outcomeError
	outcomeTimeout
	outcomeConnection
	outcomes
)

var outcomeNames = [...]string{"ok", "error", "timeout", "connection"}

type feedState int32

const (
	feedOff feedState = iota
	feedConnecting
	feedConnected
	feedRetrying
	feedUnsupported
	feedStates
)

var feedStateNames = [...]string{"off", "connecting", "connected", "retrying", "unsupported"}

// histogram has fixed buckets, in seconds.
type histogram struct {
	counts [len(buckets) + 1]atomic.Uint64
	sumNs  atomic.Int64
}

var buckets = [...]float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

func (h *histogram) observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	s := d.Seconds()
	i := sort.SearchFloat64s(buckets[:], s) // first bucket >= s
	h.counts[i].Add(1)
	h.sumNs.Add(int64(d))
}

func (h *histogram) write(w io.Writer, name, labels string) {
	var cum uint64
	sep := ""
	if labels != "" {
		sep = ","
	}
	for i, b := range buckets {
		cum += h.counts[i].Load()
		fmt.Fprintf(w, "%s_bucket{%s%sle=%q} %d\n", name, labels, sep, strconv.FormatFloat(b, 'g', -1, 64), cum)
	}
	cum += h.counts[len(buckets)].Load()
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	fmt.Fprintf(w, "%s_sum%s %s\n", name, braces(labels), float(time.Duration(h.sumNs.Load()).Seconds()))
	fmt.Fprintf(w, "%s_count%s %d\n", name, braces(labels), cum)
}

func braces(labels string) string {
	if labels == "" {
		return ""
	}
	return "{" + labels + "}"
}

func float(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return "0"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// write writes every metric in Prometheus' text exposition format 0.0.4.
func (m *metrics) write(w io.Writer) {
	head := func(name, typ, help string) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
	}

	head("sealbox_agent_requests_total", "counter", "Requests answered, by route and HTTP status.")
	var labels []requestLabel
	m.requests.Range(func(k, _ any) bool { labels = append(labels, k.(requestLabel)); return true })
	sort.Slice(labels, func(i, j int) bool {
		if labels[i].route != labels[j].route {
			return labels[i].route < labels[j].route
		}
		return labels[i].code < labels[j].code
	})
	for _, l := range labels {
		v, _ := m.requests.Load(l)
		fmt.Fprintf(w, "sealbox_agent_requests_total{route=%q,code=\"%d\"} %d\n", l.route, l.code, v.(*atomic.Uint64).Load())
	}

	perKind := func(name, help string, v *[kinds]atomic.Uint64) {
		head(name, "counter", help)
		for k := range kinds {
			fmt.Fprintf(w, "%s{service=%q} %d\n", name, kindNames[k], v[k].Load())
		}
	}
	perKind("sealbox_agent_cache_hits_total", "Answers served from the cache within their TTL.", &m.hits)
	perKind("sealbox_agent_cache_misses_total", "Requests the cache could not answer within the TTL (refreshNow included).", &m.misses)
	perKind("sealbox_agent_cache_stale_served_total", "Answers served past their TTL because the upstream failed transiently.", &m.stale)

	head("sealbox_agent_cache_evictions_total", "counter", "Entries dropped from the cache, by reason.")
	for r := range evictReasons {
		fmt.Fprintf(w, "sealbox_agent_cache_evictions_total{reason=%q} %d\n", evictNames[r], m.evictions.get(r))
	}
	head("sealbox_agent_cache_entries", "gauge", "Entries in the cache.")
	n := 0
	if m.entries != nil {
		n = m.entries()
	}
	fmt.Fprintf(w, "sealbox_agent_cache_entries %d\n", n)
	head("sealbox_agent_prefetched_items", "gauge", "Items the last prefetch loaded.")
	fmt.Fprintf(w, "sealbox_agent_prefetched_items %d\n", m.prefetched.Load())

	head("sealbox_agent_upstream_requests_total", "counter", "Calls to the upstream service, by service and outcome (one per attempt).")
	for k := range kinds {
		for o := range outcomes {
			fmt.Fprintf(w, "sealbox_agent_upstream_requests_total{service=%q,outcome=%q} %d\n", kindNames[k], outcomeNames[o], m.upstreamCalls[k].get(o))
		}
	}
	head("sealbox_agent_upstream_in_flight", "gauge", "Calls to the upstream under way.")
	fmt.Fprintf(w, "sealbox_agent_upstream_in_flight %d\n", m.upstreamActive.Load())
	head("sealbox_agent_upstream_seconds", "histogram", "Latency of calls to the upstream service.")
	for k := range kinds {
		m.upstreamTime[k].write(w, "sealbox_agent_upstream_seconds", fmt.Sprintf("service=%q", kindNames[k]))
	}

	head("sealbox_agent_feed_state", "gauge", "The change feed's state: 1 for the current one.")
	cur := feedState(m.feedState.Load())
	for s := range feedStates {
		v := 0
		if s == cur {
			v = 1
		}
		fmt.Fprintf(w, "sealbox_agent_feed_state{state=%q} %d\n", feedStateNames[s], v)
	}
	head("sealbox_agent_feed_changes_total", "counter", "Changes received from the change feed.")
	fmt.Fprintf(w, "sealbox_agent_feed_changes_total %d\n", m.feedChanges.Load())
	head("sealbox_agent_feed_resets_total", "counter", "Times the change feed said changes may have been missed (the cache was dropped).")
	fmt.Fprintf(w, "sealbox_agent_feed_resets_total %d\n", m.feedResets.Load())
	head("sealbox_agent_feed_errors_total", "counter", "Failed calls to the change feed (each followed by a backoff).")
	fmt.Fprintf(w, "sealbox_agent_feed_errors_total %d\n", m.feedErrors.Load())
	head("sealbox_agent_feed_lag_seconds", "histogram", "Time from a change's commit on the server to its eviction here.")
	m.feedLag.write(w, "sealbox_agent_feed_lag_seconds", "")
	head("sealbox_agent_feed_last_lag_seconds", "gauge", "Feed lag of the last change received.")
	fmt.Fprintf(w, "sealbox_agent_feed_last_lag_seconds %s\n", float(time.Duration(m.feedLastLag.Load()).Seconds()))
}
