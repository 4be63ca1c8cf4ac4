package model

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// matcher checks a whole string against a model pattern.
type matcher interface{ MatchString(string) bool }

// matchFunc is a pattern Go's RE2 syntax cannot say, written as Go.
type matchFunc func(string) bool

func (f matchFunc) MatchString(s string) bool { return f(s) }

// compilePattern turns a model pattern, written for Java's regular
// expressions (botocore copies them from the Smithy models AWS validates
// with), into a matcher of the whole value. Java's \uXXXX escapes become
// Go's \x{XXXX} (a surrogate pair one code point); the few patterns that
// use what RE2 cannot do (lookaround, back-references, repeats over 1,000)
// are in javaOnly, written by hand, each with its test.
func compilePattern(p string) (matcher, error) {
	if m, ok := javaOnly[p]; ok {
		return m, nil
	}
	re, err := regexp.Compile("^(?:" + translateEscapes(p) + ")$")
	if err != nil {
		return nil, fmt.Errorf("model: pattern %q: %w", p, err)
	}
	return re, nil
}

// translateEscapes rewrites Java's \uXXXX escapes as \x{XXXX}. A high
// surrogate escape followed by a low one is the code point they encode
// (\uD800\uDC00 is \x{10000}), as Java reads a pattern. Java reads exactly
// four hex digits after \u, so botocore's \u10000-\u10FFFF (STS's arnType)
// is, to Java, \u1000 0-\u10FF FF; the models mean the supplementary
// planes, every previously accepted value falls in them, and so those two
// spellings are read as U+10000 and U+10FFFF. Other escapes (\\, \d, \.)
// are left as they are.
func translateEscapes(p string) string {
	if !strings.Contains(p, `\u`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '\\' || i+1 >= len(p) {
			b.WriteByte(p[i])
			continue
		}
		if p[i+1] != 'u' {
			b.WriteString(p[i : i+2]) // an escape of its own: keep it whole
			i++
			continue
		}
		r, n := unicodeEscape(p[i:])
		if n == 0 {
			b.WriteString(p[i : i+2])
			i++
			continue
		}
		if utf16.IsSurrogate(r) {
			if r2, n2 := unicodeEscape(p[i+n:]); n2 > 0 {
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					r, n = pair, n+n2
				}
			}
		}
		fmt.Fprintf(&b, `\x{%X}`, r)
		i += n - 1
	}
	return b.String()
}

// unicodeEscape reads \uXXXX at the start of s: the rune and the bytes
// read, 0 if s does not start with one.
func unicodeEscape(s string) (rune, int) {
	for _, wide := range []string{`\u10FFFF`, `\u10000`} {
		if strings.HasPrefix(s, wide) {
			v, _ := strconv.ParseUint(wide[2:], 16, 32)
			return rune(v), len(wide)
		}
	}
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return 0, 0
	}
	v, err := strconv.ParseUint(s[2:6], 16, 32)
	if err != nil {
		return 0, 0
	}
	return rune(v), 6
}

// javaOnly holds, by their exact text, the model patterns RE2 cannot say,
// as Go code that accepts what Java's matcher accepts for the whole value.
// TestEveryPatternEnforced fails when a model gains one not listed here.
var javaOnly = map[string]matcher{
	// SSM: not blank. Java's \s is [ \t\n\x0B\f\r]; . is any character
	// but a line terminator.
	`^(?!\s*$).+`: matchFunc(func(s string) bool {
		return noLineTerminator(s) && strings.TrimLeft(s, " \t\n\x0B\f\r") != ""
	}),
	// SSM: 1 to 100,000 characters on one line.
	`^.{1,100000}$`: matchFunc(func(s string) bool {
		n := utf8.RuneCountInString(s)
		return n >= 1 && n <= 100000 && noLineTerminator(s)
	}),
	// SSM: an S3 URL of up to 2,000 characters after the host (RE2 repeats
	// stop at 1,000, so the tail is two of them).
	`^https:\/\/[-a-zA-Z0-9@:%._\+~#=]{1,253}\.s3(\.[a-z\d-]{9,16})?\.amazonaws\.com\/.{1,2000}`: regexp.MustCompile(
		`^https://[-a-zA-Z0-9@:%._+~#=]{1,253}\.s3(\.[a-z\d-]{9,16})?\.amazonaws\.com/[^\n\r\x{85}\x{2028}\x{2029}]{1,1000}[^\n\r\x{85}\x{2028}\x{2029}]{0,1000}$`),
	// IAM: an account alias: no two hyphens in a row.
	`^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$`: matchFunc(func(s string) bool {
		return accountAlias.MatchString(s) && !strings.Contains(s, "--")
	}),
	// Lambda: an alias or function URL qualifier: not all digits (that is
	// a version).
	`(?!^[0-9]+$)([a-zA-Z0-9-_]+)`: matchFunc(func(s string) bool {
		return aliasName.MatchString(s) && !allDigits.MatchString(s)
	}),
	`((?!^\d+$)^[0-9a-zA-Z-_]+$)`: matchFunc(func(s string) bool {
		return aliasName.MatchString(s) && !allDigits.MatchString(s)
	}),
	// Lambda: an S3 bucket name that does not end with a dot.
	`[0-9A-Za-z\.\-_]*(?<!\.)`: regexp.MustCompile(`^(?:[0-9A-Za-z._-]*[0-9A-Za-z_-])?$`),
	// Lambda: a DocumentDB collection name: not system.*, starting with a
	// letter, digit or underscore, without $.
	`(^(?!(system\x2e)))(^[_a-zA-Z0-9])([^$]*)`: matchFunc(func(s string) bool {
		return !strings.HasPrefix(s, "system.") && collectionName.MatchString(s)
	}),
	// SSM's StringDateTime (ISO 8601 with back-references) is output only:
	// no operation's input reaches it, so it is nil here and never checked.
	// TestEveryPatternEnforced holds that true.
	stringDateTime: nil,
}

const stringDateTime = `^([\-]?\d{4}(?!\d{2}\b))((-?)((0[1-9]|1[0-2])(\3([12]\d|0[1-9]|3[01]))?|W([0-4]\d|5[0-2])(-?[1-7])?|(00[1-9]|0[1-9]\d|[12]\d{2}|3([0-5]\d|6[1-6])))([T\s]((([01]\d|2[0-3])((:?)[0-5]\d)?|24\:?00)([\.,]\d(?!:))?)?(\17[0-5]\d([\.,]\d)?)?([zZ]|([\-])([01]\d|2[0-3]):?([0-5]\d)?)?)?)?$`

var (
	accountAlias   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$`)
	aliasName      = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	allDigits      = regexp.MustCompile(`^[0-9]+$`)
	collectionName = regexp.MustCompile(`^[_a-zA-Z0-9][^$]*$`)
)

// noLineTerminator says s holds none of the characters Java's . refuses.
func noLineTerminator(s string) bool {
	return !strings.ContainsAny(s, "\n\r\u0085\u2028\u2029")
}
