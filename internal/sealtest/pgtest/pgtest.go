// Package pgtest starts throwaway PostgreSQL clusters for tests: Debian's
// (or PATH's) initdb and pg_ctl, a cluster in the test's temporary folder,
// listening on 127.0.0.1 only, on a free port, with password (SCRAM)
// authentication over TCP so that a wrong password is refused. Tests that
// need PostgreSQL use a real one; .ci/run installs the package.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Cluster is one running test cluster. Its superuser is postgres.
type Cluster struct {
	t             testing.TB
	bin           string // the folder of initdb, pg_ctl, pg_dump
	Dir, Data     string
	Port          int
	SuperPassword string
	cred          *syscall.Credential // the unprivileged user the server runs as, when the test runs as root
}

// Options tune a cluster.
type Options struct {
	// MaxConnections is postgresql.conf's max_connections; 0 means 20.
	MaxConnections int
	// Durable keeps fsync and synchronous_commit on (off by default: test
	// clusters are thrown away, and these machines are slow at fsync).
	Durable bool
}

// BinDir finds the folder of initdb and pg_ctl: on PATH, else the newest
// /usr/lib/postgresql/<version>/bin (Debian's layout). It fails the test
// with how to install PostgreSQL when there is none.
func BinDir(t testing.TB) string {
	t.Helper()
	if i, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			// A link on PATH (/usr/local/bin/initdb) leads to the folder
			// that also holds pg_dump and psql.
			if real, err := filepath.EvalSymlinks(i); err == nil {
				i = real
			}
			return filepath.Dir(i)
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(a, b int) bool {
		va, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[a])))
		vb, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[b])))
		return va < vb
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_, errInit := os.Stat(filepath.Join(dirs[i], "initdb"))
		_, errCtl := os.Stat(filepath.Join(dirs[i], "pg_ctl"))
		if errInit == nil && errCtl == nil {
			return dirs[i]
		}
	}
	t.Fatalf("this test needs PostgreSQL's initdb and pg_ctl, on PATH or in /usr/lib/postgresql/<version>/bin: install PostgreSQL (Debian: apt-get install postgresql; .ci/run does)")
	return ""
}

// FreePort answers a TCP port on 127.0.0.1 that nothing listens on now.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start makes and starts a cluster, stopped when the test ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{t: t, bin: BinDir(t), Dir: t.TempDir(), Port: FreePort(t), SuperPassword: "super-secret-pass-1"}
	c.Data = filepath.Join(c.Dir, "data")
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root: run it as postgres (or nobody).
		var u *user.User
		var err error
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if err != nil {
			t.Fatalf("running as root, and no postgres or nobody user to run PostgreSQL as: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chmod(filepath.Dir(c.Dir), 0o711); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(c.Dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	// A copy of one initdb's folder, not initdb for each cluster: initdb
	// costs 1.5-3 s here (its bootstrap runs every catalog's SQL), a copy
	// of the same 39 MB well under half that. Each cluster still has files
	// of its own: nothing a test does reaches the template or another copy.
	if err := copyTree(template(t, c.bin, c.cred, c.SuperPassword), c.Data, c.cred); err != nil {
		t.Fatalf("copying the template cluster: %v", err)
	}
	maxConns := opts.MaxConnections
	if maxConns == 0 {
		maxConns = 20
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nport = %d\nunix_socket_directories = '%s'\nmax_connections = %d\n", c.Port, c.Dir, maxConns)
	if !opts.Durable {
		conf += "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
	}
	f, err := os.OpenFile(filepath.Join(c.Data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(conf)
	f.Close()
	c.Start()
	t.Cleanup(func() {
		c.Command("pg_ctl", "-D", c.Data, "-m", "immediate", "-w", "stop").Run() // already stopped is fine
	})
	return c
}

// Command prepares one of PostgreSQL's programs (pg_ctl, pg_dump, psql...)
// to run as the cluster's owner, in its folder.
func (c *Cluster) Command(program string, args ...string) *exec.Cmd {
	cmd := exec.Command(filepath.Join(c.bin, program), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C", "PGPASSWORD="+c.SuperPassword)
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	return cmd
}

func (c *Cluster) run(program string, args ...string) {
	c.t.Helper()
	if out, err := c.Command(program, args...).CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(c.Dir, "log"))
		c.t.Fatalf("%s %s: %v\n%s\n%s", program, strings.Join(args, " "), err, out, log)
	}
}

// Start starts a stopped cluster and waits until it accepts connections.
func (c *Cluster) Start() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.Data, "-l", filepath.Join(c.Dir, "log"), "-w", "-t", "30", "start")
}

// Stop stops the cluster cleanly (fast mode: sessions are disconnected).
func (c *Cluster) Stop() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.Data, "-m", "fast", "-w", "-t", "30", "stop")
}

// Kill stops the cluster as a crash would (immediate mode: no checkpoint,
// recovery at the next start).
func (c *Cluster) Kill() {
	c.t.Helper()
	c.run("pg_ctl", "-D", c.Data, "-m", "immediate", "-w", "-t", "30", "stop")
}

// URL is a postgres:// connection URL for user and password on database
// db over TCP, without TLS.
func (c *Cluster) URL(user, password, db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable&connect_timeout=5",
		pgURLEscape(user), pgURLEscape(password), c.Port, db)
}

// SuperURL is URL for the superuser on the postgres database.
func (c *Cluster) SuperURL() string { return c.URL("postgres", c.SuperPassword, "postgres") }

func pgURLEscape(s string) string {
	return strings.NewReplacer("%", "%25", "@", "%40", ":", "%3A", "/", "%2F", "?", "%3F", "#", "%23").Replace(s)
}

// Login connects over TCP as user with password and runs SELECT 1.
func (c *Cluster) Login(user, password string) error {
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=127.0.0.1 port=%d dbname=postgres sslmode=disable connect_timeout=5", c.Port))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = user, password
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	var one int
	return conn.QueryRow(ctx, "SELECT 1").Scan(&one)
}

// Exec runs statements as the superuser, failing the test on an error.
func (c *Cluster) Exec(stmts ...string) {
	c.t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.SuperURL())
	if err != nil {
		c.t.Fatalf("superuser login: %v", err)
	}
	defer conn.Close(ctx)
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			c.t.Fatalf("%s: %v", s, err)
		}
	}
}

// CreateDatabase makes a database owned by a new role with a password, and
// answers its URL: one per test keeps tests on one cluster apart.
func (c *Cluster) CreateDatabase(name, password string) string {
	c.t.Helper()
	c.Exec(
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", pgx.Identifier{name}.Sanitize(), strings.ReplaceAll(password, "'", "''")),
		fmt.Sprintf("CREATE DATABASE %s OWNER %s", pgx.Identifier{name}.Sanitize(), pgx.Identifier{name}.Sanitize()),
	)
	return c.URL(name, password, name)
}

// Dump answers pg_dump's plain-text dump of database db.
func (c *Cluster) Dump(db string) []byte {
	c.t.Helper()
	cmd := c.Command("pg_dump", "-h", "127.0.0.1", "-p", strconv.Itoa(c.Port), "-U", "postgres", "-d", db)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			c.t.Fatalf("pg_dump %s: %v\n%s", db, err, ee.Stderr)
		}
		c.t.Fatalf("pg_dump %s: %v", db, err)
	}
	return out
}

// IsAuthFailure reports whether err is PostgreSQL refusing a password.
func IsAuthFailure(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "28P01"
}
