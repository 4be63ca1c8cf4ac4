package audit

import "time"

// SetPathEvery sets how often file sinks stat their path, for a test.
func SetPathEvery(d time.Duration) (restore func()) {
	old := pathEvery
	pathEvery = d
	return func() { pathEvery = old }
}

// EncodeEvent is the Logger's encoding of e, without its newline.
func EncodeEvent(e *Event) ([]byte, error) { return appendEvent(nil, e) }

// EncodeLine is what Log does to encode e: its line, newline included.
func EncodeLine(e *Event) ([]byte, error) { return encodeLine(e) }
