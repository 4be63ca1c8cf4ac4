package boltstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/storetest"
)

func open(t testing.TB, dir string) *boltstore.Store {
	t.Helper()
	path := filepath.Join(dir, boltstore.DefaultFileName)
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestPersistence(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T, dir string) store.Store { return open(t, dir) })
}

func TestFileMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // Open creates the folder
	open(t, dir)
	for path, want := range map[string]os.FileMode{
		dir: 0o700 | os.ModeDir,
		filepath.Join(dir, boltstore.DefaultFileName): 0o600,
	} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("Stat(%q) = %v", path, err)
		}
		if got := fi.Mode(); got != want {
			t.Errorf("mode of %s = %v, want %v", path, got, want)
		}
	}
}

// A second opener of the same file (another process, in production) waits
// for the lock, then fails saying what is going on. flock locks conflict
// between two opens of a file even inside one process, so this tests the
// real thing.
func TestInUse(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	path := filepath.Join(dir, boltstore.DefaultFileName)

	start := time.Now()
	s, err := boltstore.Open(path, boltstore.Options{LockTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatalf("second Open(%q) = nil error, want ErrInUse", path)
	}
	if !errors.Is(err, boltstore.ErrInUse) {
		t.Errorf("second Open(%q) = %v, want ErrInUse", path, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "data folder is in use by another sealbox process") || !strings.Contains(msg, path) {
		t.Errorf("second Open(%q) error = %q, want it to say the folder is in use and name the file", path, msg)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("second Open took %v, want about the lock timeout", d)
	}
}

// Closing releases the lock: the next Open succeeds at once.
func TestCloseReleasesLock(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	s2 := open(t, dir)
	if err := s2.View(context.Background(), func(store.Tx) error { return nil }); err != nil {
		t.Errorf("View on reopened store = %v, want nil", err)
	}
}

// Opening, reading and closing an existing file leaves it byte for byte as
// it was (the barrier relies on it: a start refused for a wrong root key
// must change nothing on disk).
func TestReadOnlyUseLeavesFileUnchanged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, boltstore.DefaultFileName)
	s := open(t, dir)
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Put("k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	before, _ := os.ReadFile(path)

	s = open(t, dir)
	err := s.View(context.Background(), func(tx store.Tx) error { _, err := tx.Get("k"); return err })
	if err != nil {
		t.Fatalf("View(Get) = %v", err)
	}
	s.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Errorf("file changed by Open + View + Close, want it unchanged")
	}
}

func TestNotABoltFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "junk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := boltstore.Open(path, boltstore.Options{}); err == nil {
		s.Close()
		t.Errorf("Open(junk file) = nil error, want an error")
	}
}

func BenchmarkGet(b *testing.B) {
	s, err := boltstore.Open(filepath.Join(b.TempDir(), "b.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	val := make([]byte, 256)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("bench/key", val) }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		err := s.View(ctx, func(tx store.Tx) error {
			_, err := tx.Get("bench/key")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDurableWrites compares Update (one fsync per write) with Batch
// (writers share fsyncs) for 32 concurrent writers.
func BenchmarkDurableWrites(b *testing.B) {
	for _, mode := range []string{"Update", "Batch"} {
		b.Run(mode, func(b *testing.B) {
			s := open(b, b.TempDir())
			defer s.Close()
			var n atomic.Int64
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					key := "k/" + strconv.FormatInt(n.Add(1), 10)
					write := s.Update
					if mode == "Batch" {
						write = s.Batch
					}
					if err := write(context.Background(), func(tx store.Tx) error { return tx.Put(key, []byte("value")) }); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// RerunCheck runs an Update's function twice, keeping only the second
// run's writes; an error from the first run is the answer.
func TestRerunCheck(t *testing.T) {
	boltstore.RerunCheck = true
	defer func() { boltstore.RerunCheck = false }()
	s := open(t, t.TempDir())
	runs := 0
	err := s.Update(context.Background(), func(tx store.Tx) error {
		runs++
		return tx.Put("run", []byte(strconv.Itoa(runs)))
	})
	if err != nil || runs != 2 {
		t.Fatalf("Update under RerunCheck = %v after %d runs, want nil after 2", err, runs)
	}
	err = s.View(context.Background(), func(tx store.Tx) error {
		v, err := tx.Get("run")
		if err == nil && string(v) != "2" {
			t.Errorf("Get(run) = %q, want the second run's 2", v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	runs = 0
	errBoom := errors.New("boom")
	err = s.Update(context.Background(), func(store.Tx) error { runs++; return errBoom })
	if !errors.Is(err, errBoom) || runs != 1 {
		t.Errorf("failing Update under RerunCheck = %v after %d runs, want boom after 1", err, runs)
	}
}
