package barrier

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
)

const (
	sealVersion = 1
	headerSize  = 1 + 4 // version | term
)

// sealTo returns version | term | nonce | ciphertext | tag for plaintext
// stored at rawKey under the active term, made in dst's memory when dst has
// room (dst's contents are overwritten), else in a new slice.
func (b *Barrier) sealTo(dst []byte, rawKey string, plaintext []byte) ([]byte, error) {
	ks := b.keys.Load()
	if ks == nil {
		return nil, ErrSealed
	}
	return ks.sealTo(dst, rawKey, plaintext), nil
}

func (ks *keySet) sealTo(dst []byte, rawKey string, plaintext []byte) []byte {
	out := dst[:0]
	if n := headerSize + primitive.Overhead + len(plaintext); cap(out) < n {
		out = make([]byte, 0, n)
	}
	out = out[:headerSize]
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:], ks.active)
	return ks.aeads[ks.active-firstTerm].Seal(out, plaintext, additionalData(out[:headerSize], rawKey))
}

// sealedTerm returns the term a sealed value names, 0 if it is too short
// or of another version.
func sealedTerm(sealed []byte) uint32 {
	if len(sealed) < headerSize+primitive.Overhead || sealed[0] != sealVersion {
		return 0
	}
	return binary.BigEndian.Uint32(sealed[1:])
}

// open reverses seal. A term this server has not met yet is looked up in
// raw (another server rotated). Any other failure is ErrCorrupt, unwrapped:
// the caller adds the key.
func (b *Barrier) open(raw store.Tx, rawKey string, sealed []byte) ([]byte, error) {
	ks := b.keys.Load()
	if ks == nil {
		return nil, ErrSealed
	}
	term := sealedTerm(sealed)
	if term < firstTerm {
		return nil, ErrCorrupt
	}
	if term > ks.active {
		var err error
		if ks, err = b.learn(raw, term); err != nil {
			return nil, err
		}
	}
	pt, err := ks.aeads[term-firstTerm].Open(nil, sealed[headerSize:], additionalData(sealed[:headerSize], rawKey))
	if err != nil {
		return nil, ErrCorrupt
	}
	if pt == nil {
		pt = []byte{} // an empty value is a value, not a missing one
	}
	return pt, nil
}

// learn adds the terms up to want that another server made, each read from
// raw and opened with the term before it, and publishes them. A term that
// is not there is ErrCorrupt: the value names a term no keyring has.
func (b *Barrier) learn(raw store.Tx, want uint32) (*keySet, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ks := b.keys.Load()
	if ks == nil {
		return nil, ErrSealed
	}
	if want <= ks.active {
		return ks, nil // learnt meanwhile
	}
	ts := cloneTerms(ks.terms)
	for n := ks.active + 1; n <= want; n++ {
		sealed, err := raw.Get(termRecordKey(n))
		if errors.Is(err, store.ErrNotFound) {
			clearTerms(ts)
			return nil, ErrCorrupt
		}
		if err != nil {
			clearTerms(ts)
			return nil, fmt.Errorf("failed to read the barrier key of term %d: %w", n, err)
		}
		key, err := primitive.Open(ts[n-1-firstTerm].key, sealed, termRecordAD(n))
		if err != nil || len(key) != primitive.KeySize {
			clearTerms(ts)
			return nil, ErrCorrupt
		}
		ts = append(ts, termKey{term: n, key: key})
	}
	next, err := newKeySet(append([]byte(nil), ks.kk...), ts)
	if err != nil {
		clearTerms(ts)
		return nil, err
	}
	b.keys.Store(next)
	ks.wipe()
	return next, nil
}

func cloneTerms(ts []termKey) []termKey {
	out := make([]termKey, len(ts))
	for i, t := range ts {
		out[i] = termKey{term: t.term, key: append([]byte(nil), t.key...)}
	}
	return out
}

// additionalData binds a sealed value to its header and to where it lives.
// The header has a fixed size, so header | key is unambiguous.
func additionalData(header []byte, rawKey string) []byte {
	ad := make([]byte, 0, len(header)+len(rawKey))
	ad = append(ad, header...)
	return append(ad, rawKey...)
}
