package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

var ctx = context.Background()

// One PostgreSQL cluster serves every test of the binary, started by the
// first test that needs it; each store gets a database of its own.
var (
	clusterOnce sync.Once
	cluster     *pgtest.Cluster
	clusterTB   = &mainTB{}
	databases   atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	clusterTB.cleanup()
	os.Exit(code)
}

// shared answers the binary's cluster, starting it on first use.
func shared(t testing.TB) *pgtest.Cluster {
	t.Helper()
	clusterOnce.Do(func() {
		defer func() {
			if p := recover(); p != nil {
				clusterTB.failed = fmt.Sprint(p)
			}
		}()
		cluster = pgtest.Start(clusterTB, pgtest.Options{MaxConnections: 100})
	})
	if cluster == nil {
		t.Fatalf("the test cluster did not start: %s", clusterTB.failed)
	}
	return cluster
}

// newDatabase makes an empty database on the shared cluster and answers
// its URL.
func newDatabase(t *testing.T) (name, url string) {
	t.Helper()
	c := shared(t)
	name = fmt.Sprintf("db%d", databases.Add(1))
	return name, c.CreateDatabase(name, "pw-"+name)
}

// open opens a store on url, closed when the test ends.
func open(t *testing.T, url string, opts pgstore.Options) *pgstore.Store {
	t.Helper()
	s, err := pgstore.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("pgstore.Open = %v, want nil", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openFresh opens a store on a new, empty database.
func openFresh(t *testing.T) *pgstore.Store {
	t.Helper()
	_, url := newDatabase(t)
	return open(t, url, pgstore.Options{})
}

// mainTB is the testing.TB the shared cluster is started with: it outlives
// any one test, so its cleanups run after m.Run, and a failure while
// starting panics (into shared, which fails the asking test).
type mainTB struct {
	testing.TB // nil: only the methods below are called
	mu         sync.Mutex
	cleanups   []func()
	failed     string
}

func (m *mainTB) Helper()                   {}
func (m *mainTB) Logf(string, ...any)       {}
func (m *mainTB) Fatal(args ...any)         { panic(fmt.Sprint(args...)) }
func (m *mainTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (m *mainTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (m *mainTB) Cleanup(f func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cleanups = append(m.cleanups, f)
}

// TempDir answers a new folder inside a folder of its own (pgtest changes
// the mode of a cluster folder's parent).
func (m *mainTB) TempDir() string {
	parent, err := os.MkdirTemp("", "pgstore-test-")
	if err != nil {
		panic(err)
	}
	m.Cleanup(func() { os.RemoveAll(parent) })
	dir := filepath.Join(parent, "cluster")
	if err := os.Mkdir(dir, 0o700); err != nil {
		panic(err)
	}
	return dir
}

func (m *mainTB) cleanup() {
	for i := len(m.cleanups) - 1; i >= 0; i-- {
		m.cleanups[i]()
	}
}

// execAs runs stmt on the database at url, as its owner.
func execAs(t *testing.T, url, stmt string) {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// querySingle answers the one text value query answers on url's database.
func querySingle(t *testing.T, url, query string) string {
	t.Helper()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var out string
	if err := conn.QueryRow(ctx, query).Scan(&out); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

// openFreshB is openFresh for a benchmark.
func openFreshB(b *testing.B) *pgstore.Store {
	b.Helper()
	c := shared(b)
	name := fmt.Sprintf("db%d", databases.Add(1))
	s, err := pgstore.Open(ctx, c.CreateDatabase(name, "pw-"+name), pgstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}
