package parameters

import (
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
)

const (
	maxLevels  = 15
	maxNameARN = 1011 // the name and the ARN before it, as AWS counts

	msgNameRules = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
	msgSSMPath   = `Parameter name: can't be prefixed with "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
	msgReserved  = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`
	msgPathRules = `The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can't be prefixed with "aws" or "ssm" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.`
)

// nameChar reports whether c may appear in a name segment.
func nameChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// cleanName trims the spaces AWS trims from either end of a name and
// refuses spaces inside it.
func cleanName(name string) (string, error) {
	n := strings.Trim(name, " ")
	if strings.Contains(n, " ") {
		return "", errValidation("Parameter name can't contain spaces.")
	}
	return n, nil
}

// segmentsValid reports whether the parts of a name between slashes are
// non-empty and of the allowed characters.
func segmentsValid(segs []string) bool {
	for _, seg := range segs {
		if seg == "" {
			return false
		}
		for i := 0; i < len(seg); i++ {
			if !nameChar(seg[i]) {
				return false
			}
		}
	}
	return true
}

// checkNewName applies AWS's naming rules to the name of a parameter being
// created or updated: the characters, a leading slash for a hierarchy, at
// most 15 levels, the reserved prefixes "aws" and "ssm" (case-insensitive;
// a path under /aws is refused as access to a reserved name, as AWS does),
// and 1011 characters with the ARN before it.
func checkNewName(r *sealbox.Request, name string) error {
	path := strings.Contains(name, "/")
	if path && !strings.HasPrefix(name, "/") {
		return errValidation("Parameter name must be a fully qualified name.")
	}
	if strings.HasSuffix(name, "/") && name != "/" {
		return errValidation("Parameter name must not end with slash.")
	}
	segs := strings.Split(strings.TrimPrefix(name, "/"), "/")
	if !segmentsValid(segs) {
		return errValidation("%s", msgNameRules)
	}
	if len(segs) > maxLevels {
		return sealbox.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxLevels)
	}
	first := strings.ToLower(segs[0])
	switch {
	case strings.HasPrefix(first, "aws") && path:
		return sealbox.Errorf("AccessDeniedException", "No access to reserved parameter name: %s.", name)
	case strings.HasPrefix(first, "ssm") && path:
		return errValidation("%s", msgSSMPath)
	case strings.HasPrefix(first, "aws"), strings.HasPrefix(first, "ssm"):
		return errValidation("%s", msgReserved)
	}
	if n := len(requestARN(r, name)); n > maxNameARN {
		return errValidation("Parameter name exceeds the maximum length of %d characters, counting the ARN that precedes it (%d characters).", maxNameARN, n)
	}
	return nil
}

// ref is a parameter a read names: its name, and a selector (":3" or
// ":label") when it names a version.
type ref struct {
	name     string // without selector; as the caller wrote it
	selector string // "" or the text after ':'
	version  int64  // > 0 when selector is a version number
}

// parseRef reads "name", "name:3", "name:label", or the ARN of a parameter
// of the caller's account and region, with or without a selector. ok is
// false for a name that cannot name a parameter.
func parseRef(r *sealbox.Request, s string) (ref, bool) {
	s = strings.Trim(s, " ")
	if strings.HasPrefix(s, "arn:") {
		prefix := "arn:" + r.Partition + ":ssm:" + r.Region + ":" + r.AccountID + ":parameter/"
		if !strings.HasPrefix(s, prefix) {
			return ref{}, false
		}
		s = "/" + strings.TrimPrefix(s, prefix)
		if !strings.Contains(s[1:], "/") {
			s = s[1:] // a one-level ARN names the parameter with or without its slash
		}
	}
	var out ref
	out.name = s
	if i := strings.IndexByte(s, ':'); i >= 0 {
		out.name, out.selector = s[:i], s[i+1:]
		if out.selector == "" || strings.Contains(out.selector, ":") {
			return ref{}, false
		}
		if v, err := strconv.ParseInt(out.selector, 10, 64); err == nil {
			if v <= 0 {
				return ref{}, false
			}
			out.version = v
		}
	}
	if out.name == "" || strings.Contains(out.name, " ") {
		return ref{}, false
	}
	if !segmentsValid(strings.Split(strings.TrimPrefix(out.name, "/"), "/")) {
		return ref{}, false
	}
	return out, true
}

// checkPath validates a by-path read's path and returns the store-key
// prefix of the parameters under it ("" for the root).
func checkPath(path string) (string, error) {
	p, err := cleanName(path)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(p, "/") {
		return "", errValidation("%s", msgPathRules)
	}
	inner := strings.Trim(p, "/")
	if inner == "" {
		if p != "/" {
			return "", errValidation("%s", msgPathRules)
		}
		return "", nil
	}
	segs := strings.Split(inner, "/")
	if strings.HasSuffix(p, "//") || !segmentsValid(segs) {
		return "", errValidation("%s", msgPathRules)
	}
	if len(segs) >= maxLevels {
		return "", sealbox.Errorf("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of %d levels.", maxLevels)
	}
	return inner + "/", nil
}

// pathARN is the resource GetParametersByPath is authorized on: the path's
// own ARN (a caller with access to a path may read every level under it).
func pathARN(r *sealbox.Request, prefix string) string {
	return requestARN(r, strings.TrimSuffix(prefix, "/"))
}

// labelValid applies AWS's label rules: 1 to 100 letters, numbers, periods,
// hyphens or underscores, not beginning with a number, "aws" or "ssm" (not
// case sensitive).
func labelValid(l string) bool {
	if l == "" || len(l) > 100 || l[0] >= '0' && l[0] <= '9' {
		return false
	}
	low := strings.ToLower(l)
	if strings.HasPrefix(low, "aws") || strings.HasPrefix(low, "ssm") {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !nameChar(l[i]) {
			return false
		}
	}
	return true
}
