package pattern

// ARN matches ARNs component by component, as the IAM Resource element and
// the Arn condition operators do: each of the six colon-separated parts
// (arn:partition:service:region:account:resource) is matched on its own, so
// a * in the region never swallows the account. The resource part keeps any
// further colons. A pattern with fewer than six parts matches any value in
// the parts it leaves out; "*" alone matches any string, ARN or not.
//
// An ARN is immutable and safe for concurrent use.
type ARN struct {
	src   string
	parts [6]Pattern
	any   bool
}

// CompileARN compiles an ARN pattern. Colons inside a policy variable
// (${aws:username}) do not split parts.
func CompileARN(s string, o Options) ARN {
	a := ARN{src: s}
	if s == "*" && o.Wildcards {
		a.any = true
		return a
	}
	starPart := Compile("*", Options{Wildcards: true})
	exact := o
	exact.Wildcards = false
	n := 0
	start := 0
	for i := 0; i < len(s) && n < 5; i++ {
		switch {
		case o.Variables && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			// Skip to the variable's end so its colon does not split.
			for j := i + 2; j < len(s); j++ {
				if s[j] == '}' {
					i = j
					break
				}
			}
		case s[i] == ':':
			a.parts[n] = Compile(s[start:i], o)
			n++
			start = i + 1
		}
	}
	a.parts[n] = Compile(s[start:], o)
	for n++; n < 6; n++ {
		if o.Wildcards {
			a.parts[n] = starPart
		} else {
			a.parts[n] = Compile("", exact) // only an empty part matches
		}
	}
	return a
}

// String returns the pattern as written in the policy.
func (a *ARN) String() string { return a.src }

// MatchesAll reports whether the pattern is "*".
func (a *ARN) MatchesAll() bool { return a.any }

// Match reports whether s, an ARN, matches. A value with fewer than six
// parts does not match (unless the pattern is "*").
func (a *ARN) Match(s string, v Vars) bool {
	if a.any {
		return true
	}
	start := 0
	n := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			if !a.parts[n].Match(s[start:i], v) {
				return false
			}
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return false
	}
	return a.parts[5].Match(s[start:], v)
}
