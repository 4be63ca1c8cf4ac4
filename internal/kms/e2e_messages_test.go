package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// wantMessage fails unless err is code with HTTP 400 and exactly msg.
func wantMessage(t *testing.T, call string, err error, code, msg string) {
	t.Helper()
	if got := wantAPIError(t, call, err, code, 400).Message; got != msg {
		t.Errorf("%s: message %q, want %q", call, got, msg)
	}
}

// TestWrongUsageMessages: a key used for what its usage does not allow,
// and an algorithm its spec does not take, are refused in AWS's words (as
// LocalStack's KMS snapshot tests recorded them against AWS).
func TestWrongUsageMessages(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	msg := []byte("message")
	sym := createKey(t, c, "symmetric")
	signing := createAsym(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	mac := createAsym(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)

	_, err := c.Sign(ctx, &kms.SignInput{KeyId: sym.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantMessage(t, "Sign(ENCRYPT_DECRYPT key)", err, "InvalidKeyUsageException", *sym.Arn+" key usage is ENCRYPT_DECRYPT which is not valid for Sign.")
	_, err = c.Verify(ctx, &kms.VerifyInput{KeyId: sym.KeyId, Message: msg, Signature: []byte("sig"), SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantMessage(t, "Verify(ENCRYPT_DECRYPT key)", err, "InvalidKeyUsageException", *sym.Arn+" key usage is ENCRYPT_DECRYPT which is not valid for Verify.")
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: mac.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	wantMessage(t, "Sign(GENERATE_VERIFY_MAC key)", err, "InvalidKeyUsageException", *mac.Arn+" key usage is GENERATE_VERIFY_MAC which is not valid for Sign.")
	_, err = c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: sym.KeyId, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	wantMessage(t, "GenerateMac(ENCRYPT_DECRYPT key)", err, "InvalidKeyUsageException", *sym.Arn+" key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.")
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: signing.KeyId, Plaintext: msg})
	wantMessage(t, "Encrypt(SIGN_VERIFY key)", err, "InvalidKeyUsageException", *signing.Arn+" key usage is SIGN_VERIFY which is not valid for Encrypt.")
	_, err = c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: mac.KeyId, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha512})
	wantMessage(t, "GenerateMac(HMAC_SHA_512 on HMAC_256)", err, "InvalidKeyUsageException", "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.")
	// Not recorded against AWS; the same wording, by analogy with the MAC one.
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: signing.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha384})
	wantMessage(t, "Sign(ECDSA_SHA_384 on ECC_NIST_P256)", err, "InvalidKeyUsageException", "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.")
}

// TestReplicateReplicaMessage: ReplicateKey on a replica is refused as
// AWS refuses it (LocalStack's snapshot test_replicate_replica_key_should_fail,
// recorded against AWS: "<arn> is not a multi-region primary key.").
func TestReplicateReplicaMessage(t *testing.T) {
	s := sealtest.Start(t)
	ce, cw := s.KMSIn(east), s.KMSIn(west)
	id := *createMRK(t, ce, &kms.CreateKeyInput{}).KeyId
	rep := must[*kms.ReplicateKeyOutput](t, "ReplicateKey")(ce.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String(west)}))
	_, err := cw.ReplicateKey(ctx, &kms.ReplicateKeyInput{KeyId: &id, ReplicaRegion: aws.String("ap-south-1")})
	wantMessage(t, "ReplicateKey(of a replica)", err, "UnsupportedOperationException", *rep.ReplicaKeyMetadata.Arn+" is not a multi-region primary key.")
}
