package loadgen

import (
	"math"
	"testing"
	"time"
)

// within reports whether got is within rel of want.
func within(got, want time.Duration, rel float64) bool {
	return math.Abs(float64(got-want)) <= rel*float64(want)
}

func TestBucketsCoverEveryValueWithinOnePercent(t *testing.T) {
	check := func(v int64) {
		t.Helper()
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d, want in [0, %d)", v, i, numBuckets)
		}
		lo, hi := bucketRange(i)
		if v < lo || v > hi {
			t.Fatalf("bucketRange(bucketOf(%d)) = [%d, %d], want it to hold %d", v, lo, hi, v)
		}
		if mid := lo + (hi-lo)/2; math.Abs(float64(mid-v)) > 0.004*float64(v)+0.5 {
			t.Fatalf("bucket of %d reports %d, more than 0.4%% off", v, mid)
		}
	}
	for v := int64(0); v < 1<<14; v++ {
		check(v)
	}
	for v := int64(1 << 14); v < maxValue; v = v*1001/1000 + 1 {
		check(v)
	}
	check(maxValue)
	if i := bucketOf(maxValue * 4); i != numBuckets-1 {
		t.Errorf("bucketOf(past the range) = %d, want the last bucket %d", i, numBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	t.Run("uniform 1µs..100ms", func(t *testing.T) {
		var h Histogram
		for i := 1; i <= 100_000; i++ {
			h.Record(time.Duration(i) * time.Microsecond)
		}
		for _, c := range []struct {
			q    float64
			want time.Duration
		}{
			{0.5, 50 * time.Millisecond},
			{0.9, 90 * time.Millisecond},
			{0.99, 99 * time.Millisecond},
			{0.999, 99900 * time.Microsecond},
			{0.00001, time.Microsecond},
		} {
			if got := h.Quantile(c.q); !within(got, c.want, 0.005) {
				t.Errorf("Quantile(%v) = %v, want %v ± 0.5%%", c.q, got, c.want)
			}
		}
		if got, want := h.Quantile(0), time.Microsecond; got != want {
			t.Errorf("Quantile(0) = %v, want the exact min %v", got, want)
		}
		if got, want := h.Quantile(1), 100*time.Millisecond; got != want {
			t.Errorf("Quantile(1) = %v, want the exact max %v", got, want)
		}
		if got, want := h.Mean(), 50000500*time.Nanosecond; got != want {
			t.Errorf("Mean() = %v, want %v", got, want)
		}
		if got := h.Count(); got != 100_000 {
			t.Errorf("Count() = %d, want 100000", got)
		}
	})
	t.Run("bimodal", func(t *testing.T) {
		// 990 fast, 10 slow: the p99 is the last fast one, p99.9 a slow one.
		var h Histogram
		for i := 0; i < 990; i++ {
			h.Record(2 * time.Millisecond)
		}
		for i := 0; i < 10; i++ {
			h.Record(300 * time.Millisecond)
		}
		for _, c := range []struct {
			q    float64
			want time.Duration
		}{
			{0.5, 2 * time.Millisecond},
			{0.99, 2 * time.Millisecond},
			{0.991, 300 * time.Millisecond},
			{0.999, 300 * time.Millisecond},
		} {
			if got := h.Quantile(c.q); !within(got, c.want, 0.004) {
				t.Errorf("Quantile(%v) = %v, want %v ± 0.4%%", c.q, got, c.want)
			}
		}
	})
	t.Run("small values are exact", func(t *testing.T) {
		var h Histogram
		for _, v := range []time.Duration{3, 7, 7, 100} {
			h.Record(v)
		}
		if got := h.Quantile(0.5); got != 7 {
			t.Errorf("Quantile(0.5) = %v, want 7ns", got)
		}
	})
	t.Run("empty", func(t *testing.T) {
		var h Histogram
		if got := h.Quantile(0.99); got != 0 {
			t.Errorf("empty Quantile(0.99) = %v, want 0", got)
		}
	})
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i*i) * time.Microsecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	if m != all {
		t.Errorf("merging two halves = count %d min %v max %v p50 %v, want count %d min %v max %v p50 %v",
			m.Count(), m.Min(), m.Max(), m.Quantile(0.5), all.Count(), all.Min(), all.Max(), all.Quantile(0.5))
	}
}
