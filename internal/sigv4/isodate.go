package sigv4

import "time"

// The signing time's two forms, YYYYMMDD and YYYYMMDDTHHMMSSZ, written and
// read as time.Time's AppendFormat and time.Parse do with "20060102" and
// isoBasic, without walking a layout on every request. A time they do not
// cover (a year outside 0-9999) goes to the time package.

// appendDate appends t's date as t.AppendFormat(dst, "20060102").
func appendDate(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, "20060102")
	}
	return append2(append2(append4(dst, y), int(m)), d)
}

// appendISOBasic appends t as t.AppendFormat(dst, isoBasic).
func appendISOBasic(dst []byte, t time.Time) []byte {
	y, m, d := t.Date()
	if y < 0 || y > 9999 {
		return t.AppendFormat(dst, isoBasic)
	}
	hh, mm, ss := t.Clock()
	dst = append2(append2(append4(dst, y), int(m)), d)
	dst = append(dst, 'T')
	return append(append2(append2(append2(dst, hh), mm), ss), 'Z')
}

func append4(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/1000), byte('0'+n/100%10), byte('0'+n/10%10), byte('0'+n%10))
}

func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// parseISOBasic is time.Parse(isoBasic, v): the same time for every value
// it accepts, and time.Parse's own answer (and error) for any other.
func parseISOBasic(v string) (time.Time, error) {
	if len(v) != len(isoBasic) || v[8] != 'T' || v[15] != 'Z' {
		return time.Parse(isoBasic, v)
	}
	var n [14]int
	for i, j := 0, 0; i < 15; i++ {
		if i == 8 {
			continue
		}
		c := v[i]
		if c < '0' || c > '9' {
			return time.Parse(isoBasic, v)
		}
		n[j] = int(c - '0')
		j++
	}
	year := n[0]*1000 + n[1]*100 + n[2]*10 + n[3]
	month, day := n[4]*10+n[5], n[6]*10+n[7]
	hour, min, sec := n[8]*10+n[9], n[10]*10+n[11], n[12]*10+n[13]
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || min > 59 || sec > 59 {
		return time.Parse(isoBasic, v) // out of range: its error
	}
	return time.Date(year, time.Month(month), day, hour, min, sec, 0, time.UTC), nil
}

// daysIn is the number of days of month (1-12) in year.
func daysIn(month, year int) int {
	if month == 2 {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + (month+month/8)%2
}
