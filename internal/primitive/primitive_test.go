package primitive

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := Random(KeySize)
	sealed, err := Seal(key, []byte("plain"), []byte("aad"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len("plain")+Overhead {
		t.Fatalf("sealed length %d, want %d", len(sealed), len("plain")+Overhead)
	}
	if pt, err := Open(key, sealed, []byte("aad")); err != nil || string(pt) != "plain" {
		t.Fatalf("Open = %q, %v", pt, err)
	}
	for name, try := range map[string]func() error{
		"wrong aad": func() error { _, err := Open(key, sealed, []byte("other")); return err },
		"wrong key": func() error { _, err := Open(Random(KeySize), sealed, []byte("aad")); return err },
		"short":     func() error { _, err := Open(key, sealed[:Overhead-1], []byte("aad")); return err },
		"short key": func() error { _, err := Open(key[:16], sealed, []byte("aad")); return err },
	} {
		if err := try(); err != ErrOpen {
			t.Errorf("Open(%s) = %v, want ErrOpen", name, err)
		}
	}
}

func TestSecretDoesNotLeak(t *testing.T) {
	s := NewSecret([]byte("hunter2"))
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("m", "secret", s, "struct", struct{ S Secret }{s})
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("m", "secret", s, "struct", struct{ S Secret }{s})
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %d %x %q", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v %d", struct{ S Secret }{s}, struct{ S Secret }{s}, struct{ S Secret }{s}, struct{ S Secret }{s}),
		fmt.Sprintf("%v %+v %#v %d", struct{ s Secret }{s}, &struct{ s Secret }{s}, struct{ s Secret }{s}, &struct{ s Secret }{s}), logged.String()} {
		if bytes.Contains([]byte(out), []byte("hunter2")) || bytes.Contains([]byte(out), []byte("104")) || bytes.Contains([]byte(out), []byte("68756e")) {
			t.Fatalf("formatted Secret shows its bytes: %q", out)
		}
	}
	if _, err := json.Marshal(s); err == nil {
		t.Fatalf("json.Marshal(Secret) succeeded")
	}
	if _, err := json.Marshal(struct{ S Secret }{s}); err == nil {
		t.Fatalf("json.Marshal(struct holding a Secret) succeeded")
	}
}

func TestSecretEqual(t *testing.T) {
	a, b := NewSecret([]byte("hunter2")), NewSecret([]byte("hunter2"))
	if !a.Equal(b) || a.Equal(NewSecret([]byte("hunter3"))) || a.Equal(Secret{}) || !(Secret{}).Equal(NewSecret(nil)) {
		t.Fatalf("Secret.Equal disagrees with bytes.Equal")
	}
	if !a.EqualString("hunter2") || a.EqualString("hunter3") || a.EqualString("hunter") || a.EqualString("") || !(Secret{}).EqualString("") {
		t.Fatalf("Secret.EqualString disagrees with ==")
	}
}

func TestDeriveKeyAndPassphrase(t *testing.T) {
	a := DeriveKey([]byte("secret"), []byte("salt"), "info")
	if len(a) != KeySize || bytes.Equal(a, DeriveKey([]byte("secret"), []byte("salt2"), "info")) {
		t.Fatalf("DeriveKey ignores its salt")
	}
	p := Argon2Params{Time: 1, Memory: 64, Threads: 1}
	if !bytes.Equal(PassphraseKey([]byte("pw"), []byte("salt-salt"), p), PassphraseKey([]byte("pw"), []byte("salt-salt"), p)) {
		t.Fatalf("PassphraseKey is not deterministic")
	}
	if bytes.Equal(PassphraseKey([]byte("pw"), []byte("salt-salt"), p), PassphraseKey([]byte("px"), []byte("salt-salt"), p)) {
		t.Fatalf("PassphraseKey ignores the passphrase")
	}
}

// DeriveKeyInto gives crypto/hkdf's key for every length of its inputs.
func TestDeriveKeyIntoIsHKDF(t *testing.T) {
	info := strings.Repeat("sealbox derive info ", 5)
	for _, secretLen := range []int{0, 1, 16, 32, 63, 64, 65, 100} {
		for _, saltLen := range []int{0, 1, 16, 32, 64, 65} {
			for _, infoLen := range []int{0, 1, 19, 62, 63, 64, 90} {
				secret, salt := Random(secretLen), Random(saltLen)
				if saltLen == 0 {
					salt = nil
				}
				want, err := hkdf.Key(sha256.New, secret, salt, info[:infoLen], KeySize)
				if err != nil {
					t.Fatal(err)
				}
				var got [KeySize]byte
				DeriveKeyInto(&got, secret, salt, info[:infoLen])
				if !bytes.Equal(got[:], want) {
					t.Errorf("DeriveKeyInto(secret %d, salt %d, info %d bytes) = %x, want %x", secretLen, saltLen, infoLen, got, want)
				}
				if d := DeriveKey(secret, salt, info[:infoLen]); !bytes.Equal(d, want) {
					t.Errorf("DeriveKey differs from hkdf.Key")
				}
			}
		}
	}
}

// A MACKey's sums are crypto/hmac's, message after message and from
// goroutines at once, and it keeps its own copy of the key.
func TestMACKeyIsHMAC(t *testing.T) {
	key := Random(32)
	k := NewMACKey(key)
	want := func(msg []byte) []byte { return HMAC(key, msg) }
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				msg := []byte(strings.Repeat("m", g*200+i))
				if got := k.Sum(nil, msg); !bytes.Equal(got, want(msg)) {
					t.Errorf("MACKey.Sum(%d bytes) = %x, want %x", len(msg), got, want(msg))
					return
				}
			}
		})
	}
	wg.Wait()
	prefix := []byte("p")
	if got := k.Sum(prefix, []byte("x")); !bytes.Equal(got[1:], want([]byte("x"))) || got[0] != 'p' {
		t.Errorf("Sum does not append to dst")
	}
	orig := bytes.Clone(key)
	clear(key)
	if got := k.Sum(nil, []byte("x")); !bytes.Equal(got, HMAC(orig, []byte("x"))) {
		t.Errorf("MACKey follows its caller's buffer, not its own copy of the key")
	}
}
