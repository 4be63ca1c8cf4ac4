package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/operator"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/hsmtest"
)

// TestRekeyFromAFileToAnHSMAndThenToAKMS moves a running server's keyring
// from its root key file into a SoftHSM token, restarts it on the token,
// then moves it to a key of another sealbox's KMS and restarts on that:
// the secret survives each move, a wrong PIN file is refused before
// anything changes, and each old provider is refused by name afterwards.
func TestRekeyFromAFileToAnHSMAndThenToAKMS(t *testing.T) {
	hsmtest.Setup(t, "sealbox")
	pinFile := filepath.Join(t.TempDir(), "pin")
	if err := os.WriteFile(pinFile, []byte(hsmtest.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongPIN := filepath.Join(t.TempDir(), "wrong-pin")
	if err := os.WriteFile(wrongPIN, []byte("0000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	outer := sealtest.Start(t) // the KMS the last rekey moves to
	s := sealtest.Start(t)
	admin := s.AWSConfig("us-east-1")
	if _, err := s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("hunter2")}); err != nil {
		t.Fatal(err)
	}
	hsm := map[string]string{"pkcs11-module": hsmtest.Module, "pkcs11-token-label": "sealbox", "pkcs11-key-label": "sealbox-root",
		"pkcs11-pin-file": wrongPIN, "pkcs11-generate-key": "true"}
	wantOperatorError(t, operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "pkcs11", Settings: hsm}, &struct{}{}), "ValidationException")
	wantOperatorError(t, operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "pkcs11",
		Settings: map[string]string{"listen": "0.0.0.0:1"}}, &struct{}{}), "ValidationException")
	hsm["pkcs11-pin-file"] = pinFile
	var out operator.RekeyRootKeyOutput
	if err := operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "pkcs11", Settings: hsm}, &out); err != nil || out.Provider != "pkcs11" {
		t.Fatalf("RekeyRootKey to pkcs11 = %+v, %v", out, err)
	}
	s.Stop()
	s.Config.RootKey, s.Config.PKCS11Module, s.Config.PKCS11TokenLabel = config.RootKeyPKCS11, hsmtest.Module, "sealbox"
	s.Config.PKCS11KeyLabel, s.Config.PKCS11PINFile = "sealbox-root", pinFile
	s.Restart()
	got, err := s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(got.SecretString) != "hunter2" {
		t.Fatalf("GetSecretValue on the token's key = %v", err)
	}

	key, err := outer.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	sealtest.AWSEnv(t, aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey})
	if err := operatorCall(t, s, admin, "RekeyRootKey", operator.RekeyRootKeyInput{Provider: "kms", Settings: map[string]string{
		"root-key-kms-key-id": aws.ToString(key.KeyMetadata.Arn), "root-key-kms-endpoint": outer.URL, "root-key-kms-region": "us-east-1"}}, &out); err != nil {
		t.Fatalf("RekeyRootKey to kms = %v", err)
	}
	s.Stop()
	s.Config.RootKey, s.Config.PKCS11Module, s.Config.PKCS11TokenLabel, s.Config.PKCS11KeyLabel, s.Config.PKCS11PINFile = config.RootKeyKMS, "", "", "", ""
	s.Config.RootKeyKMSKeyID, s.Config.RootKeyKMSEndpoint, s.Config.RootKeyKMSRegion = aws.ToString(key.KeyMetadata.Arn), outer.URL, "us-east-1"
	s.Restart()
	if got, err = s.SecretsManager().GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db")}); err != nil || aws.ToString(got.SecretString) != "hunter2" {
		t.Fatalf("GetSecretValue on the KMS key = %v", err)
	}
}
