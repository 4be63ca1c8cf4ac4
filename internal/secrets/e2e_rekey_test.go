package secrets_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestUpdateSecretNewKeyReencryptsLabelledVersions: a new KmsKeyId without
// a new value moves AWSCURRENT and AWSPREVIOUS to the new key, as AWS does;
// both still read back, and disabling the old key does not break them.
func TestUpdateSecretNewKeyReencryptsLabelledVersions(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SecretsManager()
	k := s.KMS()
	oldKey, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("old")})
	if err != nil {
		t.Fatal(err)
	}
	newKey, err := k.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("new")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("db"), SecretString: aws.String("v1"), KmsKeyId: oldKey.KeyMetadata.Arn}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("db"), SecretString: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateSecret(ctx, &secretsmanager.UpdateSecretInput{SecretId: aws.String("db"), KmsKeyId: newKey.KeyMetadata.Arn}); err != nil {
		t.Fatalf("UpdateSecret(KmsKeyId): %v", err)
	}
	// The old key is no longer needed to read the labelled versions.
	if _, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: oldKey.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	for stage, want := range map[string]string{"AWSCURRENT": "v2", "AWSPREVIOUS": "v1"} {
		got, err := c.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("db"), VersionStage: aws.String(stage)})
		if err != nil || aws.ToString(got.SecretString) != want {
			t.Fatalf("GetSecretValue(%s) after the key change = %v, %v; want %s", stage, got, err, want)
		}
	}
	d, err := c.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("db")})
	if err != nil || aws.ToString(d.KmsKeyId) != *newKey.KeyMetadata.Arn {
		t.Fatalf("DescribeSecret.KmsKeyId = %v, %v; want the new key", d, err)
	}
}
