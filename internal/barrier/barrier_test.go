package barrier

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/memstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

var ctx = context.Background()

// fastArgon2 keeps passphrase tests quick; one test uses the defaults.
var fastArgon2 = primitive.Argon2Params{Time: 1, Memory: 64, Threads: 1}

// openBolt opens the boltstore in dataDir, failing the test on error.
func openBolt(t testing.TB, dataDir string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(dataDir, boltstore.DefaultFileName), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open(%s) = %v", dataDir, err)
	}
	return s
}

// mustOpen opens a barrier over raw, closing it when the test ends.
func mustOpen(t testing.TB, raw store.Store, p rootkey.Provider) *Barrier {
	t.Helper()
	b, err := Open(ctx, raw, p)
	if err != nil {
		raw.Close()
		t.Fatalf("Open(%s provider) = %v, want nil", p.Name(), err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestConformanceMemstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, memstore.New(), rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	})
}

func TestConformanceBoltstore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return mustOpen(t, openBolt(t, t.TempDir()), rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	})
}

func TestPersistenceFile(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "root.key")
	storetest.RunPersistent(t, func(t *testing.T, dir string) store.Store {
		return mustOpen(t, openBolt(t, dir), rootkey.NewFile(keyFile))
	})
}

func TestPersistencePassphrase(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T, dir string) store.Store {
		return mustOpen(t, openBolt(t, dir), rootkey.NewPassphraseParams([]byte("pw"), fastArgon2))
	})
}

// One run with the real Argon2id cost, end to end.
func TestPassphraseDefaultCost(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB Argon2id")
	}
	dir := t.TempDir()
	b := mustOpen(t, openBolt(t, dir), rootkey.NewPassphrase([]byte("correct horse battery staple")))
	putValue(t, b, "k", "v")
	b.Close()
	b = mustOpen(t, openBolt(t, dir), rootkey.NewPassphrase([]byte("correct horse battery staple")))
	if got := getValue(t, b, "k"); got != "v" {
		t.Errorf("Get(%q) after reopen = %q, want %q", "k", got, "v")
	}
}

func TestInitialized(t *testing.T) {
	raw := memstore.New()
	if ok, err := Initialized(ctx, raw); ok || err != nil {
		t.Errorf("Initialized(empty store) = %v, %v; want false, nil", ok, err)
	}
	mustOpen(t, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	if ok, err := Initialized(ctx, raw); !ok || err != nil {
		t.Errorf("Initialized(after Open) = %v, %v; want true, nil", ok, err)
	}
}

// The barrier's own record lives outside the user key space: a user key
// spelled like it neither overwrites it nor shows up beside user keys.
func TestKeyringOutOfReach(t *testing.T) {
	dir, keyFile := t.TempDir(), filepath.Join(t.TempDir(), "root.key")
	b := mustOpen(t, openBolt(t, dir), rootkey.NewFile(keyFile))
	putValue(t, b, keyringKey, "not a keyring")
	var keys []string
	b.View(ctx, func(tx store.Tx) error {
		return tx.Scan("", "", func(k string, _ []byte) error { keys = append(keys, k); return nil })
	})
	if len(keys) != 1 || keys[0] != keyringKey {
		t.Errorf("Scan(\"\") through the barrier = %q, want only the user key %q", keys, keyringKey)
	}
	b.Close()
	b = mustOpen(t, openBolt(t, dir), rootkey.NewFile(keyFile))
	if got := getValue(t, b, keyringKey); got != "not a keyring" {
		t.Errorf("Get(%q) after reopen = %q, want %q", keyringKey, got, "not a keyring")
	}
}

func TestMalformedKeyring(t *testing.T) {
	for name, rec := range map[string]string{
		"not json":      "garbage",
		"no wrapped":    `{"version":1,"provider":"file","term":1}`,
		"version 99":    `{"version":99,"provider":"file","term":1,"wrapped":"AQID"}`,
		"term 0":        `{"version":1,"provider":"file","term":0,"wrapped":"AQID"}`,
		"wrapped junk":  `{"version":1,"provider":"file","term":1,"wrapped":"AQID"}`,
		"provider none": `{"version":1,"provider":"","term":1,"wrapped":"AQID"}`,
	} {
		raw := memstore.New()
		raw.Update(ctx, func(tx store.Tx) error { return tx.Put(keyringKey, []byte(rec)) })
		p := rootkey.NewFile(filepath.Join(t.TempDir(), "root.key"))
		if b, err := Open(ctx, raw, p); err == nil {
			b.Close()
			t.Errorf("Open() over a keyring record that is %s = nil error, want an error", name)
		}
	}
}

func TestCanceledOpen(t *testing.T) {
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	raw := memstore.New()
	if _, err := Open(cctx, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key"))); err == nil {
		t.Errorf("Open(canceled ctx) = nil error, want an error")
	}
	if ok, _ := Initialized(ctx, raw); ok {
		t.Errorf("Open(canceled ctx) initialised the store, want nothing written")
	}
}

func putValue(t testing.TB, s store.Store, key, value string) {
	t.Helper()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(key, []byte(value)) }); err != nil {
		t.Fatalf("Update(Put(%q)) = %v", key, err)
	}
}

func getValue(t testing.TB, s store.Store, key string) string {
	t.Helper()
	var out string
	err := s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(key)
		out = string(v)
		return err
	})
	if err != nil {
		t.Fatalf("Get(%q) = %v", key, err)
	}
	return out
}
