package audit

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/jsonenc"
)

// The events' JSON without reflection. Log encodes every event, and
// json.Marshal spent most of its time walking Event's fields and the
// generic values by reflection (a sixth of a Decrypt's server CPU with the
// rest of the audit path). appendEvent writes the same bytes as
// json.Marshal, byte for byte: the trails are hash-chained, and a record
// encoded differently would no longer compare with its other copy (the
// file's and the store's are compared by hash) or with older records.
// FuzzEncodeEventMatchesJSON and the corpus test hold it to that.
//
// Values of a type it does not know (a caller's own type, a pointer, a
// Marshaler) are encoded by json.Marshal, as the value they are; any error
// makes Log encode the whole event with json.Marshal, so that what fails
// fails as it always did.

// errEncode means appendEvent could not encode the event as json.Marshal
// would: the caller encodes it with json.Marshal instead.
var errEncode = errors.New("audit: event needs encoding/json")

// maxDepth is how deep appendValue nests before it hands the rest to
// json.Marshal, which finds cycles (a map holding itself): recursing here
// would not end.
const maxDepth = 100

// appendEvent appends json.Marshal(e)'s bytes to dst.
func appendEvent(dst []byte, e *Event) ([]byte, error) {
	var err error
	dst = append(dst, `{"eventVersion":`...)
	dst = jsonenc.AppendString(dst, e.EventVersion)
	dst = append(dst, `,"userIdentity":`...)
	dst = appendIdentity(dst, &e.UserIdentity)
	dst = append(dst, `,"eventTime":`...)
	if dst, err = appendTime(dst, e.EventTime); err != nil {
		return dst, err
	}
	dst = append(dst, `,"eventSource":`...)
	dst = jsonenc.AppendString(dst, e.EventSource)
	dst = append(dst, `,"eventName":`...)
	dst = jsonenc.AppendString(dst, e.EventName)
	dst = append(dst, `,"awsRegion":`...)
	dst = jsonenc.AppendString(dst, e.AWSRegion)
	dst = append(dst, `,"sourceIPAddress":`...)
	dst = jsonenc.AppendString(dst, e.SourceIPAddress)
	dst = append(dst, `,"userAgent":`...)
	dst = jsonenc.AppendString(dst, e.UserAgent)
	if e.ErrorCode != "" {
		dst = append(dst, `,"errorCode":`...)
		dst = jsonenc.AppendString(dst, e.ErrorCode)
	}
	if e.ErrorMessage != "" {
		dst = append(dst, `,"errorMessage":`...)
		dst = jsonenc.AppendString(dst, e.ErrorMessage)
	}
	dst = append(dst, `,"requestParameters":`...)
	if dst, err = appendValue(dst, e.RequestParameters, 0); err != nil {
		return dst, err
	}
	dst = append(dst, `,"responseElements":`...)
	if dst, err = appendValue(dst, e.ResponseElements, 0); err != nil {
		return dst, err
	}
	dst = append(dst, `,"requestID":`...)
	dst = jsonenc.AppendString(dst, e.RequestID)
	dst = append(dst, `,"eventID":`...)
	dst = jsonenc.AppendString(dst, e.EventID)
	dst = append(dst, `,"readOnly":`...)
	dst = strconv.AppendBool(dst, e.ReadOnly)
	if len(e.Resources) > 0 {
		dst = append(dst, `,"resources":[`...)
		for i := range e.Resources {
			r := &e.Resources[i]
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"accountId":`...)
			dst = jsonenc.AppendString(dst, r.AccountID)
			dst = append(dst, `,"type":`...)
			dst = jsonenc.AppendString(dst, r.Type)
			dst = append(dst, `,"ARN":`...)
			dst = jsonenc.AppendString(dst, r.ARN)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"eventType":`...)
	dst = jsonenc.AppendString(dst, e.EventType)
	dst = append(dst, `,"managementEvent":`...)
	dst = strconv.AppendBool(dst, e.ManagementEvent)
	dst = append(dst, `,"recipientAccountId":`...)
	dst = jsonenc.AppendString(dst, e.RecipientAccountID)
	dst = append(dst, `,"eventCategory":`...)
	dst = jsonenc.AppendString(dst, e.EventCategory)
	if len(e.AdditionalData) > 0 {
		dst = append(dst, `,"additionalEventData":`...)
		if dst, err = appendMap(dst, e.AdditionalData, 0); err != nil {
			return dst, err
		}
	}
	if len(e.ServiceEventDetails) > 0 {
		dst = append(dst, `,"serviceEventDetails":`...)
		if dst, err = appendMap(dst, e.ServiceEventDetails, 0); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendIdentity(dst []byte, u *UserIdentity) []byte {
	dst = append(dst, `{"type":`...)
	dst = jsonenc.AppendString(dst, u.Type)
	dst = appendOmit(dst, `,"principalId":`, u.PrincipalID)
	dst = appendOmit(dst, `,"arn":`, u.ARN)
	dst = appendOmit(dst, `,"accountId":`, u.AccountID)
	dst = appendOmit(dst, `,"accessKeyId":`, u.AccessKeyID)
	dst = appendOmit(dst, `,"userName":`, u.UserName)
	dst = appendOmit(dst, `,"invokedBy":`, u.InvokedBy)
	dst = appendOmit(dst, `,"identityProvider":`, u.IdentityProvider)
	if sc := u.SessionContext; sc != nil {
		dst = append(dst, `,"sessionContext":{`...)
		if si := sc.SessionIssuer; si != nil {
			dst = append(dst, `"sessionIssuer":{"type":`...)
			dst = jsonenc.AppendString(dst, si.Type)
			dst = append(dst, `,"principalId":`...)
			dst = jsonenc.AppendString(dst, si.PrincipalID)
			dst = append(dst, `,"arn":`...)
			dst = jsonenc.AppendString(dst, si.ARN)
			dst = append(dst, `,"accountId":`...)
			dst = jsonenc.AppendString(dst, si.AccountID)
			dst = append(dst, `,"userName":`...)
			dst = jsonenc.AppendString(dst, si.UserName)
			dst = append(dst, `},`...)
		}
		dst = append(dst, `"attributes":`...)
		dst = appendStringMap(dst, sc.Attributes)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// appendOmit appends a string member tagged omitempty.
func appendOmit(dst []byte, name, s string) []byte {
	if s == "" {
		return dst
	}
	return jsonenc.AppendString(append(dst, name...), s)
}

// appendTime appends t as time.Time's MarshalJSON does, without its
// allocation; a time it refuses (a year outside 0-9999, an offset of a day
// or more) is errEncode. The checks are MarshalJSON's, on the same text.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if t.Location() == time.UTC {
		if y := t.Year(); 0 <= y && y <= 9999 {
			return append(appendUTC(append(dst, '"'), t), '"'), nil
		}
	}
	dst = append(dst, '"')
	n0 := len(dst)
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	num2 := func(b []byte) byte { return 10*(b[0]-'0') + (b[1] - '0') }
	switch {
	case dst[n0+len("9999")] != '-': // the year is 4 digits exactly
		return dst, errEncode
	case dst[len(dst)-1] != 'Z':
		c := dst[len(dst)-len("Z07:00")]
		if ('0' <= c && c <= '9') || num2(dst[len(dst)-len("07:00"):]) >= 24 {
			return dst, errEncode
		}
	}
	return append(dst, '"'), nil
}

// appendUTC appends t, a UTC time of a year of 4 digits, as
// t.AppendFormat(dst, time.RFC3339Nano) does (the fraction's trailing
// zeros dropped, and its dot when none is left), without walking the
// layout for every event: every event's time is one (sealbox.Request.Time).
func appendUTC(dst []byte, t time.Time) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+mo/10), byte('0'+mo%10), '-', byte('0'+d/10), byte('0'+d%10), 'T',
		byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	if ns := t.Nanosecond(); ns != 0 {
		var frac [10]byte
		frac[0] = '.'
		for i := 9; i > 0; i-- {
			frac[i] = byte('0' + ns%10)
			ns /= 10
		}
		n := 10
		for frac[n-1] == '0' {
			n--
		}
		dst = append(dst, frac[:n]...)
	}
	return append(dst, 'Z')
}

// appendValue appends a generic value: what jsonvalue decodes and the
// services put in requestParameters and the like.
func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case string:
		return jsonenc.AppendString(dst, v), nil
	case map[string]any:
		return appendMap(dst, v, depth)
	case []any:
		if v == nil {
			return append(dst, "null"...), nil
		}
		if depth >= maxDepth {
			return appendJSON(dst, v)
		}
		dst = append(dst, '[')
		for i, x := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			var err error
			if dst, err = appendValue(dst, x, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, ']'), nil
	case json.Number:
		s := string(v)
		if s == "" {
			s = "0"
		}
		if !validNumber(s) {
			return dst, errEncode
		}
		return append(dst, s...), nil
	case bool:
		return strconv.AppendBool(dst, v), nil
	case float64:
		return jsonFloat(dst, v, 64)
	case float32:
		return jsonFloat(dst, float64(v), 32)
	case int:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(dst, v, 10), nil
	case int32:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(dst, int64(v), 10), nil
	case uint:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(dst, v, 10), nil
	case uint32:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(dst, uint64(v), 10), nil
	case map[string]string:
		return appendStringMap(dst, v), nil
	case *string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return jsonenc.AppendString(dst, *v), nil
	case *sealbox.Params:
		if v == nil {
			return append(dst, "null"...), nil
		}
		return appendParams(dst, *v, depth)
	case []string:
		if v == nil {
			return append(dst, "null"...), nil
		}
		dst = append(dst, '[')
		for i, s := range v {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = jsonenc.AppendString(dst, s)
		}
		return append(dst, ']'), nil
	}
	return appendJSON(dst, v)
}

// appendJSON appends what json.Marshal makes of v: a value of a type
// appendValue does not know, encoded as encoding/json encodes it inside
// an event.
func appendJSON(dst []byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// sortedKeys returns m's keys in encoding/json's order (bytewise), in buf
// when they fit.
func sortedKeys[V any](buf []string, m map[string]V) []string {
	keys := buf[:0]
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) <= 8 {
		for i := 1; i < len(keys); i++ { // insertion sort: the usual few keys
			for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
				keys[j], keys[j-1] = keys[j-1], keys[j]
			}
		}
	} else {
		slices.Sort(keys)
	}
	return keys
}

func appendMap(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if m == nil {
		return append(dst, "null"...), nil
	}
	if depth >= maxDepth {
		return appendJSON(dst, m)
	}
	var buf [16]string
	dst = append(dst, '{')
	for i, k := range sortedKeys(buf[:], m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonenc.AppendString(dst, k)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, m[k], depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

// appendParams appends p as the object json.Marshal makes of it: its
// members in name order, found without sorting p itself (it is the
// record's).
func appendParams(dst []byte, p sealbox.Params, depth int) ([]byte, error) {
	if p == nil {
		return append(dst, "null"...), nil
	}
	if depth >= maxDepth || len(p) > 16 {
		return appendJSON(dst, p)
	}
	var order [16]uint8
	for i := range p {
		order[i] = uint8(i)
		for j := i; j > 0 && p[order[j]].Name < p[order[j-1]].Name; j-- { // insertion sort: a few names
			order[j], order[j-1] = order[j-1], order[j]
		}
	}
	dst = append(dst, '{')
	for i, o := range order[:len(p)] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonenc.AppendString(dst, p[o].Name)
		dst = append(dst, ':')
		var err error
		if dst, err = appendValue(dst, p[o].Value, depth+1); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, "null"...)
	}
	var buf [16]string
	dst = append(dst, '{')
	for i, k := range sortedKeys(buf[:], m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonenc.AppendString(dst, k)
		dst = append(dst, ':')
		dst = jsonenc.AppendString(dst, m[k])
	}
	return append(dst, '}')
}

// validNumber is encoding/json's isValidNumber: the JSON number grammar.
func validNumber(s string) bool {
	if s == "" {
		return false
	}
	if s[0] == '-' {
		s = s[1:]
		if s == "" {
			return false
		}
	}
	switch {
	default:
		return false
	case s[0] == '0':
		s = s[1:]
	case '1' <= s[0] && s[0] <= '9':
		s = s[1:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && s[0] == '.' && '0' <= s[1] && s[1] <= '9' {
		s = s[2:]
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	if len(s) >= 2 && (s[0] == 'e' || s[0] == 'E') {
		s = s[1:]
		if s[0] == '+' || s[0] == '-' {
			s = s[1:]
			if s == "" {
				return false
			}
		}
		for len(s) > 0 && '0' <= s[0] && s[0] <= '9' {
			s = s[1:]
		}
	}
	return s == ""
}

// jsonFloat is jsonenc.AppendFloat with its refusal as errEncode: the event
// goes to json.Marshal, which fails on it as it always did.
func jsonFloat(dst []byte, f float64, bits int) ([]byte, error) {
	out, err := jsonenc.AppendFloat(dst, f, bits)
	if err != nil {
		return dst, errEncode
	}
	return out, nil
}
