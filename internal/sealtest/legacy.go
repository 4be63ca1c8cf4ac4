package sealtest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// LegacyRootAdmin makes dir a data folder as versions before the admin user
// left it: the administrator's access key (id, secret) is the account
// root's, named by iam/admin-access-key, and admin-credentials holds it.
// The records are written raw, in that version's layout, so that the test
// sees what an upgrade sees; the server is not running.
func LegacyRootAdmin(t testing.TB, dir, id, secret string) {
	t.Helper()
	ctx := context.Background()
	raw, err := boltstore.Open(filepath.Join(dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatalf("boltstore.Open: %v", err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(filepath.Join(dir, "root.key")))
	if err != nil {
		raw.Close()
		t.Fatalf("barrier.Open: %v", err)
	}
	defer b.Close()
	rec, _ := json.Marshal(map[string]any{"id": id, "secret": secret, "status": "Active", "owner": "root",
		"created": time.Now().UTC().Truncate(time.Second)})
	err = b.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put("iam/accesskey/"+id, rec); err != nil {
			return err
		}
		if err := tx.Put("iam/keys-of/root/"+id, nil); err != nil {
			return err
		}
		return tx.Put("iam/admin-access-key", []byte(id))
	})
	if err != nil {
		t.Fatalf("writing the legacy administrator: %v", err)
	}
	cred := "[sealbox]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	if err := writeFile(filepath.Join(dir, "admin-credentials"), cred); err != nil {
		t.Fatal(err)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }
