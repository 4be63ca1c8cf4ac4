package condition

import (
	"strings"
	"time"
)

// Date operators compare a key (aws:CurrentTime, aws:EpochTime,
// aws:TokenIssueTime, ...) with points in time written in the W3C profile
// of ISO 8601 (2020-01-01, 2020-01-01T00:00:01Z, 2020-01-01T00:00:01.5+02:00)
// or as epoch seconds (1577836801). As in AWS, a value with neither a "T"
// nor a "-" is epoch seconds. A time without a zone is UTC.
type dateMatcher struct {
	vals []time.Time
	cmp  comparison
}

func dateFamily(base string, values []string, _ bool) (matcher, error) {
	m := &dateMatcher{vals: make([]time.Time, len(values)), cmp: comparisonOf(base, "Date")}
	for i, v := range values {
		t, ok := ParseTime(v)
		if !ok {
			return nil, badValue(v, "it must be an ISO 8601 date or epoch seconds")
		}
		m.vals[i] = t
	}
	return m, nil
}

func (m *dateMatcher) match(v string, _ Context) bool {
	t, ok := ParseTime(v)
	if !ok {
		return false
	}
	for _, want := range m.vals {
		if m.cmp.holds(t.Compare(want)) {
			return true
		}
	}
	return false
}

// ParseTime reads a date condition value: ISO 8601 (W3C profile: YYYY-MM,
// YYYY-MM-DD, YYYY-MM-DDThh:mm, YYYY-MM-DDThh:mm:ss with an optional
// fraction, each with an optional Z or ±hh:mm zone) or epoch seconds. It does
// not allocate.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if strings.IndexByte(s, '-') < 0 && !strings.ContainsAny(s, "Tt") {
		sec, ok := digits(s, 1, 18)
		if !ok {
			return time.Time{}, false
		}
		return time.Unix(sec, 0).UTC(), true
	}
	p := parser{s: s}
	year, ok := p.num(4)
	if !ok {
		return time.Time{}, false
	}
	month, day := int64(1), int64(1)
	var hour, min, sec, nsec, offset int64
	if p.eat('-') {
		if month, ok = p.num(2); !ok || month < 1 || month > 12 {
			return time.Time{}, false
		}
		if p.eat('-') {
			if day, ok = p.num(2); !ok || day < 1 || day > 31 {
				return time.Time{}, false
			}
			if p.eat('T') || p.eat('t') {
				if hour, ok = p.num(2); !ok || hour > 23 || !p.eat(':') {
					return time.Time{}, false
				}
				if min, ok = p.num(2); !ok || min > 59 {
					return time.Time{}, false
				}
				if p.eat(':') {
					if sec, ok = p.num(2); !ok || sec > 59 {
						return time.Time{}, false
					}
					if p.eat('.') {
						start := p.i
						var frac int64
						for p.i < len(p.s) && isDigit(p.s[p.i]) {
							if p.i-start < 9 {
								frac = frac*10 + int64(p.s[p.i]-'0')
							}
							p.i++
						}
						n := p.i - start
						if n == 0 {
							return time.Time{}, false
						}
						for ; n < 9; n++ {
							frac *= 10
						}
						nsec = frac
					}
				}
				switch {
				case p.eat('Z') || p.eat('z'):
				case p.i < len(p.s) && (p.s[p.i] == '+' || p.s[p.i] == '-'):
					sign := int64(1)
					if p.s[p.i] == '-' {
						sign = -1
					}
					p.i++
					zh, ok := p.num(2)
					if !ok || zh > 23 {
						return time.Time{}, false
					}
					p.eat(':')
					zm, ok := p.num(2)
					if !ok || zm > 59 {
						return time.Time{}, false
					}
					offset = sign * (zh*3600 + zm*60)
				}
			}
		}
	}
	if p.i != len(p.s) {
		return time.Time{}, false
	}
	t := time.Date(int(year), time.Month(month), int(day), int(hour), int(min), int(sec), int(nsec), time.UTC)
	if t.Day() != int(day) { // February 30th and the like
		return time.Time{}, false
	}
	// Built in UTC and shifted, rather than in a FixedZone, so as not to
	// allocate a Location on the request path.
	return t.Add(-time.Duration(offset) * time.Second), true
}

type parser struct {
	s string
	i int
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// num reads exactly n digits.
func (p *parser) num(n int) (int64, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v, ok := digits(p.s[p.i:p.i+n], n, n)
	if ok {
		p.i += n
	}
	return v, ok
}

// digits reads a string of between min and max decimal digits.
func digits(s string, min, max int) (int64, bool) {
	if len(s) < min || len(s) > max {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		v = v*10 + int64(s[i]-'0')
	}
	return v, true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
