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

// A replica of an EXTERNAL key stored before replicas held their primary's
// versions (no versions, or only those it imported) gets the primary's
// versions as the primary is next saved, and its state follows at once: a
// version it has not imported makes it PendingImport.
func TestOldExternalReplicaGetsVersions(t *testing.T) {
	st := memstore.New()
	s := New(Config{Store: st, Keyring: keyring.New(nil)})
	east := regionCtx("us-east-1")
	out, err := s.CreateKey(east, &CreateKeyRequest{MultiRegion: true, Origin: originExternal})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	imported := func() *importVersion { return &importVersion{ExpirationModel: doesNotExpire} }
	update := func(fn func(tx store.Tx) error) {
		t.Helper()
		if err := st.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	load := func(region string) (k *keyRecord) {
		t.Helper()
		update(func(tx store.Tx) (err error) { k, err = loadKey(tx, region, id); return err })
		return k
	}
	// As if m1 had been imported into the primary.
	update(func(tx store.Tx) error {
		k, err := loadKey(tx, "us-east-1", id)
		if err != nil {
			return err
		}
		k.Materials = []materialRef{{ID: "m1"}}
		k.setVersion("m1", imported())
		k.syncImport()
		return saveKey(tx, k)
	})
	if _, err := s.ReplicateKey(east, &ReplicateKeyRequest{KeyId: id, ReplicaRegion: "eu-west-1"}); err != nil {
		t.Fatal(err)
	}
	for name, old := range map[string]func(k *keyRecord){
		// as ReplicateKey made it: no material, no versions
		"never imported": func(k *keyRecord) {
			k.Materials, k.Import, k.State = []materialRef{}, &importState{Missing: true, Versions: map[string]*importVersion{}}, statePendingImport
		},
		// as its first import made it: the version it imported alone
		"imported m1": func(k *keyRecord) {
			k.Materials, k.State = []materialRef{{ID: "m1"}}, stateEnabled
			k.Import = &importState{ExpirationModel: doesNotExpire, Versions: map[string]*importVersion{"m1": imported()}}
		},
	} {
		update(func(tx store.Tx) error {
			k, err := loadKey(tx, "eu-west-1", id)
			if err != nil {
				return err
			}
			old(k)
			if err := store.PutJSON(tx, keyStoreKey(k.Region, k.ID), k); err != nil {
				return err
			}
			p, err := loadKey(tx, "us-east-1", id)
			if err != nil {
				return err
			}
			p.Materials = []materialRef{{ID: "m1"}, {ID: "m2", RotationType: rotationOnDemand}}
			p.setVersion("m2", imported())
			p.syncImport()
			return saveKey(tx, p)
		})
		rep := load("eu-west-1")
		states := map[string]string{}
		for _, e := range importRotations(rep, nil, []RotationsListEntry{{KeyMaterialId: "m1"}, {KeyMaterialId: "m2"}}) {
			states[e.KeyMaterialId] = e.ImportState
		}
		wantM1 := "PENDING_IMPORT"
		if name == "imported m1" {
			wantM1 = "IMPORTED"
		}
		if len(rep.Materials) != 2 || rep.State != statePendingImport || states["m1"] != wantM1 || states["m2"] != "PENDING_IMPORT" {
			t.Fatalf("%s: replica after the primary's save: materials %v, state %s, import states %v", name, rep.Materials, rep.State, states)
		}
	}
}
