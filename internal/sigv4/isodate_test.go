package sigv4

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestISODateMatchesTime: the signing time's forms are written and read
// as the time package does, for every day of years around now (leap and
// not), times of day, and strings near the format.
func TestISODateMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(tm time.Time) {
		t.Helper()
		if got, want := string(appendDate(nil, tm)), tm.Format("20060102"); got != want {
			t.Fatalf("appendDate(%v) = %q, want %q", tm, got, want)
		}
		if got, want := string(appendISOBasic(nil, tm)), tm.Format(isoBasic); got != want {
			t.Fatalf("appendISOBasic(%v) = %q, want %q", tm, got, want)
		}
	}
	parse := func(v string) {
		t.Helper()
		got, gerr := parseISOBasic(v)
		want, werr := time.Parse(isoBasic, v)
		if !got.Equal(want) || got.Location() != want.Location() || (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
			t.Fatalf("parseISOBasic(%q) = %v, %v; time.Parse = %v, %v", v, got, gerr, want, werr)
		}
	}
	for _, y := range []int{0, 1, 99, 1900, 1999, 2000, 2024, 2026, 2100, 2400, 9999, -1, 10000} {
		for d := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == y; d = d.AddDate(0, 0, 1) {
			tm := d.Add(time.Duration(rng.Int64N(int64(24 * time.Hour))))
			check(tm)
			if y >= 0 && y <= 9999 {
				parse(tm.Format(isoBasic))
			}
		}
	}
	for _, v := range []string{"", "20261207T065919Z", "20261207T065919", "20261207X065919Z", "20260229T000000Z", "20240229T000000Z",
		"20261131T000000Z", "20261301T000000Z", "20261200T000000Z", "20261207T240000Z", "20261207T236000Z", "20261207T235960Z",
		"2026120aT000000Z", "+0261207T000000Z", "20261207T00000 Z", "00000101T000000Z", "20261207t065919z"} {
		parse(v)
	}
	digits := []byte("0123456789")
	for range 20000 {
		b := []byte("20261207T065919Z")
		for range 1 + rng.IntN(3) {
			i := rng.IntN(len(b))
			if i != 8 && i != 15 {
				b[i] = digits[rng.IntN(10)]
			}
		}
		parse(string(b))
	}
}
