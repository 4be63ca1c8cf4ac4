package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sealbox/sealbox/internal/store"
)

// signingKeyKey is where the audit key's seed is kept. The store the server
// gives LoadSigner is the barrier, so the seed is sealed at rest like every
// other value: a copy of the data folder without the root key cannot sign.
const signingKeyKey = "audit/signing-key"

// PublicKeyFile is the name of the exported public key in the audit folder.
const PublicKeyFile = "public-key.pem"

// Signer signs digests with the server's Ed25519 audit key. Safe for
// concurrent use.
type Signer struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	fp   string
}

// NewSigner returns a Signer over an existing private key (tests).
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, fp: Fingerprint(pub)}
}

// LoadSigner returns the audit key kept in st, making it on first use.
func LoadSigner(ctx context.Context, st store.Store) (*Signer, error) {
	var seed []byte
	err := st.Update(ctx, func(tx store.Tx) error {
		b, err := tx.Get(signingKeyKey)
		if err == nil {
			seed = append([]byte(nil), b...)
			return nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		seed = make([]byte, ed25519.SeedSize)
		if _, err := rand.Read(seed); err != nil {
			return err
		}
		return tx.Put(signingKeyKey, seed)
	})
	if err != nil {
		return nil, fmt.Errorf("failed to load the audit signing key: %w", err)
	}
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("failed to load the audit signing key: it is not an Ed25519 seed")
	}
	s := NewSigner(ed25519.NewKeyFromSeed(seed))
	clear(seed)
	return s, nil
}

// PublicKey returns the key that verifies the signer's digests.
func (s *Signer) PublicKey() ed25519.PublicKey { return s.pub }

// Fingerprint returns the fingerprint digests name the signer by.
func (s *Signer) Fingerprint() string { return s.fp }

// Fingerprint is the hex SHA-256 of an Ed25519 public key's 32 bytes.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// ExportPublicKey writes the signer's public key (PEM, PKIX) to
// dir/public-key.pem, keeping the keys already there (a verifier reads
// them all: digests signed before a key change still verify).
func (s *Signer) ExportPublicKey(dir string) error {
	path := filepath.Join(dir, PublicKeyFile)
	keys, err := ReadPublicKeys(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, k := range keys {
		if k.Equal(s.pub) {
			return nil
		}
	}
	der, err := x509.MarshalPKIXPublicKey(s.pub)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("failed to export the audit public key: %w", err)
	}
	block := &pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fingerprint": s.fp}, Bytes: der}
	if err := pem.Encode(f, block); err != nil {
		f.Close()
		return fmt.Errorf("failed to export the audit public key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadPublicKeys reads every Ed25519 public key of a PEM file.
func ReadPublicKeys(path string) ([]ed25519.PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var keys []ed25519.PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "PUBLIC KEY" {
			continue
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if ek, ok := k.(ed25519.PublicKey); ok {
			keys = append(keys, ek)
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no Ed25519 public key", path)
	}
	return keys, nil
}

// StoredPublicKey returns the public key of the audit key kept in st,
// reading only: store.ErrNotFound (wrapped) if there is none yet.
func StoredPublicKey(ctx context.Context, st store.Store) (ed25519.PublicKey, error) {
	var pub ed25519.PublicKey
	err := st.View(ctx, func(tx store.Tx) error {
		seed, err := tx.Get(signingKeyKey)
		if err != nil {
			return err
		}
		if len(seed) != ed25519.SeedSize {
			return errors.New("audit: the stored signing key is not an Ed25519 seed")
		}
		priv := ed25519.NewKeyFromSeed(seed)
		pub = priv.Public().(ed25519.PublicKey)
		clear(priv)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to read the audit signing key: %w", err)
	}
	return pub, nil
}
