package metrics

import (
	"strings"
	"testing"
	"time"
)

func TestHistogram(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{100 * time.Microsecond, 500 * time.Microsecond, 3 * time.Millisecond, 10 * time.Second} {
		h.Observe(d)
	}
	if n := h.Count(); n != 4 {
		t.Errorf("Count() = %d, want 4", n)
	}
	var b strings.Builder
	WriteHistogram(&b, "x_seconds", Labels("op", "a"), &h)
	got := b.String()
	for _, want := range []string{
		`x_seconds_bucket{op="a",le="0.0005"} 2` + "\n",
		`x_seconds_bucket{op="a",le="0.001"} 2` + "\n",
		`x_seconds_bucket{op="a",le="0.005"} 3` + "\n",
		`x_seconds_bucket{op="a",le="2.5"} 3` + "\n",
		`x_seconds_bucket{op="a",le="+Inf"} 4` + "\n",
		`x_seconds_sum{op="a"} 10.0036` + "\n",
		`x_seconds_count{op="a"} 4` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("WriteHistogram lacks %q:\n%s", want, got)
		}
	}
}

func TestLabelsEscape(t *testing.T) {
	if got, want := Labels("a", `x"y\z`+"\n", "b", "c"), `a="x\"y\\z\n",b="c"`; got != want {
		t.Errorf("Labels = %s, want %s", got, want)
	}
}

func TestObserveAllocatesNothing(t *testing.T) {
	var h Histogram
	if n := testing.AllocsPerRun(100, func() { h.Observe(time.Millisecond) }); n != 0 {
		t.Errorf("Observe allocates %v times, want 0", n)
	}
}
