// Package wiretime reads a timestamp sent as epoch seconds, in the range
// AWS's clients can send, for the Query and REST-JSON codecs alike.
package wiretime

import (
	"math"
	"time"
)

// The range of an ISO 8601 timestamp's four-digit year (0001-01-01T00:00:00Z
// to 9999-12-31T23:59:59.999Z), in milliseconds: what botocore serializes
// (a Python datetime, years 1 to 9999: 253402300799 is its last epoch
// second) and what an ISO 8601 string, every protocol's other form, can
// name. Past it is a malformed timestamp, not a far date.
const (
	minMilli = -62135596800 * 1000
	maxMilli = 253402300800*1000 - 1
)

// Epoch is the time f epoch seconds name, to the millisecond, and whether
// it is in range (NaN and the infinities are not).
func Epoch(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	ms := math.Round(f * 1000)
	if ms < minMilli || ms > maxMilli {
		return time.Time{}, false
	}
	return time.UnixMilli(int64(ms)).UTC(), true
}
