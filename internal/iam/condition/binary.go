package condition

import "encoding/base64"

// BinaryEquals compares a key byte for byte with the base64-encoded policy
// values. The request context holds the raw bytes (as a Go string).
type binaryMatcher struct {
	vals []string // decoded
}

func binaryFamily(_ string, values []string, _ bool) (matcher, error) {
	m := &binaryMatcher{vals: make([]string, len(values))}
	for i, v := range values {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return nil, badValue(v, "it must be base64")
		}
		m.vals[i] = string(b)
	}
	return m, nil
}

func (m *binaryMatcher) match(v string, _ Context) bool {
	for _, want := range m.vals {
		if v == want {
			return true
		}
	}
	return false
}
