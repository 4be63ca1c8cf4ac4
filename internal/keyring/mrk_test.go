package keyring_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// A multi-Region key's blob names its mrk- id, and opens in a Region its
// material was replicated to, and in no other.
func TestMultiRegionReplicate(t *testing.T) {
	ctx := context.Background()
	st, ring := memstore.New(), keyring.New(nil)
	const id, replica = "mrk-0123456789abcdef0123456789abcdef", "eu-west-1"
	var mat string
	var blob []byte
	err := st.Update(ctx, func(tx store.Tx) (err error) {
		if mat, err = ring.Create(tx, region, id); err != nil {
			return err
		}
		if blob, err = ring.Encrypt(tx, region, id, mat, []byte("pt"), nil); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h, err := keyring.ParseBlob(blob)
	if err != nil || h.KeyID != id || h.MaterialID != mat {
		t.Fatalf("ParseBlob = %+v, %v", h, err)
	}
	open := func(r string) error {
		return st.View(ctx, func(tx store.Tx) error {
			_, err := ring.Decrypt(tx, r, blob, nil)
			return err
		})
	}
	if err := open(replica); !errors.Is(err, keyring.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt before replication: %v", err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { return ring.Replicate(tx, region, replica, id, mat) }); err != nil {
		t.Fatal(err)
	}
	if err := open(replica); err != nil {
		t.Fatalf("Decrypt in replica: %v", err)
	}
	// The version byte is authenticated: a blob cannot be passed off as
	// another key's.
	blob[0] = 1
	if err := open(region); !errors.Is(err, keyring.ErrInvalidCiphertext) {
		t.Fatalf("Decrypt with altered version: %v", err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error { _, err := ring.Create(tx, region, "mrk-xyz"); return err }); err == nil {
		t.Fatal("Create accepted a malformed mrk id")
	}
}
