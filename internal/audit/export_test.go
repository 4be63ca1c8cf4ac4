package audit

import "time"

// SetPathEvery sets how often file sinks stat their path, for a test.
func SetPathEvery(d time.Duration) (restore func()) {
	old := pathEvery
	pathEvery = d
	return func() { pathEvery = old }
}
