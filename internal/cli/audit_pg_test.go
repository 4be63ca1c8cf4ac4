package cli

import (
	"context"
	binenc "encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// TestAuditVerifyPostgres: two servers on one PostgreSQL write audited
// calls; `sealbox audit verify --store <url>` over either's data folder
// finds the shared store trail intact and that server's files matching
// the events it wrote (the other's are not "missing" from them), without
// printing the database's password. One of server A's event blocks
// deleted from the database's table is caught: in the store trail, and as
// A's file lines the store lacks; B's files still match.
func TestAuditVerifyPostgres(t *testing.T) {
	c := sealtest.StartCluster(t, 2)
	ctx := context.Background()
	a, b := c.Servers[0], c.Servers[1]
	for i := range 6 {
		s := c.Servers[i%2]
		sealtest.Must[*kms.GenerateRandomOutput](t, "GenerateRandom")(s.KMS().GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}))
	}
	a.Stop() // each signs its file trail's last events, and the store's waiting ones
	b.Stop()
	const password = "sealtest-cluster-pass" // the database's, in c.Store
	verify := func(s *sealtest.Server, storeArgs ...string) (int, string) {
		t.Helper()
		args := append([]string{"audit", "verify", "--data", s.Dir, "--root-key-file", c.RootKeyFile}, storeArgs...)
		code, out, errOut := runMain(t, nil, args...)
		if strings.Contains(out+errOut, password) {
			t.Errorf("sealbox audit verify printed the database's password")
		}
		return code, out + errOut
	}
	for name, args := range map[string][]string{
		"A, --store URL":                {"--store", c.Store},
		"B, --store=URL":                {"--store=" + c.Store},
		"A, --store and $SEALBOX_STORE": nil,
	} {
		s := b
		if strings.HasPrefix(name, "A") {
			s = a
		}
		var code int
		var out string
		if args == nil {
			var errOut string
			code, out, errOut = runMain(t, map[string]string{"SEALBOX_STORE": c.Store}, "audit", "verify", "--data", s.Dir, "--root-key-file", c.RootKeyFile, "--store")
			out += errOut
		} else {
			code, out = verify(s, args...)
		}
		if code != 0 || strings.Count(out, ": OK") != 3 || !strings.Contains(out, "files against the store: 1 files, 3 events in both") {
			t.Errorf("%s: sealbox audit verify of an untouched cluster trail = exit %d:\n%s\nwant the store, the files and the files against the store OK, with the server's 3 events", name, code, out)
		}
	}

	// The audit key, printed from the database, is the one the servers
	// wrote beside their trails.
	code, pub, errOut := runMain(t, nil, "audit", "public-key", "--data", a.Dir, "--root-key-file", c.RootKeyFile, "--store", c.Store)
	if want, _ := os.ReadFile(filepath.Join(a.Dir, "audit", "public-key.pem")); code != 0 || !strings.Contains(string(want), strings.TrimSpace(pub[strings.Index(pub, "\n\n")+2:])) {
		t.Errorf("sealbox audit public-key --store = exit %d %s\n%s\nwant the key in %s", code, errOut, pub, want)
	}

	// Find a block of A's events, through the barrier, and delete it from
	// the table underneath.
	nodeA, err := os.ReadFile(filepath.Join(a.Dir, server.NodeIDFileName))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := pgstore.Open(ctx, c.Store, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := barrier.Open(ctx, raw, rootkey.NewFile(c.RootKeyFile))
	if err != nil {
		raw.Close()
		t.Fatal(err)
	}
	var first uint64
	err = st.View(ctx, func(tx store.Tx) error {
		return tx.Scan("audit/w/", "", func(key string, value []byte) error {
			if string(value) == strings.TrimSpace(string(nodeA)) {
				b, err := hex.DecodeString(strings.TrimPrefix(key, "audit/w/"))
				if err != nil || len(b) != 8 {
					t.Fatalf("writer key %q", key)
				}
				first = binenc.BigEndian.Uint64(b)
				return store.ErrStop
			}
			return nil
		})
	})
	st.Close()
	if err != nil || first == 0 {
		t.Fatalf("no block of server A's events recorded as written by it (%v)", err)
	}
	var inv [8]byte
	binenc.BigEndian.PutUint64(inv[:], ^first)
	conn, err := pgx.Connect(ctx, c.Store)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := conn.Exec(ctx, `DELETE FROM sealbox_kv WHERE convert_from(key, 'SQL_ASCII') LIKE $1`, "v/audit/e/%"+hex.EncodeToString(inv[:]))
	conn.Close(ctx)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("delete the block of store seq %d: %v, %d rows", first, err, tag.RowsAffected())
	}

	code, out := verify(a, "--store", c.Store)
	t.Logf("sealbox audit verify of A after the deletion:\n%s", out)
	if code != 1 || !strings.Contains(out, "not in the store") || !strings.Contains(out, "store seq") {
		t.Errorf("sealbox audit verify of A after one of its store events was deleted = exit %d:\n%s\nwant exit 1, the store seq and A's file line named", code, out)
	}
	code, out = verify(b, "--store", c.Store)
	if code != 1 || strings.Contains(out, "not in the store") || !strings.Contains(out, "files against the store: 1 files, 3 events in both") {
		t.Errorf("sealbox audit verify of B after one of A's store events was deleted = exit %d:\n%s\nwant exit 1 for the store trail, B's files all in the store", code, out)
	}
}
