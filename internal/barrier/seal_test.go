package barrier

import (
	"bytes"
	"errors"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

const secretText = "the secret value 7f3a"

// newMem returns a barrier and the raw memstore under it.
func newMem(t *testing.T) (*Barrier, *memstore.Store) {
	raw := memstore.New()
	return mustOpen(t, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key"))), raw
}

func rawGet(t *testing.T, raw store.Store, key string) []byte {
	t.Helper()
	var out []byte
	err := raw.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(key)
		out = bytes.Clone(v)
		return err
	})
	if err != nil {
		t.Fatalf("raw Get(%q) = %v", key, err)
	}
	return out
}

func rawPut(t *testing.T, raw store.Store, key string, v []byte) {
	t.Helper()
	if err := raw.Update(ctx, func(tx store.Tx) error { return tx.Put(key, v) }); err != nil {
		t.Fatalf("raw Put(%q) = %v", key, err)
	}
}

// wantCorrupt checks that reading key through b, by Get and by Scan, fails
// with ErrCorrupt naming key and not the plaintext.
func wantCorrupt(t *testing.T, b *Barrier, key, what string) {
	t.Helper()
	err := b.View(ctx, func(tx store.Tx) error { _, err := tx.Get(key); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get(%q) of %s = %v, want ErrCorrupt", key, what, err)
	}
	if msg := err.Error(); !strings.Contains(msg, key) || strings.Contains(msg, secretText) {
		t.Errorf("Get(%q) of %s error = %q, want it to name the key and not the value", key, what, msg)
	}
	err = b.View(ctx, func(tx store.Tx) error {
		return tx.Scan("", "", func(string, []byte) error { return nil })
	})
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Scan over %s = %v, want ErrCorrupt", what, err)
	}
}

func TestSealedFormat(t *testing.T) {
	b, raw := newMem(t)
	putValue(t, b, "k", secretText)
	sealed := rawGet(t, raw, valuePrefix+"k")
	if want := 1 + 4 + 12 + len(secretText) + 16; len(sealed) != want {
		t.Errorf("len(sealed) = %d, want %d (version | term | nonce | ciphertext | tag)", len(sealed), want)
	}
	if !bytes.Equal(sealed[:5], []byte{1, 0, 0, 0, 1}) {
		t.Errorf("sealed header = %x, want version 1, term 1 (0100000001)", sealed[:5])
	}
	if bytes.Contains(sealed, []byte(secretText)) {
		t.Errorf("sealed value contains the plaintext")
	}
}

// A sealed value copied to another key does not open there: the storage
// key is additional data.
func TestMovedValueFailsToOpen(t *testing.T) {
	b, raw := newMem(t)
	putValue(t, b, "secrets/a", secretText)
	rawPut(t, raw, valuePrefix+"secrets/b", rawGet(t, raw, valuePrefix+"secrets/a"))
	wantCorrupt(t, b, "secrets/b", "a value copied from another key")
	if got := getValue(t, b, "secrets/a"); got != secretText {
		t.Errorf("Get(%q) = %q, want %q", "secrets/a", got, secretText)
	}
}

func TestTamperedValueFailsToOpen(t *testing.T) {
	b, raw := newMem(t)
	putValue(t, b, "k", secretText)
	sealed := rawGet(t, raw, valuePrefix+"k")
	for i := range sealed {
		for bit := range 8 {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1 << bit
			rawPut(t, raw, valuePrefix+"k", bad)
			wantCorrupt(t, b, "k", "a value with a flipped bit")
		}
	}
	for n := range len(sealed) {
		rawPut(t, raw, valuePrefix+"k", sealed[:n])
		wantCorrupt(t, b, "k", "a truncated value")
	}
	rawPut(t, raw, valuePrefix+"k", append(bytes.Clone(sealed), 0))
	wantCorrupt(t, b, "k", "a value with a byte appended")

	rawPut(t, raw, valuePrefix+"k", sealed)
	if got := getValue(t, b, "k"); got != secretText {
		t.Errorf("Get(%q) of the restored value = %q, want %q", "k", got, secretText)
	}
}

// A value sealed by another data folder's barrier key does not open.
func TestOtherBarrierKeyFailsToOpen(t *testing.T) {
	b1, raw1 := newMem(t)
	b2, raw2 := newMem(t)
	putValue(t, b1, "k", secretText)
	rawPut(t, raw2, valuePrefix+"k", rawGet(t, raw1, valuePrefix+"k"))
	wantCorrupt(t, b2, "k", "a value sealed under another barrier key")
}

// TestPutLargeSealsInPlace: a large value (an audit block) is sealed in a
// buffer used again, so a Put allocates about one copy of it (the raw
// store's own), not two; what it stored opens to the value.
func TestPutLargeSealsInPlace(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts mean nothing under the race detector")
	}
	b, _ := newMem(t)
	value := bytes.Repeat([]byte("audit block line\n"), (1<<20)/17)
	put := func() {
		if err := b.Update(ctx, func(tx store.Tx) error { return tx.Put("block", value) }); err != nil {
			t.Fatal(err)
		}
	}
	put()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const n = 10
	for range n {
		put()
	}
	runtime.ReadMemStats(&after)
	if per := (after.TotalAlloc - before.TotalAlloc) / n; per > uint64(len(value))*3/2 {
		t.Errorf("a Put of %d bytes allocated %d bytes, want about one copy", len(value), per)
	}
	var got []byte
	if err := b.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("block")
		got = bytes.Clone(v)
		return err
	}); err != nil || !bytes.Equal(got, value) {
		t.Fatalf("Get after Put = %d bytes, %v; want the value", len(got), err)
	}
}
