// Package boltstore is sealbox's embedded default store.Store: one bbolt
// file in the data folder, nothing to install.
//
// Every key lives in a single bucket, as its bytes, so bbolt's bytewise key
// order is the store's order. Each Update commits with fsync (bbolt's
// default) before it returns. bbolt allows one writer at a time and any
// number of readers, each on its own snapshot (MVCC), so Views never wait for
// an Update.
//
// Values returned by Get and passed to Scan callbacks point into bbolt's
// read-only memory map: they are valid only until the transaction ends and
// must never be written to (the process would fault). Copy what you keep.
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/sealbox/sealbox/internal/store"
)

// DefaultFileName is the conventional name of the database file inside the
// data folder.
const DefaultFileName = "sealbox.db"

// defaultLockTimeout is how long Open waits for another process to let go of
// the file: long enough to ride out a restart, short enough to fail clearly.
const defaultLockTimeout = time.Second

// ErrInUse is returned (wrapped, with the file name) by Open when another
// process holds the database file's lock.
var ErrInUse = errors.New("data folder is in use by another sealbox process")

// bucket is the one bucket every key lives in.
var bucket = []byte("sealbox")

// Options tunes Open. The zero value gives the defaults.
type Options struct {
	// LockTimeout bounds how long Open waits for the file lock held by
	// another process. Zero means one second.
	LockTimeout time.Duration
}

// initialMmapSize is the address space bbolt maps at open: 32 GiB, so that
// the file grows for a long time without a remap. A remap waits for every
// read transaction to end and blocks new ones meanwhile, so a transaction
// begun inside another on the same goroutine deadlocks against a commit
// that must remap: a test server hung so (a KMS read authorizing inside its
// transaction) once the audit trail in the store made the file grow
// steadily. The services no longer nest (the authorizer reads the caller's
// policies before the call, and tests run with NestingCheck); the large
// mapping is the second line. Only address space: the mapping is read-only
// and shared, and costs no memory until pages are read. etcd does the same.
const initialMmapSize = 32 << 30

// Store is a store.Store over one bbolt file. Create it with Open; the zero
// value is not usable. Safe for concurrent use.
type Store struct {
	batch  store.GroupCommit[*batchCall]
	db     *bolt.DB
	closed atomic.Bool
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if need be, mode 0600, its folder 0700) the bbolt
// file at path, conventionally filepath.Join(dataFolder, DefaultFileName).
// If another process has it open, Open fails after opts.LockTimeout with an
// error wrapping ErrInUse.
func Open(path string, opts Options) (*Store, error) {
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = defaultLockTimeout
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the data folder: %w", err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, InitialMmapSize: initialMmapSize})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%w (file %s): %w", ErrInUse, path, err)
	}
	if err != nil {
		return nil, fmt.Errorf("failed to open %s: %w", path, err)
	}
	if err := ensureBucket(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to prepare %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// ensureBucket creates the bucket in a new file. An existing file is only
// read: every commit rewrites a meta page, and opening a data folder (with
// the wrong root key, say) must leave its file byte for byte as it was.
func ensureBucket(db *bolt.DB) error {
	exists := false
	db.View(func(tx *bolt.Tx) error {
		exists = tx.Bucket(bucket) != nil
		return nil
	})
	if exists {
		return nil
	}
	return db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	})
}

// View runs fn in a read-only transaction on a snapshot of committed data.
// If ctx is done before fn would start, fn is not run and ctx.Err() is
// returned.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, false, fn)
}

// Update runs fn in a read-write transaction, committed with fsync if fn
// returns nil and rolled back if it returns an error or panics. If ctx is
// done before fn would start (including while waiting for the writer lock),
// fn is not run and ctx.Err() is returned.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.run(ctx, true, fn)
}

func (s *Store) run(ctx context.Context, writable bool, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return store.ErrClosed
	}
	body := func(btx *bolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		t := &tx{b: btx.Bucket(bucket), writable: writable}
		defer func() { t.done = true }()
		return fn(t)
	}
	defer enter()()
	var err error
	if writable && RerunCheck {
		if err := s.rehearse(body); err != nil {
			return err
		}
	}
	if writable {
		err = s.db.Update(body)
	} else {
		err = s.db.View(body)
	}
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		// Close won the race with the check above.
		return store.ErrClosed
	}
	return err
}

// Close waits for the transactions in flight, then closes the file and
// releases its lock. Later View and Update calls return store.ErrClosed.
// Closing twice is not an error.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("failed to close %s: %w", s.db.Path(), err)
	}
	return nil
}
