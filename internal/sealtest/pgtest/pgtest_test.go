package pgtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestClustersApart: clusters copied from one template share nothing: a
// table made in one is in neither the other nor a cluster started after,
// and a wrong password is still refused.
func TestClustersApart(t *testing.T) {
	a, b := Start(t, Options{}), Start(t, Options{})
	a.Exec("CREATE TABLE only_in_a (x int)")
	c := Start(t, Options{})
	for name, other := range map[string]*Cluster{"b": b, "c": c} {
		if got := tables(t, other, "only_in_a"); got != 0 {
			t.Errorf("cluster %s has %d tables only_in_a, want 0", name, got)
		}
	}
	if got := tables(t, a, "only_in_a"); got != 1 {
		t.Errorf("cluster a has %d tables only_in_a, want 1", got)
	}
	if err := b.Login("postgres", "wrong"); !IsAuthFailure(err) {
		t.Errorf("Login(postgres, wrong) = %v, want a password failure", err)
	}
}

func tables(t *testing.T, c *Cluster, name string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.SuperURL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// A work folder left by a run killed during initdb is removed once it is
// old; one a run is using now is left alone.
func TestRemoveAbandoned(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, "0123456789abcdef.making-1")
	fresh := filepath.Join(root, "0123456789abcdef.making-2")
	template := filepath.Join(root, "0123456789abcdef")
	for _, d := range []string{old, fresh, template} {
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-time.Hour)
	for _, d := range []string{old, template} {
		if err := os.Chtimes(d, long, long); err != nil {
			t.Fatal(err)
		}
	}
	removeAbandoned(root, time.Now().Add(-abandonedAfter))
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Errorf("abandoned %s still there (%v)", old, err)
	}
	for _, d := range []string{fresh, template} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s removed: %v", d, err)
		}
	}
}
