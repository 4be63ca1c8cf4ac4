package query

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/internal/wiretime"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// MalformedCode is the code of a parameter whose value cannot be read as its
// type (a non-numeric integer, a boolean that is neither true nor false):
// IAM's and STS's documented common error for "an invalid or out-of-range
// value was supplied for the input parameter", HTTP 400.
const MalformedCode = "InvalidParameterValue"

// Decode turns the parameters of a Query request into the generic value a
// JSON request of input's shape decodes to with json.Decoder.UseNumber:
// structures are map[string]any keyed by member name, lists []any, maps
// map[string]any, strings and blobs (base64, as JSON carries them) string,
// booleans bool, numbers json.Number, and timestamps json.Number epoch
// seconds (what the JSON protocols carry and sealbox.Timestamp binds). The
// result is ready for model.Validate, model.Redact and binding into the
// operation's input. Parameter names are matched exactly; unknown
// parameters are ignored, as are Action and Version; a nil input shape
// yields an empty object. A value that cannot be read as its type, and a parameter given
// more than once for one value (RoleName=a&RoleName=b: which one is meant
// is not Decode's to guess), is a *sealbox.Error with code MalformedCode.
func Decode(form url.Values, m *model.Service, input *model.Shape) (map[string]any, error) {
	root := newTree(form)
	delete(root.children, "Action")
	delete(root.children, "Version")
	out := map[string]any{}
	if input == nil || input.Type != "structure" {
		return out, nil
	}
	d := decoder{m: m, ec2: m.Metadata.Protocol == "ec2"}
	if err := d.members(input, root, out); err != nil {
		return nil, err
	}
	return out, nil
}

// node is one segment of the dotted parameter names: Tags.member.1.Key is
// root → Tags → member → 1 → Key.
type node struct {
	path     string // the parameter name up to this segment, for messages
	name     string // the whole parameter name, for messages
	value    string
	hasValue bool
	repeated bool // the parameter came more than once
	children map[string]*node
}

func newTree(form url.Values) *node {
	root := &node{}
	for k, vs := range form {
		n := root
		for seg := range strings.SplitSeq(k, ".") {
			c := n.children[seg]
			if c == nil {
				c = &node{path: seg}
				if n.path != "" {
					c.path = n.path + "." + seg
				}
				if n.children == nil {
					n.children = map[string]*node{}
				}
				n.children[seg] = c
			}
			n = c
		}
		if len(vs) > 0 {
			n.name, n.value, n.hasValue, n.repeated = k, vs[0], true, len(vs) > 1
		}
	}
	return root
}

// indexed returns the children of n, the elements of a list or the
// entries of a map, in index order; gaps are closed up. Every child must be
// named by a decimal index from 1 to 999999999 without leading zeros:
// anything else (Tags.member.0, a negative, overflowing or non-numeric
// index) is a ValidationError, not dropped, so that what a client meant to
// send is never quietly cut down (AWS documents nothing here; this is
// sealbox's rule).
func (n *node) indexed() ([]*node, error) {
	type item struct {
		i int
		n *node
	}
	var items []item
	var bad []string
	for seg, c := range n.children {
		i, ok := index(seg)
		if !ok {
			bad = append(bad, c.path)
			continue
		}
		items = append(items, item{i, c})
	}
	if len(bad) > 0 {
		return nil, badListKey(slices.Min(bad))
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	out := make([]*node, len(items))
	for i, it := range items {
		out[i] = it.n
	}
	return out, nil
}

// ValidationCode is the code of a list or map parameter whose name is not
// a well-formed element of it: IAM's and STS's ValidationError, HTTP 400.
const ValidationCode = "ValidationError"

func badListKey(path string) *sealbox.Error {
	return &sealbox.Error{Code: ValidationCode, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Parameter %s is not a well-formed list or map element: elements are numbered from 1 to 999999999, without leading zeros.", strings.ToValidUTF8(path, "\uFFFD"))}
}

// collection checks the parameters of a list or map n (not flattened)
// before its elements are read: nothing under it but child ("member",
// "entry"), which holds no value itself, and no value on n but the empty
// list's marker ("Tags=").
func collection(n *node, child string) error {
	if n.hasValue && n.value != "" {
		return badListKey(n.path)
	}
	var bad []string
	for seg, c := range n.children {
		if seg != child || c.hasValue {
			bad = append(bad, c.path)
		}
	}
	if len(bad) > 0 {
		return badListKey(slices.Min(bad))
	}
	return nil
}

func index(seg string) (int, bool) {
	if seg == "" || seg[0] == '0' || len(seg) > 9 {
		return 0, false
	}
	i := 0
	for _, c := range []byte(seg) {
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	return i, true
}

type decoder struct {
	m   *model.Service
	ec2 bool
}

// inputName is the parameter name of a structure member, as botocore's
// QuerySerializer (locationName, else the member name) and EC2Serializer
// (queryName, else the locationName capitalised, else the member name) write
// it. A flattened list whose member has a locationName is named by it.
func (d *decoder) inputName(name string, ref *model.Ref) string {
	if d.ec2 {
		switch {
		case ref.QueryName != "":
			return ref.QueryName
		case ref.LocationName != "":
			return strings.ToUpper(ref.LocationName[:1]) + ref.LocationName[1:]
		}
		return name
	}
	if sh := d.m.Shapes[ref.Shape]; sh != nil && sh.Type == "list" && ref.Flattened && sh.Member != nil && sh.Member.LocationName != "" {
		return sh.Member.LocationName
	}
	if ref.LocationName != "" {
		return ref.LocationName
	}
	return name
}

func (d *decoder) members(sh *model.Shape, n *node, out map[string]any) error {
	for _, mem := range sh.SortedMembers() {
		c := n.children[d.inputName(mem.Name, mem.Ref)]
		if c == nil {
			continue
		}
		v, ok, err := d.value(d.m.Shapes[mem.Ref.Shape], mem.Ref, c)
		if err != nil {
			return err
		}
		if ok {
			out[mem.Name] = v
		}
	}
	return nil
}

// value decodes the parameters under n as a value of sh; ok is false when
// they hold nothing of it.
func (d *decoder) value(sh *model.Shape, ref *model.Ref, n *node) (v any, ok bool, err error) {
	if sh == nil {
		return nil, false, nil
	}
	switch sh.Type {
	case "structure":
		out := map[string]any{}
		if err := d.members(sh, n, out); err != nil {
			return nil, false, err
		}
		return out, len(out) > 0, nil
	case "list":
		items := n
		if !d.ec2 && !ref.Flattened {
			name := "member"
			if sh.Member != nil && sh.Member.LocationName != "" {
				name = sh.Member.LocationName
			}
			if err := collection(n, name); err != nil {
				return nil, false, err
			}
			items = n.children[name]
		}
		var out []any
		if items != nil && sh.Member != nil {
			esh := d.m.Shapes[sh.Member.Shape]
			elems, err := items.indexed()
			if err != nil {
				return nil, false, err
			}
			for _, c := range elems {
				e, ok, err := d.value(esh, sh.Member, c)
				if err != nil {
					return nil, false, err
				}
				if ok {
					out = append(out, e)
				}
			}
		}
		if len(out) > 0 {
			return out, true, nil
		}
		// botocore and the Go SDK send "List=" for an empty list.
		if n.hasValue && n.value == "" {
			return []any{}, true, nil
		}
		return nil, false, nil
	case "map":
		entries := n
		if !ref.Flattened {
			if err := collection(n, "entry"); err != nil {
				return nil, false, err
			}
			entries = n.children["entry"]
		}
		if sh.Key == nil || sh.Value == nil {
			return nil, false, nil
		}
		keyName, valueName := "key", "value"
		if sh.Key.LocationName != "" {
			keyName = sh.Key.LocationName
		}
		if sh.Value.LocationName != "" {
			valueName = sh.Value.LocationName
		}
		out := map[string]any{}
		if entries != nil {
			ksh, vsh := d.m.Shapes[sh.Key.Shape], d.m.Shapes[sh.Value.Shape]
			elems, err := entries.indexed()
			if err != nil {
				return nil, false, err
			}
			for _, e := range elems {
				kn := e.children[keyName]
				if kn == nil || !kn.hasValue {
					continue
				}
				k, ok, err := d.value(ksh, sh.Key, kn)
				if err != nil {
					return nil, false, err
				}
				ks, isString := k.(string)
				if !ok || !isString {
					continue
				}
				var v any
				if vn := e.children[valueName]; vn != nil {
					if v, _, err = d.value(vsh, sh.Value, vn); err != nil {
						return nil, false, err
					}
				}
				out[ks] = v
			}
		}
		if len(out) > 0 || (n.hasValue && n.value == "") {
			return out, true, nil
		}
		return nil, false, nil
	}
	if !n.hasValue {
		return nil, false, nil
	}
	if n.repeated {
		// Two values for one member (both in the body, or one in the body
		// and one in the URL): which one is meant is not ours to guess.
		return nil, false, malformed(sh, n, "The parameter is repeated: it takes one value.")
	}
	v, err = scalar(sh, n)
	return v, err == nil, err
}

func scalar(sh *model.Shape, n *node) (any, error) {
	s := n.value
	switch sh.Type {
	case "string", "character":
		if !utf8.ValidString(s) {
			return nil, malformed(sh, n, "Expected UTF-8 text.")
		}
		return s, nil
	case "boolean":
		switch {
		case strings.EqualFold(s, "true"):
			return true, nil
		case strings.EqualFold(s, "false"):
			return false, nil
		}
		return nil, malformed(sh, n, "Expected true or false.")
	case "integer", "long", "short", "byte":
		bits := map[string]int{"integer": 32, "long": 64, "short": 16, "byte": 8}[sh.Type]
		i, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return nil, malformed(sh, n, fmt.Sprintf("Expected a %d-bit integer.", bits))
		}
		return json.Number(strconv.FormatInt(i, 10)), nil
	case "float", "double":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, malformed(sh, n, "Expected a number.")
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64)), nil
	case "timestamp":
		t, ok := parseTime(s)
		if !ok {
			return nil, malformed(sh, n, "Expected an ISO 8601 timestamp such as 2026-11-23T10:00:00Z.")
		}
		b, _ := sealbox.Timestamp{Time: t}.MarshalJSON()
		return json.Number(b), nil
	case "blob":
		if _, err := base64.StdEncoding.DecodeString(s); err != nil {
			return nil, malformed(sh, n, "Expected base64-encoded bytes.")
		}
		return s, nil
	}
	// Other types (document, union) are not in the Query models.
	return nil, malformed(sh, n, "This parameter cannot be sent in a Query request.")
}

// parseTime reads a Query timestamp: ISO 8601 (botocore and the Go SDK send
// 2026-11-23T10:00:00Z or with fractional seconds), or epoch seconds for a
// member whose model asks for unixTimestamp.
func parseTime(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	if t, err := time.Parse("2006-01-02T15:04:05.999999999", s); err == nil {
		return t, true
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), true
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return wiretime.Epoch(f)
	}
	return time.Time{}, false
}

// malformed is the error for a value that cannot be read as its type. The
// value is quoted (shortened) unless the model marks it sensitive.
func malformed(sh *model.Shape, n *node, why string) *sealbox.Error {
	shown := n.value
	if sh.Sensitive {
		shown = "***"
	} else {
		shown = strings.ToValidUTF8(shown, "\uFFFD")
		if r := []rune(shown); len(r) > 64 {
			shown = string(r[:64]) + "..."
		}
	}
	return &sealbox.Error{Code: MalformedCode, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("Value (%s) for parameter %s is invalid. %s", shown, n.name, why)}
}
