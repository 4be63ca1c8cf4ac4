package barrier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func put(t *testing.T, s store.Store, k, v string) {
	t.Helper()
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(v)) }); err != nil {
		t.Fatalf("Put(%s) = %v", k, err)
	}
}

func get(t *testing.T, s store.Store, k string) string {
	t.Helper()
	var out string
	if err := s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(k)
		out = string(v)
		return err
	}); err != nil {
		t.Fatalf("Get(%s) = %v", k, err)
	}
	return out
}

// rawTerm is the term the raw record of user key k is sealed under.
func rawTerm(t *testing.T, raw store.Store, k string) uint32 {
	t.Helper()
	var term uint32
	if err := raw.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(valuePrefix + k)
		term = sealedTerm(v)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return term
}

func TestRotateSealsNewValuesUnderTheNewTermAndOldOnesStillOpen(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	b := mustOpen(t, raw, rootkey.NewFile(keyFile))
	put(t, b, "old", "v1")
	term, err := b.Rotate(ctx)
	if err != nil || term != 2 {
		t.Fatalf("Rotate = %d, %v; want 2, nil", term, err)
	}
	put(t, b, "new", "v2")
	if got := rawTerm(t, raw, "old"); got != 1 {
		t.Errorf("old value's term = %d, want 1", got)
	}
	if got := rawTerm(t, raw, "new"); got != 2 {
		t.Errorf("new value's term = %d, want 2", got)
	}
	if term, _ = b.Rotate(ctx); term != 3 {
		t.Fatalf("second Rotate = %d, want 3", term)
	}
	if get(t, b, "old") != "v1" || get(t, b, "new") != "v2" {
		t.Fatal("values changed across rotations")
	}
	// A restart unwraps every term from the keyring.
	b2, err := Open(ctx, raw, rootkey.NewFile(keyFile))
	if err != nil {
		t.Fatalf("reopen = %v", err)
	}
	if get(t, b2, "old") != "v1" || get(t, b2, "new") != "v2" {
		t.Fatal("values lost across a restart after rotation")
	}
	st, err := b2.Status(ctx)
	if err != nil || st.Term != 3 || st.Terms != 3 || st.Sealed || !st.Initialized || st.Provider != "file" {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	// The wrong root key still opens nothing.
	if _, err := Open(ctx, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "other.key"))); !errors.Is(err, rootkey.ErrRootKeyMissing) {
		t.Fatalf("Open with a missing key file = %v", err)
	}
}

func TestRewrapMovesEveryValueToTheActiveTerm(t *testing.T) {
	raw := memstore.New()
	b := mustOpen(t, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	const n = 700 // several rewrap transactions
	for i := range n {
		put(t, b, fmt.Sprintf("k%04d", i), fmt.Sprint("value ", i))
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	var calls int
	p, err := b.Rewrap(ctx, func(RewrapProgress) { calls++ })
	if err != nil || p.Scanned != n || p.Rewrapped != n || p.Term != 2 || calls < 3 {
		t.Fatalf("Rewrap = %+v (%d progress calls), %v", p, calls, err)
	}
	for i := range n {
		k := fmt.Sprintf("k%04d", i)
		if rawTerm(t, raw, k) != 2 || get(t, b, k) != fmt.Sprint("value ", i) {
			t.Fatalf("%s not moved to term 2 intact", k)
		}
	}
	// Nothing left to move.
	if p, err = b.Rewrap(ctx, nil); err != nil || p.Rewrapped != 0 || p.Scanned != n {
		t.Fatalf("second Rewrap = %+v, %v", p, err)
	}
}

func TestRotateAndRewrapUnderAWriteLoopLoseNothing(t *testing.T) {
	raw := openBolt(t, t.TempDir())
	b := mustOpen(t, raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	var (
		wg      sync.WaitGroup
		stop    atomic.Bool
		mu      sync.Mutex
		written = map[string]string{}
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load() || i < 50; i++ {
				k, v := fmt.Sprintf("w%d/%05d", w, i%400), fmt.Sprintf("w%d value %d", w, i)
				if err := b.Update(ctx, func(tx store.Tx) error { return tx.Put(k, []byte(v)) }); err != nil {
					t.Errorf("Put during rotation = %v", err)
					return
				}
				mu.Lock()
				written[k] = v
				mu.Unlock()
			}
		}()
	}
	for range 3 {
		if _, err := b.Rotate(ctx); err != nil {
			t.Fatalf("Rotate under load = %v", err)
		}
		if _, err := b.Rewrap(ctx, nil); err != nil {
			t.Fatalf("Rewrap under load = %v", err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if len(written) == 0 {
		t.Fatal("the write loop wrote nothing")
	}
	for k, v := range written {
		if got := get(t, b, k); got != v {
			t.Fatalf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestRekeyToAnotherProviderKeepsTheDataAndRetiresTheOldRootKey(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	b := mustOpen(t, raw, rootkey.NewFile(keyFile))
	put(t, b, "a", "before")
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, b, "b", "after rotation")
	before := rawValues(t, raw)
	pass := rootkey.NewPassphraseParams([]byte("correct horse"), fastArgon2)
	if err := b.Rekey(ctx, pass); err != nil {
		t.Fatalf("Rekey = %v", err)
	}
	// The data was not re-encrypted: only the keyring changed.
	after := rawValues(t, raw)
	for k, v := range before {
		if k != keyringKey && !bytes.Equal(after[k], v) {
			t.Errorf("rekey rewrote %s", k)
		}
	}
	put(t, b, "c", "after rekey")
	if _, err := Open(ctx, raw, rootkey.NewFile(keyFile)); !errors.As(err, new(*ProviderMismatchError)) {
		t.Fatalf("Open with the old provider after rekey = %v, want a ProviderMismatchError", err)
	}
	if _, err := Open(ctx, raw, rootkey.NewPassphraseParams([]byte("wrong"), fastArgon2)); !errors.Is(err, rootkey.ErrWrongPassphrase) {
		t.Fatalf("Open with a wrong passphrase = %v", err)
	}
	b2, err := Open(ctx, raw, rootkey.NewPassphraseParams([]byte("correct horse"), fastArgon2))
	if err != nil {
		t.Fatalf("Open with the new provider = %v", err)
	}
	for k, v := range map[string]string{"a": "before", "b": "after rotation", "c": "after rekey"} {
		if got := get(t, b2, k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	// Rekey back to a new file: the old key file's key no longer fits.
	newFile := filepath.Join(t.TempDir(), "new.key")
	if err := b2.Rekey(ctx, rootkey.NewFile(newFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, raw, rootkey.NewFile(keyFile)); !errors.Is(err, rootkey.ErrWrongRootKey) {
		t.Fatalf("Open with the retired key file = %v, want ErrWrongRootKey", err)
	}
	if b3, err := Open(ctx, raw, rootkey.NewFile(newFile)); err != nil || get(t, b3, "c") != "after rekey" {
		t.Fatalf("Open with the new key file = %v", err)
	}
}

// failingProvider fails Wrap, as an HSM or a KMS that is down would.
type failingProvider struct{}

func (failingProvider) Name() string { return "kms" }
func (failingProvider) Wrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("the KMS is down")
}
func (failingProvider) Unwrap(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("the KMS is down")
}

func TestAnInterruptedRekeyLeavesTheOldRootKeyWorking(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	b := mustOpen(t, raw, rootkey.NewFile(keyFile))
	put(t, b, "a", "kept")
	before := rawValues(t, raw)[keyringKey]
	if err := b.Rekey(ctx, failingProvider{}); err == nil {
		t.Fatal("Rekey with a failing provider succeeded")
	}
	if !bytes.Equal(rawValues(t, raw)[keyringKey], before) {
		t.Fatal("a failed rekey changed the keyring")
	}
	// The store failing the write leaves it as it was too.
	broken := &failingPuts{Store: raw}
	b2, err := Open(ctx, broken, rootkey.NewFile(keyFile))
	if err != nil {
		t.Fatal(err)
	}
	broken.fail.Store(true)
	if err := b2.Rekey(ctx, rootkey.NewFile(filepath.Join(t.TempDir(), "new.key"))); err == nil {
		t.Fatal("Rekey whose write failed succeeded")
	}
	if !bytes.Equal(rawValues(t, raw)[keyringKey], before) {
		t.Fatal("a failed rekey write changed the keyring")
	}
	if b3, err := Open(ctx, raw, rootkey.NewFile(keyFile)); err != nil || get(t, b3, "a") != "kept" {
		t.Fatalf("the old root key after an interrupted rekey = %v", err)
	}
}

// failingPuts fails every Put once fail is set.
type failingPuts struct {
	store.Store
	fail atomic.Bool
}

func (f *failingPuts) Update(ctx context.Context, fn func(store.Tx) error) error {
	return f.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(&failingTx{Tx: tx, fail: &f.fail}); err != nil {
			return err
		}
		return nil
	})
}

type failingTx struct {
	store.Tx
	fail *atomic.Bool
}

func (t *failingTx) Put(k string, v []byte) error {
	if t.fail.Load() {
		return errors.New("disk full")
	}
	return t.Tx.Put(k, v)
}

func rawValues(t *testing.T, raw store.Store) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	if err := raw.View(ctx, func(tx store.Tx) error {
		return tx.Scan("", "", func(k string, v []byte) error { out[k] = bytes.Clone(v); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestAnotherServerLearnsANewTermWithoutTheRootKey(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	a := mustOpen(t, raw, rootkey.NewFile(keyFile))
	peer, err := Open(ctx, raw, rootkey.NewFile(keyFile)) // a second server on the same database
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, a, "k", "sealed under term 2")
	if got := get(t, peer, "k"); got != "sealed under term 2" {
		t.Fatalf("peer read %q", got)
	}
	// Refresh makes the peer seal under the new term too.
	if _, err := a.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := peer.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	put(t, peer, "p", "from the peer")
	if rawTerm(t, raw, "p") != 3 {
		t.Fatalf("peer sealed under term %d after Refresh, want 3", rawTerm(t, raw, "p"))
	}
	// A value naming a term no keyring has is corrupt, not a crash.
	if err := raw.Update(ctx, func(tx store.Tx) error {
		v, _ := tx.Get(valuePrefix + "p")
		v = bytes.Clone(v)
		v[4] = 9 // term 9
		return tx.Put(valuePrefix+"p", v)
	}); err != nil {
		t.Fatal(err)
	}
	err = peer.View(ctx, func(tx store.Tx) error { _, err := tx.Get("p"); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get of a value under an unknown term = %v, want ErrCorrupt", err)
	}
	// A forged term record (not sealed by the term before) teaches nothing.
	if err := raw.Update(ctx, func(tx store.Tx) error {
		return tx.Put(termRecordKey(4), primitive.Random(60))
	}); err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(ctx, func(tx store.Tx) error {
		v, _ := tx.Get(valuePrefix + "p")
		v = bytes.Clone(v)
		v[4] = 4
		return tx.Put(valuePrefix+"p", v)
	}); err != nil {
		t.Fatal(err)
	}
	err = peer.View(ctx, func(tx store.Tx) error { _, err := tx.Get("p"); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get under a forged term = %v, want ErrCorrupt", err)
	}
}

func TestSealDropsTheKeysAndUnsealRestoresThem(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	b := mustOpen(t, raw, rootkey.NewFile(keyFile))
	put(t, b, "k", "v")
	b.Seal()
	if !b.Sealed() {
		t.Fatal("Sealed() = false after Seal")
	}
	if err := b.View(ctx, func(tx store.Tx) error { _, err := tx.Get("k"); return err }); !errors.Is(err, ErrSealed) {
		t.Fatalf("Get while sealed = %v, want ErrSealed", err)
	}
	if err := b.Update(ctx, func(tx store.Tx) error { return tx.Put("k2", []byte("x")) }); !errors.Is(err, ErrSealed) {
		t.Fatalf("Put while sealed = %v, want ErrSealed", err)
	}
	if err := b.Update(ctx, func(tx store.Tx) error { return tx.Delete("k") }); !errors.Is(err, ErrSealed) {
		t.Fatalf("Delete while sealed = %v, want ErrSealed", err)
	}
	if _, err := b.Rotate(ctx); !errors.Is(err, ErrSealed) {
		t.Fatalf("Rotate while sealed = %v", err)
	}
	if err := b.Unseal(ctx, rootkey.NewFile(filepath.Join(t.TempDir(), "wrong.key"))); err == nil || !b.Sealed() {
		t.Fatalf("Unseal with a missing key file = %v, sealed %v", err, b.Sealed())
	}
	if err := b.Unseal(ctx, rootkey.NewFile(keyFile)); err != nil {
		t.Fatal(err)
	}
	if get(t, b, "k") != "v" {
		t.Fatal("value lost across seal and unseal")
	}
}

func TestInitializeLeavesTheBarrierSealed(t *testing.T) {
	raw := memstore.New()
	b, err := OpenSealed(ctx, raw)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := b.Status(ctx); st.Initialized || !st.Sealed {
		t.Fatalf("Status before Initialize = %+v", st)
	}
	keyFile := filepath.Join(t.TempDir(), "root.key")
	if err := Initialize(ctx, raw, rootkey.NewFile(keyFile)); err != nil {
		t.Fatal(err)
	}
	if err := Initialize(ctx, raw, rootkey.NewFile(keyFile)); !errors.Is(err, ErrInitialized) {
		t.Fatalf("second Initialize = %v, want ErrInitialized", err)
	}
	if st, _ := b.Status(ctx); !st.Initialized || !st.Sealed || st.Term != 1 {
		t.Fatalf("Status after Initialize = %+v", st)
	}
	if err := b.View(ctx, func(tx store.Tx) error { _, err := tx.Get("k"); return err }); !errors.Is(err, ErrSealed) {
		t.Fatalf("Get after Initialize = %v, want ErrSealed", err)
	}
	if err := b.Unseal(ctx, rootkey.NewFile(keyFile)); err != nil {
		t.Fatal(err)
	}
	put(t, b, "k", "v")
}

// TestAVersion1KeyringStillOpensAndUpgradesAtItsFirstRotation writes the
// keyring of an earlier sealbox (the file provider's wrap of the one
// barrier key) and a value sealed by it.
func TestAVersion1KeyringStillOpensAndUpgradesAtItsFirstRotation(t *testing.T) {
	raw := memstore.New()
	keyFile := filepath.Join(t.TempDir(), "root.key")
	p := rootkey.NewFile(keyFile)
	k1 := primitive.Random(primitive.KeySize)
	wrapped, err := p.Wrap(ctx, k1)
	if err != nil {
		t.Fatal(err)
	}
	v1, _ := json.Marshal(keyring{Version: keyringV1, Provider: "file", Term: 1, Wrapped: wrapped})
	old, err := newKeySet(k1, []termKey{{term: 1, key: bytes.Clone(k1)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put(keyringKey, v1); err != nil {
			return err
		}
		return tx.Put(valuePrefix+"legacy", old.sealTo(nil, valuePrefix+"legacy", []byte("from v1")))
	}); err != nil {
		t.Fatal(err)
	}
	b := mustOpen(t, raw, p)
	if get(t, b, "legacy") != "from v1" {
		t.Fatal("a version 1 keyring's value did not open")
	}
	if _, err := b.Rotate(ctx); err != nil {
		t.Fatal(err)
	}
	rec, err := readKeyring(ctx, raw)
	if err != nil || rec.Version != keyringV2 || rec.Term != 2 {
		t.Fatalf("keyring after the first rotation = %+v, %v", rec, err)
	}
	b2, err := Open(ctx, raw, p)
	if err != nil || get(t, b2, "legacy") != "from v1" {
		t.Fatalf("reopen after upgrade = %v", err)
	}
}
