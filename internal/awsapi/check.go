package awsapi

import (
	"reflect"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/spool"
)

var (
	timestampType = reflect.TypeFor[sealbox.Timestamp]()
	timeType      = reflect.TypeFor[time.Time]()
	spoolBlobType = reflect.TypeFor[spool.Blob]()
)

// checkShape lists where the Go type t, as encoding/json sees it, does not
// match the model's shape: a field the shape has no member for, or a member
// of another kind. It runs once per operation at Register, so that a typo in
// a field name fails at start-up instead of silently dropping a member.
func checkShape(m *model.Service, t reflect.Type, sh *model.Shape, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if sh == nil {
		if t.Kind() == reflect.Struct && t.NumField() == 0 {
			return nil
		}
		return []string{path + ": the model has no shape here"}
	}
	var problems []string
	bad := func(want string) []string {
		return []string{path + ": " + t.String() + " for a " + sh.Type + " member, want " + want}
	}
	switch sh.Type {
	case "structure":
		if t.Kind() != reflect.Struct {
			return bad("a struct")
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag := f.Tag.Get("json"); tag != "" {
				if tag == "-" {
					continue
				}
				if n, _, _ := strings.Cut(tag, ","); n != "" {
					name = n
				}
			}
			ref := sh.Members[name]
			if ref == nil {
				problems = append(problems, path+"."+name+": no such member in the model")
				continue
			}
			problems = append(problems, checkShape(m, f.Type, m.Shapes[ref.Shape], path+"."+name)...)
		}
	case "list":
		if t.Kind() != reflect.Slice || t.Elem().Kind() == reflect.Uint8 {
			return bad("a slice")
		}
		return checkShape(m, t.Elem(), m.Shapes[sh.Member.Shape], path+"[]")
	case "map":
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String {
			return bad("a map with string keys")
		}
		return checkShape(m, t.Elem(), m.Shapes[sh.Value.Shape], path+"{}")
	case "blob":
		if t == spoolBlobType {
			break // a streamed blob: see blobs.go
		}
		if t.Kind() != reflect.Slice || t.Elem().Kind() != reflect.Uint8 {
			return bad("[]byte or *spool.Blob")
		}
	case "string":
		if t.Kind() != reflect.String {
			return bad("a string")
		}
	case "integer", "long":
		switch t.Kind() {
		case reflect.Int, reflect.Int32, reflect.Int64:
		default:
			return bad("an integer")
		}
	case "boolean":
		if t.Kind() != reflect.Bool {
			return bad("a bool")
		}
	case "timestamp":
		if t != timestampType && t != timeType {
			return bad("a sealbox.Timestamp")
		}
	case "double", "float":
		if t.Kind() != reflect.Float64 && t.Kind() != reflect.Float32 {
			return bad("a float")
		}
	}
	return problems
}
