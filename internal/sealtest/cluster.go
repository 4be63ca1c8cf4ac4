package sealtest

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// Cluster is several test servers sharing one PostgreSQL database, as
// several `sealbox server` processes behind a load balancer would: one
// root key file (every server must unwrap the one barrier key), a data
// folder each (its audit files, its credentials file), a clock each.
type Cluster struct {
	PG *pgtest.Cluster
	// Store is the database's URL, as --store takes it.
	Store string
	// RootKeyFile is the root key file every server reads.
	RootKeyFile string
	Servers     []*Server
}

// StartCluster starts a throwaway PostgreSQL with a database for the test
// and n servers on it, all at once (their first starts race, as a fleet's
// would), and stops them when the test ends. opts apply to every server.
func StartCluster(t testing.TB, n int, opts ...Option) *Cluster {
	t.Helper()
	return StartClusterOn(t, pgtest.Start(t, pgtest.Options{MaxConnections: 30 * n}), n, opts...)
}

// StartClusterOn is StartCluster on a PostgreSQL the test started (a
// durable one, say: a test cluster acknowledges commits before they are
// on disk, which a crash of PostgreSQL loses). It needs about 30
// connections a server.
func StartClusterOn(t testing.TB, pg *pgtest.Cluster, n int, opts ...Option) *Cluster {
	t.Helper()
	c := &Cluster{PG: pg, Store: pg.CreateDatabase("sealbox", "sealtest-cluster-pass"),
		RootKeyFile: filepath.Join(t.TempDir(), "root.key")}
	c.Servers = make([]*Server, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range c.Servers {
		s := c.newServer(t, opts)
		c.Servers[i] = s
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.open()
		}()
	}
	wg.Wait()
	for i, s := range c.Servers {
		t.Cleanup(func() { s.Stop() })
		if errs[i] != nil {
			t.Fatalf("server %d: %v\n%s", i, errs[i], s.Logs.String())
		}
	}
	return c
}

// Add starts one more server on the cluster's database, with a data
// folder of its own: a freshly started server, whose caches hold nothing.
func (c *Cluster) Add(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := c.newServer(t, opts)
	if err := s.open(); err != nil {
		t.Fatalf("server %d: %v", len(c.Servers), err)
	}
	t.Cleanup(func() { s.Stop() })
	c.Servers = append(c.Servers, s)
	return s
}

func (c *Cluster) newServer(t testing.TB, opts []Option) *Server {
	cfg := defaultConfig(t)
	cfg.Store = config.StoreURL(c.Store)
	cfg.RootKeyFile = c.RootKeyFile
	for _, o := range opts {
		o(&cfg)
	}
	return &Server{Dir: cfg.DataDir, Clock: clock.NewFake(time.Now().UTC()), Config: cfg, t: t, Logs: &Buffer{}}
}

// Leader answers the server that leads the cluster's background work,
// waiting up to 10 s for an election.
func (c *Cluster) Leader(t testing.TB) *Server {
	t.Helper()
	var lead *Server
	if !Eventually(t, 10*time.Second, func() bool {
		for _, s := range c.Servers {
			if s.cancel != nil && s.Srv.Leading() {
				lead = s
				return true
			}
		}
		return false
	}) {
		t.Fatalf("no server of %d leads after 10 s", len(c.Servers))
	}
	return lead
}

// String names the servers by their URLs, for test logs.
func (c *Cluster) String() string {
	s := ""
	for i, srv := range c.Servers {
		s += fmt.Sprintf("server %d: %s\n", i, srv.URL)
	}
	return s
}
