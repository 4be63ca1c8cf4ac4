package iam

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// A policy document is read into a small tree of JSON values rather than
// into structs, so that Parse sees what was written: field names exactly as
// spelled, duplicate fields (refused: two readers of one document must not
// see two policies), values of the wrong type, and how deep the input nests.

// maxDepth bounds nesting. The deepest valid policy is
// document → Statement list → statement → Condition → operator → key → value list: 7.
const maxDepth = 10

type jsonKind uint8

const (
	jsonNull jsonKind = iota
	jsonBool
	jsonNumber
	jsonString
	jsonArray
	jsonObject
)

func (k jsonKind) String() string {
	return [...]string{"null", "boolean", "number", "string", "list", "object"}[k]
}

type jsonValue struct {
	kind   jsonKind
	span   span   // a statement's (see reader); zero for other values
	text   string // string value, number as written, "true"/"false"
	items  []jsonValue
	fields []jsonField
}

type jsonField struct {
	name  string
	value jsonValue
}

var (
	errJSONDepth     = errors.New("policy nests too deeply")
	errJSONDuplicate = errors.New("duplicate field")
)

// duplicateFieldError names the field written twice.
type duplicateFieldError struct{ name string }

func (e *duplicateFieldError) Error() string { return "duplicate field " + e.name }
func (e *duplicateFieldError) Unwrap() error { return errJSONDuplicate }

// span is where a statement is written in the document: the byte offset of
// its opening brace and the byte offset just past its closing brace.
type span struct{ start, end int32 }

// reader reads a document's JSON, noting where its statements are written
// (jsonValue.span): the objects that are the root's Statement value or the
// items of its Statement list.
type reader struct {
	dec *json.Decoder
}

// The roles readValue gives a value when noting statements.
const (
	roleNone          uint8 = iota
	roleStatement           // the root's Statement value
	roleStatementItem       // an item of the root's Statement list
)

// readJSON reads one JSON value and refuses anything after it.
func readJSON(doc string) (jsonValue, error) {
	r := reader{dec: json.NewDecoder(strings.NewReader(doc))}
	r.dec.UseNumber()
	v, err := r.readValue(0, roleNone)
	if err != nil {
		return jsonValue{}, err
	}
	if _, err := r.dec.Token(); err != io.EOF {
		return jsonValue{}, errors.New("data after the policy document")
	}
	return v, nil
}

func (r *reader) readValue(depth int, role uint8) (jsonValue, error) {
	if depth > maxDepth {
		return jsonValue{}, errJSONDepth
	}
	dec := r.dec
	tok, err := dec.Token()
	if err != nil {
		return jsonValue{}, err
	}
	switch t := tok.(type) {
	case nil:
		return jsonValue{kind: jsonNull}, nil
	case bool:
		if t {
			return jsonValue{kind: jsonBool, text: "true"}, nil
		}
		return jsonValue{kind: jsonBool, text: "false"}, nil
	case json.Number:
		return jsonValue{kind: jsonNumber, text: string(t)}, nil
	case string:
		return jsonValue{kind: jsonString, text: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := jsonValue{kind: jsonArray}
			item := roleNone
			if role == roleStatement {
				item = roleStatementItem
			}
			for dec.More() {
				elem, err := r.readValue(depth+1, item)
				if err != nil {
					return jsonValue{}, err
				}
				v.items = append(v.items, elem)
			}
			_, err := dec.Token() // ]
			return v, err
		case '{':
			// The decoder's offset is just past the brace.
			open := int32(dec.InputOffset()) - 1
			v := jsonValue{kind: jsonObject}
			var seen map[string]bool // past a few fields, so the check stays linear
			for dec.More() {
				tok, err := dec.Token()
				if err != nil {
					return jsonValue{}, err
				}
				name, _ := tok.(string) // the decoder only yields strings here
				if seen == nil && len(v.fields) >= 8 {
					seen = make(map[string]bool, 2*len(v.fields))
					for _, f := range v.fields {
						seen[f.name] = true
					}
				}
				dup := seen[name]
				if seen == nil {
					for _, f := range v.fields {
						dup = dup || f.name == name
					}
				} else {
					seen[name] = true
				}
				if dup {
					return jsonValue{}, &duplicateFieldError{name: name}
				}
				field := roleNone
				if depth == 0 && name == "Statement" {
					field = roleStatement
				}
				item, err := r.readValue(depth+1, field)
				if err != nil {
					return jsonValue{}, err
				}
				v.fields = append(v.fields, jsonField{name: name, value: item})
			}
			if _, err := dec.Token(); err != nil { // }
				return jsonValue{}, err
			}
			if role != roleNone {
				v.span = span{start: open, end: int32(dec.InputOffset())}
			}
			return v, nil
		}
	}
	return jsonValue{}, errors.New("unexpected JSON token")
}
