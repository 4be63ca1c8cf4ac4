package barrier

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sealbox/sealbox/internal/store"
)

// valuePrefix puts user keys in their own space of the raw store, apart
// from the barrier's own records.
const valuePrefix = "v/"

var errEmptyKey = errors.New("barrier: key must not be empty")

// tx seals and opens values on their way through a raw transaction. Values
// it returns are fresh plaintext slices, but callers must still treat them
// as valid only during the transaction, as store.Tx says.
type tx struct {
	b   *Barrier
	raw store.Tx
}

func (t *tx) Get(key string) ([]byte, error) {
	if key == "" {
		return nil, errEmptyKey
	}
	rawKey := valuePrefix + key
	sealed, err := t.raw.Get(rawKey)
	if err != nil {
		return nil, err
	}
	pt, err := t.b.open(t.raw, rawKey, sealed)
	if err != nil {
		return nil, openFailed(key, err)
	}
	return pt, nil
}

func (t *tx) Put(key string, value []byte) error {
	if key == "" {
		return errEmptyKey
	}
	rawKey := valuePrefix + key
	// The raw store keeps its own copy (store.Tx), so the sealed value is
	// made in a buffer used again: an audit block is megabytes.
	var buf []byte
	large := len(value) >= minSealBuf
	if large {
		select {
		case buf = <-sealBufs:
		default:
		}
	}
	sealed, err := t.b.sealTo(buf, rawKey, value)
	if err != nil {
		return fmt.Errorf("failed to seal the value of %q: %w", key, err)
	}
	err = t.raw.Put(rawKey, sealed)
	if large && cap(sealed) <= maxSealBuf {
		select {
		case sealBufs <- sealed[:0]:
		default:
		}
	}
	return err
}

// sealBufs are the buffers Put seals large values in (an audit block):
// a free list rather than a sync.Pool, which the collections between two
// audit commits would empty.
var sealBufs = make(chan []byte, 2)

// Values of minSealBuf to maxSealBuf bytes are sealed in sealBufs.
const (
	minSealBuf = 64 << 10
	maxSealBuf = 4 << 20
)

func (t *tx) Delete(key string) error {
	if key == "" {
		return errEmptyKey
	}
	if t.b.Sealed() {
		return fmt.Errorf("failed to delete %q: %w", key, ErrSealed)
	}
	return t.raw.Delete(valuePrefix + key)
}

// Scan scans the raw keys under valuePrefix+prefix and hands fn each user
// key with the prefix stripped and its value opened. A value that fails to
// open ends the scan with an error wrapping ErrCorrupt.
func (t *tx) Scan(prefix, after string, fn func(key string, value []byte) error) error {
	rawAfter := ""
	if after != "" {
		rawAfter = valuePrefix + after
	}
	return t.raw.Scan(valuePrefix+prefix, rawAfter, func(rawKey string, sealed []byte) error {
		key := rawKey[len(valuePrefix):]
		pt, err := t.b.open(t.raw, rawKey, sealed)
		if err != nil {
			return openFailed(key, err)
		}
		return fn(key, pt)
	})
}

// openFailed says which value did not open, and why when it is not a failed
// authentication (sealed, or the store failed reading a term key).
func openFailed(key string, err error) error {
	return fmt.Errorf("failed to open the value of %q: %w", key, err)
}

// UserKey answers the key a raw storage key holds the sealed value of, and
// false for the barrier's own records (its keyring): a follower of the raw
// store's change log tells watchers of the barrier's keys.
func UserKey(raw string) (string, bool) { return strings.CutPrefix(raw, valuePrefix) }
