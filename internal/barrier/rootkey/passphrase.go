package rootkey

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/primitive"
)

// Passphrase blob layout (all of the header is authenticated as AAD, so the
// salt and cost cannot be altered without Unwrap failing):
//
//	version (1) | salt (16) | time uint32 BE | memory KiB uint32 BE | threads (1) | nonce | ciphertext | tag
const (
	passphraseVersion = 1
	saltSize          = 16
	headerSize        = 1 + saltSize + 4 + 4 + 1
)

var _ Provider = (*Passphrase)(nil)

// passphraseAAD names the purpose; the blob's header is appended to it.
var passphraseAAD = []byte("sealbox rootkey/passphrase v1: barrier key")

// Bounds on the cost read back from a blob. The blob lives in the data
// folder, so without them whoever can write there could make every start
// allocate gigabytes or spin for hours before the passphrase is even checked.
const (
	maxTime   = 64
	maxMemory = 4 << 20 // KiB: 4 GiB
)

// Passphrase derives the root key from a passphrase with Argon2id. The salt
// and the cost parameters travel in the wrapped blob, so the cost can be
// raised later without breaking existing data folders. Create it with
// NewPassphrase. Safe for concurrent use.
type Passphrase struct {
	passphrase []byte
	params     primitive.Argon2Params
}

// NewPassphrase returns the provider for passphrase, with
// primitive.DefaultArgon2's cost for new blobs. It keeps its own copy of
// passphrase.
func NewPassphrase(passphrase []byte) *Passphrase {
	return NewPassphraseParams(passphrase, primitive.DefaultArgon2)
}

// NewPassphraseParams is NewPassphrase with another Argon2id cost for Wrap
// (Unwrap always uses the cost recorded in the blob). Tests use it to stay
// fast; operators may use it to raise the cost.
func NewPassphraseParams(passphrase []byte, p primitive.Argon2Params) *Passphrase {
	return &Passphrase{passphrase: bytes.Clone(passphrase), params: p}
}

// Name returns "passphrase".
func (*Passphrase) Name() string { return "passphrase" }

// Wrap encrypts key under a key stretched from the passphrase and a fresh
// random salt.
func (p *Passphrase) Wrap(ctx context.Context, key []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(p.passphrase) == 0 {
		return nil, errors.New("failed to wrap the barrier key: the passphrase is empty")
	}
	if err := checkParams(p.params); err != nil {
		return nil, err
	}
	header := make([]byte, 0, headerSize)
	header = append(header, passphraseVersion)
	header = append(header, primitive.Random(saltSize)...)
	header = binary.BigEndian.AppendUint32(header, p.params.Time)
	header = binary.BigEndian.AppendUint32(header, p.params.Memory)
	header = append(header, p.params.Threads)

	root := primitive.PassphraseKey(p.passphrase, header[1:1+saltSize], p.params)
	defer clear(root)
	aead, err := primitive.NewAEAD(root)
	if err != nil {
		return nil, fmt.Errorf("failed to use the passphrase key: %w", err)
	}
	return aead.Seal(header, key, passphraseAD(header)), nil
}

// Unwrap decrypts wrapped with the passphrase. A wrong passphrase (or an
// altered blob) returns ErrWrongPassphrase.
func (p *Passphrase) Unwrap(ctx context.Context, wrapped []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(wrapped) < headerSize+primitive.Overhead || wrapped[0] != passphraseVersion {
		return nil, fmt.Errorf("failed to read the wrapped barrier key: not a passphrase-wrapped key, version %d", firstByte(wrapped))
	}
	header := wrapped[:headerSize]
	params := primitive.Argon2Params{
		Time:    binary.BigEndian.Uint32(header[1+saltSize:]),
		Memory:  binary.BigEndian.Uint32(header[1+saltSize+4:]),
		Threads: header[headerSize-1],
	}
	if err := checkParams(params); err != nil {
		return nil, fmt.Errorf("failed to read the wrapped barrier key: %w", err)
	}
	root := primitive.PassphraseKey(p.passphrase, header[1:1+saltSize], params)
	defer clear(root)
	key, err := primitive.Open(root, wrapped[headerSize:], passphraseAD(header))
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	return key, nil
}

func passphraseAD(header []byte) []byte {
	return append(bytes.Clone(passphraseAAD), header...)
}

func checkParams(p primitive.Argon2Params) error {
	if p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return fmt.Errorf("argon2id cost out of bounds (t=%d, m=%d KiB, p=%d)", p.Time, p.Memory, p.Threads)
	}
	return nil
}

func firstByte(b []byte) int {
	if len(b) == 0 {
		return -1
	}
	return int(b[0])
}
