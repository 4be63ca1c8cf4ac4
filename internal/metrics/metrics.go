// Package metrics counts in atomic counters laid out before the first call,
// and writes them in Prometheus' text exposition format (version 0.0.4),
// by hand as the rest of sealbox does. Counting allocates nothing and takes
// no lock: the hot path adds a few atomic adds per request.
package metrics

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// ContentType is the Content-Type of the text format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Buckets are the upper bounds of every latency histogram, from half a
// millisecond (a cached read) to 2.5 s (past any SDK's patience for one
// attempt); slower observations count in +Inf only.
var Buckets = [...]time.Duration{
	500 * time.Microsecond, time.Millisecond, 2500 * time.Microsecond, 5 * time.Millisecond,
	10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond,
	250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2500 * time.Millisecond,
}

// Histogram is a latency histogram over Buckets. The zero value is empty
// and ready; it is safe for concurrent use and must not be copied.
type Histogram struct {
	counts [len(Buckets) + 1]atomic.Uint64 // per bucket, not cumulative; last: over every bound
	nanos  atomic.Uint64                   // the sum of the observations
}

// Observe counts one observation of d.
func (h *Histogram) Observe(d time.Duration) {
	i := 0
	for i < len(Buckets) && d > Buckets[i] {
		i++
	}
	h.counts[i].Add(1)
	if d > 0 {
		h.nanos.Add(uint64(d))
	}
}

// Count is how many observations h has.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Header writes the HELP and TYPE lines of a metric family.
func Header(w io.Writer, name, typ, help string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

// Value writes one sample: name{labels} v. labels is what Labels made
// ("" for none).
func Value(w io.Writer, name, labels string, v uint64) {
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s%s %d\n", name, labels, v)
}

// WriteHistogram writes h's samples (cumulative buckets, sum in seconds,
// count) under name, with labels ("" for none) on each.
func WriteHistogram(w io.Writer, name, labels string, h *Histogram) {
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i := range h.counts {
		cum += h.counts[i].Load()
		le := "+Inf"
		if i < len(Buckets) {
			le = strconv.FormatFloat(Buckets[i].Seconds(), 'g', -1, 64)
		}
		fmt.Fprintf(w, "%s_bucket{%s%sle=%q} %d\n", name, labels, sep, le, cum)
	}
	sum := strconv.FormatFloat(time.Duration(h.nanos.Load()).Seconds(), 'g', -1, 64)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	// The count is the last cumulative bucket's, so the two agree even
	// while observations land.
	fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", name, labels, sum, name, labels, cum)
}

// Labels joins name, value pairs into a label set: service="kms",
// operation="Decrypt". Values are escaped as the format wants.
func Labels(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(pairs[i])
		b.WriteString(`="`)
		b.WriteString(escaper.Replace(pairs[i+1]))
		b.WriteByte('"')
	}
	return b.String()
}

var escaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
