package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openFresh(t) })
}

func TestPersistence(t *testing.T) {
	var mu sync.Mutex
	urls := map[string]string{} // RunPersistent's dir -> its database
	storetest.RunPersistent(t, func(t *testing.T, dir string) store.Store {
		mu.Lock()
		url, ok := urls[dir]
		if !ok {
			_, url = newDatabase(t)
			urls[dir] = url
		}
		mu.Unlock()
		return open(t, url, pgstore.Options{})
	})
}

// increment adds one to the decimal counter at key.
func increment(key string) func(store.Tx) error {
	return func(tx store.Tx) error {
		n := 0
		v, err := tx.Get(key)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		default:
			if n, err = strconv.Atoi(string(v)); err != nil {
				return err
			}
		}
		return tx.Put(key, []byte(strconv.Itoa(n+1)))
	}
}

func get(t *testing.T, s store.Store, key string) string {
	t.Helper()
	var out string
	err := s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get(key)
		out = string(v)
		return err
	})
	if err != nil {
		t.Fatalf("Get(%q) = %v, want nil", key, err)
	}
	return out
}

// Two servers (two pools on one database) increment one counter at once:
// their transactions conflict, the store runs the loser again, and no
// increment is lost.
func TestConflictsBetweenServers(t *testing.T) {
	_, url := newDatabase(t)
	servers := []*pgstore.Store{open(t, url, pgstore.Options{}), open(t, url, pgstore.Options{})}
	const each = 200
	for _, how := range []struct {
		name  string
		write func(s *pgstore.Store) error
	}{
		{"Update", func(s *pgstore.Store) error { return s.Update(ctx, increment("counter/Update")) }},
		{"Batch", func(s *pgstore.Store) error { return s.Batch(ctx, increment("counter/Batch")) }},
	} {
		t.Run(how.name, func(t *testing.T) {
			var wg sync.WaitGroup
			for _, s := range servers {
				for range 2 { // two writers per server
					wg.Go(func() {
						for range each / 2 {
							if err := how.write(s); err != nil {
								t.Errorf("%s(increment) = %v, want nil", how.name, err)
								return
							}
						}
					})
				}
			}
			wg.Wait()
			if got, want := get(t, servers[0], "counter/"+how.name), strconv.Itoa(len(servers)*each); got != want {
				t.Errorf("counter after 2 servers × %d %s increments = %s, want %s", each, how.name, got, want)
			}
		})
	}
}

// Write skew, the reason Update is SERIALIZABLE: each writer takes the
// name only if nobody has one. The writers all look before any writes, so
// under REPEATABLE READ every one would see none and all would commit.
func TestNoWriteSkew(t *testing.T) {
	_, url := newDatabase(t)
	servers := []*pgstore.Store{open(t, url, pgstore.Options{}), open(t, url, pgstore.Options{})}
	errTaken := errors.New("taken")
	const writers = 4 // within the two pools' connections: each writer holds one while it waits
	var looked sync.WaitGroup
	looked.Add(writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			first := true
			err := servers[i%2].Update(ctx, func(tx store.Tx) error {
				taken := false
				if err := tx.Scan("owner/", "", func(string, []byte) error { taken = true; return store.ErrStop }); err != nil {
					return err
				}
				if first { // the first run of every writer looks before any writes
					first = false
					looked.Done()
					looked.Wait()
				}
				if taken {
					return errTaken
				}
				return tx.Put("owner/"+strconv.Itoa(i), nil)
			})
			if err != nil && !errors.Is(err, errTaken) {
				t.Errorf("Update(take the name) = %v, want nil or taken", err)
			}
		})
	}
	wg.Wait()
	var owners []string
	servers[0].View(ctx, func(tx store.Tx) error {
		return tx.Scan("owner/", "", func(k string, _ []byte) error { owners = append(owners, k); return nil })
	})
	if len(owners) != 1 {
		t.Errorf("owners after %d concurrent take-if-free = %q, want exactly one", writers, owners)
	}
}

// A key may hold any byte, and a prefix ending in 0xff bytes scans to the
// right end.
func TestBinaryKeys(t *testing.T) {
	s := openFresh(t)
	keys := []string{"a\x00b", "a\xff", "a\xff\xff", "a\xff\xff\x00", "b", "\xff", "\xff\xff"}
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, k := range keys {
			if err := tx.Put(k, []byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		prefix string
		want   string
	}{
		{"a", `["a\x00b" "a\xff" "a\xff\xff" "a\xff\xff\x00"]`},
		{"a\xff", `["a\xff" "a\xff\xff" "a\xff\xff\x00"]`},
		{"a\xff\xff", `["a\xff\xff" "a\xff\xff\x00"]`},
		{"\xff", `["\xff" "\xff\xff"]`},
		{"\xff\xff", `["\xff\xff"]`},
	} {
		var got []string
		s.View(ctx, func(tx store.Tx) error {
			return tx.Scan(tt.prefix, "", func(k string, v []byte) error {
				if string(v) != k {
					t.Errorf("value of %q = %q, want the key", k, v)
				}
				got = append(got, k)
				return nil
			})
		})
		if g := fmt.Sprintf("%q", got); g != tt.want {
			t.Errorf("Scan(%q) = %s, want %s", tt.prefix, g, tt.want)
		}
	}
}

// A Scan longer than a page visits every key once, in order.
func TestScanPages(t *testing.T) {
	s := openFresh(t)
	const n = 1000
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put(fmt.Sprintf("k/%04d", i), []byte("v")); err != nil {
				return err
			}
		}
		return tx.Put("l", nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	i := 0
	err = s.View(ctx, func(tx store.Tx) error {
		return tx.Scan("k/", "k/0099", func(k string, _ []byte) error {
			if want := fmt.Sprintf("k/%04d", i+100); k != want {
				return fmt.Errorf("key %d = %q, want %q", i, k, want)
			}
			i++
			return nil
		})
	})
	if err != nil || i != n-100 {
		t.Errorf("Scan over %d keys after the 100th = %d keys, %v; want %d, nil", n, i, err, n-100)
	}
}

// Several servers starting at once on an empty database: exactly one
// migrates, the others wait and go on.
func TestMigrationOnce(t *testing.T) {
	_, url := newDatabase(t)
	const servers = 6
	stores := make([]*pgstore.Store, servers)
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() { stores[i], errs[i] = pgstore.Open(ctx, url, pgstore.Options{}) })
	}
	wg.Wait()
	migrated := 0
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d of %d at once = %v, want nil", i, servers, errs[i])
		}
		defer s.Close()
		if pgstore.Migrated(s) {
			migrated++
		}
	}
	if migrated != 1 {
		t.Errorf("%d of %d servers starting at once migrated, want 1", migrated, servers)
	}
	// Each can write.
	for i, s := range stores {
		if err := s.Update(ctx, increment("n")); err != nil {
			t.Errorf("Update on server %d = %v", i, err)
		}
	}
	if got := get(t, stores[0], "n"); got != strconv.Itoa(servers) {
		t.Errorf("n = %s, want %d", got, servers)
	}
	versions := querySingle(t, url, "SELECT string_agg(version::text, ',' ORDER BY version) FROM sealbox_schema")
	if want := versionList(pgstore.SchemaVersion()); versions != want {
		t.Errorf("sealbox_schema versions = %s, want %s", versions, want)
	}
	// Opening again migrates nothing.
	if s := open(t, url, pgstore.Options{}); pgstore.Migrated(s) {
		t.Errorf("Open of a migrated database migrated again")
	}
}

func versionList(n int) string {
	var v []string
	for i := 1; i <= n; i++ {
		v = append(v, strconv.Itoa(i))
	}
	return strings.Join(v, ",")
}

// A database a newer sealbox migrated is refused, saying so.
func TestSchemaTooNew(t *testing.T) {
	name, url := newDatabase(t)
	open(t, url, pgstore.Options{}).Close()
	newer := pgstore.SchemaVersion() + 1
	execAs(t, url, fmt.Sprintf("INSERT INTO sealbox_schema (version) VALUES (%d)", newer))
	s, err := pgstore.Open(ctx, url, pgstore.Options{})
	if err == nil {
		s.Close()
		t.Fatalf("Open of a database at schema version %d = nil error, want ErrSchemaTooNew", newer)
	}
	want := fmt.Sprintf("the database's schema is version %d, newer than this server knows (%d): upgrade sealbox", newer, pgstore.SchemaVersion())
	if !errors.Is(err, pgstore.ErrSchemaTooNew) || err.Error() != want {
		t.Errorf("Open of database %s at version %d = %q, want %q (ErrSchemaTooNew)", name, newer, err, want)
	}
}

// Nothing listens at the URL: Open fails soon, with ErrUnavailable.
func TestUnreachable(t *testing.T) {
	url := fmt.Sprintf("postgres://u:secret-pass@127.0.0.1:%d/db?sslmode=disable", pgtest.FreePort(t))
	start := time.Now()
	s, err := pgstore.Open(ctx, url, pgstore.Options{ConnectTimeout: time.Second})
	if err == nil {
		s.Close()
		t.Fatalf("Open of a closed port = nil error, want ErrUnavailable")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open of a closed port = %v, want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "secret-pass") {
		t.Errorf("Open's error %q shows the password", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open of a closed port took %v", d)
	}
}

// The server drops the store's connections (an administrator, a restart):
// the store begins its next transactions on new ones, and no caller sees
// an error.
func TestConnectionsDropped(t *testing.T) {
	name, url := newDatabase(t)
	s := open(t, url, pgstore.Options{})
	var wg sync.WaitGroup
	for range 4 { // several pooled connections
		wg.Go(func() {
			if err := s.Update(ctx, increment("n")); err != nil {
				t.Errorf("Update = %v", err)
			}
		})
	}
	wg.Wait()
	shared(t).Exec(fmt.Sprintf("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()", name))
	for i := range 4 {
		if err := s.Update(ctx, increment("n")); err != nil {
			t.Fatalf("Update %d after the server dropped the connections = %v, want nil", i, err)
		}
	}
	if err := s.View(ctx, func(store.Tx) error { return nil }); err != nil {
		t.Fatalf("View after the server dropped the connections = %v, want nil", err)
	}
	if got := get(t, s, "n"); got != "8" {
		t.Errorf("n = %s, want 8", got)
	}
}

// PostgreSQL stops: calls fail soon with ErrUnavailable, never hang; it
// starts again: the same store carries on.
func TestDatabaseDown(t *testing.T) {
	c := shared(t)
	s := openFresh(t)
	if err := s.Update(ctx, increment("n")); err != nil {
		t.Fatal(err)
	}
	c.Stop()
	restarted := false
	defer func() {
		if !restarted {
			c.Start() // for the tests after this one
		}
	}()
	for name, call := range map[string]func(context.Context) error{
		// A View that reads: one that reads nothing begins no
		// transaction (see lazyTx), so it has nothing to fail.
		"View": func(ctx context.Context) error {
			return s.View(ctx, func(tx store.Tx) error { _, err := tx.Get("n"); return err })
		},
		"Update": func(ctx context.Context) error { return s.Update(ctx, increment("n")) },
		"Batch":  func(ctx context.Context) error { return s.Batch(ctx, increment("n")) },
		"ChangesAfter": func(ctx context.Context) error {
			_, err := s.ChangesAfter(ctx, 0, 1)
			return err
		},
	} {
		start := time.Now()
		callCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err := call(callCtx)
		cancel()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s with PostgreSQL stopped = %v, want ErrUnavailable", name, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s with PostgreSQL stopped took %v, want it to fail within the connect timeout", name, d)
		}
	}
	c.Start()
	restarted = true
	if err := s.Update(ctx, increment("n")); err != nil {
		t.Fatalf("Update after PostgreSQL came back = %v, want nil", err)
	}
	if got := get(t, s, "n"); got != "2" {
		t.Errorf("n = %s, want 2: one increment before the stop, one after, none while it was down", got)
	}
}

// The password may come from Options.Password (--store-password-file) or
// PGPASSWORD when the URL has none; sslmode is honoured (the test cluster
// serves no TLS, so require fails).
func TestPasswordAndSSLMode(t *testing.T) {
	name, _ := newDatabase(t)
	c := shared(t)
	noPassword := fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", name, c.Port, name)
	if _, err := pgstore.Open(ctx, noPassword, pgstore.Options{Password: "wrong"}); err == nil || !pgtest.IsAuthFailure(err) {
		t.Errorf("Open with a wrong password = %v, want an authentication failure", err)
	}
	open(t, noPassword, pgstore.Options{Password: "pw-" + name}).Close()
	t.Setenv("PGPASSWORD", "pw-"+name)
	open(t, noPassword, pgstore.Options{}).Close()
	_, err := pgstore.Open(ctx, strings.Replace(noPassword, "sslmode=disable", "sslmode=require", 1), pgstore.Options{})
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("Open with sslmode=require on a server without TLS = %v, want a TLS refusal", err)
	}
}
