package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
)

// fuzzInput has every kind of member the services' inputs have.
type fuzzInput struct {
	Str      string
	Blob     []byte
	Int      int
	Int32    int32
	Int64    int64
	OptInt   *int
	Flag     bool
	OptFlag  *bool
	Ratio    float64
	Labels   map[string]string
	Lists    map[string][]string
	Names    []string
	When     *sealbox.Timestamp
	Child    *fuzzChild
	Children []fuzzChild
	Tagged   string `json:"tagged_name"`
	Skipped  string `json:"-"`
	hidden   string
}

type fuzzChild struct {
	Key   string
	Value *string
	Deep  *fuzzChild
}

// decodeTyped is the request path's reading of a JSON body into a typed
// input: the strict decoder, then the binder.
func decodeTyped(body []byte, dst any) error {
	v, err := jsonvalue.DecodeObject(body)
	if err != nil {
		return err
	}
	return binderFor(reflect.TypeOf(dst).Elem())(v, reflect.ValueOf(dst).Elem(), "")
}

var fuzzSeeds = []string{
	`{}`,
	`{"Str":"s","Blob":"eA==","Int":-3,"Int32":2147483647,"Int64":9007199254740993,"OptInt":0,"Flag":true,"OptFlag":false,"Ratio":1.5e3,
	  "Labels":{"a":"b","c":null},"Lists":{"x":["1","2"],"y":[]},"Names":["a",null,"c"],"When":1795428000.123,
	  "Child":{"Key":"k","Value":"v","Deep":{"Key":"d"}},"Children":[{"Key":"a"},{"Value":null}],"tagged_name":"t","Skipped":"no","hidden":"no"}`,
	`{"Str":null,"Child":null,"Names":null,"Labels":{}}`,
	`{"Plaintext":"eA==","plaintext":"eQ=="}`,
	`{"Str":"a","Str":"b"}`,
	`{"Int32":2147483648}`, `{"Int":1.5}`, `{"Blob":"%%"}`, `{"Blob":"eA=\n="}`, `{"When":"2026-01-01T00:00:00Z"}`,
	`{"Str":"\ud800\u00e9\u0000"}`, `{"Labels":{"\u0061":"1","a":"2"}}`, `{"Ratio":1e400}`,
}

// FuzzStrictDecode holds the request path's typed decode (strict decoder,
// then binder) to encoding/json's json.Unmarshal into the same Go type:
// whatever the strict decode accepts, json.Unmarshal accepts and reads
// the same way. json.Unmarshal is looser in the ways the strict decode
// exists to refuse or ignore (a member named twice; a member name in
// another case, which it matches and this ignores), so bodies with those
// are compared only on what they have in common: no panic, and a refusal
// or an exact-name reading.
func FuzzStrictDecode(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var got fuzzInput
		err := decodeTyped(body, &got)
		var se *jsonvalue.SyntaxError
		// A body of null is JSON, and json.Unmarshal reads it into a struct
		// as nothing; the request path refuses it (the body must be an
		// object, or empty): a refusal of a value, not of the syntax.
		trimmed := bytes.Trim(body, " \t\r\n")
		if errors.As(err, &se) && len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) {
			var want fuzzInput
			if json.Unmarshal(body, &want) == nil {
				t.Fatalf("strict decode refuses %q as not JSON (%v), json.Unmarshal reads it", body, err)
			}
		}
		if err != nil {
			return
		}
		if caseVariant(mustDecode(t, body), reflect.TypeFor[fuzzInput]()) {
			return
		}
		var want fuzzInput
		if len(bytes.Trim(body, " \t\r\n")) == 0 {
			body = []byte("{}") // an empty body is an empty input
		}
		if werr := json.Unmarshal(body, &want); werr != nil {
			t.Fatalf("strict decode accepts %q, json.Unmarshal refuses it: %v", body, werr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\nstrict decode reads %+v\njson.Unmarshal reads %+v", body, got, want)
		}
	})
}

func mustDecode(t *testing.T, body []byte) any {
	v, err := jsonvalue.DecodeObject(body)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// caseVariant reports whether v, read as a value of t, has an object
// member that names a struct field in another case (encoding/json matches
// it; the strict decode ignores it).
func caseVariant(v any, t reflect.Type) bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := reflect.New(t).Interface().(json.Unmarshaler); ok {
			return false
		}
		for k, mv := range m {
			for i := 0; i < t.NumField(); i++ {
				f := t.Field(i)
				name := f.Name
				if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag != "" {
					name = tag
				}
				if k != name && strings.EqualFold(k, name) {
					return true
				}
				if k == name && caseVariant(mv, f.Type) {
					return true
				}
			}
		}
	case reflect.Slice:
		if l, ok := v.([]any); ok {
			for _, e := range l {
				if caseVariant(e, t.Elem()) {
					return true
				}
			}
		}
	case reflect.Map:
		if m, ok := v.(map[string]any); ok {
			for _, e := range m {
				if caseVariant(e, t.Elem()) {
					return true
				}
			}
		}
	}
	return false
}

func TestBindExactNames(t *testing.T) {
	var in fuzzInput
	if err := decodeTyped([]byte(`{"str":"lower","STR":"upper","Str":"exact","TAGGED_NAME":"x","Tagged":"y","Skipped":"z","hidden":"h"}`), &in); err != nil {
		t.Fatal(err)
	}
	if in.Str != "exact" || in.Tagged != "" || in.Skipped != "" || in.hidden != "" {
		t.Fatalf("bound %+v, want only Str from its exact name", in)
	}
	in = fuzzInput{}
	if err := decodeTyped([]byte(`{"str":"lower"}`), &in); err != nil || in.Str != "" {
		t.Fatalf(`{"str":"lower"} bound Str = %q, %v; want it ignored`, in.Str, err)
	}
}

func TestBindRefusesWrongTypes(t *testing.T) {
	for _, body := range []string{
		`{"Str":1}`, `{"Blob":"%%"}`, `{"Blob":[1,2]}`, `{"Int":"1"}`, `{"Int":1.5}`, `{"Int32":2147483648}`,
		`{"Flag":"true"}`, `{"Ratio":"x"}`, `{"Labels":[]}`, `{"Labels":{"a":1}}`, `{"Names":"a"}`, `{"Names":[1]}`,
		`{"Child":"x"}`, `{"Children":[{"Key":1}]}`, `{"When":"yesterday"}`, `{"Child":{"Deep":{"Deep":{"Key":true}}}}`,
	} {
		var in fuzzInput
		err := decodeTyped([]byte(body), &in)
		if _, ok := err.(*bindError); !ok {
			t.Errorf("bind %s: err = %v, want a *bindError", body, err)
		}
	}
}

func TestBinderForRefusesUnbindableTypes(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[struct{ X any }](),
		reflect.TypeFor[struct{ X map[int]string }](),
		reflect.TypeFor[struct{ X chan int }](),
		reflect.TypeFor[struct{ fuzzChild }](),
		reflect.TypeFor[struct {
			X int `json:",string"`
		}](),
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("binderFor(%v) did not panic", typ)
				}
			}()
			binderFor(typ)
		}()
	}
}

// The inputs of the hot path, as the services type them.
type benchDecryptInput struct {
	CiphertextBlob      []byte
	EncryptionContext   map[string]string
	GrantTokens         []string
	KeyId               string
	EncryptionAlgorithm string
	DryRun              bool
}

type benchPutParameterInput struct {
	Name, Description, Value, Type, KeyId string
	Overwrite                             bool
	AllowedPattern                        string
	Tags                                  []struct{ Key, Value string }
	Tier, Policies, DataType              string
}

var benchBodies = []struct {
	name string
	body []byte
	in   func() any
}{
	{"Decrypt", []byte(`{"CiphertextBlob":"AQHxqjtDOA0bbxTePIsTcbE5BxF4z4SV9GNGGSVZ75jVBTqbeMx3P1dbzHqP2jV0ZGuMnJ0I8oNW+nyVdv6mrDn7FGRN8XpcXuFJm7G1jfXjbn5g7i4=","EncryptionContext":{"app":"billing","stage":"prod"}}`),
		func() any { return new(benchDecryptInput) }},
	{"PutParameter", []byte(`{"Name":"/app/prod/db/password","Value":"correct horse battery staple","Type":"SecureString","KeyId":"alias/app","Overwrite":true,"Description":"The database password","Tier":"Standard"}`),
		func() any { return new(benchPutParameterInput) }},
}

// BenchmarkDecodeInput compares the request path's reading of a body
// before (a generic decode for validation and audit, then json.Unmarshal
// of the same bytes into the input) and after (one strict decode, its
// value bound into the input).
func BenchmarkDecodeInput(b *testing.B) {
	for _, bc := range benchBodies {
		b.Run(bc.name+"/before", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				dec := json.NewDecoder(bytes.NewReader(bc.body))
				dec.UseNumber()
				var v any
				if err := dec.Decode(&v); err != nil {
					b.Fatal(err)
				}
				if err := json.Unmarshal(bc.body, bc.in()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/after", func(b *testing.B) {
			b.ReportAllocs()
			in := bc.in()
			bind := binderFor(reflect.TypeOf(in).Elem())
			for b.Loop() {
				v, err := jsonvalue.DecodeObject(bc.body)
				if err != nil {
					b.Fatal(err)
				}
				in := bc.in()
				if err := bind(v, reflect.ValueOf(in).Elem(), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
