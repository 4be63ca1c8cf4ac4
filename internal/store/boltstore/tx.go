package boltstore

import (
	"bytes"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/sealbox/sealbox/internal/store"
)

var (
	errTxDone   = errors.New("boltstore: transaction used after its function returned")
	errEmptyKey = errors.New("boltstore: key must not be empty")
)

// tx adapts a bbolt transaction to store.Tx. done is set when fn returns so
// that a Tx kept past its function fails cleanly instead of reading a
// finished bbolt transaction (which panics or reads unmapped memory).
type tx struct {
	b        *bolt.Bucket
	writable bool
	done     bool
	writes   int // Put and Delete calls, so Scan notices a callback's writes
}

// Get looks key up with a cursor rather than Bucket.Get, whose nil answer
// cannot tell a missing key from an empty value.
func (t *tx) Get(key string) ([]byte, error) {
	if t.done {
		return nil, errTxDone
	}
	kb := []byte(key)
	k, v := t.b.Cursor().Seek(kb)
	if k == nil || !bytes.Equal(k, kb) {
		return nil, store.ErrNotFound
	}
	if v == nil {
		v = []byte{}
	}
	return v, nil
}

// Put copies value: bbolt needs it intact until commit, and the caller may
// reuse its slice at once.
func (t *tx) Put(key string, value []byte) error {
	if err := t.check(key); err != nil {
		return err
	}
	t.writes++
	if err := t.b.Put([]byte(key), bytes.Clone(value)); err != nil {
		return fmt.Errorf("failed to put %q: %w", key, err)
	}
	return nil
}

func (t *tx) Delete(key string) error {
	if err := t.check(key); err != nil {
		return err
	}
	t.writes++
	if err := t.b.Delete([]byte(key)); err != nil {
		return fmt.Errorf("failed to delete %q: %w", key, err)
	}
	return nil
}

// Scan walks a cursor from Seek(max(prefix, after)). A bbolt cursor is not
// defined after its bucket changes, so if the callback wrote anything the
// cursor is positioned again from the last key seen.
func (t *tx) Scan(prefix, after string, fn func(key string, value []byte) error) error {
	if t.done {
		return errTxDone
	}
	p := []byte(prefix)
	c := t.b.Cursor()
	k, v := seekAfter(c, p, after)
	for k != nil && bytes.HasPrefix(k, p) {
		key := string(k)
		if v == nil {
			v = []byte{}
		}
		before := t.writes
		if err := fn(key, v); err != nil {
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return err
		}
		if t.writes != before {
			k, v = seekAfter(c, p, key)
		} else {
			k, v = c.Next()
		}
	}
	return nil
}

// seekAfter positions c on the first key at or after prefix that sorts
// strictly after after.
func seekAfter(c *bolt.Cursor, prefix []byte, after string) (k, v []byte) {
	if after < string(prefix) {
		return c.Seek(prefix)
	}
	a := []byte(after)
	k, v = c.Seek(a)
	if k != nil && bytes.Equal(k, a) {
		k, v = c.Next()
	}
	return k, v
}

func (t *tx) check(key string) error {
	switch {
	case t.done:
		return errTxDone
	case !t.writable:
		return store.ErrReadOnly
	case key == "":
		return errEmptyKey
	}
	return nil
}
