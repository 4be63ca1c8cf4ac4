package model

import (
	"strings"
	"testing"
)

var services = []string{"kms", "iam", "sts", "ssm", "secretsmanager", "lambda", "cloudtrail"}

// TestEveryPatternEnforced: every pattern of every embedded model is
// checked, either translated to Go's syntax or written by hand in javaOnly;
// the one left unchecked (nil) is reached by no operation's input.
func TestEveryPatternEnforced(t *testing.T) {
	total, escaped, hand := 0, 0, 0
	for _, name := range services {
		m := Load(name)
		inputs := reachableFromInputs(m)
		for shName, sh := range m.Shapes {
			if sh.Pattern == "" {
				continue
			}
			total++
			if strings.Contains(sh.Pattern, `\u`) {
				escaped++
			}
			if _, ok := javaOnly[sh.Pattern]; ok {
				hand++
			}
			if sh.pattern == nil && inputs[shName] {
				t.Errorf("%s: shape %s, reached by an input, has its pattern %q unchecked", name, shName, sh.Pattern)
			}
		}
	}
	t.Logf("%d patterns: %d with \\u escapes translated, %d written by hand", total, escaped, hand)
	if escaped == 0 || hand == 0 {
		t.Fatalf("counted %d escaped and %d hand-written patterns: the test no longer sees them", escaped, hand)
	}
}

func reachableFromInputs(m *Service) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		sh := m.Shapes[name]
		if sh == nil {
			return
		}
		for _, r := range sh.Members {
			walk(r.Shape)
		}
		for _, r := range []*Ref{sh.Member, sh.Key, sh.Value} {
			if r != nil {
				walk(r.Shape)
			}
		}
	}
	for _, op := range m.Operations {
		if op.Input != nil {
			walk(op.Input.Shape)
		}
	}
	return seen
}

func TestTranslateEscapes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`[\u0020-\u00FF]+`, `[\x{20}-\x{FF}]+`},
		{`(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`, `(\x{2F})|(\x{2F}[\x{21}-\x{7E}]+\x{2F})`},
		// A surrogate pair is one code point.
		{`[\uD800\uDC00-\uDBFF\uDFFF]`, `[\x{10000}-\x{10FFFF}]`},
		// botocore's spelling of the supplementary planes.
		{`[\u0085\u10000-\u10FFFF]`, `[\x{85}\x{10000}-\x{10FFFF}]`},
		// An escaped backslash before u is not an escape of u.
		{`\\u0041\u0041`, `\\u0041\x{41}`},
		{`[\w+=,.@-]+`, `[\w+=,.@-]+`},
		{`\u12`, `\u12`},
	} {
		if got := translateEscapes(tc.in); got != tc.want {
			t.Errorf("translateEscapes(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPatternValues checks the translated and hand-written patterns on
// values: real ones that passed before the patterns were enforced still
// pass, and the ones AWS refuses are refused.
func TestPatternValues(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":[{"Sid":"Enable IAM policies","Effect":"Allow",` + "\n\t" +
		`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	for _, tc := range []struct {
		service, shape string
		ok, refused    []string
	}{
		{"kms", "PolicyType", []string{policy, "café \r\n\t ÿ"}, []string{"", "日本", "a\x00b", "\x7f\x01"}},
		{"kms", "MarkerType", []string{"", "eyJrIjoiYWJjIn0=", "AQIDBA==", "next page"}, []string{"\n", "Ā"}},
		{"iam", "pathType", []string{"/", "/app/", "/a/b-c/d_e/"}, []string{"", "/app", "app/", "/a b/", "/é/"}},
		{"iam", "pathPrefixType", []string{"/", "/app", "/app/x\x7f"}, []string{"", "app", "/ a"}},
		{"iam", "policyDocumentType", []string{policy}, []string{"日本", ""}},
		{"iam", "roleDescriptionType", []string{"", "Role for the billing service (prod) ¡ÿ", "tab\tand\nnewline"}, []string{"\x7f", "\u00a0", "€"}},
		{"iam", "markerType", []string{"AbCd", "a b"}, []string{"", "\x1f"}},
		{"sts", "arnType", []string{"arn:aws:iam::123456789012:role/app", "arn:aws:iam::123456789012:role/ünïcode-😀"}, []string{"", "arn\x01", "\x7f"}},
		{"sts", "unrestrictedSessionPolicyDocumentType", []string{policy}, []string{"😀", ""}},
		{"cloudtrail", "PartitionKeyName", []string{"", "region", "😀", "tab\there"}, []string{"\x01", "\n"}},
		{"iam", "accountAliasType", []string{"my-account", "abc", "a1-b2-c3"}, []string{"a--b", "-ab", "ab-", "ab", "AB-c"}},
		{"lambda", "Alias", []string{"live", "v1", "1a", "a-b_c"}, []string{"", "1", "123", "a.b"}},
		{"lambda", "FunctionUrlQualifier", []string{"live", "$LATEST"[1:]}, []string{"42", ""}},
		{"lambda", "S3Bucket", []string{"", "my-bucket", "my.bucket.1"}, []string{"bucket.", "a b"}},
		{"lambda", "CollectionName", []string{"orders", "_x", "systemx"}, []string{"", "system.users", "a$b", ".x"}},
		{"ssm", "OpsItemTitle", []string{"Disk full", " x "}, []string{"", "   ", "\t\n", "a\nb"}},
		{"ssm", "InstancePropertyFilterValue", []string{"x", strings.Repeat("a", 100000)}, []string{"", strings.Repeat("a", 100001), "a\nb"}},
		{"ssm", "TargetLocationsURL", []string{"https://bucket.s3.amazonaws.com/key.json", "https://b.s3.us-east-1.amazonaws.com/" + strings.Repeat("k", 2000)},
			[]string{"http://bucket.s3.amazonaws.com/key", "https://b.s3.amazonaws.com/", "https://b.s3.amazonaws.com/" + strings.Repeat("k", 2001)}},
	} {
		sh := Load(tc.service).Shapes[tc.shape]
		if sh == nil || sh.pattern == nil {
			t.Errorf("%s %s: no pattern", tc.service, tc.shape)
			continue
		}
		for _, v := range tc.ok {
			if !sh.pattern.MatchString(v) {
				t.Errorf("%s %s (%s): %.40q refused, want accepted", tc.service, tc.shape, sh.Pattern, v)
			}
		}
		for _, v := range tc.refused {
			if sh.pattern.MatchString(v) {
				t.Errorf("%s %s (%s): %.40q accepted, want refused", tc.service, tc.shape, sh.Pattern, v)
			}
		}
	}
}
