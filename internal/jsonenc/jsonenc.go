// Package jsonenc appends JSON values byte for byte as encoding/json
// writes them, without reflection: strings (HTML-escaped, invalid UTF-8
// replaced, U+2028 and U+2029 escaped) and floats. The audit events and
// the generated wire types (internal/awsapi/model/wiregen) share it; each
// holds its output to json.Marshal's with differential tests.
package jsonenc

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendFloat appends f as encoding/json's floatEncoder writes a float of
// the given bits (32 or 64): ES6's number formatting. NaN and the
// infinities are refused with encoding/json's message.
func AppendFloat(dst []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return dst, errors.New("json: unsupported value: " + strconv.FormatFloat(f, 'g', -1, bits))
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	dst = strconv.AppendFloat(dst, f, format, -1, bits)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// plain marks the ASCII bytes a string holds unescaped: encoding/json's
// htmlSafeSet (no control characters, '"', '\\', '<', '>' or '&').
var plain = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		t[b] = b != '"' && b != '\\' && b != '<' && b != '>' && b != '&'
	}
	return t
}()

// AppendString appends s as a JSON string, as json.Marshal writes one:
// encoding/json's appendString with HTML escaping.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip 8 plain bytes at a time: most of an event is ARNs, ids
		// and names with nothing to escape.
		for ; i+8 <= len(s); i += 8 {
			t := s[i : i+8]
			w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
				uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
			if !plain8(w) {
				break
			}
		}
		if i == len(s) {
			break
		}
		if b := s[i]; b < utf8.RuneSelf {
			if plain[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// plain8 reports whether all 8 bytes of w are plain (ASCII that needs no
// escaping): none is 0x80 or above, below 0x20, or '"', '\\', '<', '>'
// or '&'. The tests of a word for a zero byte and for a byte below n are
// exact as tests of the whole word. '<' and '>' differ in one bit, and
// so do '"' and '&': with it set, one test finds either.
func plain8(w uint64) bool {
	bad := w | (w-0x20*lsb)&^w |
		zeroByte(w^'\\'*lsb) | zeroByte((w|0x02*lsb)^'>'*lsb) | zeroByte((w|0x04*lsb)^'&'*lsb)
	return bad&msb == 0
}

// zeroByte has a byte's high bit set if x has a zero byte (and only then,
// for the word as a whole).
func zeroByte(x uint64) uint64 { return (x - lsb) &^ x }
