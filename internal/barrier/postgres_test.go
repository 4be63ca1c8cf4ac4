package barrier

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

// The barrier over PostgreSQL: the conformance suite, and what a dump of
// the database holds.
func TestPostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{MaxConnections: 60})
	var n atomic.Int64
	newDB := func(t *testing.T) (name, url string) {
		name = fmt.Sprintf("barrier%d", n.Add(1))
		return name, pg.CreateDatabase(name, "pw-"+name)
	}
	openPG := func(t *testing.T, url string) *pgstore.Store {
		s, err := pgstore.Open(ctx, url, pgstore.Options{})
		if err != nil {
			t.Fatalf("pgstore.Open = %v", err)
		}
		return s
	}

	t.Run("Conformance", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			_, url := newDB(t)
			return mustOpen(t, openPG(t, url), rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
		})
	})

	t.Run("Persistence", func(t *testing.T) {
		keyFile := filepath.Join(t.TempDir(), "root.key")
		urls := map[string]string{}
		storetest.RunPersistent(t, func(t *testing.T, dir string) store.Store {
			if urls[dir] == "" {
				_, urls[dir] = newDB(t)
			}
			return mustOpen(t, openPG(t, urls[dir]), rootkey.NewFile(keyFile))
		})
	})

	// What pg_dump of the database shows: storage keys and ciphertext,
	// never a plaintext value, the barrier key or the root key.
	t.Run("NothingInTheClearInADump", func(t *testing.T) {
		name, url := newDB(t)
		keyFile := filepath.Join(t.TempDir(), "root.key")
		p := rootkey.NewFile(keyFile)
		raw := openPG(t, url)
		b := mustOpen(t, raw, p)

		canary := "canary-" + hex.EncodeToString(primitive.Random(16))
		big := bytes.Repeat([]byte(canary), 4096) // TOASTed, compressed out of line
		putValue(t, b, "params/db/password", canary)
		putValue(t, b, "secrets/big", string(big))
		putValue(t, b, "secrets/overwritten", canary)
		putValue(t, b, "secrets/overwritten", "new")
		putValue(t, b, "secrets/deleted", canary)
		if err := b.Update(ctx, func(tx store.Tx) error { return tx.Delete("secrets/deleted") }); err != nil {
			t.Fatal(err)
		}
		sealed := rawGet(t, raw, valuePrefix+"params/db/password")
		rec, err := readKeyring(ctx, raw)
		if err != nil {
			t.Fatal(err)
		}
		barrierKey, err := p.Unwrap(ctx, rec.Wrapped)
		if err != nil {
			t.Fatal(err)
		}
		b.Close()

		dump := pg.Dump(name)
		// bytea is dumped as hex: look for each needle as it is and in hex.
		if !bytes.Contains(dump, []byte(hex.EncodeToString(sealed))) {
			t.Fatalf("the sealed value is not in the dump: the search below would prove nothing")
		}
		for what, needle := range map[string][]byte{
			"plaintext value":       []byte(canary),
			"barrier key":           barrierKey,
			"barrier key in base64": []byte(base64.StdEncoding.EncodeToString(barrierKey)),
			"16 bytes of big value": big[100:116],
		} {
			if bytes.Contains(dump, needle) || bytes.Contains(dump, []byte(hex.EncodeToString(needle))) {
				t.Errorf("pg_dump of the database contains the %s", what)
			}
		}
	})
}
