// Package schema is the JSON Schema subset a secret's validation rule is
// written in: Parse compiles a schema, Validate checks a JSON document
// against it. The subset is what matters for credentials: type (object,
// string, number, integer, boolean, array, null, or a list of them),
// required, properties, additionalProperties (a boolean or a schema),
// minLength, maxLength, pattern (Go's RE2 syntax), enum, minimum, maximum;
// and the annotations $schema, $id, title, description. Any other keyword
// is refused, so that no rule is silently ignored. Messages name the place
// and the rule that failed, never the value.
package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Schema is a compiled schema. Safe for concurrent use.
type Schema struct {
	types                []string
	required             []string
	properties           map[string]*Schema
	additional           *Schema // nil: any
	noAdditional         bool
	minLength, maxLength *int
	pattern              *regexp.Regexp
	enum                 []any
	minimum, maximum     *float64
}

var schemaTypes = []string{"object", "string", "number", "integer", "boolean", "array", "null"}

// A SyntaxError is Parse's error for text that is not JSON; any other
// error of Parse is a schema outside the subset.
type SyntaxError struct{ Err error }

func (e *SyntaxError) Error() string { return e.Err.Error() }
func (e *SyntaxError) Unwrap() error { return e.Err }

// Parse compiles the schema text.
func Parse(text string) (*Schema, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, &SyntaxError{err}
	}
	return compileSchema(raw, "$")
}

func compileSchema(raw any, at string) (*Schema, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be a JSON object", at)
	}
	sc := &Schema{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		var err error
		switch k {
		case "$schema", "$id", "title", "description":
		case "type":
			switch t := v.(type) {
			case string:
				sc.types = []string{t}
			case []any:
				for _, e := range t {
					s, _ := e.(string)
					sc.types = append(sc.types, s)
				}
			}
			for _, t := range sc.types {
				if !slices.Contains(schemaTypes, t) {
					return nil, fmt.Errorf("%s: type %q is not a JSON Schema type", at, t)
				}
			}
			if len(sc.types) == 0 {
				return nil, fmt.Errorf("%s: type must be a string or a list of strings", at)
			}
		case "required":
			list, ok := v.([]any)
			for _, e := range list {
				s, isStr := e.(string)
				ok = ok && isStr
				sc.required = append(sc.required, s)
			}
			if !ok {
				return nil, fmt.Errorf("%s: required must be a list of strings", at)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: properties must be an object", at)
			}
			sc.properties = map[string]*Schema{}
			for name, p := range props {
				if sc.properties[name], err = compileSchema(p, at+"."+name); err != nil {
					return nil, err
				}
			}
		case "additionalProperties":
			if b, ok := v.(bool); ok {
				sc.noAdditional = !b
			} else if sc.additional, err = compileSchema(v, at+".*"); err != nil {
				return nil, err
			}
		case "minLength", "maxLength":
			n, ok := v.(json.Number)
			i, err := n.Int64()
			if !ok || err != nil || i < 0 {
				return nil, fmt.Errorf("%s: %s must be a non-negative integer", at, k)
			}
			iv := int(i)
			if k == "minLength" {
				sc.minLength = &iv
			} else {
				sc.maxLength = &iv
			}
		case "minimum", "maximum":
			n, ok := v.(json.Number)
			f, err := n.Float64()
			if !ok || err != nil {
				return nil, fmt.Errorf("%s: %s must be a number", at, k)
			}
			if k == "minimum" {
				sc.minimum = &f
			} else {
				sc.maximum = &f
			}
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: pattern must be a string", at)
			}
			if sc.pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("%s: pattern does not compile: %v", at, err)
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s: enum must be a non-empty list", at)
			}
			sc.enum = list
		default:
			return nil, fmt.Errorf("%s: keyword %q is not supported", at, k)
		}
	}
	return sc, nil
}

// ErrNotJSON is Validate's error for a value that is not one JSON
// document.
var ErrNotJSON = errors.New("not a JSON document")

// Validate returns nil when value, a JSON document, satisfies sc; else
// ErrNotJSON, or an error saying what failed and where (never the value).
func (sc *Schema) Validate(value []byte) error {
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return ErrNotJSON
	}
	if msg := sc.check(doc, "$"); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func jsonType(v any) string {
	switch v := v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		if _, err := v.Int64(); err == nil {
			return "integer"
		}
		if f, err := v.Float64(); err == nil && f == math.Trunc(f) {
			return "integer"
		}
		return "number"
	}
	return "null"
}

// check returns "" when v satisfies sc, else what failed and where; never
// the value.
func (sc *Schema) check(v any, at string) string {
	if len(sc.types) > 0 {
		t := jsonType(v)
		if !slices.Contains(sc.types, t) && !(t == "integer" && slices.Contains(sc.types, "number")) {
			return fmt.Sprintf("%s must be of type %s", at, strings.Join(sc.types, " or "))
		}
	}
	if sc.enum != nil {
		found := false
		for _, e := range sc.enum {
			found = found || jsonEqual(e, v)
		}
		if !found {
			return at + " is not one of the values enum allows"
		}
	}
	switch v := v.(type) {
	case string:
		n := utf8.RuneCountInString(v)
		if sc.minLength != nil && n < *sc.minLength {
			return fmt.Sprintf("%s is shorter than minLength %d", at, *sc.minLength)
		}
		if sc.maxLength != nil && n > *sc.maxLength {
			return fmt.Sprintf("%s is longer than maxLength %d", at, *sc.maxLength)
		}
		if sc.pattern != nil && !sc.pattern.MatchString(v) {
			return fmt.Sprintf("%s does not match the pattern %q", at, sc.pattern.String())
		}
	case json.Number:
		f, _ := v.Float64()
		if sc.minimum != nil && f < *sc.minimum {
			return fmt.Sprintf("%s is less than minimum %v", at, *sc.minimum)
		}
		if sc.maximum != nil && f > *sc.maximum {
			return fmt.Sprintf("%s is greater than maximum %v", at, *sc.maximum)
		}
	case map[string]any:
		for _, r := range sc.required {
			if _, ok := v[r]; !ok {
				return fmt.Sprintf("%s lacks the required property %q", at, r)
			}
		}
		names := make([]string, 0, len(v))
		for k := range v {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			p := sc.properties[k]
			if p == nil {
				if sc.noAdditional {
					return fmt.Sprintf("%s has the property %q, which the schema does not allow", at, k)
				}
				p = sc.additional
			}
			if p != nil {
				if msg := p.check(v[k], at+"."+k); msg != "" {
					return msg
				}
			}
		}
	}
	return ""
}

func jsonEqual(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		return false
	}
	if na, ok := a.(json.Number); ok {
		if nb, ok := b.(json.Number); ok {
			fa, _ := na.Float64()
			fb, _ := nb.Float64()
			return fa == fb
		}
	}
	return bytes.Equal(x, y)
}
