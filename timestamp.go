package sealbox

import (
	"strconv"
	"time"
)

// Timestamp is a time that the AWS JSON protocols put on the wire as epoch
// seconds with millisecond precision, the form every AWS SDK parses.
type Timestamp struct{ time.Time }

// At returns t as a *Timestamp, or nil for the zero time, so that optional
// timestamps are left out of answers.
func At(t time.Time) *Timestamp {
	if t.IsZero() {
		return nil
	}
	return &Timestamp{t}
}

func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	t.Time = time.UnixMilli(int64(f * 1000)).UTC()
	return nil
}
