// Package store defines the ordered, transactional key-value interface that
// every piece of sealbox state lives in. Backends (boltstore, memstore,
// pgstore) implement it and pass the storetest conformance suite. The
// barrier wraps a Store and is one, so services never see raw bytes at rest.
package store

import (
	"context"
	"errors"
)

var (
	// ErrNotFound is returned by Tx.Get when the key does not exist.
	ErrNotFound = errors.New("store: key not found")
	// ErrReadOnly is returned by Put and Delete inside a View transaction.
	ErrReadOnly = errors.New("store: read-only transaction")
	// ErrClosed is returned by View and Update once the store is closed.
	ErrClosed = errors.New("store: closed")
	// ErrStop may be returned by a Scan callback to end the scan early; Scan
	// then returns nil.
	ErrStop = errors.New("store: stop scan")
	// ErrUnavailable is wrapped by the errors of a store that cannot reach
	// its database (a shared backend: PostgreSQL down, unreachable, out of
	// connections). The call may succeed if tried again later; services
	// answer it as their retryable internal error. An Update or Batch that
	// fails so may or may not have committed, when the connection was lost
	// during the commit.
	ErrUnavailable = errors.New("store: unavailable")
)

// Store is an ordered, transactional key-value store. Keys are compared
// bytewise. Safe for concurrent use.
type Store interface {
	// View runs fn in a read-only transaction that sees a consistent
	// snapshot of committed data.
	View(ctx context.Context, fn func(Tx) error) error
	// Update runs fn in a read-write transaction. If fn returns nil the
	// transaction commits durably (fsync'd) before Update returns; if fn
	// returns an error nothing fn wrote is kept and Update returns that error.
	//
	// On a store shared by several servers (pgstore) fn may run more than
	// once: a transaction that conflicts with another server's is rolled
	// back and fn runs again, in a new transaction, from the start. So fn
	// must have no effects outside the transaction that a second run would
	// repeat (appending to memory it does not reset, notifying, counting);
	// act on what fn computed after Update returns nil. The embedded
	// stores run fn once.
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for writes that may share one commit, and one fsync,
	// with concurrent Batch calls: when Batch returns nil, fn's writes are
	// as durable as after Update. fn may run more than once (if another
	// call in its batch fails, the rest run again), so it must have no
	// effects outside the transaction. An error from fn fails only its own
	// call.
	Batch(ctx context.Context, fn func(Tx) error) error
	// Close releases the store. Transactions in flight finish first.
	Close() error
}

// Tx is one transaction. It is valid only inside the function it was passed
// to and is not safe for concurrent use.
type Tx interface {
	// Get returns the value of key, or ErrNotFound. The returned slice is
	// valid only until the transaction ends; copy it to keep it.
	Get(key string) ([]byte, error)
	// Put sets key to value. The store keeps its own copy of value.
	Put(key string, value []byte) error
	// Delete removes key. Deleting a missing key is not an error.
	Delete(key string) error
	// Scan calls fn, in ascending key order, for every key that starts with
	// prefix and sorts strictly after after (after "" means from the start).
	// The value passed to fn is valid only during that call. An error from fn
	// ends the scan and is returned, except ErrStop, which ends it quietly.
	Scan(prefix, after string, fn func(key string, value []byte) error) error
}
