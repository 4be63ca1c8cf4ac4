package server_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

// A server with --root-key kms seals its data folder with a key of another
// sealbox's KMS (credentials from the environment, as the SDKs find them),
// unseals itself after a restart, and refuses to start once that key is
// disabled, or with another key or for another deployment, changing
// nothing.
func TestKMSRootKey(t *testing.T) {
	outer := sealtest.Start(t)
	created, err := outer.KMS().CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("sealbox root key")})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(created.KeyMetadata.Arn)
	if _, err := outer.KMS().CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sealbox-root"), TargetKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	sealtest.AWSEnv(t, aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey})

	dir := t.TempDir()
	s := sealtest.Start(t, sealtest.WithDir(dir), func(c *config.Config) {
		c.RootKey = config.RootKeyKMS
		c.RootKeyKMSKeyID = "alias/sealbox-root"
		c.RootKeyKMSEndpoint = outer.URL
		c.RootKeyKMSRegion = "us-east-1"
	})
	if _, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("hunter2")}); err != nil {
		t.Fatal(err)
	}
	s.Restart()
	got, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(got.SecretString) != "hunter2" {
		t.Fatalf("GetSecretValue after a restart on the KMS key = %v, %v; want hunter2", got, err)
	}
	s.Stop()

	other, err := outer.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	before := hashTree(t, dir)
	open := func(edit func(c *config.Config)) error {
		cfg := s.Config
		edit(&cfg)
		srv, err := server.Open(ctx, cfg, server.Options{})
		if err == nil {
			srv.Close()
		}
		return err
	}
	err = open(func(c *config.Config) { c.RootKeyKMSKeyID = aws.ToString(other.KeyMetadata.KeyId) })
	if !errors.Is(err, rootkey.ErrWrongRootKey) || !strings.Contains(err.Error(), "IncorrectKeyException") {
		t.Errorf("Open with another KMS key = %v, want ErrWrongRootKey (IncorrectKeyException)", err)
	}
	// The encryption context names the deployment (its account id).
	err = open(func(c *config.Config) { c.AccountID = "444455556666" })
	if !errors.Is(err, rootkey.ErrWrongRootKey) || !strings.Contains(err.Error(), "InvalidCiphertextException") {
		t.Errorf("Open as another deployment = %v, want ErrWrongRootKey (InvalidCiphertextException)", err)
	}

	if _, err := outer.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	err = open(func(*config.Config) {})
	if !errors.Is(err, rootkey.ErrRootKeyUnusable) || !strings.Contains(err.Error(), "the root key's KMS key alias/sealbox-root is disabled (DisabledException)") {
		t.Errorf("Open with the KMS key disabled = %v, want it refused naming the key and DisabledException", err)
	}
	if after := hashTree(t, dir); after != before {
		t.Errorf("a refused start changed the data folder")
	}

	if _, err := outer.KMS().EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	s2 := sealtest.Start(t, sealtest.WithDir(dir), func(c *config.Config) { *c = s.Config })
	if _, err := s2.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")}); err != nil {
		t.Errorf("GetSecretValue once the KMS key is enabled again = %v", err)
	}
}
