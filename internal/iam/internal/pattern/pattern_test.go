package pattern

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

type vars map[string]string

func (v vars) Var(key string) (string, bool) {
	s, ok := v[key]
	return s, ok
}

func TestMatch(t *testing.T) {
	like := Options{Wildcards: true, Variables: true}
	equals := Options{Variables: true}
	fold := Options{Wildcards: true, Fold: true}
	v := vars{"aws:username": "alice", "aws:principaltag/team": "a*b", "aws:empty": ""}
	tests := []struct {
		name    string
		pattern string
		opts    Options
		value   string
		want    bool
	}{
		{"literal", "abc", like, "abc", true},
		{"literal differs", "abc", like, "abd", false},
		{"literal is case-sensitive", "abc", like, "ABC", false},
		{"empty matches empty", "", like, "", true},
		{"empty does not match text", "", like, "a", false},
		{"star alone", "*", like, "anything at all", true},
		{"star matches empty", "a*", like, "a", true},
		{"star in the middle", "a*c", like, "abbbc", true},
		{"star backtracks", "a*bc", like, "abcbc", true},
		{"two stars", "*a*b*", like, "xxaxxbxx", true},
		{"two stars miss", "*a*b*", like, "xxbxxaxx", false},
		{"question mark is one character", "a?c", like, "abc", true},
		{"question mark is not zero characters", "a?c", like, "ac", false},
		{"question mark is one rune", "a?c", like, "aéc", true},
		{"star is literal without wildcards", "a*c", equals, "abc", false},
		{"star literal equals star", "a*c", equals, "a*c", true},
		{"variable", "home/${aws:username}/*", like, "home/alice/x", true},
		{"variable other user", "home/${aws:username}/*", like, "home/bob/x", false},
		{"variable key is case-insensitive", "${AWS:UserName}", equals, "alice", true},
		{"variable value is literal, not a wildcard", "${aws:principaltag/team}", like, "aXXb", false},
		{"variable value with star matches itself", "${aws:principaltag/team}", like, "a*b", true},
		{"unresolved variable never matches", "${aws:userid}", like, "", false},
		{"unresolved variable under a star never matches", "*${aws:userid}", like, "anything", false},
		{"default when unresolved", "${aws:userid, 'anonymous'}", equals, "anonymous", true},
		{"default not used when resolved", "${aws:username, 'anonymous'}", equals, "alice", true},
		{"empty value resolves", "x${aws:empty}y", equals, "xy", true},
		{"escape star is literal", "a${*}b", like, "a*b", true},
		{"escape star is not a wildcard", "a${*}b", like, "axxb", false},
		{"escape question mark", "a${?}", like, "a?", true},
		{"escape dollar", "${$}{x}", like, "${x}", true},
		{"variables off: literal", "${aws:username}", Options{Wildcards: true}, "${aws:username}", true},
		{"variables off: not substituted", "${aws:username}", Options{Wildcards: true}, "alice", false},
		{"unterminated variable is literal", "a${b", like, "a${b", true},
		{"fold equal", "kms:decrypt", fold, "KMS:Decrypt", true},
		{"fold wildcard", "kms:describe*", fold, "kms:DescribeKey", true},
		{"fold miss", "kms:describe*", fold, "kms:Decrypt", false},
		{"fold is simple case folding (ß is not ss)", "straße", Options{Fold: true}, "STRASSE", false},
		{"fold unicode simple", "émile", Options{Fold: true}, "ÉMILE", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Compile(tt.pattern, tt.opts)
			if got := p.Match(tt.value, v); got != tt.want {
				t.Errorf("Compile(%q, %+v).Match(%q) = %v, want %v", tt.pattern, tt.opts, tt.value, got, tt.want)
			}
		})
	}
}

func TestMatchARN(t *testing.T) {
	o := Options{Wildcards: true, Variables: true}
	v := vars{"aws:username": "alice", "aws:principalaccount": "123456789012"}
	tests := []struct {
		name    string
		pattern string
		value   string
		want    bool
	}{
		{"exact", "arn:aws:kms:us-east-1:123456789012:key/k1", "arn:aws:kms:us-east-1:123456789012:key/k1", true},
		{"star everything", "*", "not an arn", true},
		{"resource star", "arn:aws:kms:us-east-1:123456789012:key/*", "arn:aws:kms:us-east-1:123456789012:key/k1", true},
		{"region star", "arn:aws:kms:*:123456789012:key/k1", "arn:aws:kms:eu-west-1:123456789012:key/k1", true},
		// The IAM User Guide's example: ArnLike matches part by part, so the
		// first * covers only the region.
		{"star does not cross parts", "arn:aws:someservice:*:111122223333:finance/*", "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt", false},
		{"resource keeps colons", "arn:aws:logs:us-east-1:123456789012:log-group:*", "arn:aws:logs:us-east-1:123456789012:log-group:/a:b", true},
		{"short pattern fills stars", "arn:aws:kms:*", "arn:aws:kms:us-east-1:123456789012:key/k1", true},
		{"short pattern fixes what it names", "arn:aws:kms:*", "arn:aws:s3:::bucket", false},
		{"value not an arn", "arn:aws:kms:*:*:*", "key/k1", false},
		{"value short", "arn:aws:kms:*:*:*", "arn:aws:kms:us-east-1", false},
		{"case-sensitive", "arn:aws:s3:::Bucket", "arn:aws:s3:::bucket", false},
		{"variable in resource", "arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/alice/f", true},
		{"variable in resource, other user", "arn:aws:s3:::bucket/home/${aws:username}/*", "arn:aws:s3:::bucket/home/bob/f", false},
		{"variable with colon in account", "arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "arn:aws:kms:us-east-1:123456789012:key/k", true},
		{"variable in account, other account", "arn:aws:kms:*:${aws:PrincipalAccount}:key/*", "arn:aws:kms:us-east-1:999999999999:key/k", false},
		{"sqs queue named for the user", "arn:aws:sqs:us-east-2:*:${aws:username}-queue", "arn:aws:sqs:us-east-2:123456789012:alice-queue", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := CompileARN(tt.pattern, o)
			if got := p.Match(tt.value, v); got != tt.want {
				t.Errorf("CompileARN(%q).Match(%q) = %v, want %v", tt.pattern, tt.value, got, tt.want)
			}
		})
	}
}

func TestMatchDoesNotAllocate(t *testing.T) {
	p := Compile("arn:*:${aws:username}/*?x", Options{Wildcards: true, Variables: true})
	a := CompileARN("arn:aws:s3:::bucket/${aws:username}/*", Options{Wildcards: true, Variables: true})
	v := vars{"aws:username": "alice"}
	var vi Vars = v
	allocs := testing.AllocsPerRun(100, func() {
		p.Match("arn:aws:alice/abcx", vi)
		a.Match("arn:aws:s3:::bucket/alice/file", vi)
	})
	if allocs != 0 {
		t.Errorf("Match allocates %v times per run, want 0", allocs)
	}
}

// FuzzMatch checks the glob engine against regexp, its reference.
func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"a*c", "abbbc"}, {"*a*b*", "xxaxxbxx"}, {"a?c", "aéc"}, {"**?", ""}, {"k*:Des?r*", "kms:DescribeKey"}} {
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pat, s string, fold bool) {
		if fold && (!ascii(pat) || !ascii(s)) {
			fold = false // EqualFold on equal byte lengths: exact for ASCII only
		}
		var re strings.Builder
		re.WriteString("^(?s)")
		if fold {
			re.WriteString("(?i)")
		}
		for _, r := range pat {
			switch r {
			case '*':
				re.WriteString(".*")
			case '?':
				re.WriteString(".")
			default:
				re.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		re.WriteString("$")
		want := regexp.MustCompile(re.String()).MatchString(s)
		p := Compile(pat, Options{Wildcards: true, Fold: fold})
		if got := p.Match(s, nil); got != want && utf8.ValidString(pat) && utf8.ValidString(s) {
			t.Errorf("Compile(%q, fold %v).Match(%q) = %v, want %v (regexp %s)", pat, fold, s, got, want, re.String())
		}
	})
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
