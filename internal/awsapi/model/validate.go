package model

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// ValidationError lists constraint violations in AWS's wording:
// "1 validation error detected: Value '0' at 'numberOfBytes' failed to
// satisfy constraint: Member must have value greater than or equal to 1".
type ValidationError struct{ Problems []string }

func (e *ValidationError) Error() string {
	n := len(e.Problems)
	noun := "errors"
	if n == 1 {
		noun = "error"
	}
	return fmt.Sprintf("%d validation %s detected: %s", n, noun, strings.Join(e.Problems, "; "))
}

// SerializationError says a member has the wrong JSON type or encoding, which
// AWS answers with SerializationException.
type SerializationError struct{ Message string }

func (e *SerializationError) Error() string { return e.Message }

// Validate checks v, a request decoded with json.Decoder.UseNumber, against
// shape. It returns nil, a *ValidationError or a *SerializationError.
func (s *Service) Validate(shape *Shape, v any) error {
	c := checker{svc: s}
	c.value(shape, v, where{}, true)
	if c.ser != nil {
		return c.ser
	}
	if len(c.problems) > 0 {
		return &ValidationError{Problems: c.problems}
	}
	return nil
}

type checker struct {
	svc      *Service
	problems []string
	ser      *SerializationError
}

// wireName is how AWS names a member in messages and CloudTrail: first
// letter lowered ("KeyId" → "keyId").
func wireName(member string) string {
	if member == "" {
		return member
	}
	r, n := utf8.DecodeRuneInString(member)
	return strings.ToLower(string(r)) + member[n:]
}

// wireName is the wire name of the member the Ref is, named member: the
// one Load computed, or computed now for a model not made by Load.
func (r *Ref) wireName(member string) string {
	if r.wire != "" {
		return r.wire
	}
	return wireName(member)
}

// WireName is wireName for other packages (audit parameter names).
func WireName(member string) string { return wireName(member) }

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// where is a value's path in messages ("encryptionContext.key",
// "secretIdList.3.member"), made into a string only for a message: a
// valid request's map keys and list members build none.
type where struct {
	base   string
	index  int    // a list member's 1-based index; 0: none
	suffix string // ".key", ".value", ".member" or ""
}

func (w where) String() string {
	if w.index > 0 {
		return w.base + "." + strconv.Itoa(w.index) + w.suffix
	}
	return w.base + w.suffix // base itself when there is no suffix
}

// member is the path of the member name of the structure at w.
func (w where) member(name string) where { return where{base: join(w.String(), name)} }

func (c *checker) problem(path string, shown *string, constraint string) {
	val := "null"
	if shown != nil {
		val = "'" + *shown + "'"
	}
	if shown != nil && *shown == "\x00hidden" {
		c.problems = append(c.problems, fmt.Sprintf("Value at '%s' failed to satisfy constraint: %s", path, constraint))
		return
	}
	c.problems = append(c.problems, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: %s", val, path, constraint))
}

func (c *checker) mismatch(path, want string) {
	if c.ser == nil {
		c.ser = &SerializationError{Message: fmt.Sprintf("Unexpected value type at '%s': expected %s", path, want)}
	}
}

var hidden = "\x00hidden"

func (c *checker) value(sh *Shape, v any, path where, top bool) {
	if sh == nil || v == nil {
		return
	}
	switch sh.Type {
	case "structure":
		m, ok := v.(map[string]any)
		if !ok {
			c.mismatch(path.String(), "an object")
			return
		}
		for _, req := range sh.Required {
			if m[req] == nil {
				c.problem(path.member(wireName(req)).String(), nil, "Member must not be null")
			}
		}
		for _, mem := range sh.members {
			if mv, ok := m[mem.Name]; ok && mv != nil {
				c.value(c.svc.Shapes[mem.Ref.Shape], mv, path.member(mem.Ref.wireName(mem.Name)), false)
			}
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.mismatch(path.String(), "a string")
			return
		}
		c.str(sh, str, path)
	case "blob":
		if b, ok := v.(interface{ Size() int64 }); ok {
			// A blob the protocol layer streamed (internal/spool.Blob):
			// its length is known without its bytes.
			c.length(sh, float64(b.Size()), path, &hidden)
			return
		}
		str, ok := v.(string)
		if !ok {
			c.mismatch(path.String(), "a base64 string")
			return
		}
		n, err := base64Len(str)
		if err != nil {
			c.mismatch(path.String(), "base64-encoded bytes")
			return
		}
		c.length(sh, float64(n), path, &hidden)
	case "integer", "long":
		num, ok := v.(json.Number)
		if !ok {
			c.mismatch(path.String(), "a number")
			return
		}
		i, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			c.mismatch(path.String(), "an integer")
			return
		}
		if sh.Type == "integer" && (i > math.MaxInt32 || i < math.MinInt32) {
			c.mismatch(path.String(), "a 32-bit integer")
			return
		}
		shown := string(num)
		if sh.Min != nil && float64(i) < *sh.Min {
			c.problem(path.String(), &shown, fmt.Sprintf("Member must have value greater than or equal to %s", num64(*sh.Min)))
		}
		if sh.Max != nil && float64(i) > *sh.Max {
			c.problem(path.String(), &shown, fmt.Sprintf("Member must have value less than or equal to %s", num64(*sh.Max)))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.mismatch(path.String(), "a boolean")
		}
	case "timestamp":
		switch v.(type) {
		case json.Number, string:
		default:
			c.mismatch(path.String(), "a timestamp")
		}
	case "double", "float":
		if _, ok := v.(json.Number); !ok {
			c.mismatch(path.String(), "a number")
		}
	case "list":
		l, ok := v.([]any)
		if !ok {
			c.mismatch(path.String(), "a list")
			return
		}
		c.length(sh, float64(len(l)), path, nil)
		base := path.String()
		for i, e := range l {
			if e == nil {
				continue
			}
			c.value(c.svc.Shapes[sh.Member.Shape], e, where{base: base, index: i + 1, suffix: ".member"}, false)
		}
	case "map":
		m, ok := v.(map[string]any)
		if !ok {
			c.mismatch(path.String(), "an object")
			return
		}
		c.length(sh, float64(len(m)), path, nil)
		base := path.String()
		key := c.svc.Shapes[sh.Key.Shape]
		for k, e := range m {
			if key != nil && key.Type == "string" {
				c.str(key, k, where{base: base, suffix: ".key"}) // k not boxed
			} else {
				c.value(key, k, where{base: base, suffix: ".key"}, false)
			}
			if e == nil {
				continue
			}
			c.value(c.svc.Shapes[sh.Value.Shape], e, where{base: base, suffix: ".value"}, false)
		}
	}
}

// str checks a string value of shape sh.
func (c *checker) str(sh *Shape, str string, path where) {
	shown := &str
	if sh.Sensitive {
		shown = &hidden
	}
	c.length(sh, float64(utf8.RuneCountInString(str)), path, shown)
	if len(sh.Enum) > 0 && !contains(sh.Enum, str) {
		c.problem(path.String(), shown, "Member must satisfy enum value set: ["+strings.Join(sh.Enum, ", ")+"]")
	}
	if sh.pattern != nil && !sh.pattern.MatchString(str) {
		c.problem(path.String(), shown, "Member must satisfy regular expression pattern: "+sh.Pattern)
	}
}

// length checks min/max of a string, blob, list or map. AWS shows a list's
// or map's value only as null-free text it does not render, so callers pass
// shown=nil for collections and the message leaves the value out.
func (c *checker) length(sh *Shape, n float64, path where, shown *string) {
	if shown == nil {
		shown = &hidden
	}
	if sh.Min != nil && n < *sh.Min {
		c.problem(path.String(), shown, fmt.Sprintf("Member must have length greater than or equal to %s", num64(*sh.Min)))
	}
	if sh.Max != nil && n > *sh.Max {
		c.problem(path.String(), shown, fmt.Sprintf("Member must have length less than or equal to %s", num64(*sh.Max)))
	}
}

func num64(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// base64Len is len(base64.StdEncoding.DecodeString(s)), and its error,
// decoding a blob of the usual size (a ciphertext) on the stack: the
// binding decodes it again into the bytes it keeps.
func base64Len(s string) (int, error) {
	var buf [768]byte
	if base64.StdEncoding.DecodedLen(len(s)) > len(buf) {
		b, err := base64.StdEncoding.DecodeString(s)
		return len(b), err
	}
	return base64.StdEncoding.Decode(buf[:], unsafe.Slice(unsafe.StringData(s), len(s)))
}
