package jsonvalue_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
)

// stdDecode is encoding/json's reading of data, the reference Decode
// must agree with wherever it accepts.
func stdDecode(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil || err.Error() != "EOF" {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

var seeds = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e-3`, `-12E+2`, `""`,
	`{"a":1,"b":[1,2,{"c":null}],"d":{"e":"f"}}`,
	`"\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r"`,
	`"\ud800"`, `"\udc00\ud800"`, `"\ud800\u0041"`, `"\ud800\ud800\udc00"`,
	"\"\xff\xfe\"", "\"\xed\xa0\x80\"", "\"caf\xc3\xa9\"",
	` { "a" : [ ] , "b" : { } } `,
	`{"KeyId":"alias/app","Plaintext":"eA==","EncryptionContext":{"app":"billing"}}`,
}

func TestDecodeAgreesWithEncodingJSON(t *testing.T) {
	for _, in := range seeds {
		got, err := jsonvalue.Decode([]byte(in))
		want, werr := stdDecode([]byte(in))
		if err != nil || werr != nil {
			t.Errorf("Decode(%q) = %v; encoding/json: %v", in, err, werr)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%q) = %#v, want %#v", in, got, want)
		}
	}
}

func TestDecodeRefusesDuplicates(t *testing.T) {
	for _, in := range []string{
		`{"a":1,"a":1}`,
		`{"Plaintext":"eA==","Plaintext":"eQ=="}`,
		`{"a":{"b":1,"c":2,"b":3}}`,
		`[{"x":1},{"y":1,"y":2}]`,
		`{"EncryptionContext":{"app":"a","app":"b"}}`,
		// The same name, however it is escaped.
		`{"a":1,"\u0061":2}`,
		`{"é":1,"\u00e9":2}`,
		// Two names that are both invalid UTF-8 both read as U+FFFD.
		"{\"\xff\":1,\"\xfe\":2}",
	} {
		_, err := jsonvalue.Decode([]byte(in))
		var de *jsonvalue.DuplicateError
		if !errors.As(err, &de) {
			t.Errorf("Decode(%q) err = %v, want a *DuplicateError", in, err)
		}
	}
	// Names differing only in case are different names.
	v, err := jsonvalue.Decode([]byte(`{"Name":"a","name":"b","NAME":"c"}`))
	if err != nil || len(v.(map[string]any)) != 3 {
		t.Errorf(`Decode({"Name","name","NAME"}) = %v, %v; want three members`, v, err)
	}
}

func TestDecodeSyntax(t *testing.T) {
	for _, in := range []string{
		``, ` `, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{} {}`, `{}x`, `01`, `1.`, `.5`, `-`, `1e`, `+1`,
		`tru`, `nul`, `NaN`, `"abc`, "\"a\x01b\"", `"\x"`, `"\u12"`, `"\u12G4"`, `'a'`, "\xef\xbb\xbf{}",
		strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	} {
		_, err := jsonvalue.Decode([]byte(in))
		var se *jsonvalue.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Decode(%.40q) err = %v, want a *SyntaxError", in, err)
		}
		if _, serr := stdDecode([]byte(in)); serr == nil {
			t.Errorf("encoding/json accepts %.40q", in)
		}
	}
	// Nesting up to encoding/json's limit is accepted.
	deep := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	if _, err := jsonvalue.Decode([]byte(deep)); err != nil {
		t.Errorf("Decode(10,000 nested arrays) = %v", err)
	}
}

func TestDecodeObject(t *testing.T) {
	for _, in := range []string{"", " \r\n\t"} {
		if m, err := jsonvalue.DecodeObject([]byte(in)); err != nil || m == nil || len(m) != 0 {
			t.Errorf("DecodeObject(%q) = %v, %v; want an empty object", in, m, err)
		}
	}
	for _, in := range []string{`[]`, `"x"`, `null`, `1`, `{} 1`} {
		if _, err := jsonvalue.DecodeObject([]byte(in)); err == nil {
			t.Errorf("DecodeObject(%q) err = nil, want an error", in)
		}
	}
}

// FuzzDecode holds Decode to encoding/json: whatever Decode accepts,
// encoding/json accepts and reads the same way; whatever encoding/json
// accepts, Decode accepts unless an object names a member twice.
func FuzzDecode(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := jsonvalue.Decode(data)
		want, werr := stdDecode(data)
		switch {
		case err == nil && werr != nil:
			t.Fatalf("Decode(%q) accepts what encoding/json refuses: %v", data, werr)
		case err == nil && !reflect.DeepEqual(got, want):
			t.Fatalf("Decode(%q) = %#v, encoding/json reads %#v", data, got, want)
		case err != nil && werr == nil:
			var de *jsonvalue.DuplicateError
			if !errors.As(err, &de) {
				t.Fatalf("Decode(%q) refuses what encoding/json accepts: %v", data, err)
			}
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	for _, bc := range benchBodies {
		b.Run(bc.name+"/jsonvalue", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jsonvalue.Decode(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := stdDecode(bc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var benchBodies = []struct {
	name string
	body []byte
}{
	{"Decrypt", []byte(`{"CiphertextBlob":"AQHxqjtDOA0bbxTePIsTcbE5BxF4z4SV9GNGGSVZ75jVBTqbeMx3P1dbzHqP2jV0ZGuMnJ0I8oNW+nyVdv6mrDn7FGRN8XpcXuFJm7G1jfXjbn5g7i4=","EncryptionContext":{"app":"billing","stage":"prod"}}`)},
	{"PutParameter", []byte(`{"Name":"/app/prod/db/password","Value":"correct horse battery staple","Type":"SecureString","KeyId":"alias/app","Overwrite":true,"Description":"The database password","Tier":"Standard"}`)},
}

// FuzzDecodeObjectNames holds DecodeObjectNames to DecodeObject and
// DecodeNames to Decode: the names only spare copies, the value and the
// error are the same.
func FuzzDecodeObjectNames(f *testing.F) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"KeyId":"KeyId","a":["a","\u0061",{"KeyId":"b"}]}`))
	f.Add([]byte(` "KeyId" `))
	names := map[string]string{"KeyId": "KeyId", "a": "a", "": "", "b": "b"}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := jsonvalue.DecodeObjectNames(data, names)
		want, werr := jsonvalue.DecodeObject(data)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("DecodeObjectNames(%q) = %#v, %v; DecodeObject = %#v, %v", data, got, err, want, werr)
		}
		gotAny, err := jsonvalue.DecodeNames(data, names)
		wantAny, werr := jsonvalue.Decode(data)
		if !reflect.DeepEqual(gotAny, wantAny) || fmt.Sprint(err) != fmt.Sprint(werr) {
			t.Fatalf("DecodeNames(%q) = %#v, %v; Decode = %#v, %v", data, gotAny, err, wantAny, werr)
		}
	})
}
