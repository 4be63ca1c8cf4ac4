// Package pattern matches the strings of the IAM policy language: literal
// text, the wildcards * and ?, and policy variables (${aws:username},
// ${key, 'default'}, and the escapes ${*}, ${?} and ${$}).
//
// A Pattern is compiled once, when a policy is parsed, and matched on every
// request without allocating: variables are looked up through Vars while
// matching, and what they resolve to is always literal text (a user name
// holding a * is not a wildcard).
package pattern

import (
	"strings"
	"unicode/utf8"
)

// Vars resolves policy variables. Keys are lower-case. A variable that does
// not resolve makes the whole pattern fail to match, as in AWS.
type Vars interface {
	Var(key string) (string, bool)
}

// Options say which features of the language a pattern uses.
type Options struct {
	Wildcards bool // * matches any run of characters, ? any one character
	Variables bool // ${...} is a policy variable (policy Version 2012-10-17)
	Fold      bool // compare ignoring case
}

type kind uint8

const (
	text kind = iota
	star
	quest
	variable
)

type token struct {
	kind   kind
	text   string // literal text, or the variable's lower-case key
	def    string // the variable's default
	hasDef bool
}

// Pattern is a compiled pattern. The zero Pattern matches only "".
// A Pattern is immutable and safe for concurrent use.
type Pattern struct {
	src   string
	toks  []token
	fold  bool
	plain bool // no wildcards and no variables: compare lit directly
	lit   string
	any   bool   // the pattern is "*"
	tail  string // literal text the pattern ends with, checked before matching
}

// Compile compiles s. It never fails: text that does not form a policy
// variable (an unterminated "${") is literal.
func Compile(s string, o Options) Pattern {
	p := Pattern{src: s, fold: o.Fold}
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			p.toks = append(p.toks, token{kind: text, text: b.String()})
			b.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case o.Variables && c == '$' && i+1 < len(s) && s[i+1] == '{':
			end := strings.IndexByte(s[i+2:], '}')
			if end < 0 {
				b.WriteByte(c)
				i++
				continue
			}
			body := s[i+2 : i+2+end]
			i += 2 + end + 1
			switch body {
			case "*", "?", "$":
				b.WriteString(body)
				continue
			}
			flush()
			p.toks = append(p.toks, parseVariable(body))
		case o.Wildcards && c == '*':
			flush()
			if n := len(p.toks); n == 0 || p.toks[n-1].kind != star {
				p.toks = append(p.toks, token{kind: star})
			}
			i++
		case o.Wildcards && c == '?':
			flush()
			p.toks = append(p.toks, token{kind: quest})
			i++
		default:
			b.WriteByte(c)
			i++
		}
	}
	flush()
	switch {
	case len(p.toks) == 0:
		p.plain = true
	case len(p.toks) == 1 && p.toks[0].kind == text:
		p.plain, p.lit = true, p.toks[0].text
	case len(p.toks) == 1 && p.toks[0].kind == star:
		p.any = true
	case p.toks[len(p.toks)-1].kind == text:
		p.tail = p.toks[len(p.toks)-1].text
	}
	return p
}

// parseVariable reads the body of ${...}: a key, optionally followed by a
// comma, spaces and a default in single quotes: ${aws:userid, 'anonymous'}.
func parseVariable(body string) token {
	t := token{kind: variable}
	key := body
	if comma := strings.IndexByte(body, ','); comma >= 0 {
		rest := strings.TrimSpace(body[comma+1:])
		if len(rest) >= 2 && rest[0] == '\'' && rest[len(rest)-1] == '\'' {
			key = body[:comma]
			t.def, t.hasDef = rest[1:len(rest)-1], true
		}
	}
	t.text = strings.ToLower(strings.TrimSpace(key))
	return t
}

// String returns the pattern as written in the policy.
func (p *Pattern) String() string { return p.src }

// MatchesAll reports whether the pattern is "*".
func (p *Pattern) MatchesAll() bool { return p.any }

// HasVariables reports whether the pattern holds a policy variable.
func (p *Pattern) HasVariables() bool {
	for _, t := range p.toks {
		if t.kind == variable {
			return true
		}
	}
	return false
}

// Match reports whether s matches the pattern, resolving variables with v
// (which may be nil when the pattern has none).
func (p *Pattern) Match(s string, v Vars) bool {
	if p.any {
		return true
	}
	if p.plain {
		if p.fold {
			return strings.EqualFold(s, p.lit)
		}
		return s == p.lit
	}
	// A value that cannot end as the pattern does is refused at once: a
	// cheap check that spares the backtracking below most of its work.
	if len(s) < len(p.tail) || !hasPrefix(s[len(s)-len(p.tail):], p.tail, p.fold) {
		return false
	}
	// Glob matching with backtracking to the last star only: correct for
	// patterns made of literal runs, single-character and star wildcards,
	// and linear in len(s) between stars.
	ti, si := 0, 0
	starTi, starSi := -1, 0
	for {
		if ti < len(p.toks) {
			t := &p.toks[ti]
			switch t.kind {
			case star:
				starTi, starSi = ti, si
				ti++
				continue
			case quest:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case text:
				if hasPrefix(s[si:], t.text, p.fold) {
					si += len(t.text)
					ti++
					continue
				}
			case variable:
				val, ok := resolve(t, v)
				if !ok {
					return false
				}
				if hasPrefix(s[si:], val, p.fold) {
					si += len(val)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if starTi < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		si, ti = starSi, starTi+1
	}
}

func resolve(t *token, v Vars) (string, bool) {
	if v != nil {
		if val, ok := v.Var(t.text); ok {
			return val, true
		}
	}
	if t.hasDef {
		return t.def, true
	}
	return "", false
}

func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if fold {
		return strings.EqualFold(s[:len(prefix)], prefix)
	}
	return s[:len(prefix)] == prefix
}
