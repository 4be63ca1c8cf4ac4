package kms

import (
	"context"
	"errors"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

func regionCtx(region string) context.Context {
	return sealbox.NewContext(context.Background(), &sealbox.Request{ID: "req", Region: region, Partition: "aws", AccountID: "111122223333"})
}

// A replica of a primary whose material was imported (Origin EXTERNAL) is
// made without material, in PendingImport, and refuses cryptography.
func TestReplicaOfImportedKeyPendsImport(t *testing.T) {
	st := memstore.New()
	s := New(Config{Store: st, Keyring: keyring.New(nil)})
	east, west := regionCtx("us-east-1"), regionCtx("eu-west-1")
	out, err := s.CreateKey(east, &CreateKeyRequest{MultiRegion: true})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	// As if its material had been imported: Origin EXTERNAL, Enabled.
	err = st.Update(context.Background(), func(tx store.Tx) error {
		k, err := loadKey(tx, "us-east-1", id)
		if err != nil {
			return err
		}
		k.Import = &importState{ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE"}
		return saveKey(tx, k)
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.ReplicateKey(east, &ReplicateKeyRequest{KeyId: id, ReplicaRegion: "eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	md := rep.ReplicaKeyMetadata
	if md.KeyState != statePendingImport || md.Origin != originExternal || md.CurrentKeyMaterialId != "" || md.Enabled {
		t.Fatalf("replica metadata %+v", md)
	}
	_, err = s.Encrypt(west, &EncryptRequest{KeyId: id, Plaintext: []byte("x")})
	var e *sealbox.Error
	if !errors.As(err, &e) || e.Code != "KMSInvalidStateException" {
		t.Fatalf("Encrypt under a PendingImport replica: %v", err)
	}
	// The material was not copied.
	err = st.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("keyring/eu-west-1/", "", func(k string, _ []byte) error { return errors.New("material copied: " + k) })
	})
	if err != nil {
		t.Fatal(err)
	}
}
