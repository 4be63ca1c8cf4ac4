package kms_test

import (
	"crypto/sha3"
	"testing"

	"filippo.io/mldsa"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// externalMu is FIPS 204's message representative with the empty context,
// as AWS's EXTERNAL_MU expects it: SHAKE256(SHAKE256(pk, 64) || 0x00 ||
// 0x00 || msg, 64).
func externalMu(pk, msg []byte) []byte {
	tr := sha3.SumSHAKE256(pk, 64)
	h := sha3.NewSHAKE256()
	h.Write(tr)
	h.Write([]byte{0, 0})
	h.Write(msg)
	mu := make([]byte, 64)
	h.Read(mu)
	return mu
}

// TestSignExternalMu signs a μ computed here, for each ML-DSA spec, and
// checks the signature over the message itself with filippo.io/mldsa and
// with circl (verifyIndependently), from GetPublicKey's DER alone; KMS's
// Verify takes it as RAW. Verify with EXTERNAL_MU is refused.
func TestSignExternalMu(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	msg := []byte("a message whose mu was computed by the caller")
	for spec, params := range map[types.KeySpec]mldsa.Parameters{
		types.KeySpecMlDsa44: mldsa.MLDSA44(), types.KeySpecMlDsa65: mldsa.MLDSA65(), types.KeySpecMlDsa87: mldsa.MLDSA87(),
	} {
		md := must[*kms.CreateKeyOutput](t, "CreateKey("+string(spec)+")")(c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: types.KeyUsageTypeSignVerify})).KeyMetadata
		der := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId})).PublicKey
		pk, err := mldsa.NewPublicKey(params, rawSPKI(t, der).PublicKey.Bytes)
		if err != nil {
			t.Fatalf("%s public key: %v", spec, err)
		}
		mu := externalMu(pk.Bytes(), msg)
		out := must[*kms.SignOutput](t, "Sign(EXTERNAL_MU)")(c.Sign(ctx, &kms.SignInput{
			KeyId: md.KeyId, Message: mu, MessageType: types.MessageTypeExternalMu, SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256,
		}))
		if out.SigningAlgorithm != types.SigningAlgorithmSpecMlDsaShake256 || len(out.Signature) != params.SignatureSize() {
			t.Fatalf("%s: Sign = algorithm %s, %d-byte signature", spec, out.SigningAlgorithm, len(out.Signature))
		}
		if err := mldsa.Verify(pk, msg, out.Signature, nil); err != nil {
			t.Fatalf("%s: the signature of mu does not verify over the message: %v", spec, err)
		}
		if !verifyIndependently(t, spec, der, types.SigningAlgorithmSpecMlDsaShake256, msg, out.Signature) {
			t.Fatalf("%s: the signature of mu does not verify with circl", spec)
		}
		must[*kms.VerifyOutput](t, "Verify(RAW) of the mu signature")(c.Verify(ctx, &kms.VerifyInput{
			KeyId: md.KeyId, Message: msg, MessageType: types.MessageTypeRaw, Signature: out.Signature, SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256,
		}))

		// RAW signing still verifies with both libraries.
		raw := must[*kms.SignOutput](t, "Sign(RAW)")(c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256}))
		if mldsa.Verify(pk, msg, raw.Signature, nil) != nil || !verifyIndependently(t, spec, der, types.SigningAlgorithmSpecMlDsaShake256, msg, raw.Signature) {
			t.Fatalf("%s: the RAW signature does not verify", spec)
		}

		_, err = c.Verify(ctx, &kms.VerifyInput{
			KeyId: md.KeyId, Message: mu, MessageType: types.MessageTypeExternalMu, Signature: out.Signature, SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256,
		})
		sealtest.APIErrorContaining(t, "Verify(EXTERNAL_MU)", err, "UnsupportedOperationException", 400, "MessageType RAW")
		for _, bad := range [][]byte{mu[:32], append(mu, 0)} {
			_, err = c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: bad, MessageType: types.MessageTypeExternalMu, SigningAlgorithm: types.SigningAlgorithmSpecMlDsaShake256})
			sealtest.APIErrorContaining(t, "Sign(EXTERNAL_MU, wrong length)", err, "ValidationException", 400, "64-byte mu")
		}
	}
	ec := must[*kms.CreateKeyOutput](t, "CreateKey(P-256)")(c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeSignVerify})).KeyMetadata
	_, err := c.Sign(ctx, &kms.SignInput{KeyId: ec.KeyId, Message: make([]byte, 64), MessageType: types.MessageTypeExternalMu, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	sealtest.APIErrorContaining(t, "Sign(ECDSA, EXTERNAL_MU)", err, "ValidationException", 400, "MessageType EXTERNAL_MU is not valid for signing algorithm ECDSA_SHA_256.")
}
