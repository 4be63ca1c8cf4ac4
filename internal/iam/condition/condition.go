// Package condition compiles and evaluates the Condition element of an IAM
// policy: the operator families (string, numeric, date, bool, binary, IP
// address, ARN, null; one per file), the ...IfExists suffix and the
// ForAnyValue: and ForAllValues: set operators, with AWS's documented
// semantics:
//
//   - Several values for one key are ORed; for a negated operator
//     (StringNotEquals, NotIpAddress, ...) they are NORed: the request value
//     must match none of them.
//   - A key that is absent from the request context (or present with no
//     values) does not match, so a positive operator is false and a negated
//     one is true. ...IfExists makes any operator true on an absent key.
//     Null tests presence itself.
//   - ForAnyValue: is true when at least one request value passes the
//     operator (false on an absent or empty key); ForAllValues: is true when
//     every request value passes (true on an absent or empty key).
//
// Conditions are compiled once when the policy is parsed; Eval does not
// parse JSON, does not allocate and is safe for concurrent use.
package condition

import (
	"fmt"
	"strings"
)

// Context is what a condition reads from a request.
type Context interface {
	// Values returns the values of a condition key (lower-case) and
	// whether the key is present in the request context.
	Values(key string) (Values, bool)
	// Var resolves a policy variable (lower-case key) to a single value.
	Var(key string) (string, bool)
}

// Values is the list of values of one condition key, held without
// allocating whether the request has one value or several.
type Values struct {
	list   []string
	one    string
	single bool
}

// List returns the values held in v.
func List(v []string) Values { return Values{list: v} }

// One returns a single value.
func One(s string) Values { return Values{one: s, single: true} }

// Len returns the number of values.
func (v Values) Len() int {
	if v.single {
		return 1
	}
	return len(v.list)
}

// At returns the i'th value.
func (v Values) At(i int) string {
	if v.single {
		return v.one
	}
	return v.list[i]
}

// qualifier is a set operator prefix.
type qualifier uint8

const (
	single       qualifier = iota // no prefix
	forAnyValue                   // ForAnyValue:
	forAllValues                  // ForAllValues:
)

// matcher reports whether one request value matches any of an operator's
// policy values (the positive sense; negation is applied by Condition).
type matcher interface {
	match(v string, ctx Context) bool
}

// Condition is one compiled condition: an operator applied to one key with
// its policy values.
type Condition struct {
	op        string // as written in the policy
	key       string // lower-case
	qual      qualifier
	negated   bool
	ifExists  bool
	null      bool
	nullWants [2]bool // [0]: some value says "false", [1]: some says "true"
	m         matcher
}

// Error is a problem with a Condition block. Its message is worded for the
// caller of the API that received the policy.
type Error struct {
	Message string
}

func (e *Error) Error() string { return e.Message }

func errorf(format string, args ...any) error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// valueError is a policy value an operator family cannot read; Parse words
// it with the operator as written.
type valueError struct {
	value, want string
}

func (e *valueError) Error() string { return e.want }

func badValue(value, want string) error { return &valueError{value: value, want: want} }

// family builds the matcher of an operator family from the policy values.
// base is the operator name without qualifier and IfExists suffix.
type family func(base string, values []string, variables bool) (matcher, error)

type operator struct {
	family  family
	negated bool
}

// operators lists every base operator AWS defines.
var operators = map[string]operator{
	"StringEquals":              {stringFamily, false},
	"StringNotEquals":           {stringFamily, true},
	"StringEqualsIgnoreCase":    {stringFamily, false},
	"StringNotEqualsIgnoreCase": {stringFamily, true},
	"StringLike":                {stringFamily, false},
	"StringNotLike":             {stringFamily, true},
	"NumericEquals":             {numericFamily, false},
	"NumericNotEquals":          {numericFamily, true},
	"NumericLessThan":           {numericFamily, false},
	"NumericLessThanEquals":     {numericFamily, false},
	"NumericGreaterThan":        {numericFamily, false},
	"NumericGreaterThanEquals":  {numericFamily, false},
	"DateEquals":                {dateFamily, false},
	"DateNotEquals":             {dateFamily, true},
	"DateLessThan":              {dateFamily, false},
	"DateLessThanEquals":        {dateFamily, false},
	"DateGreaterThan":           {dateFamily, false},
	"DateGreaterThanEquals":     {dateFamily, false},
	"Bool":                      {boolFamily, false},
	"BinaryEquals":              {binaryFamily, false},
	"IpAddress":                 {ipFamily, false},
	"NotIpAddress":              {ipFamily, true},
	"ArnEquals":                 {arnFamily, false},
	"ArnLike":                   {arnFamily, false},
	"ArnNotEquals":              {arnFamily, true},
	"ArnNotLike":                {arnFamily, true},
	"Null":                      {nil, false},
}

// Parse compiles one condition: operator (as written, with its optional
// ForAnyValue:/ForAllValues: prefix and IfExists suffix) applied to key
// with the policy values. variables enables policy variables (policy
// Version 2012-10-17) in the operators that take them: String*, Arn* and
// Bool. The error is an *Error.
func Parse(op, key string, values []string, variables bool) (*Condition, error) {
	c := &Condition{op: op, key: strings.ToLower(key)}
	base := op
	if rest, ok := strings.CutPrefix(base, "ForAnyValue:"); ok {
		c.qual, base = forAnyValue, rest
	} else if rest, ok := strings.CutPrefix(base, "ForAllValues:"); ok {
		c.qual, base = forAllValues, rest
	}
	if rest, ok := strings.CutSuffix(base, "IfExists"); ok && rest != "Null" {
		c.ifExists, base = true, rest
	}
	o, ok := operators[base]
	if !ok {
		return nil, errorf("Invalid Condition operator %s", op)
	}
	if key == "" {
		return nil, errorf("Invalid Condition key %q for operator %s", key, op)
	}
	c.negated = o.negated
	var err error
	if base == "Null" {
		err = c.parseNull(values)
	} else {
		c.m, err = o.family(base, values, variables)
	}
	if ve, ok := err.(*valueError); ok {
		return nil, errorf("Invalid Condition value %q for operator %s: %s", ve.value, op, ve.want)
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Operator returns the operator as written in the policy.
func (c *Condition) Operator() string { return c.op }

// Key returns the condition key, lower-case.
func (c *Condition) Key() string { return c.key }

// Eval evaluates the condition against a request.
func (c *Condition) Eval(ctx Context) bool {
	vals, ok := ctx.Values(c.key)
	n := 0
	if ok {
		n = vals.Len()
	}
	if c.null {
		return c.evalNull(n)
	}
	if n == 0 {
		switch {
		case c.ifExists:
			return true
		case c.qual == forAllValues:
			return true
		case c.qual == forAnyValue:
			return false
		default:
			return c.negated
		}
	}
	switch c.qual {
	case forAllValues:
		// Every request value passes: matches a policy value, or for a
		// negated operator matches none.
		for i := 0; i < n; i++ {
			if c.m.match(vals.At(i), ctx) == c.negated {
				return false
			}
		}
		return true
	case forAnyValue:
		// Some request value passes.
		for i := 0; i < n; i++ {
			if c.m.match(vals.At(i), ctx) != c.negated {
				return true
			}
		}
		return false
	default:
		// A positive operator holds if any request value matches any policy
		// value; a negated one if none does.
		for i := 0; i < n; i++ {
			if c.m.match(vals.At(i), ctx) {
				return !c.negated
			}
		}
		return c.negated
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseBool reads "true" or "false" in any case.
func parseBool(s string) (value, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}
