package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/server"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

var ctx = context.Background()

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func TestSignatureFailures(t *testing.T) {
	s := sealtest.Start(t)
	cfg := s.AWSConfig("us-east-1")
	cfg.Credentials = credentials.NewStaticCredentialsProvider(sealtest.AccessKeyID, "wrong-secret", "")
	_, err := kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
	if apiCode(err) != "InvalidSignatureException" {
		t.Fatalf("ListKeys with a wrong secret: %v, want InvalidSignatureException", err)
	}
	cfg.Credentials = credentials.NewStaticCredentialsProvider("AKIAUNKNOWNUNKNOWN00", "x", "")
	_, err = kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{})
	if apiCode(err) != "UnrecognizedClientException" {
		t.Fatalf("ListKeys with an unknown key: %v, want UnrecognizedClientException", err)
	}
}

func TestAuditEvents(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	ec := map[string]string{"app": "billing"}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("audit-plaintext-marker"), EncryptionContext: ec})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}); err != nil {
		t.Fatal(err)
	}
	c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}) // fails: wrong context

	events := sealtest.AuditEvents(t, s.Dir)
	byName := map[string][]map[string]any{}
	for _, e := range events {
		byName[e["eventName"].(string)] = append(byName[e["eventName"].(string)], e)
	}
	create := byName["CreateKey"]
	if len(create) != 1 || create[0]["readOnly"] != false || create[0]["responseElements"] == nil {
		t.Fatalf("CreateKey events = %v", create)
	}
	decrypts := byName["Decrypt"]
	if len(decrypts) != 2 {
		t.Fatalf("%d Decrypt events, want 2", len(decrypts))
	}
	ok, failed := decrypts[0], decrypts[1]
	if ok["eventSource"] != "kms.amazonaws.com" || ok["awsRegion"] != "us-east-1" || ok["readOnly"] != true ||
		ok["eventType"] != "AwsApiCall" || ok["recipientAccountId"] != sealtest.AccountID || ok["requestID"] == "" || ok["eventID"] == "" {
		t.Fatalf("Decrypt event = %v", ok)
	}
	ui := ok["userIdentity"].(map[string]any)
	if ui["type"] != "IAMUser" || ui["accessKeyId"] != sealtest.AccessKeyID || ui["arn"] != "arn:aws:iam::123456789012:user/admin" || ui["userName"] != "admin" {
		t.Fatalf("userIdentity = %v", ui)
	}
	params := ok["requestParameters"].(map[string]any)
	// As CloudTrail records a Decrypt: the key the ciphertext named and the
	// algorithm, though the request carried neither.
	if params["encryptionContext"].(map[string]any)["app"] != "billing" || params["keyId"] != *key.KeyMetadata.Arn ||
		params["encryptionAlgorithm"] != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Decrypt requestParameters = %v", params)
	}
	if _, has := params["ciphertextBlob"]; has {
		t.Fatalf("requestParameters records the ciphertext blob")
	}
	res := ok["resources"].([]any)
	if len(res) != 1 || res[0].(map[string]any)["ARN"] != *key.KeyMetadata.Arn || res[0].(map[string]any)["type"] != "AWS::KMS::Key" {
		t.Fatalf("resources = %v", res)
	}
	if failed["errorCode"] != "InvalidCiphertextException" {
		t.Fatalf("failed Decrypt event errorCode = %v", failed["errorCode"])
	}
	encEvent := byName["Encrypt"][0]
	if encEvent["requestParameters"].(map[string]any)["keyId"] != *key.KeyMetadata.KeyId || encEvent["responseElements"] != nil {
		t.Fatalf("Encrypt event = %v", encEvent)
	}
}

// TestSecretsStayOut plants a plaintext, a data key and marker strings, then
// proves that neither the plaintexts nor any key material appear in the data
// folder's raw bytes, the audit files or the logs.
func TestSecretsStayOut(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	marker := "sealed-description-marker-7f3a"
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String(marker),
		Tags: []types.Tag{{TagKey: aws.String("owner"), TagValue: aws.String(marker + "-tag")}}})
	if err != nil {
		t.Fatal(err)
	}
	plaintext := []byte("planted-plaintext-d41d8cd98f00b204")
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: plaintext})
	if err != nil {
		t.Fatal(err)
	}
	dk, err := c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: key.KeyMetadata.KeyId, KeySpec: types.DataKeySpecAes256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err != nil {
		t.Fatal(err)
	}
	c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"x": "y"}})
	s.Stop()

	// Read the key material back through the barrier, as only sealbox can.
	raw, err := boltstore.Open(filepath.Join(s.Dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(filepath.Join(s.Dir, "root.key")))
	if err != nil {
		t.Fatal(err)
	}
	var materials [][]byte
	b.View(ctx, func(tx store.Tx) error {
		return tx.Scan("keyring/", "", func(_ string, v []byte) error {
			materials = append(materials, append([]byte(nil), v...))
			return nil
		})
	})
	b.Close()
	if len(materials) == 0 {
		t.Fatal("found no key material through the barrier")
	}

	secrets := map[string][]byte{
		"plaintext":        plaintext,
		"plaintext base64": []byte(base64.StdEncoding.EncodeToString(plaintext)),
		"data key":         dk.Plaintext,
		"data key base64":  []byte(base64.StdEncoding.EncodeToString(dk.Plaintext)),
		"description":      []byte(marker),
	}
	for i, m := range materials {
		secrets["key material "+string(rune('0'+i))] = m
		secrets["key material hex "+string(rune('0'+i))] = []byte(hex.EncodeToString(m))
		secrets["key material base64 "+string(rune('0'+i))] = []byte(base64.StdEncoding.EncodeToString(m))
	}
	check := func(where string, data []byte) {
		for name, secret := range secrets {
			if !strings.HasPrefix(where, "store") && name == "description" {
				continue // not secret: audit events record descriptions, as CloudTrail does
			}
			if bytes.Contains(data, secret) {
				t.Errorf("%s contains the %s", where, name)
			}
		}
	}
	filepath.WalkDir(s.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(s.Dir, path)
		where := "store file " + rel
		if strings.HasPrefix(rel, "audit") {
			where = "audit file " + rel
		}
		check(where, data)
		return nil
	})
	check("logs", []byte(s.Logs.String()))
}

func TestTLSAuto(t *testing.T) {
	s := sealtest.Start(t, func(c *config.Config) { c.TLS = "auto" })
	if !strings.HasPrefix(s.URL, "https://") || s.Srv.CAFile == "" {
		t.Fatalf("URL %s, CA file %q", s.URL, s.Srv.CAFile)
	}
	c := s.KMS()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatalf("CreateKey over HTTPS: %v", err)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("tls")})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "tls" {
		t.Fatalf("Decrypt over HTTPS = %q, %v", dec.Plaintext, err)
	}
	// Plain HTTP to the TLS port is not served.
	resp, err := s.HTTPClient().Get(strings.Replace(s.URL, "https://", "http://", 1) + "/healthz")
	if err == nil && resp.StatusCode == 200 {
		t.Fatalf("plain HTTP answered 200 on the TLS port")
	}
}

func TestPlainHTTPOnlyOnLoopback(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Listen = "0.0.0.0:8777"
	_, err := server.Open(ctx, cfg, server.Options{})
	if err == nil || !strings.Contains(err.Error(), "not a loopback address") {
		t.Fatalf("Open(0.0.0.0 without TLS) = %v, want a refusal", err)
	}
	if entries, _ := os.ReadDir(cfg.DataDir); len(entries) != 0 {
		t.Fatalf("a refused start wrote %d files", len(entries))
	}
	cfg.InsecureHTTP = true
	srv, err := server.Open(ctx, cfg, server.Options{})
	if err != nil {
		t.Fatalf("Open(--insecure-http): %v", err)
	}
	srv.Close()
}

func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(path)
		h.Write([]byte(path))
		h.Write(data)
		return nil
	})
	return hex.EncodeToString(h.Sum(nil))
}

func TestPassphraseRootKey(t *testing.T) {
	dir := t.TempDir()
	s := sealtest.Start(t, sealtest.WithDir(dir), func(c *config.Config) {
		c.RootKey = "passphrase"
		c.Passphrase = primitive.NewSecret([]byte("correct horse battery staple"))
	})
	c := s.KMS()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("locked")})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := os.Stat(filepath.Join(dir, "root.key")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the passphrase provider left a root.key file: %v", err)
	}

	before := hashTree(t, dir)
	cfg := s.Config
	cfg.Passphrase = primitive.NewSecret([]byte("wrong horse"))
	_, err = server.Open(ctx, cfg, server.Options{})
	if err == nil || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("Open with a wrong passphrase = %v, want a wrong-passphrase error", err)
	}
	if after := hashTree(t, dir); after != before {
		t.Fatalf("a refused start changed the data folder")
	}
	cfg.RootKey = "file"
	_, err = server.Open(ctx, cfg, server.Options{})
	if err == nil || !strings.Contains(err.Error(), "passphrase") {
		t.Fatalf("Open with the file provider over passphrase data = %v", err)
	}

	s2 := sealtest.Start(t, sealtest.WithDir(dir), func(c *config.Config) {
		c.RootKey = "passphrase"
		c.Passphrase = primitive.NewSecret([]byte("correct horse battery staple"))
	})
	dec, err := s2.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "locked" {
		t.Fatalf("Decrypt after reopening with the passphrase = %q, %v", dec.Plaintext, err)
	}
}

func TestAdminCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir = dir
	srv, err := server.Open(ctx, cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	id, secret := srv.AdminAccessKeyID, string(srv.AdminSecretAccessKey.Bytes())
	srv.Close()
	info, err := os.Stat(filepath.Join(dir, "admin-credentials"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("admin-credentials: %v, mode %v", err, info.Mode())
	}
	file := filepath.Join(dir, "admin-credentials")
	data, _ := os.ReadFile(file)
	want := "# The sealbox administrator's access key (IAM user admin). From any folder:\n" +
		"#   export AWS_SHARED_CREDENTIALS_FILE=" + file + " AWS_PROFILE=sealbox\n" +
		"[sealbox]\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	if string(data) != want || !strings.HasPrefix(id, "AKIA") || len(id) != 20 || len(secret) != 40 {
		t.Fatalf("admin-credentials = %q", data)
	}
	// A second start keeps the same pair.
	srv, err = server.Open(ctx, cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if srv.AdminAccessKeyID != id || !srv.AdminSecretAccessKey.EqualString(secret) {
		t.Fatalf("restart changed the admin pair")
	}
	srv.Close()
}

// TestFirstStart: the first start, from a relative data folder, makes the
// IAM user admin with AdministratorAccess and hands out its key, with
// absolute paths; the root has no access key.
func TestFirstStart(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg := config.Default()
	cfg.DataDir = "data"
	srv, err := server.Open(ctx, cfg, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wd, _ := os.Getwd()
	want := filepath.Join(wd, "data", "admin-credentials")
	if srv.AdminCredentialsFile != want || srv.DataDir() != filepath.Join(wd, "data") {
		t.Errorf("AdminCredentialsFile = %q, DataDir = %q; want absolute paths under %s", srv.AdminCredentialsFile, srv.DataDir(), wd)
	}
	if b, _ := os.ReadFile(want); !strings.Contains(string(b), "export AWS_SHARED_CREDENTIALS_FILE="+want+" ") {
		t.Errorf("admin-credentials does not name itself by its absolute path:\n%s", b)
	}
	keys, err := srv.RootAccessKeys(ctx)
	if err != nil || len(keys) != 0 {
		t.Errorf("root access keys after the first start = %v, %v; want none", keys, err)
	}
	srv.Close()

	s := sealtest.Start(t, sealtest.WithDir(filepath.Join(wd, "data")), func(c *config.Config) { c.AdminAccessKeyID, c.AdminSecretAccessKey = "", primitive.Secret{} })
	creds := aws.Credentials{AccessKeyID: srv.AdminAccessKeyID, SecretAccessKey: string(srv.AdminSecretAccessKey.Bytes())}
	who, err := sts.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/admin" {
		t.Fatalf("GetCallerIdentity with the first start's key = %+v, %v; want the IAM user admin", who, err)
	}
	att, err := iam.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("admin")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Fatalf("admin's attached policies = %+v, %v", att, err)
	}
}

func TestTLSWithGivenCertificate(t *testing.T) {
	// Make a certificate the way --tls=auto does, then serve it as given files.
	first := sealtest.Start(t, func(c *config.Config) { c.TLS = "auto" })
	first.Stop()
	cert, key := filepath.Join(first.Dir, "tls", "cert.pem"), filepath.Join(first.Dir, "tls", "key.pem")
	s := sealtest.Start(t, func(c *config.Config) { c.TLSCert, c.TLSKey = cert, key })
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL = %s, want https", s.URL)
	}
	if _, err := s.KMS().ListKeys(ctx, &kms.ListKeysInput{}); err != nil {
		t.Fatalf("ListKeys over HTTPS with --tls-cert: %v", err)
	}
	cfg := config.Default()
	cfg.DataDir, cfg.TLSCert, cfg.TLSKey = t.TempDir(), cert, filepath.Join(t.TempDir(), "missing.pem")
	if _, err := server.Open(ctx, cfg, server.Options{}); err == nil || !strings.Contains(err.Error(), "TLS certificate") {
		t.Fatalf("Open with a missing key file = %v, want a TLS error", err)
	}
}
