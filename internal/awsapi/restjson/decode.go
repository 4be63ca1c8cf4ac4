package restjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/internal/wiretime"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// Decode turns a REST-JSON request into the generic value a JSON request
// of input's shape decodes to with json.Decoder.UseNumber, the value the
// shared request path validates, redacts and binds into the operation's
// input:
// structures are map[string]any keyed by member name, lists []any, maps
// map[string]any, strings and blobs (base64) string, booleans bool, numbers
// json.Number, and timestamps json.Number epoch seconds (what
// sealbox.Timestamp binds).
//
// Members come from where the model binds them:
//
//	uri          labels, from Table.Match (percent-decoded)
//	querystring  r.URL.RawQuery; a list from the repeated key
//	             (?tagKeys=a&tagKeys=b); a map takes every parameter no
//	             other member or literal of the requestUri claims
//	header       r.Header; a list from comma-separated values, a jsonvalue
//	             string from base64
//	headers      every header with the prefix, keyed by the rest of its
//	             name in lower case
//	payload      the whole body: a blob as base64, a string as text, a
//	             structure as JSON ({} is nothing: botocore sends it when
//	             the member is not set)
//	(none)       the JSON object of the body, keyed by locationName or
//	             member name
//
// Text values of uri, querystring and header members are read as their
// type: booleans true or false, integers in their range, timestamps ISO
// 8601 in labels and queries and HTTP dates in headers (each form is
// accepted anywhere, and epoch seconds), blobs base64. An empty body, and
// unknown members, query parameters and headers, are nothing; names are
// matched exactly. A body is read strictly (jsonvalue): a member named
// twice, at any depth, is refused, and so is a query parameter given twice
// for one value. A nil input shape yields an empty object.
//
// A request that cannot be read is a *sealbox.Error with its HTTP status
// set: a text value that is not of its type is the model's
// InvalidParameterValueException (SerializationException for a model
// without one); a body that is not JSON, or whose JSON does not have the
// model's types, is the model's InvalidRequestContentException, as Lambda
// answers (SerializationException for a model without one).
func Decode(r *http.Request, body []byte, m *model.Service, input *model.Shape, labels map[string]string) (map[string]any, error) {
	out := map[string]any{}
	if input == nil || input.Type != "structure" {
		return out, nil
	}
	d := decoder{m: m}
	query, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, d.paramError("The query string is not valid percent-encoded text.")
	}
	claimed := map[string]bool{}
	var queryMaps []model.Member
	bodyMembers := false
	for _, mem := range input.SortedMembers() {
		sh := m.Shapes[mem.Ref.Shape]
		if sh == nil {
			continue
		}
		name := locationName(mem.Name, mem.Ref)
		var v any
		var ok bool
		switch mem.Ref.Location {
		case "uri":
			var s string
			if s, ok = labels[name]; ok {
				v, err = d.text(sh, mem.Ref, s, "uri", name)
			}
		case "querystring":
			if sh.Type == "map" {
				queryMaps = append(queryMaps, mem)
				continue
			}
			claimed[name] = true
			v, ok, err = d.queryValue(sh, mem.Ref, query[name], name)
		case "header":
			v, ok, err = d.headerValue(sh, mem.Ref, r.Header.Values(name), name)
		case "headers":
			v, ok, err = d.headerMap(sh, r.Header, name, boundHeaders(input))
		case "statusCode":
			continue
		default:
			if input.Payload == "" {
				bodyMembers = true
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if ok {
			out[mem.Name] = v
		}
	}
	if len(queryMaps) > 0 {
		for k := range literalQuery(m, input) {
			claimed[k] = true
		}
		for _, mem := range queryMaps {
			v, ok, err := d.queryMap(m.Shapes[mem.Ref.Shape], query, claimed)
			if err != nil {
				return nil, err
			}
			if ok {
				out[mem.Name] = v
			}
		}
	}
	switch {
	case input.Payload != "":
		ref := input.Members[input.Payload]
		if ref == nil {
			break
		}
		v, ok, err := d.payload(m.Shapes[ref.Shape], ref, body, input.Payload)
		if err != nil {
			return nil, err
		}
		if ok {
			out[input.Payload] = v
		}
	case bodyMembers:
		if err := d.bodyMembers(input, body, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// locationName is the member's name on the wire: its locationName (a
// label, query parameter or header name, or a body member's JSON name),
// else its member name.
func locationName(name string, ref *model.Ref) string {
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return name
}

type decoder struct {
	m *model.Service
}

func (d *decoder) paramError(msg string) *sealbox.Error {
	code := paramCode(d.m)
	st, _ := Status(d.m, code)
	return &sealbox.Error{Code: code, Status: st, Message: msg}
}

func (d *decoder) bodyError(msg string) *sealbox.Error {
	code := bodyCode(d.m)
	st, _ := Status(d.m, code)
	return &sealbox.Error{Code: code, Status: st, Message: "Could not parse request body into json: " + msg}
}

// invalid is the error for a text value that cannot be read as its type.
// The value is quoted (shortened) unless the model marks it sensitive.
func (d *decoder) invalid(sh *model.Shape, value, where, name, why string) *sealbox.Error {
	shown := value
	if sh.Sensitive {
		shown = "***"
	} else {
		shown = strings.ToValidUTF8(shown, "\uFFFD")
		if r := []rune(shown); len(r) > 64 {
			shown = string(r[:64]) + "..."
		}
	}
	kind := map[string]string{"uri": "path parameter", "querystring": "query parameter", "header": "header"}[where]
	return d.paramError(fmt.Sprintf("Value (%s) for %s %s is invalid. %s", shown, kind, name, why))
}

// text reads the text of a uri, querystring or header value as a value of
// sh.
func (d *decoder) text(sh *model.Shape, ref *model.Ref, s, where, name string) (any, error) {
	switch sh.Type {
	case "string", "character":
		if !utf8.ValidString(s) {
			return nil, d.invalid(sh, s, where, name, "Expected UTF-8 text.")
		}
		if where == "header" && ref.JSONValue {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil || !json.Valid(b) {
				return nil, d.invalid(sh, s, where, name, "Expected base64-encoded JSON.")
			}
			return string(b), nil
		}
		return s, nil
	case "boolean":
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
		return nil, d.invalid(sh, s, where, name, "Expected true or false.")
	case "integer", "long", "short", "byte":
		bits := intBits[sh.Type]
		i, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			return nil, d.invalid(sh, s, where, name, fmt.Sprintf("Expected a %d-bit integer.", bits))
		}
		return json.Number(strconv.FormatInt(i, 10)), nil
	case "float", "double":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, d.invalid(sh, s, where, name, "Expected a number.")
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case "timestamp":
		t, ok := parseTime(strings.TrimSpace(s))
		if !ok {
			want := "an ISO 8601 timestamp such as 2026-11-23T10:00:00Z"
			if where == "header" {
				want = "an HTTP date such as Mon, 23 Nov 2026 10:00:00 GMT"
			}
			return nil, d.invalid(sh, s, where, name, "Expected "+want+".")
		}
		return epochNumber(t), nil
	case "blob":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, d.invalid(sh, s, where, name, "Expected base64-encoded bytes.")
		}
		return s, nil
	}
	return nil, d.invalid(sh, s, where, name, "This parameter cannot be sent here.")
}

var intBits = map[string]int{"integer": 32, "long": 64, "short": 16, "byte": 8}

func (d *decoder) queryValue(sh *model.Shape, ref *model.Ref, vals []string, name string) (any, bool, error) {
	if len(vals) == 0 {
		return nil, false, nil
	}
	if sh.Type != "list" {
		if len(vals) > 1 {
			// Two values for one member: which one is meant is not ours
			// to guess (the audit event and the operation could read
			// different ones).
			return nil, false, d.paramError(fmt.Sprintf("The query parameter %s is repeated: it takes one value.", shortName(name)))
		}
		v, err := d.text(sh, ref, vals[0], "querystring", name)
		return v, err == nil, err
	}
	if sh.Member == nil {
		return nil, false, nil
	}
	esh := d.m.Shapes[sh.Member.Shape]
	if esh == nil {
		return nil, false, nil
	}
	out, err := d.elements(esh, sh.Member, vals, "querystring", name)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// elements reads each of items as an element of a list in a querystring
// or a header: esh, the shape of ref, the list's member.
func (d *decoder) elements(esh *model.Shape, ref *model.Ref, items []string, loc, name string) ([]any, error) {
	out := make([]any, 0, len(items))
	for _, s := range items {
		v, err := d.text(esh, ref, s, loc, name)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// queryMap reads a querystring map (Smithy's @httpQueryParams): every
// parameter no other member claims, its first value, or all of them for a
// map of lists.
func (d *decoder) queryMap(sh *model.Shape, query map[string][]string, claimed map[string]bool) (any, bool, error) {
	if sh == nil || sh.Value == nil {
		return nil, false, nil
	}
	vsh := d.m.Shapes[sh.Value.Shape]
	if vsh == nil {
		return nil, false, nil
	}
	out := map[string]any{}
	for k, vals := range query {
		if claimed[k] || len(vals) == 0 || !utf8.ValidString(k) {
			continue
		}
		v, ok, err := d.queryValue(vsh, sh.Value, vals, k)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[k] = v
		}
	}
	return out, len(out) > 0, nil
}

func (d *decoder) headerValue(sh *model.Shape, ref *model.Ref, vals []string, name string) (any, bool, error) {
	if len(vals) == 0 {
		return nil, false, nil
	}
	if sh.Type != "list" {
		v, err := d.text(sh, ref, strings.Join(vals, ", "), "header", name)
		return v, err == nil, err
	}
	if sh.Member == nil {
		return nil, false, nil
	}
	esh := d.m.Shapes[sh.Member.Shape]
	if esh == nil {
		return nil, false, nil
	}
	var items []string
	for _, v := range vals {
		items = append(items, splitHeaderList(v, esh.Type == "timestamp" && timestampFormat(esh, sh.Member, "rfc822") == "rfc822")...)
	}
	if len(items) == 0 {
		return nil, false, nil
	}
	out, err := d.elements(esh, sh.Member, items, "header", name)
	if err != nil {
		return nil, false, err
	}
	return out, true, nil
}

// splitHeaderList splits a header's comma-separated list: elements are
// trimmed, and a quoted element ("a,b") may hold commas and \" escapes.
// HTTP dates hold a comma of their own, so a list of them is split at
// every second comma.
func splitHeaderList(s string, httpDates bool) []string {
	var out []string
	if strings.TrimSpace(s) == "" {
		return nil
	}
	if httpDates {
		parts := strings.Split(s, ",")
		for i := 0; i < len(parts); i += 2 {
			e := parts[i]
			if i+1 < len(parts) {
				e += "," + parts[i+1]
			}
			out = append(out, strings.TrimSpace(e))
		}
		return out
	}
	for {
		s = strings.TrimLeft(s, " \t")
		if strings.HasPrefix(s, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				b.WriteByte(s[i])
			}
			out = append(out, b.String())
			rest := ""
			if i < len(s) {
				rest = s[i+1:]
			}
			_, after, found := strings.Cut(rest, ",")
			if !found {
				return out
			}
			s = after
			continue
		}
		e, after, found := strings.Cut(s, ",")
		out = append(out, strings.TrimSpace(e))
		if !found {
			return out
		}
		s = after
	}
}

// boundHeaders lists the headers input's header members read, in
// canonical form.
func boundHeaders(input *model.Shape) map[string]bool {
	bound := map[string]bool{}
	for name, ref := range input.Members {
		if ref != nil && ref.Location == "header" {
			bound[http.CanonicalHeaderKey(locationName(name, ref))] = true
		}
	}
	return bound
}

// headerMap reads the headers with the prefix (Smithy's
// @httpPrefixHeaders) that no header member reads: keys are the rest of
// the header name in lower case (the server sees names in canonical case,
// not as the client wrote them).
func (d *decoder) headerMap(sh *model.Shape, h http.Header, prefix string, bound map[string]bool) (any, bool, error) {
	if sh.Type != "map" || sh.Value == nil {
		return nil, false, nil
	}
	vsh := d.m.Shapes[sh.Value.Shape]
	if vsh == nil {
		return nil, false, nil
	}
	out := map[string]any{}
	for k, vals := range h {
		if len(k) <= len(prefix) || !strings.EqualFold(k[:len(prefix)], prefix) || bound[http.CanonicalHeaderKey(k)] {
			continue
		}
		v, ok, err := d.headerValue(vsh, sh.Value, vals, k)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[strings.ToLower(k[len(prefix):])] = v
		}
	}
	return out, len(out) > 0, nil
}

// payload reads the body as the payload member.
func (d *decoder) payload(sh *model.Shape, ref *model.Ref, body []byte, name string) (any, bool, error) {
	if sh == nil || len(body) == 0 {
		return nil, false, nil
	}
	switch sh.Type {
	case "blob":
		return base64.StdEncoding.EncodeToString(body), true, nil
	case "string":
		if !utf8.Valid(body) {
			return nil, false, d.bodyError("the body is not UTF-8 text.")
		}
		return string(body), true, nil
	}
	v, err := d.parseJSON(body)
	if err != nil || v == nil {
		return nil, false, err
	}
	// botocore sends {} when the payload member is not set.
	if obj, ok := v.(map[string]any); ok && len(obj) == 0 && (sh.Type == "structure" || sh.Type == "union") {
		return nil, false, nil
	}
	out, err := d.bodyValue(sh, ref, v, model.WireName(name))
	return out, err == nil && out != nil, err
}

// bodyMembers reads the JSON object of the body into the body members of
// input.
func (d *decoder) bodyMembers(input *model.Shape, body []byte, out map[string]any) error {
	v, err := d.parseJSON(body)
	if err != nil || v == nil {
		return err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return d.bodyError("the body must be a JSON object.")
	}
	for _, mem := range input.SortedMembers() {
		if mem.Ref.Location != "" {
			continue
		}
		raw, ok := obj[locationName(mem.Name, mem.Ref)]
		if !ok || raw == nil {
			continue
		}
		sh := d.m.Shapes[mem.Ref.Shape]
		if sh == nil {
			continue
		}
		val, err := d.bodyValue(sh, mem.Ref, raw, model.WireName(mem.Name))
		if err != nil {
			return err
		}
		out[mem.Name] = val
	}
	return nil
}

// parseJSON decodes a body strictly (a member named twice, at any depth,
// is refused: the model's code for a body it cannot read); an empty one
// (or white space) is nil.
func (d *decoder) parseJSON(body []byte) (any, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	v, err := jsonvalue.Decode(body)
	if err != nil {
		return nil, d.bodyError(err.Error() + ".")
	}
	return v, nil
}

// bodyValue turns a JSON value of the body into the generic value of sh:
// structure members renamed from their JSON names to member names, unknown
// members and nulls dropped, timestamps made epoch seconds, and every
// value checked against its type.
func (d *decoder) bodyValue(sh *model.Shape, ref *model.Ref, v any, path string) (any, error) {
	if sh == nil || v == nil {
		return nil, nil
	}
	mismatch := func(want string) error {
		return d.bodyError(fmt.Sprintf("Unexpected value type at '%s': expected %s.", path, want))
	}
	switch sh.Type {
	case "structure", "union":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch("an object")
		}
		out := map[string]any{}
		for _, mem := range sh.SortedMembers() {
			raw, ok := obj[locationName(mem.Name, mem.Ref)]
			if !ok || raw == nil {
				continue
			}
			val, err := d.bodyValue(d.m.Shapes[mem.Ref.Shape], mem.Ref, raw, joinPath(path, model.WireName(mem.Name)))
			if err != nil {
				return nil, err
			}
			if val != nil {
				out[mem.Name] = val
			}
		}
		return out, nil
	case "list":
		l, ok := v.([]any)
		if !ok {
			return nil, mismatch("a list")
		}
		out := make([]any, len(l))
		if sh.Member == nil {
			return out, nil
		}
		esh := d.m.Shapes[sh.Member.Shape]
		for i, e := range l {
			val, err := d.bodyValue(esh, sh.Member, e, fmt.Sprintf("%s.%d.member", path, i+1))
			if err != nil {
				return nil, err
			}
			out[i] = val
		}
		return out, nil
	case "map":
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, mismatch("an object")
		}
		out := make(map[string]any, len(obj))
		var vsh *model.Shape
		var vref *model.Ref
		if sh.Value != nil {
			vsh, vref = d.m.Shapes[sh.Value.Shape], sh.Value
		}
		for k, e := range obj {
			val, err := d.bodyValue(vsh, vref, e, path+".value")
			if err != nil {
				return nil, err
			}
			out[k] = val
		}
		return out, nil
	case "string", "character":
		if _, ok := v.(string); !ok {
			return nil, mismatch("a string")
		}
		return v, nil
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, mismatch("a boolean")
		}
		return v, nil
	case "integer", "long", "short", "byte":
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch("a number")
		}
		bits := intBits[sh.Type]
		if _, err := strconv.ParseInt(string(n), 10, bits); err != nil {
			return nil, mismatch(fmt.Sprintf("a %d-bit integer", bits))
		}
		return n, nil
	case "float", "double":
		n, ok := v.(json.Number)
		if !ok {
			return nil, mismatch("a number")
		}
		if _, err := strconv.ParseFloat(string(n), 64); err != nil {
			return nil, mismatch("a number in range")
		}
		return n, nil
	case "timestamp":
		switch t := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(t), 64)
			if _, ok := wiretime.Epoch(f); err != nil || !ok {
				return nil, mismatch("a timestamp")
			}
			return t, nil
		case string:
			tm, ok := parseTime(t)
			if !ok {
				return nil, mismatch("a timestamp")
			}
			return epochNumber(tm), nil
		}
		return nil, mismatch("a timestamp")
	case "blob":
		s, ok := v.(string)
		if !ok {
			return nil, mismatch("a base64 string")
		}
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, mismatch("base64-encoded bytes")
		}
		return s, nil
	}
	// document and anything newer: as sent.
	return v, nil
}

// shortName is a parameter name fit for a message.
func shortName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if r := []rune(name); len(r) > 64 {
		name = string(r[:64]) + "..."
	}
	return name
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}
