//go:build cgo

package server_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/hsmtest"
	"github.com/sealbox/sealbox/internal/server"
)

// A server with --root-key pkcs11 seals its data folder with a key made in
// a SoftHSM2 token at its first start, opens it again after a restart, and
// refuses to start with a wrong PIN, without the token or without the key,
// changing nothing.
func TestPKCS11RootKey(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(hsmtest.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := sealtest.Start(t, sealtest.WithDir(dir), func(c *config.Config) {
		c.RootKey = config.RootKeyPKCS11
		c.PKCS11Module = hsmtest.Module
		c.PKCS11TokenLabel = "sealbox"
		c.PKCS11KeyLabel = "sealbox-root"
		c.PKCS11PINFile = pinFile
		c.PKCS11GenerateKey = true
	})
	if _, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("hunter2")}); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	got, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(got.SecretString) != "hunter2" {
		t.Fatalf("GetSecretValue after a restart on the token's key = %v, %v; want hunter2", got, err)
	}
	s.Stop()
	if _, err := os.Stat(filepath.Join(dir, "root.key")); err == nil {
		t.Errorf("the pkcs11 provider left a root.key file")
	}
	if strings.Contains(s.Logs.String(), hsmtest.PIN) {
		t.Errorf("the server's log shows the PIN")
	}

	before := hashTree(t, dir)
	refused := []struct {
		name     string
		edit     func(c *config.Config)
		sentinel error
		want     string
	}{
		{"wrong PIN", func(c *config.Config) { c.PKCS11PINFile, c.PKCS11PIN = "", primitive.NewSecret([]byte("0000")) },
			rootkey.ErrWrongPIN, `wrong PIN for token "sealbox"`},
		{"token absent", func(c *config.Config) { c.PKCS11TokenLabel = "unplugged" },
			rootkey.ErrTokenAbsent, `PKCS#11 token "unplugged" is absent`},
		// Unwrap never makes a key, even with --pkcs11-generate-key.
		{"key label absent", func(c *config.Config) { c.PKCS11KeyLabel = "another" },
			rootkey.ErrKeyAbsent, `holds no AES key labelled "another"`},
		{"module missing", func(c *config.Config) { c.PKCS11Module = filepath.Join(dir, "libmissing.so") },
			rootkey.ErrPKCS11Module, "libmissing.so is missing"},
	}
	for _, tc := range refused {
		cfg := s.Config
		tc.edit(&cfg)
		srv, err := server.Open(ctx, cfg, server.Options{})
		if err == nil {
			srv.Close()
		}
		if !errors.Is(err, tc.sentinel) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Open = %v, want it refused saying %q", tc.name, err, tc.want)
		}
	}
	if after := hashTree(t, dir); after != before {
		t.Errorf("a refused start changed the data folder")
	}
}

// A first start without --pkcs11-generate-key and without the key in the
// token is refused, saying how to make one.
func TestPKCS11RootKeyNoKeyNoGenerate(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.RootKey = config.RootKeyPKCS11
	cfg.PKCS11Module = hsmtest.Module
	cfg.PKCS11TokenLabel = "sealbox"
	cfg.PKCS11KeyLabel = "sealbox-root"
	cfg.PKCS11PIN = primitive.NewSecret([]byte(hsmtest.PIN))
	srv, err := server.Open(ctx, cfg, server.Options{})
	if err == nil {
		srv.Close()
	}
	if !errors.Is(err, rootkey.ErrKeyAbsent) || !strings.Contains(err.Error(), "--pkcs11-generate-key") {
		t.Errorf("Open with no key in the token = %v, want ErrKeyAbsent naming --pkcs11-generate-key", err)
	}
}
