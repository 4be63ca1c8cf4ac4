package identity

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sealbox/sealbox"
)

// The model's patterns, anchored (botocore's are not, and some use Java's
// \uXXXX syntax, which Go's regexp does not read, so the request path cannot
// check them for us).
var (
	namePattern        = regexp.MustCompile(`^[\w+=,.@-]+$`)
	pathPattern        = regexp.MustCompile(`^(/|/[\x21-\x7E]+/)$`)
	pathPrefixPattern  = regexp.MustCompile(`^/[\x21-\x7F]*$`)
	policyPathPattern  = regexp.MustCompile(`^((/[A-Za-z0-9\.,\+@=_-]+)*)/$`)
	versionIDPattern   = regexp.MustCompile(`^v[1-9][0-9]*(\.[A-Za-z0-9-]*)?$`)
	accessKeyIDPattern = regexp.MustCompile(`^[\w]+$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]*$`)
	tagKeyPattern      = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$`)
	tagValuePattern    = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
	documentPattern    = regexp.MustCompile(`^[\x09\x0A\x0D\x20-\x{FF}]+$`)
	descriptionPattern = regexp.MustCompile(`^[\x09\x0A\x0D\x20-\x7E\x{A1}-\x{FF}]*$`)
	sourceIdentityPat  = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

// The patterns as the model spells them, for messages.
const (
	namePatternText        = `[\w+=,.@-]+`
	pathPatternText        = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	pathPrefixPatternText  = `\u002F[\u0021-\u007F]*`
	policyPathPatternText  = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	versionIDPatternText   = `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
	sessionNamePatternText = `[\w+=,.@-]*`
	documentPatternText    = `[\u0009\u000A\u000D\u0020-\u00FF]+`
)

// checker gathers the constraint violations of one request.
type checker struct{ v validationErrors }

func (c *checker) err() error { return c.v.err() }

// str checks a string member: required, length (in characters) and
// pattern. min 0 and max 0 mean unbounded; a nil pattern means none.
func (c *checker) str(member, value string, required bool, min, max int, re *regexp.Regexp, reText string) {
	if value == "" {
		if required {
			c.v.add(member, nil, "Member must not be null")
		}
		return
	}
	n := utf8.RuneCountInString(value)
	if min > 0 && n < min {
		c.v.add(member, &value, "Member must have length greater than or equal to "+strconv.Itoa(min))
	}
	if max > 0 && n > max {
		c.v.add(member, &value, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	if re != nil && !re.MatchString(value) {
		c.v.add(member, &value, "Member must satisfy regular expression pattern: "+reText)
	}
}

// name checks a user, group, role or policy name.
func (c *checker) name(member, value string, max int) {
	c.str(member, value, true, 1, max, namePattern, namePatternText)
}

// optName checks an optional name (GetUser's UserName).
func (c *checker) optName(member, value string, max int) {
	if value != "" {
		c.name(member, value, max)
	}
}

// path checks an entity path; empty is the default "/".
func (c *checker) path(member, value string) {
	if value != "" {
		c.str(member, value, false, 1, 512, pathPattern, pathPatternText)
	}
}

func (c *checker) pathPrefix(member, value string) {
	if value != "" {
		c.str(member, value, false, 1, 512, pathPrefixPattern, pathPrefixPatternText)
	}
}

func (c *checker) policyPath(member, value string) {
	if value != "" {
		c.str(member, value, false, 1, 512, policyPathPattern, policyPathPatternText)
	}
}

// document checks a policy document member's size and characters.
func (c *checker) document(member, value string, max int) {
	if value == "" {
		c.v.add(member, nil, "Member must not be null")
		return
	}
	if max > 0 && utf8.RuneCountInString(value) > max {
		c.v.add(member, &value, "Member must have length less than or equal to "+strconv.Itoa(max))
	}
	if !documentPattern.MatchString(value) {
		c.v.add(member, &value, "Member must satisfy regular expression pattern: "+documentPatternText)
	}
}

func (c *checker) arn(member, value string) {
	c.str(member, value, true, 20, 2048, nil, "")
}

// intRange checks an optional integer member; 0 means absent.
func (c *checker) intRange(member string, value, min, max int) {
	if value == 0 {
		return
	}
	s := strconv.Itoa(value)
	if value < min {
		c.v.add(member, &s, "Member must have value greater than or equal to "+strconv.Itoa(min))
	}
	if max > 0 && value > max {
		c.v.add(member, &s, "Member must have value less than or equal to "+strconv.Itoa(max))
	}
}

// paging checks Marker and MaxItems.
func (c *checker) paging(marker string, maxItems int) {
	if maxItems != 0 {
		c.intRange("maxItems", maxItems, 1, 1000)
		if maxItems < 0 {
			return
		}
	}
	if marker != "" {
		c.str("marker", marker, false, 1, 320, nil, "")
	}
}

func (c *checker) enum(member, value string, allowed ...string) {
	if value == "" {
		return
	}
	for _, a := range allowed {
		if value == a {
			return
		}
	}
	c.v.add(member, &value, "Member must satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// tags checks a tag list as IAM and STS do.
func (c *checker) tags(tags []Tag) {
	if len(tags) > 50 {
		c.v.add("tags", nil, "Member must have length less than or equal to 50")
	}
	for i, t := range tags {
		at := "tags." + strconv.Itoa(i+1) + ".member."
		c.str(at+"key", t.Key, true, 1, 128, tagKeyPattern, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
		if t.Value != "" {
			c.str(at+"value", t.Value, false, 0, 256, tagValuePattern, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
		}
	}
}

// uniqueTags answers InvalidInput when two tags share a key, compared
// regardless of case, as IAM does.
func uniqueTags(tags []Tag) error {
	seen := map[string]bool{}
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return errInvalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
	}
	return nil
}

// validateDocument asks the checker about doc; without a checker, doc must
// be a JSON object.
func validateDocument(pc PolicyChecker, doc string, kind PolicyKind) error {
	if pc != nil {
		return pc.Validate(doc, kind)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return &sealbox.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy."}
	}
	return nil
}

// encodeDocument is a policy document as IAM returns it: percent-encoded
// (RFC 3986; a space is %20), which botocore decodes and aws-sdk-go-v2
// leaves to the caller (url.QueryUnescape).
func encodeDocument(doc string) string {
	return strings.ReplaceAll(url.QueryEscape(doc), "+", "%20")
}

// defaultPath is the path IAM gives an entity created without one.
func defaultPath(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
