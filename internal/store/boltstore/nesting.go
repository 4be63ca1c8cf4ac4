package boltstore

import (
	"bytes"
	"errors"
	"runtime"
	"strconv"
	"sync"

	bolt "go.etcd.io/bbolt"
)

// NestingCheck, when set (tests only: it costs a stack read per
// transaction), makes a transaction begun while the same goroutine holds
// one panic. bbolt deadlocks on that when a commit must grow the file's
// mapping: the remap waits for every read transaction to end and blocks
// new ones, the outer one among them.
var NestingCheck bool

var open sync.Map // goroutine id -> struct{}: holds a transaction

// RerunCheck, when set (tests only), runs the function of every Update
// twice: first in a transaction that is rolled back, then for real. A
// shared store (pgstore) runs it again after a conflict with another
// server; this makes every test run show an Update function with effects
// outside its transaction (a counter, an append to a result built before
// the call) as a second run would.
var RerunCheck bool

// errRehearsal rolls back the first run of RerunCheck.
var errRehearsal = errors.New("boltstore: rehearsal")

// rehearse runs body in a transaction it rolls back, and answers body's
// error, which the real run would answer too.
func (s *Store) rehearse(body func(*bolt.Tx) error) error {
	err := s.db.Update(func(btx *bolt.Tx) error {
		if err := body(btx); err != nil {
			return err
		}
		return errRehearsal
	})
	if errors.Is(err, errRehearsal) {
		return nil
	}
	return err
}

func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	id, _ := strconv.ParseUint(string(b[:bytes.IndexByte(b, ' ')]), 10, 64)
	return id
}

// enter notes a transaction of this goroutine and returns its end.
func enter() func() {
	if !NestingCheck {
		return func() {}
	}
	id := goroutineID()
	if _, held := open.LoadOrStore(id, struct{}{}); held {
		panic("boltstore: a transaction begun inside another on the same goroutine (bbolt can deadlock on it)")
	}
	return func() { open.Delete(id) }
}
