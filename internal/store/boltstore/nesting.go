package boltstore

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
)

// NestingCheck, when set (tests only: it costs a stack read per
// transaction), makes a transaction begun while the same goroutine holds
// one panic. bbolt deadlocks on that when a commit must grow the file's
// mapping: the remap waits for every read transaction to end and blocks
// new ones, the outer one among them.
var NestingCheck bool

var open sync.Map // goroutine id -> struct{}: holds a transaction

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
