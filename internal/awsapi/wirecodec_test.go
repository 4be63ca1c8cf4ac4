package awsapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/spool"
)

// The generated codec of the wire types (wiregen's AppendJSON and
// BindValue) must be indistinguishable from the reflective paths it
// replaces: the bytes of encoding/json's Marshal, and the reflective
// binder's struct and error. These tests hold every generated type to
// that over random values (wireTypes lists them).

// wireString returns a random string of the characters JSON encoders treat
// specially: HTML's, controls, quotes, U+2028/9, invalid UTF-8, non-ASCII.
func wireString(r *rand.Rand) string {
	pieces := []string{"a", "Z", "0", " ", "<", ">", "&", `"`, `\`, "/", "\x00", "\x01", "\b", "\f", "\n", "\r", "\t", "\x1f", "\x7f",
		"é", "\u2028", "\u2029", "\ufffd", "\xff", "\xe2\x80", "😀", "'", "alias/key-1", "arn:aws:kms:us-east-1:123456789012:key/x"}
	n := r.IntN(8)
	if r.IntN(4) == 0 {
		return ""
	}
	var b strings.Builder
	for range n {
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

func wireFloat(r *rand.Rand, special bool) float64 {
	switch r.IntN(12) {
	case 0:
		return 0
	case 1:
		return math.Copysign(0, -1)
	case 2:
		if special {
			return []float64{math.NaN(), math.Inf(1), math.Inf(-1)}[r.IntN(3)]
		}
	case 3:
		return float64(r.Int64N(1<<53)) * []float64{1, -1}[r.IntN(2)]
	case 4:
		return math.SmallestNonzeroFloat64 * float64(r.IntN(100))
	}
	return r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30))
}

// fillWire sets v, of a wire type, to a random value. special allows the
// floats encoding/json refuses.
func fillWire(r *rand.Rand, v reflect.Value, depth int, special bool) {
	t := v.Type()
	switch t {
	case reflect.TypeFor[sealbox.Timestamp]():
		ms := r.Int64N(4e12) - 1e12
		if r.IntN(4) == 0 {
			ms = r.Int64N(1 << 50)
		}
		v.Set(reflect.ValueOf(sealbox.Timestamp{Time: time.UnixMilli(ms).Add(time.Duration(r.IntN(1e6)))}))
		return
	case reflect.TypeFor[*spool.Blob]():
		return // a streamed upload: never in an answer, placed by the router in a request
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString(wireString(r))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int32, reflect.Int64:
		var n int64
		switch r.IntN(4) {
		case 0:
		case 1:
			n = r.Int64N(100)
		case 2:
			n = int64(r.Uint64())
		default:
			n = []int64{math.MinInt32, math.MaxInt32, math.MinInt64, math.MaxInt64, -1}[r.IntN(5)]
		}
		if v.OverflowInt(n) {
			n = int64(int32(n))
		}
		v.SetInt(n)
	case reflect.Float64:
		v.SetFloat(wireFloat(r, special))
	case reflect.Pointer:
		if r.IntN(3) == 0 || depth > 4 {
			return
		}
		p := reflect.New(t.Elem())
		fillWire(r, p.Elem(), depth+1, special)
		v.Set(p)
	case reflect.Slice:
		switch r.IntN(4) {
		case 0:
			return // nil
		case 1:
			v.Set(reflect.MakeSlice(t, 0, 0))
			return
		}
		n := 1 + r.IntN(3)
		if depth > 4 {
			n = 0
		}
		if t.Elem().Kind() == reflect.Uint8 {
			b := make([]byte, r.IntN(40))
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			v.SetBytes(b)
			return
		}
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			fillWire(r, s.Index(i), depth+1, special)
		}
		v.Set(s)
	case reflect.Map:
		switch r.IntN(4) {
		case 0:
			return
		case 1:
			v.Set(reflect.MakeMap(t))
			return
		}
		m := reflect.MakeMap(t)
		// Two keys that differ only in invalid UTF-8 encode alike (each
		// bad byte as U+FFFD, as encoding/json does): one JSON object
		// with a member named twice, which the strict decoder refuses as
		// AWS does. A client's map cannot hold both either.
		names := map[string]bool{}
		for range 1 + r.IntN(4) {
			e := reflect.New(t.Elem()).Elem()
			if depth <= 4 {
				fillWire(r, e, depth+1, special)
			}
			k := wireString(r)
			if name := string([]rune(k)); !names[name] {
				names[name] = true
				m.SetMapIndex(reflect.ValueOf(k), e)
			}
		}
		v.Set(m)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() && r.IntN(5) != 0 {
				fillWire(r, v.Field(i), depth+1, special)
			}
		}
	default:
		panic("fillWire: no random " + t.String())
	}
}

// holdsBlob reports whether t reaches a *spool.Blob: those structures
// have no AppendJSON (they are request shapes, never answered).
func holdsBlob(t reflect.Type, seen map[reflect.Type]bool) bool {
	if t == blobPtrType {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		return holdsBlob(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if holdsBlob(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// checkAppend holds x's AppendJSON to json.Marshal.
func checkAppend(t *testing.T, x any) {
	t.Helper()
	a, ok := x.(jsonAppender)
	if !ok {
		if !holdsBlob(reflect.TypeOf(x), map[reflect.Type]bool{}) {
			t.Fatalf("%T has no AppendJSON", x)
		}
		return
	}
	want, werr := json.Marshal(x)
	prefix := []byte("prefix")
	got, gerr := a.AppendJSON(prefix)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%T %+v: AppendJSON err = %v, json.Marshal err = %v", x, x, gerr, werr)
	}
	if werr != nil {
		return
	}
	if !bytes.HasPrefix(got, prefix) || !bytes.Equal(got[len(prefix):], want) {
		t.Fatalf("%T: AppendJSON after %q wrote\n%s\njson.Marshal writes\n%s", x, prefix, got, want)
	}
}

// checkBind binds v into a new value of t both ways: the same error (by
// its text, as answered) and deep-equal structs, even when they fail
// part-way.
func checkBind(t *testing.T, typ reflect.Type, v map[string]any) {
	t.Helper()
	want := reflect.New(typ)
	werr := binderFor(typ)(v, want.Elem(), "")
	got := reflect.New(typ)
	gerr := got.Interface().(valueBinder).BindValue(v)
	if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
		t.Fatalf("%v: BindValue err = %v, the reflective binder's = %v (value %#v)", typ, gerr, werr, v)
	}
	if !reflect.DeepEqual(got.Interface(), want.Interface()) {
		t.Fatalf("%v: BindValue sets %+v, the reflective binder %+v (value %#v)", typ, got.Elem(), want.Elem(), v)
	}
}

// mutate replaces one node of v, a generic value, with a value of
// another kind (or one out of range), so that binding fails there, or with
// null.
func mutate(r *rand.Rand, v any, blob *spool.Blob) any {
	replacements := []any{"x", "%%", "", json.Number("1.5"), json.Number("2147483648"), json.Number("-9223372036854775809"),
		json.Number("1e400"), json.Number("7"), true, nil, map[string]any{}, map[string]any{"Key": json.Number("1")},
		[]any{}, []any{json.Number("1")}, blob}
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 && r.IntN(3) != 0 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			k := keys[r.IntN(len(keys))]
			x[k] = mutate(r, x[k], blob)
			return x
		}
	case []any:
		if len(x) > 0 && r.IntN(3) != 0 {
			i := r.IntN(len(x))
			x[i] = mutate(r, x[i], blob)
			return x
		}
	}
	return replacements[r.IntN(len(replacements))]
}

// checkWireType runs one random round over typ: a value encoded both
// ways, read back both ways, then one node of it spoiled and read both
// ways again.
func checkWireType(t *testing.T, r *rand.Rand, typ reflect.Type, blob *spool.Blob) {
	t.Helper()
	x := reflect.New(typ)
	fillWire(r, x.Elem(), 0, r.IntN(8) == 0)
	checkAppend(t, x.Interface())
	text, err := json.Marshal(x.Interface())
	if err != nil {
		return // a NaN: nothing to read back
	}
	v, err := jsonvalue.DecodeObject(text)
	if err != nil {
		t.Fatalf("%v: %s does not decode: %v", typ, text, err)
	}
	checkBind(t, typ, v)
	for range 3 {
		v, _ = jsonvalue.DecodeObject(text)
		m, ok := mutate(r, v, blob).(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		checkBind(t, typ, m)
	}
}

func testBlob(t testing.TB) *spool.Blob {
	b, err := spool.New(spool.Config{}).Read(strings.NewReader("zip"), 3, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestWireCodecMatchesReflection(t *testing.T) {
	if len(wireTypes) == 0 {
		t.Fatal("no generated wire types")
	}
	r := rand.New(rand.NewPCG(1, 2))
	blob := testBlob(t)
	rounds := 200
	if testing.Short() {
		rounds = 20
	}
	for _, typ := range wireTypes {
		for range rounds {
			checkWireType(t, r, typ, blob)
		}
	}
}

// TestWireCodecEdges pins the cases the random rounds may miss.
func TestWireCodecEdges(t *testing.T) {
	blob := testBlob(t)
	for _, typ := range wireTypes {
		// The zero value, and every member set to its type's zero or empty
		// non-nil value (omitempty drops them; the others are written).
		checkAppend(t, reflect.New(typ).Interface())
		x := reflect.New(typ)
		for i := range typ.NumField() {
			f := x.Elem().Field(i)
			switch f.Kind() {
			case reflect.Slice:
				f.Set(reflect.MakeSlice(f.Type(), 0, 0))
			case reflect.Map:
				f.Set(reflect.MakeMap(f.Type()))
			case reflect.Pointer:
				if f.Type() != blobPtrType {
					f.Set(reflect.New(f.Type().Elem()))
				}
			}
		}
		checkAppend(t, x.Interface())
		checkBind(t, typ, map[string]any{})
		// A streamed blob where the type takes one, and where it does not.
		for i := range typ.NumField() {
			f := typ.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			for _, v := range []any{blob, "eA==", json.Number("1")} {
				checkBind(t, typ, map[string]any{name: v})
			}
		}
	}
}

// FuzzWireCodec holds the generated codec to the reflective paths over
// fuzzed bodies (read by the strict decoder, as requests are, then bound
// both ways and, when they bind, encoded both ways) and over random
// values from fuzzed seeds.
func FuzzWireCodec(f *testing.F) {
	for i := range wireTypes {
		f.Add(uint16(i), uint64(i), []byte(`{}`))
	}
	for _, s := range fuzzSeeds {
		f.Add(uint16(9), uint64(7), []byte(s))
	}
	f.Add(uint16(9), uint64(1), []byte(`{"CiphertextBlob":"AAEC","EncryptionContext":{"a":"<&>","b":null},"GrantTokens":["t",null],"DryRun":true}`))
	f.Add(uint16(10), uint64(1), []byte(`{"KeyId":"k\u2028","Plaintext":"eA==","EncryptionAlgorithm":"SYMMETRIC_DEFAULT"}`))
	blob := testBlob(f)
	f.Fuzz(func(t *testing.T, which uint16, seed uint64, body []byte) {
		typ := wireTypes[int(which)%len(wireTypes)]
		checkWireType(t, rand.New(rand.NewPCG(seed, uint64(which))), typ, blob)
		v, err := jsonvalue.DecodeObject(body)
		if err != nil {
			return
		}
		checkBind(t, typ, v)
		x := reflect.New(typ)
		if x.Interface().(valueBinder).BindValue(v) == nil {
			checkAppend(t, x.Interface())
		}
	})
}
