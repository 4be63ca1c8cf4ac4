package barrier

import (
	"encoding/binary"

	"github.com/sealbox/sealbox/internal/primitive"
)

const (
	sealVersion = 1
	headerSize  = 1 + 4 // version | term
)

// sealTo returns version | term | nonce | ciphertext | tag for plaintext
// stored at rawKey, made in dst's memory when dst has room (dst's contents
// are overwritten), else in a new slice.
func (b *Barrier) sealTo(dst []byte, rawKey string, plaintext []byte) []byte {
	out := dst[:0]
	if n := headerSize + primitive.Overhead + len(plaintext); cap(out) < n {
		out = make([]byte, 0, n)
	}
	out = out[:headerSize]
	out[0] = sealVersion
	binary.BigEndian.PutUint32(out[1:], b.term)
	return b.aead.Seal(out, plaintext, additionalData(out[:headerSize], rawKey))
}

// open reverses seal. Any failure is ErrCorrupt, unwrapped: the caller adds
// the key.
func (b *Barrier) open(rawKey string, sealed []byte) ([]byte, error) {
	if len(sealed) < headerSize+primitive.Overhead || sealed[0] != sealVersion ||
		binary.BigEndian.Uint32(sealed[1:]) != b.term {
		return nil, ErrCorrupt
	}
	pt, err := b.aead.Open(nil, sealed[headerSize:], additionalData(sealed[:headerSize], rawKey))
	if err != nil {
		return nil, ErrCorrupt
	}
	if pt == nil {
		pt = []byte{} // an empty value is a value, not a missing one
	}
	return pt, nil
}

// additionalData binds a sealed value to its header and to where it lives.
// The header has a fixed size, so header | key is unambiguous.
func additionalData(header []byte, rawKey string) []byte {
	ad := make([]byte, 0, len(header)+len(rawKey))
	ad = append(ad, header...)
	return append(ad, rawKey...)
}
