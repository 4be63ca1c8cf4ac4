package secrets

import (
	"testing"
	"time"
)

func TestScheduleNext(t *testing.T) {
	from := time.Date(2026, 3, 10, 13, 25, 0, 0, time.UTC) // a Tuesday
	days := int64(30)
	for _, tc := range []struct {
		name  string
		rules RotationRulesType
		want  time.Time
	}{
		{"AutomaticallyAfterDays", RotationRulesType{AutomaticallyAfterDays: &days}, time.Date(2026, 4, 9, 0, 0, 0, 0, time.UTC)},
		{"rate days", RotationRulesType{ScheduleExpression: "rate(10 days)"}, time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)},
		{"rate hours", RotationRulesType{ScheduleExpression: "rate(6 hours)", Duration: "2h"}, time.Date(2026, 3, 10, 19, 0, 0, 0, time.UTC)},
		{"cron days of month", RotationRulesType{ScheduleExpression: "cron(0 16 1,15 * ? *)"}, time.Date(2026, 3, 15, 16, 0, 0, 0, time.UTC)},
		{"cron same day later", RotationRulesType{ScheduleExpression: "cron(30 14 * * ? *)"}, time.Date(2026, 3, 10, 14, 30, 0, 0, time.UTC)},
		{"cron hour steps weekdays", RotationRulesType{ScheduleExpression: "cron(0 8-19/4 ? * MON-FRI *)"}, time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC)},
		{"cron first Monday", RotationRulesType{ScheduleExpression: "cron(0 10 ? * 2#1 *)"}, time.Date(2026, 4, 6, 10, 0, 0, 0, time.UTC)},
		{"cron last day", RotationRulesType{ScheduleExpression: "cron(0 0 L * ? *)"}, time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)},
		{"cron last Friday", RotationRulesType{ScheduleExpression: "cron(0 1 ? * 6L *)"}, time.Date(2026, 3, 27, 1, 0, 0, 0, time.UTC)},
		{"cron named month and year", RotationRulesType{ScheduleExpression: "cron(0 0 1 JAN ? 2027)"}, time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		sc, err := parseRules(&tc.rules)
		if err != nil {
			t.Errorf("%s: parseRules(%+v) = %v", tc.name, tc.rules, err)
			continue
		}
		if got := sc.next(from); !got.Equal(tc.want) {
			t.Errorf("%s: next(%v) = %v, want %v", tc.name, from, got, tc.want)
		}
	}
}

func TestScheduleRefused(t *testing.T) {
	days := int64(3)
	for _, r := range []RotationRulesType{
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
		if _, err := parseRules(&r); err == nil {
			t.Errorf("parseRules(%+v) = nil, want an error", r)
		}
	}
}

func TestSchemaSubset(t *testing.T) {
	const schema = `{"type":"object","required":["password"],"additionalProperties":false,
		"properties":{"password":{"type":"string","pattern":"^[A-Za-z0-9]+$","maxLength":40},
		"port":{"type":"integer","minimum":1,"maximum":65535},"engine":{"enum":["postgres","mysql"]},"ssl":{"type":"boolean"}}}`
	sec := &secretRecord{Tags: []Tag{{Key: validationTag, Value: schema}}}
	for value, ok := range map[string]bool{
		`{"password":"abc123","port":5432,"engine":"postgres","ssl":true}`: true,
		`{"password":"abc-123"}`:               false, // pattern
		`{"password":"abc","port":70000}`:      false, // maximum
		`{"password":"abc","port":54.5}`:       false, // integer
		`{"password":"abc","engine":"oracle"}`: false, // enum
		`{"password":"abc","extra":1}`:         false, // additionalProperties
		`{"port":5432}`:                        false, // required
		`["password"]`:                         false, // type
	} {
		if err := checkValue(sec, []byte(value), false); (err == nil) != ok {
			t.Errorf("checkValue(%s) = %v, want ok %v", value, err, ok)
		}
	}
	if err := checkValue(sec, []byte(`{"password":"abc"}`), true); err == nil {
		t.Errorf("checkValue(binary) = nil, want an error")
	}
}
