package memstore

import (
	"errors"

	"github.com/sealbox/sealbox/internal/store"
)

var (
	errTxDone   = errors.New("memstore: transaction used after its function returned")
	errEmptyKey = errors.New("memstore: key must not be empty")
)

// undoEntry is a key's value before the transaction first touched it.
type undoEntry struct {
	existed bool
	value   []byte
}

// tx is one transaction; the store's lock is held for its whole life.
type tx struct {
	s        *Store
	readOnly bool
	done     bool
	undo     map[string]undoEntry // read-write only: first old value per key
	lent     [][]byte             // copies handed out by Get, scrubbed at end
}

func (t *tx) Get(key string) ([]byte, error) {
	if t.done {
		return nil, errTxDone
	}
	v, ok := t.s.data[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := clone(v)
	t.lent = append(t.lent, c)
	return c, nil
}

func (t *tx) Put(key string, value []byte) error {
	if err := t.writable(key); err != nil {
		return err
	}
	t.remember(key)
	t.s.set(key, clone(value))
	return nil
}

func (t *tx) Delete(key string) error {
	if err := t.writable(key); err != nil {
		return err
	}
	t.remember(key)
	t.s.remove(key)
	return nil
}

// Scan looks the next key up again after every callback, so a callback that
// puts or deletes keys (deleting a prefix as it is scanned, say) neither
// skips nor repeats any.
func (t *tx) Scan(prefix, after string, fn func(key string, value []byte) error) error {
	if t.done {
		return errTxDone
	}
	for {
		i := t.s.firstAfter(prefix, after)
		if i < 0 {
			return nil
		}
		key := t.s.keys[i]
		v := clone(t.s.data[key])
		err := fn(key, v)
		scrub(v)
		if err != nil {
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return err
		}
		after = key
	}
}

func (t *tx) writable(key string) error {
	switch {
	case t.done:
		return errTxDone
	case t.readOnly:
		return store.ErrReadOnly
	case key == "":
		return errEmptyKey
	}
	return nil
}

// remember logs key's current value the first time the transaction writes it.
func (t *tx) remember(key string) {
	if _, ok := t.undo[key]; ok {
		return
	}
	v, ok := t.s.data[key]
	t.undo[key] = undoEntry{existed: ok, value: v}
}

func (t *tx) rollback() {
	for key, e := range t.undo {
		if e.existed {
			t.s.set(key, e.value)
		} else {
			t.s.remove(key)
		}
	}
}

func (t *tx) end() {
	t.done = true
	for _, v := range t.lent {
		scrub(v)
	}
	t.lent = nil
}

func clone(v []byte) []byte {
	c := make([]byte, len(v))
	copy(c, v)
	return c
}

// scrub overwrites a lent value so that keeping it past its lifetime shows.
func scrub(v []byte) {
	for i := range v {
		v[i] = 0xA5
	}
}
