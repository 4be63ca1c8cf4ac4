package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// The histogram's layout, HDR-style: values below 2^subBits nanoseconds get
// a bucket each; above, every power of two [2^e, 2^(e+1)) is cut into
// 2^subBits equal buckets. A bucket is then at most 1/2^subBits = 0.78% of
// the values it holds wide, and the midpoint it reports is within half of
// that, 0.39%, of any of them.
const (
	subBits    = 7
	subCount   = 1 << subBits
	maxExp     = 40 // 2^41 ns ≈ 36 minutes; longer latencies are clamped
	numBuckets = subCount + (maxExp-subBits+1)*subCount
	maxValue   = int64(1)<<(maxExp+1) - 1
)

// Histogram records latencies in a fixed set of log-linear buckets, so
// recording never allocates and any percentile is within 0.4% of the true
// value. The zero value is empty and ready to use; a Histogram is about
// 35 KB. It is not safe for concurrent use: give each worker its own and
// Merge them.
type Histogram struct {
	counts   [numBuckets]uint64
	n        uint64
	sum      time.Duration
	min, max time.Duration
}

func bucketOf(v int64) int {
	if v < subCount {
		return int(v)
	}
	if v > maxValue {
		v = maxValue
	}
	e := bits.Len64(uint64(v)) - 1 // 2^e <= v < 2^(e+1), e >= subBits
	shift := e - subBits
	return subCount + shift*subCount + int(v>>shift) - subCount
}

// bucketRange returns the smallest and largest value bucket i holds.
func bucketRange(i int) (lo, hi int64) {
	if i < subCount {
		return int64(i), int64(i)
	}
	shift := (i - subCount) / subCount
	sub := int64((i-subCount)%subCount) + subCount
	lo = sub << shift
	return lo, lo + int64(1)<<shift - 1
}

// Record adds one latency; negative values count as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(int64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds o's values to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Min and Max are the exact extremes; 0 when empty.
func (h *Histogram) Min() time.Duration { return h.min }
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the exact mean; 0 when empty.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the value at quantile q in [0, 1] (0.5 is the median,
// 0.99 the 99th percentile): the smallest recorded value v such that at
// least q of the values are <= v, within 0.4%. It is 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	switch {
	case q <= 0:
		return h.min
	case q >= 1:
		return h.max
	}
	// The epsilon keeps q·n that float arithmetic puts a hair above an
	// integer (0.99·1000) on that integer.
	rank := uint64(math.Ceil(q*float64(h.n) - 1e-9))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen < rank {
			continue
		}
		lo, hi := bucketRange(i)
		v := time.Duration(lo + (hi-lo)/2)
		// The extremes are known exactly; never report past them.
		return min(max(v, h.min), h.max)
	}
	return h.max
}
