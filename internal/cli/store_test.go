package cli

import (
	"context"
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

// A server writes on bbolt; store copy moves its records to PostgreSQL; a
// server on PostgreSQL (same root key) reads them through the SDK and
// writes more; store copy moves them back to a new bbolt folder, where a
// third server reads everything.
func TestStoreCopy(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.Start(t, pgtest.Options{})
	url := pg.CreateDatabase("copyto", "copy-pass-9c1d")

	bolt := sealtest.Start(t)
	rootKey := filepath.Join(bolt.Dir, "root.key")
	key, err := bolt.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := bolt.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("kms-plain")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/p"), Value: aws.String("param-value"), Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("s"), SecretString: aws.String("secret-value")}); err != nil {
		t.Fatal(err)
	}

	code, _, errOut := runMain(t, nil, "store", "copy", "--from", "bolt:"+bolt.Dir, "--to", url)
	if code == 0 || !strings.Contains(errOut, "stop the server first") {
		t.Fatalf("store copy from a running server's folder = exit %d, %q; want a refusal saying to stop it", code, errOut)
	}
	bolt.Stop()
	code, out, errOut := runMain(t, nil, "store", "copy", "--from", "bolt:"+bolt.Dir, "--to", url)
	if code != 0 || !strings.Contains(out, "verified them record by record") {
		t.Fatalf("store copy bolt → postgres = exit %d, %q, %q; want 0 and a verified copy", code, out, errOut)
	}
	if strings.Contains(out+errOut, "copy-pass-9c1d") {
		t.Errorf("store copy printed the database password: %s%s", out, errOut)
	}
	code, _, errOut = runMain(t, nil, "store", "copy", "--from", "bolt:"+bolt.Dir, "--to", url)
	if code == 0 || !strings.Contains(errOut, "is not empty") {
		t.Fatalf("store copy to a non-empty database = exit %d, %q; want a refusal", code, errOut)
	}
	if code, out, errOut = runMain(t, nil, "store", "copy", "--from", "bolt:"+bolt.Dir, "--to", url, "--force"); code != 0 {
		t.Fatalf("store copy --force = exit %d, %q, %q; want 0", code, out, errOut)
	}

	onPG := sealtest.Start(t, func(c *config.Config) { c.Store, c.RootKeyFile = config.StoreURL(url), rootKey })
	readAll := func(s *sealtest.Server, what string) {
		t.Helper()
		dec, err := s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
		if err != nil || string(dec.Plaintext) != "kms-plain" {
			t.Errorf("%s: Decrypt = %v, want the plaintext", what, err)
		}
		p, err := s.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/p"), WithDecryption: aws.Bool(true)})
		if err != nil || *p.Parameter.Value != "param-value" {
			t.Errorf("%s: GetParameter = %v, want the value", what, err)
		}
		v, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("s")})
		if err != nil || *v.SecretString != "secret-value" {
			t.Errorf("%s: GetSecretValue = %v, want the value", what, err)
		}
	}
	readAll(onPG, "on PostgreSQL after the copy")
	if _, err := onPG.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/written-on-pg"), Value: aws.String("v2"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	onPG.Stop()

	back := t.TempDir()
	if code, out, errOut = runMain(t, nil, "store", "copy", "--from", url, "--to", "bolt:"+back); code != 0 {
		t.Fatalf("store copy postgres → bolt = exit %d, %q, %q; want 0", code, out, errOut)
	}
	onBolt := sealtest.Start(t, func(c *config.Config) { c.Store, c.RootKeyFile = config.StoreURL("bolt:"+back), rootKey })
	readAll(onBolt, "on bbolt after copying back")
	p, err := onBolt.SSM().GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/written-on-pg")})
	if err != nil || *p.Parameter.Value != "v2" {
		t.Errorf("GetParameter of what the PostgreSQL server wrote, after copying back = %v, want v2", err)
	}
}
