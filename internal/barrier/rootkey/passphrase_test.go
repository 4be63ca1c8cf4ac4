package rootkey_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
)

// fast keeps tests quick; the format carries the cost, so Unwrap follows it.
var fast = primitive.Argon2Params{Time: 1, Memory: 64, Threads: 1}

func TestPassphraseRoundTrip(t *testing.T) {
	p := rootkey.NewPassphraseParams([]byte("correct horse"), fast)
	key := primitive.Random(32)
	w1, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("Wrap() = %v", err)
	}
	w2, _ := p.Wrap(ctx, key)
	if bytes.Equal(w1, w2) {
		t.Errorf("two Wraps of one key are equal, want a fresh salt and nonce each time")
	}
	// A provider built with other default params still opens the blob.
	got, err := rootkey.NewPassphrase([]byte("correct horse")).Unwrap(ctx, w1)
	if err != nil || !bytes.Equal(got, key) {
		t.Errorf("Unwrap(Wrap(key)) = %x, %v; want %x, nil", got, err, key)
	}
}

func TestPassphraseDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB Argon2id")
	}
	p := rootkey.NewPassphrase([]byte("correct horse"))
	key := primitive.Random(32)
	w, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatalf("Wrap() = %v", err)
	}
	if m := binary.BigEndian.Uint32(w[1+16+4:]); m != primitive.DefaultArgon2.Memory {
		t.Errorf("blob records memory %d KiB, want the default %d", m, primitive.DefaultArgon2.Memory)
	}
	if got, err := p.Unwrap(ctx, w); err != nil || !bytes.Equal(got, key) {
		t.Errorf("Unwrap(Wrap(key)) = %x, %v; want %x, nil", got, err, key)
	}
}

func TestPassphraseWrong(t *testing.T) {
	w, err := rootkey.NewPassphraseParams([]byte("correct horse"), fast).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	for _, wrong := range []string{"correct hors", "Correct horse", "", "correct horse "} {
		_, err := rootkey.NewPassphraseParams([]byte(wrong), fast).Unwrap(ctx, w)
		if !errors.Is(err, rootkey.ErrWrongPassphrase) {
			t.Errorf("Unwrap() with passphrase %q = %v, want ErrWrongPassphrase", wrong, err)
		}
		if want := "wrong passphrase: the root key could not be unwrapped"; err != nil && err.Error() != want {
			t.Errorf("Unwrap() with passphrase %q error = %q, want %q", wrong, err, want)
		}
	}
}

// Every byte is authenticated: salt and cost included.
func TestPassphraseTamperedBlob(t *testing.T) {
	p := rootkey.NewPassphraseParams([]byte("pw"), fast)
	key := primitive.Random(32)
	w, err := p.Wrap(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for i := range w {
		bad := bytes.Clone(w)
		bad[i] ^= 0x01
		if got, err := p.Unwrap(ctx, bad); err == nil {
			t.Errorf("Unwrap(blob with byte %d flipped) = %x, nil; want an error", i, got)
		}
	}
	for n := range len(w) {
		if _, err := p.Unwrap(ctx, w[:n]); err == nil {
			t.Errorf("Unwrap(blob truncated to %d) = nil error, want an error", n)
		}
	}
}

// A blob whose recorded cost is absurd is refused before Argon2 runs.
func TestPassphraseCostBounded(t *testing.T) {
	p := rootkey.NewPassphraseParams([]byte("pw"), fast)
	w, _ := p.Wrap(ctx, primitive.Random(32))
	for name, edit := range map[string]func(b []byte){
		"memory 64 GiB": func(b []byte) { binary.BigEndian.PutUint32(b[1+16+4:], 64<<20) },
		"time 1e9":      func(b []byte) { binary.BigEndian.PutUint32(b[1+16:], 1e9) },
		"threads 0":     func(b []byte) { b[1+16+8] = 0 },
	} {
		bad := bytes.Clone(w)
		edit(bad)
		_, err := p.Unwrap(ctx, bad)
		if err == nil || errors.Is(err, rootkey.ErrWrongPassphrase) || !strings.Contains(err.Error(), "out of bounds") {
			t.Errorf("Unwrap(blob with %s) = %v, want an out-of-bounds error", name, err)
		}
	}
}

func TestPassphraseEmptyRefused(t *testing.T) {
	if _, err := rootkey.NewPassphraseParams(nil, fast).Wrap(ctx, primitive.Random(32)); err == nil {
		t.Errorf("Wrap() with an empty passphrase = nil error, want an error")
	}
}

func TestPassphraseCopiesInput(t *testing.T) {
	pw := []byte("secret")
	p := rootkey.NewPassphraseParams(pw, fast)
	w, _ := p.Wrap(ctx, primitive.Random(32))
	copy(pw, "XXXXXX")
	if _, err := p.Unwrap(ctx, w); err != nil {
		t.Errorf("Unwrap() after the caller overwrote its passphrase slice = %v, want nil", err)
	}
}

func TestPassphraseName(t *testing.T) {
	if got := rootkey.NewPassphrase([]byte("x")).Name(); got != "passphrase" {
		t.Errorf("NewPassphrase().Name() = %q, want %q", got, "passphrase")
	}
}
