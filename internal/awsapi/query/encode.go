package query

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// Namespace is the XML namespace of m's answers: the model's xmlNamespace
// (IAM: https://iam.amazonaws.com/doc/2010-05-08/, STS:
// https://sts.amazonaws.com/doc/2011-06-15/, the same the real services
// send), else the form those take, built from the endpoint prefix and API
// version. It is "" for a nil model.
func Namespace(m *model.Service) string {
	if m == nil {
		return ""
	}
	if m.Metadata.XMLNamespace != "" {
		return m.Metadata.XMLNamespace
	}
	if m.Metadata.EndpointPrefix == "" || m.Metadata.APIVersion == "" {
		return ""
	}
	return "https://" + m.Metadata.EndpointPrefix + ".amazonaws.com/doc/" + m.Metadata.APIVersion + "/"
}

// Encode writes the Query answer of operation op:
//
//	<OpResponse xmlns="…"><OpResult>…</OpResult><ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></OpResponse>
//
// out, the operation's typed output, is marshalled with encoding/json and
// written as output's members in model order; the result element is named
// by the operation output's resultWrapper (OpResult without one). An
// operation without output (output nil) answers only its ResponseMetadata.
// Lists are <Name><member>…</member></Name> (an empty list <Name/>; a
// required list member that out leaves null is written empty too, as IAM
// answers <Users/>), maps <Name><entry><key>…</key><value>…</value></entry></Name>,
// timestamps ISO 8601 in UTC (2026-11-23T10:00:00Z, with milliseconds only
// when they are not zero), booleans true or false, text XML-escaped. Nothing
// is written unless the whole answer could be built: an error means out does
// not fit the model, a bug for the router to answer as an internal error.
func Encode(w io.Writer, m *model.Service, op string, output *model.Shape, out any, requestID string) error {
	e := encoder{m: m}
	e.open(op+"Response", Namespace(m))
	if output != nil {
		wrapper := op + "Result"
		if o := m.Operations[op]; o != nil && o.Output != nil && o.Output.ResultWrapper != "" {
			wrapper = o.Output.ResultWrapper
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("query: %s output: %w", op, err)
		}
		v, err := decodeGeneric(raw)
		if err != nil {
			return fmt.Errorf("query: %s output: %w", op, err)
		}
		e.open(wrapper, "")
		if v != nil {
			fields, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("query: %s output: %T for a structure", op, v)
			}
			if err := e.members(output, fields, op+"Result"); err != nil {
				return err
			}
		}
		e.close(wrapper)
	}
	e.open("ResponseMetadata", "")
	e.open("RequestId", "")
	e.text(requestID)
	e.close("RequestId")
	e.close("ResponseMetadata")
	e.close(op + "Response")
	_, err := w.Write(e.buf.Bytes())
	return err
}

func decodeGeneric(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

type encoder struct {
	m   *model.Service
	buf bytes.Buffer
}

func (e *encoder) open(name, ns string) {
	e.buf.WriteByte('<')
	e.buf.WriteString(name)
	if ns != "" {
		e.buf.WriteString(` xmlns="`)
		xml.EscapeText(&e.buf, []byte(ns))
		e.buf.WriteByte('"')
	}
	e.buf.WriteByte('>')
}

func (e *encoder) close(name string) {
	e.buf.WriteString("</")
	e.buf.WriteString(name)
	e.buf.WriteByte('>')
}

func (e *encoder) empty(name string) {
	e.buf.WriteByte('<')
	e.buf.WriteString(name)
	e.buf.WriteString("/>")
}

// text writes s escaped: <, >, &, ', " and the white space XML would
// normalise (tab, newline, carriage return) as references; characters XML
// cannot carry become U+FFFD.
func (e *encoder) text(s string) { xml.EscapeText(&e.buf, []byte(s)) }

// elementName is a member's element: its locationName, else its name; a
// flattened list is named by its member's locationName when it has one.
func (e *encoder) elementName(name string, ref *model.Ref) string {
	if sh := e.m.Shapes[ref.Shape]; sh != nil && sh.Type == "list" && ref.Flattened && sh.Member != nil && sh.Member.LocationName != "" {
		return sh.Member.LocationName
	}
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return name
}

func (e *encoder) members(sh *model.Shape, fields map[string]any, path string) error {
	required := map[string]bool{}
	for _, r := range sh.Required {
		required[r] = true
	}
	for _, mem := range sh.SortedMembers() {
		v := fields[mem.Name]
		msh := e.m.Shapes[mem.Ref.Shape]
		if msh == nil {
			continue
		}
		name := e.elementName(mem.Name, mem.Ref)
		if v == nil {
			if required[mem.Name] && msh.Type == "list" && !mem.Ref.Flattened {
				e.empty(name)
			}
			continue
		}
		if err := e.value(name, msh, mem.Ref, v, path+"."+mem.Name); err != nil {
			return err
		}
	}
	return nil
}

func (e *encoder) value(name string, sh *model.Shape, ref *model.Ref, v any, path string) error {
	mismatch := func() error {
		return fmt.Errorf("query: %s: %T for a %s member", path, v, sh.Type)
	}
	switch sh.Type {
	case "structure":
		fields, ok := v.(map[string]any)
		if !ok {
			return mismatch()
		}
		e.open(name, "")
		if err := e.members(sh, fields, path); err != nil {
			return err
		}
		e.close(name)
		return nil
	case "list":
		items, ok := v.([]any)
		if !ok {
			return mismatch()
		}
		if sh.Member == nil {
			return mismatch()
		}
		esh := e.m.Shapes[sh.Member.Shape]
		if esh == nil {
			return mismatch()
		}
		if ref.Flattened {
			for i, it := range items {
				if it == nil {
					continue
				}
				if err := e.value(name, esh, sh.Member, it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
					return err
				}
			}
			return nil
		}
		if len(items) == 0 {
			e.empty(name)
			return nil
		}
		memberName := "member"
		if sh.Member.LocationName != "" {
			memberName = sh.Member.LocationName
		}
		e.open(name, "")
		for i, it := range items {
			if it == nil {
				continue
			}
			if err := e.value(memberName, esh, sh.Member, it, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		e.close(name)
		return nil
	case "map":
		entries, ok := v.(map[string]any)
		if !ok || sh.Key == nil || sh.Value == nil {
			return mismatch()
		}
		ksh, vsh := e.m.Shapes[sh.Key.Shape], e.m.Shapes[sh.Value.Shape]
		if ksh == nil || vsh == nil {
			return mismatch()
		}
		keyName, valueName := "key", "value"
		if sh.Key.LocationName != "" {
			keyName = sh.Key.LocationName
		}
		if sh.Value.LocationName != "" {
			valueName = sh.Value.LocationName
		}
		keys := make([]string, 0, len(entries))
		for k := range entries {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if !ref.Flattened {
			if len(keys) == 0 {
				e.empty(name)
				return nil
			}
			e.open(name, "")
		}
		for _, k := range keys {
			entry := "entry"
			if ref.Flattened {
				entry = name
			}
			e.open(entry, "")
			if err := e.value(keyName, ksh, sh.Key, k, path+"{}"); err != nil {
				return err
			}
			if ev := entries[k]; ev != nil {
				if err := e.value(valueName, vsh, sh.Value, ev, path+"{"+k+"}"); err != nil {
					return err
				}
			}
			e.close(entry)
		}
		if !ref.Flattened {
			e.close(name)
		}
		return nil
	}
	s, err := scalarText(sh, v)
	if err != nil {
		return fmt.Errorf("query: %s: %w", path, err)
	}
	e.open(name, "")
	e.text(s)
	e.close(name)
	return nil
}

// scalarText is the XML text of a scalar of sh, from its JSON form.
func scalarText(sh *model.Shape, v any) (string, error) {
	switch sh.Type {
	case "string", "character", "blob":
		if s, ok := v.(string); ok {
			return s, nil
		}
	case "boolean":
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	case "integer", "long", "short", "byte", "float", "double":
		if n, ok := v.(json.Number); ok {
			return string(n), nil
		}
	case "timestamp":
		var t time.Time
		switch tv := v.(type) {
		case json.Number: // sealbox.Timestamp: epoch seconds
			f, err := strconv.ParseFloat(string(tv), 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				return "", fmt.Errorf("bad epoch timestamp %q", tv)
			}
			t = time.UnixMilli(int64(math.Round(f * 1000)))
		case string: // time.Time: RFC 3339
			var err error
			if t, err = time.Parse(time.RFC3339Nano, tv); err != nil {
				return "", fmt.Errorf("bad timestamp %q", tv)
			}
		default:
			return "", fmt.Errorf("%T for a timestamp", v)
		}
		return FormatTime(t), nil
	}
	return "", fmt.Errorf("%T for a %s member", v, sh.Type)
}

// FormatTime is a timestamp as Query answers carry it: ISO 8601 in UTC,
// 2026-11-23T10:00:00Z as IAM sends, with milliseconds
// (2026-11-23T10:00:00.250Z) only when they are not zero.
func FormatTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/int(time.Millisecond) == 0 {
		return t.Format("2006-01-02T15:04:05Z")
	}
	return t.Format("2006-01-02T15:04:05.000Z")
}
