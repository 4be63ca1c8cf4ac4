package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/config"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// sealbox audit unseals the store with the provider the server's
// environment names, made as the server makes it (server.RootKeyProvider):
// here a KMS key of another sealbox.
func TestAuditPublicKeyKMSRootKey(t *testing.T) {
	outer := sealtest.Start(t)
	created, err := outer.KMS().CreateKey(context.Background(), &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := aws.ToString(created.KeyMetadata.Arn)
	sealtest.AWSEnv(t, aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey})
	s := sealtest.Start(t, func(c *config.Config) {
		c.RootKey, c.RootKeyKMSKeyID, c.RootKeyKMSEndpoint, c.RootKeyKMSRegion = config.RootKeyKMS, keyARN, outer.URL, "us-east-1"
	})
	s.Stop()
	vars := map[string]string{
		"SEALBOX_ROOT_KEY":              "kms",
		"SEALBOX_ROOT_KEY_KMS_KEY_ID":   keyARN,
		"SEALBOX_ROOT_KEY_KMS_ENDPOINT": outer.URL,
		"SEALBOX_ROOT_KEY_KMS_REGION":   "us-east-1",
	}
	code, out, errOut := runMain(t, vars, "audit", "public-key", "--data", s.Dir)
	if code != 0 || !strings.Contains(out, "BEGIN PUBLIC KEY") {
		t.Fatalf("sealbox audit public-key with SEALBOX_ROOT_KEY=kms = exit %d:\n%s%s", code, out, errOut)
	}
	// Without the server's root-key settings: the file provider, refused.
	code, _, errOut = runMain(t, nil, "audit", "public-key", "--data", s.Dir)
	if code == 0 || !strings.Contains(errOut, `sealed by the "kms" root-key provider, not "file"`) {
		t.Errorf("sealbox audit public-key without SEALBOX_ROOT_KEY = exit %d, stderr:\n%s\nwant the provider mismatch told", code, errOut)
	}
}
