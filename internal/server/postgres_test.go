package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// A server on PostgreSQL (--store postgres://..., the password from
// --store-password-file) serves KMS, Parameter Store and Secrets Manager,
// and after a restart reads back what it wrote. The database holds only
// sealed values; the data folder holds no bbolt file; nothing shows the
// password.
func TestServerOnPostgres(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	pg := pgtest.Start(t, pgtest.Options{})
	const dbPassword = "pg-pass-for-sealbox-7f3a"
	pg.CreateDatabase("sealbox", dbPassword)
	pwFile := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pwFile, []byte(dbPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("postgres://sealbox@127.0.0.1:%d/sealbox?sslmode=disable", pg.Port)
	s := sealtest.Start(t, func(c *config.Config) {
		c.Store = config.StoreURL(url)
		c.StorePasswordFile = pwFile
	})
	ctx := context.Background()
	const plaintext, paramValue, secretValue = "kms-plaintext-canary-1b2c", "ssm-securestring-canary-3d4e", "sm-secret-canary-5f6a"

	key, err := s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey = %v", err)
	}
	keyID := *key.KeyMetadata.KeyId
	enc, err := s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: &keyID, Plaintext: []byte(plaintext)})
	if err != nil {
		t.Fatalf("Encrypt = %v", err)
	}
	if _, err := s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db/password"), Value: aws.String(paramValue), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("PutParameter = %v", err)
	}
	if _, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/api"), SecretString: aws.String(secretValue)}); err != nil {
		t.Fatalf("CreateSecret = %v", err)
	}

	s.Restart()

	dec, err := s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != plaintext {
		t.Errorf("Decrypt after restart = %q, %v; want %q", dec.Plaintext, err, plaintext)
	}
	p, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db/password"), WithDecryption: aws.Bool(true)})
	if err != nil || *p.Parameter.Value != paramValue {
		t.Errorf("GetParameter after restart = %v; want %q", err, paramValue)
	}
	sv, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/api")})
	if err != nil || *sv.SecretString != secretValue {
		t.Errorf("GetSecretValue after restart = %v; want %q", err, secretValue)
	}

	if _, err := os.Stat(filepath.Join(s.Dir, "sealbox.db")); !os.IsNotExist(err) {
		t.Errorf("Stat(<data>/sealbox.db) = %v: a server on PostgreSQL made a bbolt file", err)
	}
	dump := pg.Dump("sealbox")
	// The records are COPY lines of hex bytea: \\x<key>\t\\x<value>.
	if rows := bytes.Count(dump, []byte("\n\\\\x")); rows < 10 {
		t.Fatalf("pg_dump of the database holds %d records: the search below would prove nothing", rows)
	}
	for _, canary := range []string{plaintext, paramValue, secretValue} {
		if bytes.Contains(dump, []byte(canary)) || bytes.Contains(dump, []byte(fmt.Sprintf("%x", canary))) {
			t.Errorf("pg_dump of the database holds the plaintext %q", canary)
		}
	}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v"} {
		fmt.Fprintf(&out, verb+"\n", s.Srv)
		fmt.Fprintf(&out, verb+"\n", s.Config)
	}
	slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "config", s.Config)
	if b, err := json.Marshal(s.Config); err == nil {
		out.Write(b)
	}
	out.WriteString(s.Logs.String())
	if strings.Contains(out.String(), dbPassword) {
		t.Errorf("the server, its config or its log shows the database password")
	}
}
