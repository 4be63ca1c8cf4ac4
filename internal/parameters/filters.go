package parameters

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// filterMode says which operation's filter rules apply.
type filterMode int

const (
	byPathFilters filterMode = iota
	describeFilters
)

type filter struct {
	key    string
	option string
	values []string
}

// filterSet is a request's parsed ParameterFilters; all must match.
type filterSet []filter

func errFilterKey(key, valid string) error {
	return sealbox.Errorf("InvalidFilterKey", "The following filter key is not valid: %s. Valid filter keys include: [%s].", key, valid)
}

// parseFilters checks ParameterFilters as AWS allows them: for
// GetParametersByPath the keys Type, KeyId and Label; for
// DescribeParameters every key but Label. Options: Equals and BeginsWith,
// Name also Contains, Path Recursive and OneLevel, Label only Equals.
func parseFilters(in []ParameterStringFilter, mode filterMode) (filterSet, error) {
	var out filterSet
	seen := map[string]bool{}
	for _, f := range in {
		key := f.Key
		switch mode {
		case byPathFilters:
			if key != "Type" && key != "KeyId" && key != "Label" {
				return nil, errFilterKey(key, "Type, KeyId, Label")
			}
		case describeFilters:
			if !strings.HasPrefix(key, "tag:") && !slices.Contains([]string{"Name", "Type", "KeyId", "Path", "Tier", "DataType"}, key) {
				return nil, errFilterKey(key, "Path, Name, Type, KeyId, Tier, DataType, tag:<key>")
			}
		}
		if seen[key] {
			return nil, sealbox.Errorf("InvalidFilterKey", "The following filter is duplicated in the request: %s. A request can contain only one occurrence of a specific filter.", key)
		}
		seen[key] = true
		opt := f.Option
		switch {
		case opt != "":
		case key == "Path":
			opt = "OneLevel"
		default:
			opt = "Equals"
		}
		valid := []string{"BeginsWith", "Equals"}
		switch key {
		case "Path":
			valid = []string{"Recursive", "OneLevel"}
		case "Name":
			valid = []string{"BeginsWith", "Contains", "Equals"}
		case "Label":
			valid = []string{"Equals"}
		}
		if !slices.Contains(valid, opt) {
			return nil, sealbox.Errorf("InvalidFilterOption", "The following filter option is not valid: %s. Valid options include: [%s].", opt, strings.Join(valid, ", "))
		}
		if len(f.Values) == 0 && !strings.HasPrefix(key, "tag:") {
			return nil, sealbox.Errorf("InvalidFilterValue", "The following filter values are missing : null for filter key %s.", key)
		}
		values := f.Values
		var allowed []string
		switch key {
		case "Type":
			allowed = []string{typeString, typeStringList, typeSecureString}
		case "Tier":
			allowed = []string{tierStandard, tierAdvanced, tierIntelligent}
		case "Path":
			values = make([]string, len(f.Values))
			for i, v := range f.Values {
				prefix, err := checkPath(v)
				if err != nil {
					return nil, err
				}
				values[i] = prefix
			}
		}
		if allowed != nil && opt == "Equals" {
			for _, v := range values {
				if !slices.Contains(allowed, v) {
					return nil, sealbox.Errorf("InvalidFilterValue", "The following filter value is not valid: %s. Valid values include: [%s].", v, strings.Join(allowed, ", "))
				}
			}
		}
		out = append(out, filter{key: key, option: opt, values: values})
	}
	return out, nil
}

// legacyFilters turns DescribeParameters' Filters (Name, Type, KeyId) into
// ParameterFilters: a Name value is a name prefix, the others are equal.
func legacyFilters(in []ParametersFilter) []ParameterStringFilter {
	out := make([]ParameterStringFilter, 0, len(in))
	for _, f := range in {
		opt := "Equals"
		if f.Key == "Name" {
			opt = "BeginsWith"
		}
		out = append(out, ParameterStringFilter{Key: f.Key, Option: opt, Values: f.Values})
	}
	return out
}

func matchString(opt, have string, values []string) bool {
	for _, v := range values {
		switch opt {
		case "Equals":
			if have == v {
				return true
			}
		case "BeginsWith":
			if strings.HasPrefix(have, v) {
				return true
			}
		case "Contains":
			if strings.Contains(have, v) {
				return true
			}
		}
	}
	return false
}

// slashed is a name or name prefix with one leading slash, so that "a" and
// "/a" (one parameter) compare equal.
func slashed(s string) string { return "/" + strings.TrimPrefix(s, "/") }

// resolve returns the version of p the filters select: the current one, or
// for a Label filter the labelled version (the newest labelled one when
// several labels match); nil when p does not match.
func (fs filterSet) resolve(tx store.Tx, p *paramRecord) (*resolved, error) {
	res := &resolved{p: p, v: &p.version}
	for _, f := range fs {
		switch {
		case f.key == "Type":
			if !matchString(f.option, p.Type, f.values) {
				return nil, nil
			}
		case f.key == "KeyId":
			if p.Type != typeSecureString || !matchString(f.option, p.KeyID, f.values) {
				return nil, nil
			}
		case f.key == "Tier":
			if !matchString(f.option, p.Tier, f.values) {
				return nil, nil
			}
		case f.key == "DataType":
			if !matchString(f.option, p.DataType, f.values) {
				return nil, nil
			}
		case f.key == "Name":
			values := f.values
			have := p.Name
			if f.option != "Contains" {
				have = slashed(p.Name)
				values = make([]string, len(f.values))
				for i, v := range f.values {
					values[i] = slashed(v)
				}
			}
			if !matchString(f.option, have, values) {
				return nil, nil
			}
		case f.key == "Path":
			name := trimSlash(p.Name)
			ok := false
			for _, prefix := range f.values {
				if strings.HasPrefix(name, prefix) && (f.option == "Recursive" || !strings.Contains(name[len(prefix):], "/")) {
					ok = true
				}
			}
			if !ok {
				return nil, nil
			}
		case f.key == "Label":
			best := int64(0)
			for _, l := range f.values {
				if v, ok := p.Labels[l]; ok && v > best {
					best = v
				}
			}
			if best == 0 {
				return nil, nil
			}
			v, err := versionOf(tx, p, best)
			if err != nil {
				return nil, err
			}
			res.v = v
		case strings.HasPrefix(f.key, "tag:"):
			key := strings.TrimPrefix(f.key, "tag:")
			ok := false
			for _, t := range p.Tags {
				if t.Key == key && (len(f.values) == 0 || matchString(f.option, t.Value, f.values)) {
					ok = true
				}
			}
			if !ok {
				return nil, nil
			}
		}
	}
	return res, nil
}

// Paging tokens name the last item returned (not an offset), bound to the
// operation, region and query they page, so a page starts right after it
// however the set changed meanwhile.

func encodeToken(kind, region, scope, last string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + "\n" + region + "\n" + scope + "\n" + last))
}

func decodeToken(tok, kind, region, scope string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return "", errInvalidToken()
	}
	parts := strings.SplitN(string(b), "\n", 4)
	if len(parts) != 4 || parts[0] != kind || parts[1] != region || parts[2] != scope {
		return "", errInvalidToken()
	}
	return parts[3], nil
}

// resumeAfter is the storage key a paged scan of the parameters under
// prefix resumes after: the last name tok (a token of kind, region and
// scope) carries, which must lie under prefix; "" without a token, for the
// first page.
func resumeAfter(tok, kind, region, scope, prefix string) (string, error) {
	if tok == "" {
		return "", nil
	}
	last, err := decodeToken(tok, kind, region, scope)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(last, prefix) {
		return "", errInvalidToken()
	}
	return paramPrefix(region) + last, nil
}

func formatVersion(v int64) string { return strconv.FormatInt(v, 10) }

func parseVersion(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }
