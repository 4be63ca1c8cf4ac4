package webhook

import (
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify gives Verify arbitrary signature headers and bodies (what a
// rotator receives from the network). It never panics, and it accepts a
// header only if the header holds, beside a timestamp within the
// tolerance, the MAC of that timestamp and the body under the secret: a
// false accept is the bug that matters.
func FuzzVerify(f *testing.F) {
	secret := []byte("0123456789abcdef0123")
	now := time.Unix(1700000000, 0)
	body := `{"Step":"createSecret","SecretId":"db"}`
	good := Sign(secret, now, []byte(body))
	for _, seed := range [][2]string{
		{good, body}, {good, body + " "}, {strings.ToUpper(good), body},
		{"t=1700000000,v1=00,v1=" + strings.TrimPrefix(good, "t=1700000000,v1="), body},
		{"v1=" + strings.TrimPrefix(good, "t=1700000000,v1=") + ",t=1700000000", body},
		{"t=1700000000 , v1=zz", body}, {"t=-9223372036854775808,v1=", ""}, {"t=9223372036854775807,v1=00", ""},
		{"t=1700000000,t=1,v1=" + strings.TrimPrefix(good, "t=1700000000,v1="), body}, {"", ""}, {",,,=,=", "x"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, header, body string) {
		if Verify(secret, header, []byte(body), now, 0) != nil {
			return
		}
		// Accepted: the last t= and one v1= must be a signature Sign
		// makes for this body, within five minutes of now.
		var ts string
		var sigs []string
		for _, part := range strings.Split(header, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "t":
				ts = v
			case "v1":
				sigs = append(sigs, strings.ToLower(v))
			}
		}
		sec, err := strconv.ParseInt(ts, 10, 64)
		if err != nil {
			t.Fatalf("Verify(%q, %q) accepted a header without a timestamp", header, body)
		}
		if d := now.Sub(time.Unix(sec, 0)); d > DefaultTolerance || d < -DefaultTolerance {
			t.Fatalf("Verify(%q, %q) accepted a timestamp %v from now", header, body, d)
		}
		want := hex.EncodeToString(mac(secret, ts, []byte(body)))
		for _, s := range sigs {
			if s == want {
				return
			}
		}
		t.Fatalf("Verify(%q, %q) accepted without the body's MAC %s", header, body, want)
	})
}
