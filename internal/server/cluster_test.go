package server_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
)

// Three servers started at once on an empty database all come up and
// agree on one barrier key (a ciphertext made on one decrypts on the
// others), one administrator (each writes the same access key to the
// credentials file in its own data folder) and one audit signing key.
// Without a preset administrator the pair is made by whichever start
// commits first; the others read it from the store.
func TestClusterFirstStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []sealtest.Option
	}{
		{"PresetAdmin", nil},
		{"MadeAdmin", []sealtest.Option{func(c *config.Config) {
			c.AdminAccessKeyID, c.AdminSecretAccessKey = "", primitive.Secret{}
		}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := sealtest.StartCluster(t, 3, tc.opts...)
			first := c.Servers[0].Srv
			var fingerprint []byte
			for i, s := range c.Servers {
				if s.Srv.AdminAccessKeyID != first.AdminAccessKeyID || !s.Srv.AdminSecretAccessKey.Equal(first.AdminSecretAccessKey) {
					t.Errorf("server %d's administrator is %s, server 0's %s", i, s.Srv.AdminAccessKeyID, first.AdminAccessKeyID)
				}
				cred, err := os.ReadFile(filepath.Join(s.Dir, server.CredentialsFileName))
				if err != nil {
					t.Fatalf("server %d: %v", i, err)
				}
				if !bytes.Contains(cred, []byte("aws_access_key_id = "+first.AdminAccessKeyID+"\n")) ||
					!bytes.Contains(cred, append([]byte("aws_secret_access_key = "), first.AdminSecretAccessKey.Bytes()...)) {
					t.Errorf("server %d's credentials file does not hold the administrator's pair", i)
				}
				pub, err := os.ReadFile(filepath.Join(s.Dir, "audit", audit.PublicKeyFile))
				if err != nil {
					t.Fatalf("server %d: %v", i, err)
				}
				if fingerprint == nil {
					fingerprint = pub
				} else if !bytes.Equal(pub, fingerprint) {
					t.Errorf("server %d's audit public key differs from server 0's", i)
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			creds := aws.Credentials{AccessKeyID: first.AdminAccessKeyID, SecretAccessKey: string(first.AdminSecretAccessKey.Bytes())}
			ctx := context.Background()
			k0 := kms.NewFromConfig(c.Servers[0].AWSConfigAs("us-east-1", creds))
			key, err := k0.CreateKey(ctx, &kms.CreateKeyInput{})
			if err != nil {
				t.Fatalf("CreateKey on server 0 = %v", err)
			}
			enc, err := k0.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("one barrier")})
			if err != nil {
				t.Fatalf("Encrypt on server 0 = %v", err)
			}
			for i, s := range c.Servers[1:] {
				dec, err := kms.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
				if err != nil || string(dec.Plaintext) != "one barrier" {
					t.Errorf("Decrypt on server %d = %v", i+1, err)
				}
			}
		})
	}
}
