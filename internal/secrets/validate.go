package secrets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// A validation rule: a secret tagged sealbox:validation-schema holds, in
// the tag's value, a JSON Schema its SecretString must satisfy before any
// version becomes AWSCURRENT (PutSecretValue, UpdateSecret, CreateSecret,
// UpdateSecretVersionStage, and so rotation). A malformed secret is
// refused, never served.
//
// The rule is a tag because a tag is what AWS lets a secret carry besides
// its value, every SDK and IaC tool can set one, and tag policies
// (aws:RequestTag, aws:TagKeys) already govern who may set or remove it.
// A tag value holds at most 256 characters: enough for the rules that
// matter for credentials.
//
// The subset served is what matters for credentials: type (object, string,
// number, integer, boolean, array, null, or a list of them), required,
// properties, additionalProperties (a boolean or a schema), minLength,
// maxLength, pattern (Go's RE2 syntax), enum, minimum, maximum; and the
// annotations $schema, $id, title, description. Any other keyword is
// refused when the tag is set, so that no rule is silently ignored.
// Messages name the place and the rule that failed, never the value.
const validationTag = "sealbox:validation-schema"

type jsonSchema struct {
	Type                 []string
	Required             []string
	Properties           map[string]*jsonSchema
	AdditionalProperties *jsonSchema // nil: any
	NoAdditional         bool
	MinLength, MaxLength *int
	Pattern              *regexp.Regexp
	Enum                 []any
	Minimum, Maximum     *float64
}

var schemaTypes = []string{"object", "string", "number", "integer", "boolean", "array", "null"}

// parseSchema reads the schema text of the tag.
func parseSchema(text string) (*jsonSchema, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return nil, errInvalidParameter("The %s tag must hold a JSON Schema: %v", validationTag, err)
	}
	sc, err := compileSchema(raw, "$")
	if err != nil {
		return nil, errInvalidParameter("The %s tag holds an unsupported schema: %v", validationTag, err)
	}
	return sc, nil
}

func compileSchema(raw any, at string) (*jsonSchema, error) {
	m, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: a schema must be a JSON object", at)
	}
	sc := &jsonSchema{}
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
				sc.Type = []string{t}
			case []any:
				for _, e := range t {
					s, _ := e.(string)
					sc.Type = append(sc.Type, s)
				}
			}
			for _, t := range sc.Type {
				if !slices.Contains(schemaTypes, t) {
					return nil, fmt.Errorf("%s: type %q is not a JSON Schema type", at, t)
				}
			}
			if len(sc.Type) == 0 {
				return nil, fmt.Errorf("%s: type must be a string or a list of strings", at)
			}
		case "required":
			list, ok := v.([]any)
			for _, e := range list {
				s, isStr := e.(string)
				ok = ok && isStr
				sc.Required = append(sc.Required, s)
			}
			if !ok {
				return nil, fmt.Errorf("%s: required must be a list of strings", at)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("%s: properties must be an object", at)
			}
			sc.Properties = map[string]*jsonSchema{}
			for name, p := range props {
				if sc.Properties[name], err = compileSchema(p, at+"."+name); err != nil {
					return nil, err
				}
			}
		case "additionalProperties":
			if b, ok := v.(bool); ok {
				sc.NoAdditional = !b
			} else if sc.AdditionalProperties, err = compileSchema(v, at+".*"); err != nil {
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
				sc.MinLength = &iv
			} else {
				sc.MaxLength = &iv
			}
		case "minimum", "maximum":
			n, ok := v.(json.Number)
			f, err := n.Float64()
			if !ok || err != nil {
				return nil, fmt.Errorf("%s: %s must be a number", at, k)
			}
			if k == "minimum" {
				sc.Minimum = &f
			} else {
				sc.Maximum = &f
			}
		case "pattern":
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("%s: pattern must be a string", at)
			}
			if sc.Pattern, err = regexp.Compile(s); err != nil {
				return nil, fmt.Errorf("%s: pattern does not compile: %v", at, err)
			}
		case "enum":
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return nil, fmt.Errorf("%s: enum must be a non-empty list", at)
			}
			sc.Enum = list
		default:
			return nil, fmt.Errorf("%s: keyword %q is not supported", at, k)
		}
	}
	return sc, nil
}

// schemaOf returns the secret's validation schema, or nil.
func (s *secretRecord) schemaOf() (*jsonSchema, error) {
	for _, t := range s.Tags {
		if t.Key == validationTag {
			return parseSchema(t.Value)
		}
	}
	return nil, nil
}

// checkValue refuses value as sec's AWSCURRENT when sec has a validation
// schema that value (a SecretString, or binary) does not satisfy.
func checkValue(sec *secretRecord, value []byte, binary bool) error {
	sc, err := sec.schemaOf()
	if err != nil || sc == nil {
		return err
	}
	if binary {
		return errValidation("the secret has a validation schema, so its value must be a SecretString")
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return errValidation("SecretString is not a JSON document")
	}
	if msg := sc.check(doc, "$"); msg != "" {
		return errValidation(msg)
	}
	return nil
}

func errValidation(msg string) error {
	return errInvalidRequest("The secret value does not satisfy the secret's validation schema (tag %s): %s.", validationTag, msg)
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
func (sc *jsonSchema) check(v any, at string) string {
	if len(sc.Type) > 0 {
		t := jsonType(v)
		if !slices.Contains(sc.Type, t) && !(t == "integer" && slices.Contains(sc.Type, "number")) {
			return fmt.Sprintf("%s must be of type %s", at, strings.Join(sc.Type, " or "))
		}
	}
	if sc.Enum != nil {
		found := false
		for _, e := range sc.Enum {
			found = found || jsonEqual(e, v)
		}
		if !found {
			return at + " is not one of the values enum allows"
		}
	}
	switch v := v.(type) {
	case string:
		n := utf8.RuneCountInString(v)
		if sc.MinLength != nil && n < *sc.MinLength {
			return fmt.Sprintf("%s is shorter than minLength %d", at, *sc.MinLength)
		}
		if sc.MaxLength != nil && n > *sc.MaxLength {
			return fmt.Sprintf("%s is longer than maxLength %d", at, *sc.MaxLength)
		}
		if sc.Pattern != nil && !sc.Pattern.MatchString(v) {
			return fmt.Sprintf("%s does not match the pattern %q", at, sc.Pattern.String())
		}
	case json.Number:
		f, _ := v.Float64()
		if sc.Minimum != nil && f < *sc.Minimum {
			return fmt.Sprintf("%s is less than minimum %v", at, *sc.Minimum)
		}
		if sc.Maximum != nil && f > *sc.Maximum {
			return fmt.Sprintf("%s is greater than maximum %v", at, *sc.Maximum)
		}
	case map[string]any:
		for _, r := range sc.Required {
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
			p := sc.Properties[k]
			if p == nil {
				if sc.NoAdditional {
					return fmt.Sprintf("%s has the property %q, which the schema does not allow", at, k)
				}
				p = sc.AdditionalProperties
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
