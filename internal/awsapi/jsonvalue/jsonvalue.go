// Package jsonvalue decodes a JSON request body, once and strictly, into the
// generic value the request path validates, records in the audit event and
// binds into the operation's input: objects are map[string]any, arrays
// []any, strings string, numbers json.Number, true and false bool, null nil
// (what encoding/json gives with Decoder.UseNumber).
//
// It is stricter than encoding/json in one way on purpose: an object that
// names the same member twice, at any depth, is an error (encoding/json lets
// the later one win, so two readers of one body can disagree about it). In
// every other way it accepts exactly the texts encoding/json accepts and
// reads them the same way: invalid UTF-8 and lone surrogate escapes become
// U+FFFD, nesting deeper than 10,000 is refused, text after the value is an
// error. FuzzDecode holds it to that.
//
// Names are kept exactly as sent; matching them to model members, exactly
// and case-sensitively, is the caller's business.
package jsonvalue

import (
	"encoding/json"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// maxName is the longest string looked up in a decoder's names.
const maxName = 64

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// SyntaxError says the body is not one JSON value. The message does not
// quote the body beyond the offending byte.
type SyntaxError struct {
	Offset int64 // bytes read before the problem
	msg    string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%s (at byte %d)", e.msg, e.Offset) }

// DuplicateError says an object names a member twice.
type DuplicateError struct {
	Offset int64  // the offset of the second name
	Name   string // the name, as decoded
}

func (e *DuplicateError) Error() string {
	name := e.Name
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return fmt.Sprintf("duplicate member name %q (at byte %d)", name, e.Offset)
}

// Decode decodes data, which must hold exactly one JSON value (white space
// around it aside). The error is a *SyntaxError or a *DuplicateError.
func Decode(data []byte) (any, error) {
	d := decoder{data: data}
	return d.decode()
}

func (d *decoder) decode() (any, error) {
	d.space()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.space()
	if d.pos < len(d.data) {
		return nil, d.syntax("unexpected data after the JSON value")
	}
	return v, nil
}

// DecodeNames is Decode with DecodeObjectNames' sparing of copies.
func DecodeNames(data []byte, names map[string]string) (any, error) {
	d := decoder{data: data, names: names}
	return d.decode()
}

// DecodeObject decodes a request body that must be a JSON object; an empty
// body (or only white space) is an empty object, as botocore sends nothing
// for an operation without input.
func DecodeObject(data []byte) (map[string]any, error) {
	return DecodeObjectNames(data, nil)
}

// DecodeObjectNames is DecodeObject, but a string written without escapes
// that names holds (as a key) is names' value instead of a new copy: a
// request's member names and enum values are the model's, and need not be
// allocated for each request. The value is the same either way.
func DecodeObjectNames(data []byte, names map[string]string) (map[string]any, error) {
	d := decoder{data: data, names: names}
	d.space()
	if d.pos == len(d.data) {
		return map[string]any{}, nil
	}
	start := d.pos
	v, err := d.decode()
	d.pos = start
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &SyntaxError{Offset: int64(d.pos), msg: "the body must be a JSON object"}
	}
	return m, nil
}

type decoder struct {
	data  []byte
	pos   int
	names map[string]string // see DecodeObjectNames
}

func (d *decoder) syntax(msg string) *SyntaxError {
	return &SyntaxError{Offset: int64(d.pos), msg: msg}
}

func (d *decoder) eof() *SyntaxError { return d.syntax("unexpected end of the JSON input") }

func (d *decoder) unexpected(context string) *SyntaxError {
	if d.pos >= len(d.data) {
		return d.eof()
	}
	return d.syntax("invalid character " + quoteChar(d.data[d.pos]) + " " + context)
}

func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

func (d *decoder) space() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.eof()
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.string()
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	}
	return nil, d.unexpected("looking for beginning of value")
}

func (d *decoder) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if d.pos >= len(d.data) {
			return d.eof()
		}
		if d.data[d.pos] != word[i] {
			return d.unexpected("in literal " + word + " (expecting " + quoteChar(word[i]) + ")")
		}
		d.pos++
	}
	return nil
}

func (d *decoder) object(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.syntax("exceeded max depth")
	}
	d.pos++ // {
	m := map[string]any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return m, nil
	}
	for {
		if d.pos >= len(d.data) {
			return nil, d.eof()
		}
		if d.data[d.pos] != '"' {
			return nil, d.unexpected("looking for beginning of object key string")
		}
		at := d.pos
		k, err := d.string()
		if err != nil {
			return nil, err
		}
		d.space()
		if d.pos >= len(d.data) {
			return nil, d.eof()
		}
		if d.data[d.pos] != ':' {
			return nil, d.unexpected("after object key")
		}
		d.pos++
		d.space()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, &DuplicateError{Offset: int64(at), Name: k}
		}
		m[k] = v
		more, err := d.more('}', "after object key:value pair")
		if err != nil {
			return nil, err
		}
		if !more {
			return m, nil
		}
	}
}

// more reads what follows an object's member or an array's element: a
// comma (more: true, with the space after it) or close. Anything else is
// a syntax error, "invalid character ... " + context.
func (d *decoder) more(close byte, context string) (bool, error) {
	d.space()
	if d.pos >= len(d.data) {
		return false, d.eof()
	}
	switch d.data[d.pos] {
	case ',':
		d.pos++
		d.space()
		return true, nil
	case close:
		d.pos++
		return false, nil
	}
	return false, d.unexpected(context)
}

func (d *decoder) array(depth int) (any, error) {
	if depth > maxDepth {
		return nil, d.syntax("exceeded max depth")
	}
	d.pos++ // [
	l := []any{}
	d.space()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		return l, nil
	}
	for {
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		more, err := d.more(']', "after array element")
		if err != nil {
			return nil, err
		}
		if !more {
			return l, nil
		}
	}
}

func (d *decoder) number() (any, error) {
	start := d.pos
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.data[d.pos] == '-' {
		d.pos++
	}
	switch {
	case d.pos >= len(d.data):
		return nil, d.eof()
	case d.data[d.pos] == '0':
		d.pos++
	case d.data[d.pos] >= '1' && d.data[d.pos] <= '9':
		digits()
	default:
		return nil, d.unexpected("in numeric literal")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.unexpected("after decimal point in numeric literal")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.unexpected("in exponent of numeric literal")
		}
	}
	return json.Number(d.data[start:d.pos]), nil
}

// string reads a string at d.pos (its opening quote). Plain ASCII without
// escapes, the common case, is one copy.
func (d *decoder) string() (string, error) {
	d.pos++ // "
	start := d.pos
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			raw := d.data[start:d.pos]
			d.pos++
			// Names are short; a longer string (a ciphertext, a secret) is
			// not worth hashing for the lookup.
			if len(raw) <= maxName && d.names != nil {
				if s, ok := d.names[string(raw)]; ok {
					return s, nil
				}
			}
			return string(raw), nil
		case c == '\\' || c >= utf8.RuneSelf:
			return d.slowString(start)
		case c < 0x20:
			return "", d.unexpected("in string literal")
		}
		d.pos++
	}
	return "", d.eof()
}

// slowString finishes a string with escapes or non-ASCII bytes the way
// encoding/json's unquote does.
func (d *decoder) slowString(start int) (string, error) {
	b := make([]byte, d.pos-start, d.pos-start+16)
	copy(b, d.data[start:d.pos])
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return string(b), nil
		case c < 0x20:
			return "", d.unexpected("in string literal")
		case c == '\\':
			d.pos++
			if d.pos >= len(d.data) {
				return "", d.eof()
			}
			switch e := d.data[d.pos]; e {
			case '"', '\\', '/':
				b = append(b, e)
				d.pos++
			case 'b':
				b = append(b, '\b')
				d.pos++
			case 'f':
				b = append(b, '\f')
				d.pos++
			case 'n':
				b = append(b, '\n')
				d.pos++
			case 'r':
				b = append(b, '\r')
				d.pos++
			case 't':
				b = append(b, '\t')
				d.pos++
			case 'u':
				d.pos++
				r, err := d.hex4()
				if err != nil {
					return "", err
				}
				if utf16.IsSurrogate(r) {
					// A pair only when a \u escape follows that completes
					// it; otherwise this one is U+FFFD and the next is
					// read on its own.
					hi := r
					r = utf8.RuneError
					if d.pos+6 <= len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
						save := d.pos
						d.pos += 2
						if r2, err := d.hex4(); err == nil {
							if dec := utf16.DecodeRune(hi, r2); dec != utf8.RuneError {
								r = dec
								save = d.pos
							}
						}
						d.pos = save
					}
				}
				b = utf8.AppendRune(b, r)
			default:
				return "", d.unexpected("in string escape code")
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			d.pos++
		default:
			r, size := utf8.DecodeRune(d.data[d.pos:])
			b = utf8.AppendRune(b, r)
			d.pos += size
		}
	}
	return "", d.eof()
}

// hex4 reads the four hex digits of a \u escape at d.pos.
func (d *decoder) hex4() (rune, error) {
	var r rune
	for i := 0; i < 4; i++ {
		if d.pos >= len(d.data) {
			return 0, d.eof()
		}
		c := d.data[d.pos]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, d.unexpected("in \\u hexadecimal character escape")
		}
		r = r*16 + rune(c)
		d.pos++
	}
	return r, nil
}
