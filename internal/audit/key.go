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
	"sync"
	"time"

	"github.com/sealbox/sealbox/internal/atomicfile"
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
	// mu guards priv, which is nil while the key is forgotten (a sealed
	// server holds no key, this one among them).
	mu   sync.RWMutex
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	fp   string
	made bool // LoadSigner made the key: the data folder's first start
}

// Made reports whether LoadSigner made the key now, rather than finding it
// in the store: the server prints the public key then, for the operator to
// keep away from the data folder.
func (s *Signer) Made() bool { return s.made }

// NewSigner returns a Signer over an existing private key (tests).
func NewSigner(priv ed25519.PrivateKey) *Signer {
	pub := priv.Public().(ed25519.PublicKey)
	return &Signer{priv: priv, pub: pub, fp: Fingerprint(pub)}
}

// LoadSigner returns the audit key kept in st, making it on first use.
func LoadSigner(ctx context.Context, st store.Store) (*Signer, error) {
	var seed []byte
	made := false
	err := st.Update(ctx, func(tx store.Tx) error {
		made = false // fn runs again after a conflict on a shared store
		b, err := tx.Get(signingKeyKey)
		if err == nil {
			seed = append([]byte(nil), b...)
			return nil
		}
		made = true
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
	s.made = made
	clear(seed)
	return s, nil
}

// ErrSignerForgotten is sign's answer while the key is forgotten.
var ErrSignerForgotten = errors.New("the audit signing key is not in memory: the server is sealed")

// Forget zeroes the private key and drops it: a sealed server keeps no key
// that signs its trail. Signing fails until Recall.
func (s *Signer) Forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.priv)
	s.priv = nil
}

// Recall loads the private key again from st (the barrier, unsealed
// again). It refuses a key other than the one the signer was made with:
// the trail's digests name one key.
func (s *Signer) Recall(ctx context.Context, st store.Store) error {
	priv, err := storedKey(ctx, st)
	if err != nil {
		return fmt.Errorf("failed to load the audit signing key again: %w", err)
	}
	if !priv.Public().(ed25519.PublicKey).Equal(s.pub) {
		clear(priv)
		return errors.New("failed to load the audit signing key again: the store holds another key than the one the trail was signed with")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.priv)
	s.priv = priv
	return nil
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
// them all: digests signed before a key change still verify). The file is
// replaced atomically. One found torn or not a key file (a crash on an
// older version, an edit) is set aside and written again from the key the
// store holds: repaired is true then.
func (s *Signer) ExportPublicKey(dir string) error {
	_, err := s.WritePublicKey(dir)
	return err
}

// WritePublicKey is ExportPublicKey, and says whether it repaired a torn
// file.
func (s *Signer) WritePublicKey(dir string) (repaired bool, err error) {
	path := filepath.Join(dir, PublicKeyFile)
	keys, err := ReadPublicKeys(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		// Torn or foreign: nothing in it can be trusted to keep, and the
		// store's key is what matters. Keep it beside for whoever looks.
		if rerr := os.Rename(path, fmt.Sprintf("%s.torn-%d", path, time.Now().UnixNano())); rerr != nil {
			return false, fmt.Errorf("%w; and failed to set it aside: %v (delete %s: the server writes it again)", err, rerr, path)
		}
		keys, repaired = nil, true
	}
	for _, k := range keys {
		if k.Equal(s.pub) {
			return false, nil
		}
	}
	var out []byte
	for _, k := range keys {
		der, err := x509.MarshalPKIXPublicKey(k)
		if err != nil {
			return false, err
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fingerprint": Fingerprint(k)}, Bytes: der})...)
	}
	der, err := x509.MarshalPKIXPublicKey(s.pub)
	if err != nil {
		return false, err
	}
	out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fingerprint": s.fp}, Bytes: der})...)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	if err := atomicfile.Write(path, out, 0o644); err != nil {
		return false, fmt.Errorf("failed to export the audit public key: %w", err)
	}
	return repaired, nil
}

// PublicKeyPEM is the signer's public key as PEM (PKIX), with its
// fingerprint as a header.
func (s *Signer) PublicKeyPEM() string {
	der, _ := x509.MarshalPKIXPublicKey(s.pub)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Headers: map[string]string{"Fingerprint": s.fp}, Bytes: der}))
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
	priv, err := storedKey(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("failed to read the audit signing key: %w", err)
	}
	pub := priv.Public().(ed25519.PublicKey)
	clear(priv)
	return pub, nil
}

// storedKey reads the audit key kept in st, reading only.
func storedKey(ctx context.Context, st store.Store) (ed25519.PrivateKey, error) {
	var priv ed25519.PrivateKey
	err := st.View(ctx, func(tx store.Tx) error {
		seed, err := tx.Get(signingKeyKey)
		if err != nil {
			return err
		}
		if len(seed) != ed25519.SeedSize {
			return errors.New("the stored signing key is not an Ed25519 seed")
		}
		priv = ed25519.NewKeyFromSeed(seed)
		return nil
	})
	return priv, err
}
