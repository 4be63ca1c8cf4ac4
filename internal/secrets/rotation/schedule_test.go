package rotation

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	from := time.Date(2026, 3, 10, 13, 25, 0, 0, time.UTC) // a Tuesday
	days := int64(30)
	for _, tc := range []struct {
		name  string
		rules Rules
		want  time.Time
	}{
		{"AutomaticallyAfterDays", Rules{AutomaticallyAfterDays: &days}, time.Date(2026, 4, 9, 0, 0, 0, 0, time.UTC)},
		{"rate days", Rules{ScheduleExpression: "rate(10 days)"}, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)},
		{"rate hours", Rules{ScheduleExpression: "rate(6 hours)", Duration: "2h"}, time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC)},
		{"cron days of month", Rules{ScheduleExpression: "cron(0 16 1,15 * ? *)"}, time.Date(2026, 3, 15, 16, 0, 0, 0, time.UTC)},
		{"cron same day later", Rules{ScheduleExpression: "cron(30 14 * * ? *)"}, time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)},
		{"cron hour steps weekdays", Rules{ScheduleExpression: "cron(0 8-19/4 ? * MON-FRI *)"}, time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC)},
		{"cron first Monday", Rules{ScheduleExpression: "cron(0 10 ? * 2#1 *)"}, time.Date(2026, 4, 6, 10, 0, 0, 0, time.UTC)},
		{"cron last day", Rules{ScheduleExpression: "cron(0 0 L * ? *)"}, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		{"cron last Friday", Rules{ScheduleExpression: "cron(0 1 ? * 6L *)"}, time.Date(2026, 3, 27, 1, 0, 0, 0, time.UTC)},
		{"cron named month and year", Rules{ScheduleExpression: "cron(0 0 1 JAN ? 2027)"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		sc, err := ParseRules(&tc.rules)
		if err != nil {
			t.Errorf("%s: ParseRules(%+v) = %v", tc.name, tc.rules, err)
			continue
		}
		if got := sc.Next(from); !got.Equal(tc.want) {
			t.Errorf("%s: Next(%v) = %v, want %v", tc.name, from, got, tc.want)
		}
	}
}

func TestScheduleRefused(t *testing.T) {
	days := int64(3)
	for _, r := range []Rules{
		{AutomaticallyAfterDays: &days, ScheduleExpression: "rate(3 days)"},
		{ScheduleExpression: "rate(2 hours)"},
		{ScheduleExpression: "rate(3 weeks)"},
		{ScheduleExpression: "rate(6 hours)", Duration: "7h"},
		{ScheduleExpression: "cron(0 8 1 * MON *)"},
		{ScheduleExpression: "cron(0 8 ? * ? *)"},
		{ScheduleExpression: "cron(0 25 * * ? *)"},
		{ScheduleExpression: "cron(0 8 * *)"},
		{ScheduleExpression: "cron(0 22 * * ? *)", Duration: "4h"},
		{ScheduleExpression: "every day"},
		{Duration: "3h"},
	} {
		if _, err := ParseRules(&r); err == nil {
			t.Errorf("ParseRules(%+v) = nil, want an error", r)
		}
	}
}
