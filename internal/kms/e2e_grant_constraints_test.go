package kms_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestGrantConstraintsOnEveryOperation (sound; the denials had no test):
// a user with no IAM policy holds, on one key, a grant of every symmetric
// operation constrained to EncryptionContextEquals {app: billing}, and on
// another a ReEncryptTo grant with EncryptionContextSubset {app: billing}.
// Each operation the grant allows is refused under any other context:
// Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, Decrypt, and
// ReEncrypt on either side.
func TestGrantConstraintsOnEveryOperation(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	src, dst := createKey(t, admin, "src"), createKey(t, admin, "dst")
	g := kms.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "g")))
	const grantee = "arn:aws:iam::123456789012:user/g"
	billing := map[string]string{"app": "billing"}
	must[*kms.CreateGrantOutput](t, "CreateGrant src")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: src.KeyId, GranteePrincipal: aws.String(grantee),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt, types.GrantOperationGenerateDataKey,
			types.GrantOperationGenerateDataKeyWithoutPlaintext, types.GrantOperationReEncryptFrom, types.GrantOperationReEncryptTo},
		Constraints: &types.GrantConstraints{EncryptionContextEquals: billing}}))
	must[*kms.CreateGrantOutput](t, "CreateGrant dst")(admin.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: dst.KeyId, GranteePrincipal: aws.String(grantee),
		Operations: []types.GrantOperation{types.GrantOperationReEncryptTo}, Constraints: &types.GrantConstraints{EncryptionContextSubset: billing}}))

	others := map[string]map[string]string{
		"no context":              nil,
		"another value":           {"app": "payroll"},
		"one key more":            {"app": "billing", "env": "prod"},
		"the key in another case": {"APP": "billing"},
	}
	ct := must[*kms.EncryptOutput](t, "Encrypt under the grant")(g.Encrypt(ctx, &kms.EncryptInput{KeyId: src.KeyId, Plaintext: []byte("p"), EncryptionContext: billing})).CiphertextBlob
	must[*kms.GenerateDataKeyOutput](t, "GenerateDataKey under the grant")(g.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: src.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: billing}))
	must[*kms.GenerateDataKeyWithoutPlaintextOutput](t, "GenerateDataKeyWithoutPlaintext under the grant")(g.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: src.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: billing}))
	must[*kms.DecryptOutput](t, "Decrypt under the grant")(g.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct, EncryptionContext: billing}))
	must[*kms.ReEncryptOutput](t, "ReEncrypt to dst under a wider context (Subset)")(g.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: ct, SourceEncryptionContext: billing,
		DestinationKeyId: dst.KeyId, DestinationEncryptionContext: map[string]string{"app": "billing", "env": "prod"}}))
	for name, ec := range others {
		_, err := g.Encrypt(ctx, &kms.EncryptInput{KeyId: src.KeyId, Plaintext: []byte("p"), EncryptionContext: ec})
		wantAPIError(t, "Encrypt, "+name, err, "AccessDeniedException", 400)
		_, err = g.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: src.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
		wantAPIError(t, "GenerateDataKey, "+name, err, "AccessDeniedException", 400)
		_, err = g.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: src.KeyId, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec})
		wantAPIError(t, "GenerateDataKeyWithoutPlaintext, "+name, err, "AccessDeniedException", 400)
		// The ciphertext was made under billing: the admin's own under ec
		// tells the grant's refusal from a wrong context.
		other := must[*kms.EncryptOutput](t, "admin Encrypt, "+name)(admin.Encrypt(ctx, &kms.EncryptInput{KeyId: src.KeyId, Plaintext: []byte("p"), EncryptionContext: ec})).CiphertextBlob
		_, err = g.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: other, EncryptionContext: ec})
		wantAPIError(t, "Decrypt, "+name, err, "AccessDeniedException", 400)
		_, err = g.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: other, SourceEncryptionContext: ec, DestinationKeyId: dst.KeyId, DestinationEncryptionContext: billing})
		wantAPIError(t, "ReEncrypt from, "+name, err, "AccessDeniedException", 400)
		if name != "one key more" { // a Subset grant allows more keys
			_, err = g.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: ct, SourceEncryptionContext: billing, DestinationKeyId: dst.KeyId, DestinationEncryptionContext: ec})
			wantAPIError(t, "ReEncrypt to, "+name, err, "AccessDeniedException", 400)
		}
		_, err = g.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: ct, SourceEncryptionContext: billing, DestinationKeyId: src.KeyId, DestinationEncryptionContext: ec})
		wantAPIError(t, "ReEncrypt to src (Equals), "+name, err, "AccessDeniedException", 400)
	}
}
