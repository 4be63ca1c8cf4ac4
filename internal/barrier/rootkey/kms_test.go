package rootkey_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// kmsServer starts a sealbox to serve as the KMS, with the admin's
// credentials in the environment, and makes a key there.
func kmsServer(t *testing.T) (*sealtest.Server, string) {
	t.Helper()
	outer := sealtest.Start(t)
	sealtest.AWSEnv(t, aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey})
	return outer, createKey(t, outer)
}

func createKey(t *testing.T, outer *sealtest.Server) string {
	t.Helper()
	out, err := outer.KMS().CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.KeyMetadata.Arn)
}

func newKMS(t *testing.T, outer *sealtest.Server, cfg rootkey.KMSConfig) *rootkey.KMS {
	t.Helper()
	cfg.Endpoint, cfg.Region = outer.URL, "us-east-1"
	if cfg.Deployment == "" {
		cfg.Deployment = "111122223333"
	}
	p, err := rootkey.NewKMS(ctx, cfg)
	if err != nil {
		t.Fatalf("NewKMS = %v", err)
	}
	return p
}

func TestKMSRoundTrip(t *testing.T) {
	outer, keyARN := kmsServer(t)
	if _, err := outer.KMS().CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/sealbox-root"), TargetKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{keyARN, "alias/sealbox-root"} {
		p := newKMS(t, outer, rootkey.KMSConfig{KeyID: id})
		if p.Name() != "kms" {
			t.Errorf("Name() = %q, want kms", p.Name())
		}
		key := primitive.Random(32)
		w, err := p.Wrap(ctx, key)
		if err != nil {
			t.Fatalf("Wrap() with key %s = %v", id, err)
		}
		if w[0] != 1 || bytes.Contains(w, key) {
			t.Errorf("blob %x: want version 1 and no barrier key in it", w)
		}
		got, err := newKMS(t, outer, rootkey.KMSConfig{KeyID: id}).Unwrap(ctx, w)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("Unwrap(Wrap(key)) with key %s = %x, %v; want %x", id, got, err, key)
		}
		for _, bad := range [][]byte{nil, {1}, {2, 1, 2, 3}, append([]byte{1}, w[2:]...)} {
			if _, err := p.Unwrap(ctx, bad); err == nil {
				t.Errorf("Unwrap(%x) = nil error, want an error", bad)
			}
		}
	}
}

// The encryption context binds the blob to its deployment; Decrypt names
// the configured key, so another key's blob is refused too.
func TestKMSWrongKeyOrDeployment(t *testing.T) {
	outer, keyARN := kmsServer(t)
	other := createKey(t, outer)
	w, err := newKMS(t, outer, rootkey.KMSConfig{KeyID: keyARN, Deployment: "111122223333"}).Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		cfg  rootkey.KMSConfig
		code string
	}{
		"another deployment": {rootkey.KMSConfig{KeyID: keyARN, Deployment: "444455556666"}, "InvalidCiphertextException"},
		"another key":        {rootkey.KMSConfig{KeyID: other, Deployment: "111122223333"}, "IncorrectKeyException"},
	} {
		_, err := newKMS(t, outer, tc.cfg).Unwrap(ctx, w)
		if !errors.Is(err, rootkey.ErrWrongRootKey) || !strings.Contains(err.Error(), tc.cfg.KeyID) || !strings.Contains(err.Error(), tc.code) {
			t.Errorf("%s: Unwrap() = %v, want ErrWrongRootKey naming %s and %s", name, err, tc.cfg.KeyID, tc.code)
		}
	}
}

func TestKMSKeyDisabledOrAbsent(t *testing.T) {
	outer, keyARN := kmsServer(t)
	p := newKMS(t, outer, rootkey.KMSConfig{KeyID: keyARN})
	w, err := p.Wrap(ctx, primitive.Random(32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := outer.KMS().DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	want := "the root key's KMS key " + keyARN + " is disabled (DisabledException): "
	for name, call := range map[string]func() error{
		"Wrap":   func() error { _, err := p.Wrap(ctx, primitive.Random(32)); return err },
		"Unwrap": func() error { _, err := p.Unwrap(ctx, w); return err },
	} {
		if err := call(); !errors.Is(err, rootkey.ErrRootKeyUnusable) || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s() with the key disabled = %v, want ErrRootKeyUnusable starting %q", name, err, want)
		}
	}
	missing := "arn:aws:kms:us-east-1:" + sealtest.AccountID + ":key/00000000-0000-0000-0000-000000000000"
	_, err = newKMS(t, outer, rootkey.KMSConfig{KeyID: missing}).Wrap(ctx, primitive.Random(32))
	if !errors.Is(err, rootkey.ErrKeyAbsent) || !strings.Contains(err.Error(), missing) || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("Wrap() with a key that does not exist = %v, want ErrKeyAbsent naming it and NotFoundException", err)
	}
}

func TestKMSNeedsARegion(t *testing.T) {
	sealtest.AWSEnv(t, aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "x"})
	if _, err := rootkey.NewKMS(ctx, rootkey.KMSConfig{KeyID: "alias/x"}); err == nil || !strings.Contains(err.Error(), "--root-key-kms-region") {
		t.Errorf("NewKMS without a region = %v, want an error naming --root-key-kms-region", err)
	}
}
