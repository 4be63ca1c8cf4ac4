package pgtest

import (
	"context"
	"testing"

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
