package restjson

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/internal/wiretime"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// timestampFormat is a timestamp's wire form: the member's timestampFormat,
// else its shape's, else the protocol's default for where it travels
// (unixTimestamp in a JSON body, iso8601 in a label or query, rfc822 in a
// header).
func timestampFormat(sh *model.Shape, ref *model.Ref, fallback string) string {
	if ref != nil && ref.TimestampFormat != "" {
		return ref.TimestampFormat
	}
	if sh != nil && sh.TimestampFormat != "" {
		return sh.TimestampFormat
	}
	return fallback
}

// parseTime reads a timestamp in any of the forms AWS clients send: ISO
// 8601 (2026-11-23T10:00:00Z, with fractional seconds or an offset), an
// HTTP date (Mon, 23 Nov 2026 10:00:00 GMT), or epoch seconds.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return wiretime.Epoch(f)
	}
	return time.Time{}, false
}

// epochNumber is t as the generic value carries a timestamp: epoch seconds
// with millisecond precision, as sealbox.Timestamp marshals it.
func epochNumber(t time.Time) json.Number {
	b, _ := sealbox.Timestamp{Time: t}.MarshalJSON()
	return json.Number(b)
}

// genericTime reads a timestamp of the generic value: epoch seconds (what
// sealbox.Timestamp marshals) or a string in a form parseTime reads (what a
// time.Time marshals).
func genericTime(v any) (time.Time, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return time.Time{}, false
		}
		return wiretime.Epoch(f)
	case string:
		return parseTime(v)
	}
	return time.Time{}, false
}

// formatTime writes t in a timestamp format: epoch seconds as a JSON
// number for unixTimestamp, else a string.
func formatTime(t time.Time, format string) any {
	t = t.UTC()
	switch format {
	case "iso8601":
		if t.Nanosecond()/1e6 != 0 {
			return t.Format("2006-01-02T15:04:05.000Z")
		}
		return t.Format("2006-01-02T15:04:05Z")
	case "rfc822":
		return t.Format(http.TimeFormat)
	}
	return epochNumber(t)
}
