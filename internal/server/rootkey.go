package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
)

// RootKeyProvider makes the root-key provider cfg names (--root-key and
// its settings), for the server and for every command that unseals a store.
// prompt asks for the passphrase when the passphrase provider finds none in
// cfg; nil means no terminal to ask on. Release the provider with
// CloseRootKey when done.
func RootKeyProvider(ctx context.Context, cfg config.Config, prompt func() ([]byte, error)) (rootkey.Provider, error) {
	if err := cfg.ValidateRootKey(); err != nil {
		return nil, err
	}
	switch cfg.RootKey {
	case config.RootKeyFile:
		return rootkey.NewFile(cfg.RootKeyPath()), nil
	case config.RootKeyPassphrase:
		pass := cfg.Passphrase.Bytes()
		if len(pass) == 0 {
			if prompt == nil {
				return nil, errors.New("the passphrase root-key provider needs $SEALBOX_PASSPHRASE or a terminal to ask on")
			}
			p, err := prompt()
			if err != nil {
				return nil, fmt.Errorf("failed to read the passphrase: %w", err)
			}
			pass = p
		}
		if len(pass) == 0 {
			return nil, errors.New("the passphrase must not be empty")
		}
		return rootkey.NewPassphrase(pass), nil
	case config.RootKeyPKCS11:
		pin, err := cfg.ReadPKCS11PIN()
		if err != nil {
			return nil, err
		}
		pc := rootkey.PKCS11Config{
			Module:      cfg.PKCS11Module,
			TokenLabel:  cfg.PKCS11TokenLabel,
			KeyLabel:    cfg.PKCS11KeyLabel,
			PIN:         pin.Bytes(),
			GenerateKey: cfg.PKCS11GenerateKey,
		}
		if cfg.PKCS11Slot != "" {
			slot, _ := strconv.ParseUint(cfg.PKCS11Slot, 10, 0) // checked by ValidateRootKey
			pc.Slot, pc.HasSlot = uint(slot), true
		}
		p, err := rootkey.NewPKCS11(pc)
		if cfg.PKCS11PINFile != "" {
			clear(pin.Bytes()) // read for this call; NewPKCS11 keeps a copy
		}
		if err != nil {
			return nil, err
		}
		return p, nil
	case config.RootKeyKMS:
		p, err := rootkey.NewKMS(ctx, rootkey.KMSConfig{
			KeyID:      cfg.RootKeyKMSKeyID,
			Endpoint:   cfg.RootKeyKMSEndpoint,
			Region:     cfg.RootKeyKMSRegion,
			Deployment: cfg.AccountID,
		})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	if cfg.RootKey == config.RootKeyShamir {
		// The shares come to a running server one at a time (operator.go);
		// no command collects them.
		return nil, errors.New("the shamir root-key provider is unsealed only on a running server, with its key shares ('sealbox operator unseal'): it cannot be opened here")
	}
	return nil, fmt.Errorf("unknown root-key provider %q", cfg.RootKey) // ValidateRootKey refused it
}

// CloseRootKey releases what p holds (a PKCS#11 module); providers that
// hold nothing are left as they are. nil is allowed.
func CloseRootKey(p rootkey.Provider) error {
	if c, ok := p.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
