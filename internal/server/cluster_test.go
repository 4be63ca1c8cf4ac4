package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
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

// A key used on a server that does not lead is written by that server's
// own flush (the uses are noted in its memory; the leader cannot see
// them), and read back on the leader, which never saw the use. A server
// stopped gracefully flushes what it noted last.
func TestClusterKeyUsageOnFollower(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 3)
	lead := c.Leader(t)
	var followers []*sealtest.Server
	for _, s := range c.Servers {
		if s != lead {
			followers = append(followers, s)
		}
	}
	ctx := context.Background()
	usedOn := func(s *sealtest.Server) *string {
		t.Helper()
		key, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
		if err != nil {
			t.Fatalf("CreateKey = %v", err)
		}
		enc, err := s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("x")})
		if err != nil {
			t.Fatalf("Encrypt = %v", err)
		}
		if _, err := s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err != nil {
			t.Fatalf("Decrypt = %v", err)
		}
		return key.KeyMetadata.KeyId
	}
	lastUse := func(id *string) string {
		t.Helper()
		out, err := lead.KMS().GetKeyLastUsage(ctx, &kms.GetKeyLastUsageInput{KeyId: id})
		if err != nil {
			t.Fatalf("GetKeyLastUsage on the leader = %v", err)
		}
		if out.KeyLastUsage == nil {
			return ""
		}
		return string(out.KeyLastUsage.Operation)
	}

	ticked := usedOn(followers[0])
	if op := lastUse(ticked); op != "" {
		t.Fatalf("GetKeyLastUsage on the leader before the follower's flush = %s", op)
	}
	f := followers[0]
	f.Clock.Advance(f.Config.SweepInterval)
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := f.Srv.WaitFlushed(wait, f.Clock.Now().UTC()); err != nil {
		t.Fatalf("the follower did not flush its key uses: %v", err)
	}
	if op := lastUse(ticked); op != "Decrypt" {
		t.Errorf("GetKeyLastUsage on the leader after the follower's flush = %q, want Decrypt", op)
	}

	stopped := usedOn(followers[1])
	followers[1].Stop()
	if op := lastUse(stopped); op != "Decrypt" {
		t.Errorf("GetKeyLastUsage on the leader after the follower stopped = %q, want Decrypt", op)
	}
}

// A server started on the cluster's database with a root key of its own
// (its data folder's, as by default) refuses to start and says that every
// server needs the first one's.
func TestClusterOwnRootKeyRefused(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 1)
	for _, tc := range []struct {
		name string
		make func(path string)
	}{
		{"missing", func(string) {}},
		{"another", func(path string) {
			if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(primitive.Random(primitive.KeySize))+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := c.Servers[0].Config
			cfg.DataDir = t.TempDir()
			cfg.RootKeyFile = ""
			tc.make(cfg.RootKeyPath())
			srv, err := server.Open(context.Background(), cfg, server.Options{Logger: slog.New(slog.DiscardHandler)})
			if err == nil {
				srv.Close()
				t.Fatal("a server with another root key started on the cluster's database")
			}
			if !strings.Contains(err.Error(), "every server on one database needs the same root key") {
				t.Errorf("server.Open = %v; want it to say every server needs the same root key", err)
			}
		})
	}
}
