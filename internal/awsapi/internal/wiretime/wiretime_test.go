package wiretime

import (
	"math"
	"testing"
	"time"
)

// TestEpochRange: epoch seconds are read from year 1 to the last
// millisecond of 9999 (botocore's, and ISO 8601's, range), and refused
// past either end.
func TestEpochRange(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string // "" refused
	}{
		{0, "1970-01-01T00:00:00Z"},
		{1795428000.5, "2026-11-23T10:00:00.5Z"},
		{253402300799, "9999-12-31T23:59:59Z"},
		{253402300799.999, "9999-12-31T23:59:59.999Z"},
		{253402300800, ""},
		{253402300799.9996, ""}, // rounds to year 10000
		{1e14, ""},
		{-62135596800, "0001-01-01T00:00:00Z"},
		{-62135596801, ""},
		{math.NaN(), ""},
		{math.Inf(1), ""},
	} {
		got, ok := Epoch(c.f)
		if c.want == "" {
			if ok {
				t.Errorf("Epoch(%v) = %v, want refused", c.f, got)
			}
			continue
		}
		if !ok || got.Format(time.RFC3339Nano) != c.want {
			t.Errorf("Epoch(%v) = %v, %v; want %s", c.f, got.Format(time.RFC3339Nano), ok, c.want)
		}
	}
}
