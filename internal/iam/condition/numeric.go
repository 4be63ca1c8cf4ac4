package condition

import (
	"math"
	"strconv"
	"strings"
)

// Numeric operators compare a key with integer or decimal policy values.
// Policy values that are not numbers are refused when the policy is parsed;
// a request value that is not a number matches nothing.
type numericMatcher struct {
	vals []float64
	cmp  comparison
}

// comparison is the test an ordered family applies: request value cmp policy value.
type comparison uint8

const (
	equal comparison = iota
	less
	lessEqual
	greater
	greaterEqual
)

func comparisonOf(base, family string) comparison {
	switch strings.TrimPrefix(base, family) {
	case "LessThan":
		return less
	case "LessThanEquals":
		return lessEqual
	case "GreaterThan":
		return greater
	case "GreaterThanEquals":
		return greaterEqual
	}
	return equal // Equals and NotEquals
}

func (c comparison) holds(sign int) bool {
	switch c {
	case less:
		return sign < 0
	case lessEqual:
		return sign <= 0
	case greater:
		return sign > 0
	case greaterEqual:
		return sign >= 0
	}
	return sign == 0
}

func numericFamily(base string, values []string, _ bool) (matcher, error) {
	m := &numericMatcher{vals: make([]float64, len(values)), cmp: comparisonOf(base, "Numeric")}
	for i, v := range values {
		f, ok := parseNumber(v)
		if !ok {
			return nil, badValue(v, "it must be a number")
		}
		m.vals[i] = f
	}
	return m, nil
}

// parseNumber reads an integer or decimal: digits with an optional sign,
// fraction and exponent.
func parseNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	if !decimal(s) {
		// Checked first: strconv.ParseFloat allocates its error, and a
		// request value that is not a number is not worth an allocation.
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// decimal reports whether s is [+-]digits[.digits][(e|E)[+-]digits], with
// digits on at least one side of the point.
func decimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	n := i - start
	if i < len(s) && s[i] == '.' {
		i++
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		n += i - start
	}
	if n == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start = i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

func (m *numericMatcher) match(v string, _ Context) bool {
	f, ok := parseNumber(v)
	if !ok {
		return false
	}
	for _, want := range m.vals {
		sign := 0
		if f < want {
			sign = -1
		} else if f > want {
			sign = 1
		}
		if m.cmp.holds(sign) {
			return true
		}
	}
	return false
}
