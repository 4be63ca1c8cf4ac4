package awsapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// A binder sets dst, a settable Go value, from v, the generic value of the
// request (map[string]any, []any, string, json.Number, bool; never nil:
// callers leave the zero value for null). It is the only way a request's
// input reaches an operation: the value the model validated and the audit
// event recorded is the value bound, read once, with no second decoder
// that could read the body differently.
//
// The rules are encoding/json's for the same Go types, with member names
// matched exactly as the json tags (checked against the model at Register)
// spell them: a member in another case is an unknown member, and unknown
// members are ignored. Blobs are base64; a type implementing
// json.Unmarshaler (sealbox.Timestamp) gets its sub-value as JSON text.
type binder func(v any, dst reflect.Value, path string) error

// bindError says a value does not have the Go type's shape. Validation
// against the model runs first, so it means the two disagree; the router
// answers it as a SerializationException.
type bindError struct {
	path, want string
}

func (e *bindError) Error() string {
	return fmt.Sprintf("Unexpected value type at '%s': expected %s", e.path, e.want)
}

var (
	bindersMu sync.Mutex
	binders   = map[reflect.Type]binder{}

	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// binderFor returns the binder for t, built once per type and cached. It
// panics on a Go type the wire cannot fill (an interface, a channel, a map
// whose keys are not strings): Register calls it, so that is a start-up
// failure, not a request's.
func binderFor(t reflect.Type) binder {
	bindersMu.Lock()
	defer bindersMu.Unlock()
	return buildBinder(t, map[reflect.Type]*binder{})
}

// buildBinder builds t's binder; building holds the binders under
// construction, so that a recursive type refers to itself.
func buildBinder(t reflect.Type, building map[reflect.Type]*binder) binder {
	if b, ok := binders[t]; ok {
		return b
	}
	if p, ok := building[t]; ok {
		return func(v any, dst reflect.Value, path string) error { return (*p)(v, dst, path) }
	}
	p := new(binder)
	building[t] = p
	*p = newBinder(t, building)
	binders[t] = *p
	return *p
}

func newBinder(t reflect.Type, building map[reflect.Type]*binder) binder {
	if t == blobPtrType {
		return bindBlob
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType) {
		return bindUnmarshaler
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem := buildBinder(t.Elem(), building)
		et := t.Elem()
		return func(v any, dst reflect.Value, path string) error {
			p := reflect.New(et)
			if err := elem(v, p.Elem(), path); err != nil {
				return err
			}
			dst.Set(p)
			return nil
		}
	case reflect.Struct:
		return structBinder(t, building)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 && !reflect.PointerTo(t.Elem()).Implements(unmarshalerType) {
			return bindBytes
		}
		return sliceBinder(t, building)
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			panic("awsapi: cannot bind a request into " + t.String() + ": map keys must be strings")
		}
		return mapBinder(t, building)
	case reflect.String:
		return bindString
	case reflect.Bool:
		return bindBool
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return bindInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return bindUint
	case reflect.Float32, reflect.Float64:
		return bindFloat
	}
	panic("awsapi: cannot bind a request into " + t.String())
}

type fieldBinder struct {
	name  string // the member name, exactly
	index int
	bind  binder
}

func structBinder(t reflect.Type, building map[reflect.Type]*binder) binder {
	var fields []fieldBinder
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous {
			// encoding/json would promote its fields; say them instead.
			panic("awsapi: cannot bind a request into " + t.String() + ": embedded field " + f.Name)
		}
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag := f.Tag.Get("json"); tag != "" {
			if tag == "-" {
				continue
			}
			n, opts, _ := strings.Cut(tag, ",")
			if strings.Contains(","+opts+",", ",string,") {
				panic("awsapi: cannot bind a request into " + t.String() + "." + f.Name + ": the ,string option is not supported")
			}
			if n != "" {
				name = n
			}
		}
		fields = append(fields, fieldBinder{name: name, index: i, bind: buildBinder(f.Type, building)})
	}
	return func(v any, dst reflect.Value, path string) error {
		m, ok := v.(map[string]any)
		if !ok {
			return &bindError{path, "an object"}
		}
		for i := range fields {
			f := &fields[i]
			mv, ok := m[f.name]
			if !ok || mv == nil {
				continue
			}
			if err := f.bind(mv, dst.Field(f.index), joinPath(path, f.name)); err != nil {
				return err
			}
		}
		return nil
	}
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func sliceBinder(t reflect.Type, building map[reflect.Type]*binder) binder {
	elem := buildBinder(t.Elem(), building)
	return func(v any, dst reflect.Value, path string) error {
		l, ok := v.([]any)
		if !ok {
			return &bindError{path, "a list"}
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			if e == nil {
				continue
			}
			if err := elem(e, s.Index(i), path+"."+strconv.Itoa(i+1)); err != nil {
				return err
			}
		}
		dst.Set(s)
		return nil
	}
}

func mapBinder(t reflect.Type, building map[reflect.Type]*binder) binder {
	elem := buildBinder(t.Elem(), building)
	kt, et := t.Key(), t.Elem()
	return func(v any, dst reflect.Value, path string) error {
		m, ok := v.(map[string]any)
		if !ok {
			return &bindError{path, "an object"}
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			ev := reflect.New(et).Elem()
			if e != nil {
				if err := elem(e, ev, path+".value"); err != nil {
					return err
				}
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(kt), ev)
		}
		dst.Set(out)
		return nil
	}
}

func bindString(v any, dst reflect.Value, path string) error {
	s, ok := v.(string)
	if !ok {
		return &bindError{path, "a string"}
	}
	dst.SetString(s)
	return nil
}

func bindBool(v any, dst reflect.Value, path string) error {
	b, ok := v.(bool)
	if !ok {
		return &bindError{path, "a boolean"}
	}
	dst.SetBool(b)
	return nil
}

func bindInt(v any, dst reflect.Value, path string) error {
	n, ok := v.(json.Number)
	if !ok {
		return &bindError{path, "a number"}
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil || dst.OverflowInt(i) {
		return &bindError{path, "an integer of " + dst.Type().String() + "'s range"}
	}
	dst.SetInt(i)
	return nil
}

func bindUint(v any, dst reflect.Value, path string) error {
	n, ok := v.(json.Number)
	if !ok {
		return &bindError{path, "a number"}
	}
	i, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil || dst.OverflowUint(i) {
		return &bindError{path, "an integer of " + dst.Type().String() + "'s range"}
	}
	dst.SetUint(i)
	return nil
}

func bindFloat(v any, dst reflect.Value, path string) error {
	n, ok := v.(json.Number)
	if !ok {
		return &bindError{path, "a number"}
	}
	f, err := strconv.ParseFloat(string(n), dst.Type().Bits())
	if err != nil || dst.OverflowFloat(f) {
		return &bindError{path, "a number in range"}
	}
	dst.SetFloat(f)
	return nil
}

func bindBytes(v any, dst reflect.Value, path string) error {
	s, ok := v.(string)
	if !ok {
		return &bindError{path, "a base64 string"}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return &bindError{path, "base64-encoded bytes"}
	}
	dst.SetBytes(b)
	return nil
}

// bindUnmarshaler hands a json.Unmarshaler its sub-value as JSON text (a
// number's text as it came, a string quoted).
func bindUnmarshaler(v any, dst reflect.Value, path string) error {
	var text []byte
	switch x := v.(type) {
	case json.Number:
		text = []byte(x)
	default:
		var err error
		if text, err = json.Marshal(x); err != nil {
			return &bindError{path, "a value of " + dst.Type().String()}
		}
	}
	if err := dst.Addr().Interface().(json.Unmarshaler).UnmarshalJSON(text); err != nil {
		return &bindError{path, "a value of " + dst.Type().String()}
	}
	return nil
}
