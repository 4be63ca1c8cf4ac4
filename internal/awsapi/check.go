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

// CheckTypes lists where the Go input and output types of s's operations
// do not match s's model (see checkShape). The wire types generated from
// the models (internal/awsapi/model/wiregen) match by construction; the
// server's tests run CheckTypes over every service it registers, generated
// or hand-written (CloudTrail, sealbox's own), so that a mismatch fails
// the tests rather than each start.
func CheckTypes(s *Service) []string {
	m := model.Load(s.Name)
	var problems []string
	for _, op := range s.Operations {
		if m.Operations[op.Name] == nil {
			problems = append(problems, op.Name+": no such operation in the "+s.Name+" model")
			continue
		}
		problems = append(problems, checkShape(m, op.in, m.InputShape(op.Name), op.Name+" input")...)
		problems = append(problems, checkShape(m, op.out, m.OutputShape(op.Name), op.Name+" output")...)
	}
	return problems
}

// checkShape lists where the Go type t, as encoding/json sees it, does not
// match the model's shape: a field the shape has no member for, or a member
// of another kind, so that a typo in a field name fails a test instead of
// silently dropping a member.
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
