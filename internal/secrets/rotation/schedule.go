package rotation

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
)

// Rules are a secret's RotationRules, as RotateSecret took them and the
// secret's record keeps them.
type Rules struct {
	AutomaticallyAfterDays *int64 `json:"AutomaticallyAfterDays,omitempty"`
	Duration               string `json:"Duration,omitempty"`
	ScheduleExpression     string `json:"ScheduleExpression,omitempty"`
}

// Schedule is a rotation schedule, from RotationRules: AutomaticallyAfterDays, or a
// ScheduleExpression rate(N days|hours) or cron(...), and the window
// (Duration) in which a rotation may run. All times are UTC, as in AWS.
// sealbox starts a rotation at the opening of its window; the window only
// bounds how late a rotation may start.
type Schedule struct {
	days, hours int       // rate(N days) / AutomaticallyAfterDays, rate(N hours)
	cron        *cronExpr // cron(...)
	window      time.Duration
}

// ParseRules checks rules as RotateSecret does and returns the schedule,
// or nil when rules set none. Its errors are InvalidParameterException.
func ParseRules(r *Rules) (*Schedule, error) {
	if r == nil || r.AutomaticallyAfterDays == nil && r.ScheduleExpression == "" {
		if r != nil && r.Duration != "" {
			return nil, errInvalidParameter("Duration needs a ScheduleExpression or AutomaticallyAfterDays.")
		}
		return nil, nil
	}
	sc := &Schedule{}
	switch expr := strings.TrimSpace(r.ScheduleExpression); {
	case r.AutomaticallyAfterDays != nil && expr != "":
		return nil, errInvalidParameter("You cannot specify both rotation frequency and schedule expression together.")
	case r.AutomaticallyAfterDays != nil:
		n := *r.AutomaticallyAfterDays
		if n < 1 || n > 1000 {
			return nil, errInvalidParameter("AutomaticallyAfterDays must be between 1 and 1000.")
		}
		sc.days = int(n)
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		f := strings.Fields(expr[len("rate(") : len(expr)-1])
		n, err := strconv.Atoi(firstOr(f, ""))
		if len(f) != 2 || err != nil {
			return nil, errInvalidParameter("Invalid rate expression %q: use rate(N days) or rate(N hours).", expr)
		}
		switch f[1] {
		case "day", "days":
			if n < 1 || n > 1000 {
				return nil, errInvalidParameter("A rate in days must be between 1 and 1000 days.")
			}
			sc.days = n
		case "hour", "hours":
			if n < 4 || n > 23 {
				return nil, errInvalidParameter("A rate in hours must be between 4 and 23 hours: you can rotate a secret as often as every four hours.")
			}
			sc.hours = n
		default:
			return nil, errInvalidParameter("Invalid rate expression %q: use rate(N days) or rate(N hours).", expr)
		}
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		c, err := parseCron(expr[len("cron(") : len(expr)-1])
		if err != nil {
			return nil, err
		}
		sc.cron = c
	default:
		return nil, errInvalidParameter("Invalid ScheduleExpression %q: use rate() or cron().", expr)
	}
	if r.Duration != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(r.Duration, "h"))
		if !strings.HasSuffix(r.Duration, "h") || err != nil || n < 1 || n > 24 {
			return nil, errInvalidParameter("Duration must be between 1h and 24h.")
		}
		sc.window = time.Duration(n) * time.Hour
	}
	if err := sc.checkWindow(); err != nil {
		return nil, err
	}
	return sc, nil
}

func errInvalidParameter(format string, args ...any) error {
	return sealbox.Errorf("InvalidParameterException", format, args...)
}

func firstOr(s []string, def string) string {
	if len(s) == 0 {
		return def
	}
	return s[0]
}

// checkWindow refuses a window that extends into the next UTC day or into
// the next rotation window (RotationRules' documentation).
func (sc *Schedule) checkWindow() error {
	if sc.window == 0 {
		return nil
	}
	if sc.hours > 0 && sc.window > time.Duration(sc.hours)*time.Hour {
		return errInvalidParameter("The rotation window can't extend into the next rotation window.")
	}
	if sc.cron != nil {
		for h := 23; h >= 0; h-- {
			if sc.cron.hours[h] {
				if time.Duration(h)*time.Hour+sc.window > 24*time.Hour {
					return errInvalidParameter("The rotation window can't extend into the next UTC day.")
				}
				break
			}
		}
	}
	return nil
}

// Next is when the first rotation window after t opens.
func (sc *Schedule) Next(t time.Time) time.Time {
	t = t.UTC()
	switch {
	case sc.days > 0: // the window opens at midnight
		return t.Truncate(24*time.Hour).AddDate(0, 0, sc.days)
	case sc.hours > 0:
		return t.Truncate(time.Hour).Add(time.Duration(sc.hours) * time.Hour)
	default:
		return sc.cron.next(t)
	}
}

// cronExpr is a Secrets Manager cron expression: minutes hours day-of-month
// month day-of-week year, with the forms AWS documents: *, ?, lists,
// ranges, steps (a/b, */b), month and day names, L (last day of the month),
// d#n (the nth weekday d of the month) and dL (the last weekday d).
type cronExpr struct {
	minutes [60]bool
	hours   [24]bool
	dom     [32]bool
	domAny  bool
	domLast bool
	months  [13]bool
	dow     [8]bool // 1 = Sunday, as AWS counts
	dowAny  bool
	nth     [][2]int // {weekday, n}
	lastDow []int
	years   map[int]bool // nil: every year
}

var (
	monthNames = []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}
	dayNames   = []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}
)

func errCron(expr, why string) error {
	return errInvalidParameter("Invalid cron expression cron(%s): %s", expr, why)
}

func parseCron(expr string) (*cronExpr, error) {
	f := strings.Fields(expr)
	if len(f) != 6 {
		return nil, errCron(expr, "it must have six fields: minutes hours day-of-month month day-of-week year.")
	}
	c := &cronExpr{}
	if err := setField(f[0], 0, 59, nil, c.minutes[:]); err != nil {
		return nil, errCron(expr, "minutes: "+err.Error())
	}
	if err := setField(f[1], 0, 23, nil, c.hours[:]); err != nil {
		return nil, errCron(expr, "hours: "+err.Error())
	}
	if err := setField(f[3], 1, 12, monthNames, c.months[:]); err != nil {
		return nil, errCron(expr, "month: "+err.Error())
	}
	switch {
	case f[2] == "?" && f[4] == "?", f[2] != "?" && f[4] != "?":
		return nil, errCron(expr, "one of day-of-month and day-of-week must be ? (and only one).")
	case f[2] == "?":
		c.domAny = true
		if f[4] == "*" {
			c.dowAny = true
		} else if err := c.setDow(f[4]); err != nil {
			return nil, errCron(expr, "day-of-week: "+err.Error())
		}
	default:
		c.dowAny = true
		if f[2] == "L" {
			c.domLast = true
		} else if f[2] == "*" {
			c.domAny = true
		} else if err := setField(f[2], 1, 31, nil, c.dom[:]); err != nil {
			return nil, errCron(expr, "day-of-month: "+err.Error())
		}
	}
	if f[5] != "*" {
		c.years = map[int]bool{}
		ys := make([]bool, 2200)
		if err := setField(f[5], 1970, 2199, nil, ys); err != nil {
			return nil, errCron(expr, "year: "+err.Error())
		}
		for y, ok := range ys {
			if ok {
				c.years[y] = true
			}
		}
	}
	return c, nil
}

func (c *cronExpr) setDow(s string) error {
	var rest []string
	for _, item := range strings.Split(s, ",") {
		if d, n, ok := strings.Cut(item, "#"); ok {
			wd, err := cronValue(d, 1, 7, dayNames)
			k, err2 := strconv.Atoi(n)
			if err != nil || err2 != nil || k < 1 || k > 5 {
				return errf("%q is not a weekday#n with n from 1 to 5", item)
			}
			c.nth = append(c.nth, [2]int{wd, k})
			continue
		}
		if d, ok := strings.CutSuffix(item, "L"); ok {
			wd := 7 // "L" alone: the last Saturday, as AWS reads it
			if d != "" {
				var err error
				if wd, err = cronValue(d, 1, 7, dayNames); err != nil {
					return err
				}
			}
			c.lastDow = append(c.lastDow, wd)
			continue
		}
		rest = append(rest, item)
	}
	if len(rest) > 0 {
		return setField(strings.Join(rest, ","), 1, 7, dayNames, c.dow[:])
	}
	return nil
}

type cronError string

func (e cronError) Error() string { return string(e) }

func errf(format string, args ...any) error {
	return cronError(fmt.Sprintf(format, args...))
}

// cronValue reads a number or a name (names[i] is min+i).
func cronValue(s string, min, max int, names []string) (int, error) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return min + i, nil
		}
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < min || v > max {
		return 0, errf("%q is not a value from %d to %d", s, min, max)
	}
	return v, nil
}

// setField marks in set the values a field names: *, a, a-b, with /step.
func setField(s string, min, max int, names []string, set []bool) error {
	for _, item := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			var err error
			if step, err = strconv.Atoi(stepStr); err != nil || step < 1 {
				return errf("%q has an invalid step", item)
			}
		}
		lo, hi := min, max
		switch {
		case rng == "*":
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, min, max, names); err != nil {
				return err
			}
			if hi, err = cronValue(b, min, max, names); err != nil {
				return err
			}
			if hi < lo {
				return errf("%q is an empty range", item)
			}
		default:
			v, err := cronValue(rng, min, max, names)
			if err != nil {
				return err
			}
			lo = v
			if !hasStep {
				hi = v
			}
		}
		for v := lo; v <= hi; v += step {
			set[v] = true
		}
	}
	return nil
}

// matchDay reports whether the UTC day d is one the expression names.
func (c *cronExpr) matchDay(d time.Time) bool {
	if c.years != nil && !c.years[d.Year()] || !c.months[int(d.Month())] {
		return false
	}
	last := time.Date(d.Year(), d.Month()+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if !c.dowAny {
		wd := int(d.Weekday()) + 1
		if c.dow[wd] {
			return true
		}
		for _, n := range c.nth {
			if n[0] == wd && (d.Day()-1)/7+1 == n[1] {
				return true
			}
		}
		for _, l := range c.lastDow {
			if l == wd && d.Day()+7 > last {
				return true
			}
		}
		return false
	}
	if c.domLast {
		return d.Day() == last
	}
	return c.domAny || c.dom[d.Day()]
}

// next is the first minute after t the expression names, or the zero time
// when none comes in the next five years.
func (c *cronExpr) next(t time.Time) time.Time {
	day := t.Truncate(24 * time.Hour)
	for i := 0; i < 5*366; i++ {
		d := day.AddDate(0, 0, i)
		if !c.matchDay(d) {
			continue
		}
		for h := 0; h < 24; h++ {
			if !c.hours[h] {
				continue
			}
			for m := 0; m < 60; m++ {
				if at := d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute); c.minutes[m] && at.After(t) {
					return at
				}
			}
		}
	}
	return time.Time{}
}
