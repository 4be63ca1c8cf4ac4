package jsonenc

import (
	"encoding/json"
	"math"
	"testing"
)

// plain8 agrees with the table for every byte in every position.
func TestPlain8(t *testing.T) {
	for b := range 256 {
		for pos := range 8 {
			w := uint64(0x6161616161616161)
			w = w&^(0xff<<(8*pos)) | uint64(b)<<(8*pos)
			want := b < 0x80 && plain[b]
			if got := plain8(w); got != want {
				t.Fatalf("plain8 with %#x at %d = %v, want %v", b, pos, got, want)
			}
		}
	}
}

// plain8 agrees with the table on words of bytes near the ones it tests.
func TestPlain8Words(t *testing.T) {
	near := []byte{0, 1, 0x1f, 0x20, 0x21, '"', '#', '$', '%', '&', '\'', ';', '<', '=', '>', '?', '[', '\\', ']', 'a', 0x7e, 0x7f, 0x80, 0xc3, 0xfe, 0xff}
	rng := uint64(1)
	for range 200000 {
		var w uint64
		want := true
		for pos := range 8 {
			rng = rng*6364136223846793005 + 1442695040888963407
			b := near[(rng>>33)%uint64(len(near))]
			w |= uint64(b) << (8 * pos)
			want = want && b < 0x80 && plain[b]
		}
		if got := plain8(w); got != want {
			t.Fatalf("plain8(%#x) = %v, want %v", w, got, want)
		}
	}
}

// AppendString and AppendFloat write what json.Marshal writes.
func TestMatchesJSON(t *testing.T) {
	for _, s := range []string{"", "plain ascii text of some length", "<a href=\"x\">&amp;</a>", "tab\tnew\nline\r\\", "\x00\x01\x1f\x7f",
		"caf\u00e9 \u2028 \u2029 \U0001F600", "bad \xff\xfe utf-8", "\xc3", "12345678<", "1234567\x80"} {
		checkString(t, s)
	}
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -1.5, 1e-7, 1e-6, 123456789, 1e20, 1e21, 1.7976931348623157e308, 5e-324, 0.1, 1.0 / 3} {
		checkFloat(t, f, 64)
		checkFloat(t, f, 32)
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := AppendFloat(nil, f, 64); err == nil {
			t.Errorf("AppendFloat(%v) accepted it, want json.Marshal's refusal", f)
		}
	}
}

func checkString(t *testing.T, s string) {
	t.Helper()
	want, _ := json.Marshal(s)
	if got := AppendString([]byte("x"), s); string(got) != "x"+string(want) {
		t.Errorf("AppendString(%q) = %s, want %s", s, got[1:], want)
	}
}

func checkFloat(t *testing.T, f float64, bits int) {
	t.Helper()
	var want []byte
	if bits == 32 {
		if math.IsInf(float64(float32(f)), 0) {
			return // out of float32's range
		}
		want, _ = json.Marshal(float32(f))
		f = float64(float32(f))
	} else {
		want, _ = json.Marshal(f)
	}
	got, err := AppendFloat(nil, f, bits)
	if err != nil || string(got) != string(want) {
		t.Errorf("AppendFloat(%v, %d) = %s, %v; want %s", f, bits, got, err, want)
	}
}

func FuzzMatchesJSON(f *testing.F) {
	f.Add("<script>\u2028", 1e21)
	f.Add("\xff\x00abcdefgh&", -0.000001)
	f.Fuzz(func(t *testing.T, s string, x float64) {
		checkString(t, s)
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			checkFloat(t, x, 64)
		}
	})
}
