package kms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	secpecdsa "github.com/decred/dcrd/dcrec/secp256k1/v4/ecdsa"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func createAsym(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) *types.KeyMetadata {
	t.Helper()
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatalf("CreateKey(%s, %s): %v", spec, usage, err)
	}
	md := out.KeyMetadata
	if md.KeySpec != spec || md.KeyUsage != usage {
		t.Fatalf("CreateKey(%s, %s) = %s, %s", spec, usage, md.KeySpec, md.KeyUsage)
	}
	return md
}

type spkiDER struct {
	Algo      pkix.AlgorithmIdentifier
	PublicKey asn1.BitString
}

// rawSPKI returns the algorithm and key bits of a SubjectPublicKeyInfo, for
// the keys crypto/x509 does not parse (secp256k1, ML-DSA).
func rawSPKI(t *testing.T, der []byte) spkiDER {
	t.Helper()
	var s spkiDER
	if rest, err := asn1.Unmarshal(der, &s); err != nil || len(rest) != 0 {
		t.Fatalf("SubjectPublicKeyInfo does not parse: %v", err)
	}
	return s
}

var hashes = map[types.SigningAlgorithmSpec]crypto.Hash{
	"RSASSA_PSS_SHA_256": crypto.SHA256, "RSASSA_PSS_SHA_384": crypto.SHA384, "RSASSA_PSS_SHA_512": crypto.SHA512,
	"RSASSA_PKCS1_V1_5_SHA_256": crypto.SHA256, "RSASSA_PKCS1_V1_5_SHA_384": crypto.SHA384, "RSASSA_PKCS1_V1_5_SHA_512": crypto.SHA512,
	"ECDSA_SHA_256": crypto.SHA256, "ECDSA_SHA_384": crypto.SHA384, "ECDSA_SHA_512": crypto.SHA512, "ED25519_PH_SHA_512": crypto.SHA512,
}

func digestOf(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// verifyIndependently checks sig over msg with the public key alone, with
// Go's crypto or the secp256k1 and ML-DSA libraries.
func verifyIndependently(t *testing.T, spec types.KeySpec, pubDER []byte, alg types.SigningAlgorithmSpec, msg, sig []byte) bool {
	t.Helper()
	h := hashes[alg]
	switch {
	case spec == types.KeySpecEccSecgP256k1:
		pk, err := secp256k1.ParsePubKey(rawSPKI(t, pubDER).PublicKey.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		p, err := secpecdsa.ParseDERSignature(sig)
		return err == nil && p.Verify(digestOf(h, msg), pk)
	case strings.HasPrefix(string(spec), "ML_DSA_"):
		bits := rawSPKI(t, pubDER).PublicKey.Bytes
		switch spec {
		case types.KeySpecMlDsa44:
			var pk mldsa44.PublicKey
			return pk.UnmarshalBinary(bits) == nil && mldsa44.Verify(&pk, msg, nil, sig)
		case types.KeySpecMlDsa65:
			var pk mldsa65.PublicKey
			return pk.UnmarshalBinary(bits) == nil && mldsa65.Verify(&pk, msg, nil, sig)
		default:
			var pk mldsa87.PublicKey
			return pk.UnmarshalBinary(bits) == nil && mldsa87.Verify(&pk, msg, nil, sig)
		}
	}
	pub, err := x509.ParsePKIXPublicKey(pubDER)
	if err != nil {
		t.Fatalf("x509.ParsePKIXPublicKey(%s): %v", spec, err)
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if strings.HasPrefix(string(alg), "RSASSA_PSS") {
			return rsa.VerifyPSS(pub, h, digestOf(h, msg), sig, &rsa.PSSOptions{SaltLength: h.Size()}) == nil
		}
		return rsa.VerifyPKCS1v15(pub, h, digestOf(h, msg), sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(pub, digestOf(h, msg), sig)
	case ed25519.PublicKey:
		if alg == types.SigningAlgorithmSpecEd25519PhSha512 {
			return ed25519.VerifyWithOptions(pub, digestOf(h, msg), sig, &ed25519.Options{Hash: crypto.SHA512}) == nil
		}
		return ed25519.Verify(pub, msg, sig)
	}
	t.Fatalf("unexpected public key %T", pub)
	return false
}

// TestSignVerifyEverySpec signs with every signing spec and algorithm, RAW
// and DIGEST where the algorithm takes it, and checks each signature with
// an independent implementation from GetPublicKey's DER; then KMS's Verify,
// and a tampered signature.
func TestSignVerifyEverySpec(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	rsaAlgs := []types.SigningAlgorithmSpec{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
		"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}
	specs := []struct {
		spec types.KeySpec
		algs []types.SigningAlgorithmSpec
	}{
		{types.KeySpecRsa2048, rsaAlgs},
		{types.KeySpecRsa3072, rsaAlgs},
		{types.KeySpecRsa4096, rsaAlgs},
		{types.KeySpecEccNistP256, []types.SigningAlgorithmSpec{"ECDSA_SHA_256"}},
		{types.KeySpecEccNistP384, []types.SigningAlgorithmSpec{"ECDSA_SHA_384"}},
		{types.KeySpecEccNistP521, []types.SigningAlgorithmSpec{"ECDSA_SHA_512"}},
		{types.KeySpecEccSecgP256k1, []types.SigningAlgorithmSpec{"ECDSA_SHA_256"}},
		{types.KeySpecEccNistEdwards25519, []types.SigningAlgorithmSpec{"ED25519_SHA_512", "ED25519_PH_SHA_512"}},
		{types.KeySpecMlDsa44, []types.SigningAlgorithmSpec{"ML_DSA_SHAKE_256"}},
		{types.KeySpecMlDsa65, []types.SigningAlgorithmSpec{"ML_DSA_SHAKE_256"}},
		{types.KeySpecMlDsa87, []types.SigningAlgorithmSpec{"ML_DSA_SHAKE_256"}},
	}
	msg := []byte("a message to sign, as an application would")
	for _, sp := range specs {
		md := createAsym(t, c, sp.spec, types.KeyUsageTypeSignVerify)
		if !slices.Equal(md.SigningAlgorithms, sp.algs) || len(md.EncryptionAlgorithms) != 0 {
			t.Errorf("%s: SigningAlgorithms %v, EncryptionAlgorithms %v", sp.spec, md.SigningAlgorithms, md.EncryptionAlgorithms)
		}
		pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
		if pk.KeySpec != sp.spec || pk.KeyUsage != types.KeyUsageTypeSignVerify || !slices.Equal(pk.SigningAlgorithms, sp.algs) || *pk.KeyId != *md.Arn {
			t.Errorf("GetPublicKey(%s) = %s %s %v", sp.spec, pk.KeySpec, pk.KeyUsage, pk.SigningAlgorithms)
		}
		for _, alg := range sp.algs {
			for _, mt := range []types.MessageType{types.MessageTypeRaw, types.MessageTypeDigest} {
				in := msg
				switch {
				case mt == types.MessageTypeDigest && (alg == "ED25519_SHA_512" || alg == "ML_DSA_SHAKE_256"),
					mt == types.MessageTypeRaw && alg == "ED25519_PH_SHA_512":
					_, err := c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: in, MessageType: mt, SigningAlgorithm: alg})
					wantAPIError(t, "Sign("+string(alg)+", "+string(mt)+")", err, "ValidationException", 400)
					continue
				case mt == types.MessageTypeDigest:
					in = digestOf(hashes[alg], msg)
				}
				out := must[*kms.SignOutput](t, "Sign")(c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: in, MessageType: mt, SigningAlgorithm: alg}))
				if out.SigningAlgorithm != alg || *out.KeyId != *md.Arn {
					t.Errorf("Sign(%s) = %s, %s", alg, out.SigningAlgorithm, *out.KeyId)
				}
				if !verifyIndependently(t, sp.spec, pk.PublicKey, alg, msg, out.Signature) {
					t.Errorf("%s %s %s: the signature does not verify with the public key", sp.spec, alg, mt)
				}
				v := must[*kms.VerifyOutput](t, "Verify")(c.Verify(ctx, &kms.VerifyInput{KeyId: md.KeyId, Message: in, MessageType: mt, SigningAlgorithm: alg, Signature: out.Signature}))
				if !v.SignatureValid || v.SigningAlgorithm != alg {
					t.Errorf("Verify(%s %s) = %v", sp.spec, alg, v.SignatureValid)
				}
				bad := bytes.Clone(out.Signature)
				bad[len(bad)/2] ^= 0x10
				_, err := c.Verify(ctx, &kms.VerifyInput{KeyId: md.KeyId, Message: in, MessageType: mt, SigningAlgorithm: alg, Signature: bad})
				wantAPIError(t, "Verify(tampered "+string(sp.spec)+" "+string(alg)+")", err, "KMSInvalidSignatureException", 400)
			}
		}
		other := types.SigningAlgorithmSpecEcdsaSha384
		if sp.spec == types.KeySpecEccNistP384 {
			other = types.SigningAlgorithmSpecEcdsaSha256
		}
		_, err := c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: other})
		wantAPIError(t, "Sign("+string(sp.spec)+", "+string(other)+")", err, "InvalidKeyUsageException", 400)
		_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: msg, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
		wantAPIError(t, "Encrypt(SIGN_VERIFY key)", err, "InvalidKeyUsageException", 400)
		_, err = c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: md.KeyId})
		wantAPIError(t, "EnableKeyRotation(asymmetric)", err, "UnsupportedOperationException", 400)
		_, err = c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: md.KeyId})
		wantAPIError(t, "RotateKeyOnDemand(asymmetric)", err, "UnsupportedOperationException", 400)
		_, err = c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: md.KeyId})
		wantAPIError(t, "GetKeyRotationStatus(asymmetric)", err, "UnsupportedOperationException", 400)
	}
	ec := createAsym(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	_, err := c.Sign(ctx, &kms.SignInput{KeyId: ec.KeyId, Message: make([]byte, 31), MessageType: types.MessageTypeDigest, SigningAlgorithm: "ECDSA_SHA_256"})
	if e := wantAPIError(t, "Sign(31-byte digest)", err, "ValidationException", 400); e.Message != "Digest is invalid length for algorithm ECDSA_SHA_256." {
		t.Errorf("message = %q", e.Message)
	}
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: ec.KeyId, Message: make([]byte, 4097), SigningAlgorithm: "ECDSA_SHA_256"})
	wantAPIError(t, "Sign(4097 bytes)", err, "ValidationException", 400)
	sym := createKey(t, c, "symmetric")
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: sym.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"})
	wantAPIError(t, "Sign(symmetric key)", err, "InvalidKeyUsageException", 400)
	_, err = c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: sym.KeyId})
	wantAPIError(t, "GetPublicKey(symmetric key)", err, "UnsupportedOperationException", 400)
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: ec.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256", DryRun: aws.Bool(true)})
	wantAPIError(t, "Sign(DryRun)", err, "DryRunOperationException", 400)
	// Grants: the operations follow the key's usage.
	grantee := "arn:aws:iam::123456789012:role/signer"
	must[*kms.CreateGrantOutput](t, "CreateGrant(Sign)")(c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: ec.KeyId, GranteePrincipal: &grantee,
		Operations: []types.GrantOperation{types.GrantOperationSign, types.GrantOperationVerify, types.GrantOperationGetPublicKey}}))
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: ec.KeyId, GranteePrincipal: &grantee, Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	wantAPIError(t, "CreateGrant(Decrypt on a signing key)", err, "ValidationException", 400)
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: sym.KeyId, GranteePrincipal: &grantee, Operations: []types.GrantOperation{types.GrantOperationSign}})
	wantAPIError(t, "CreateGrant(Sign on a symmetric key)", err, "ValidationException", 400)
}

func TestAsymmetricEncryptDecrypt(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createAsym(t, c, types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)
	if !slices.Equal(md.EncryptionAlgorithms, []types.EncryptionAlgorithmSpec{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}) || len(md.SigningAlgorithms) != 0 {
		t.Fatalf("EncryptionAlgorithms %v, SigningAlgorithms %v", md.EncryptionAlgorithms, md.SigningAlgorithms)
	}
	pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
	pub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	sym := createKey(t, c, "symmetric")
	pt := []byte("encrypted outside, decrypted by KMS")
	for alg, h := range map[types.EncryptionAlgorithmSpec]func() []byte{
		"RSAES_OAEP_SHA_1": func() []byte {
			ct, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub.(*rsa.PublicKey), pt, nil)
			return ct
		},
		"RSAES_OAEP_SHA_256": func() []byte {
			ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), pt, nil)
			return ct
		},
	} {
		ct := h()
		dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct, KeyId: md.KeyId, EncryptionAlgorithm: alg}))
		if !bytes.Equal(dec.Plaintext, pt) || dec.EncryptionAlgorithm != alg || *dec.KeyId != *md.Arn {
			t.Fatalf("Decrypt(%s) = %q, %s", alg, dec.Plaintext, dec.EncryptionAlgorithm)
		}
		enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: pt, EncryptionAlgorithm: alg}))
		if len(enc.CiphertextBlob) != 256 || enc.EncryptionAlgorithm != alg {
			t.Fatalf("Encrypt(%s) = %d bytes, %s", alg, len(enc.CiphertextBlob), enc.EncryptionAlgorithm)
		}
		// ReEncrypt from the RSA key to a symmetric key and back.
		re := must[*kms.ReEncryptOutput](t, "ReEncrypt")(c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob,
			SourceKeyId: md.KeyId, SourceEncryptionAlgorithm: alg, DestinationKeyId: sym.KeyId}))
		back := must[*kms.ReEncryptOutput](t, "ReEncrypt")(c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: re.CiphertextBlob,
			DestinationKeyId: md.KeyId, DestinationEncryptionAlgorithm: alg}))
		if back.DestinationEncryptionAlgorithm != alg || back.SourceEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
			t.Fatalf("ReEncrypt to RSA = %s from %s", back.DestinationEncryptionAlgorithm, back.SourceEncryptionAlgorithm)
		}
		dec = must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: back.CiphertextBlob, KeyId: md.KeyId, EncryptionAlgorithm: alg}))
		if !bytes.Equal(dec.Plaintext, pt) {
			t.Fatalf("Decrypt after ReEncrypt = %q", dec.Plaintext)
		}
	}
	ct, _ := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), pt, nil)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct})
	wantAPIError(t, "Decrypt(RSA ciphertext, no KeyId)", err, "InvalidCiphertextException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct, KeyId: md.KeyId})
	wantAPIError(t, "Decrypt(RSA, no algorithm)", err, "InvalidKeyUsageException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct, KeyId: md.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1"})
	wantAPIError(t, "Decrypt(RSA, wrong algorithm)", err, "InvalidCiphertextException", 400)
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: make([]byte, 191), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	wantAPIError(t, "Encrypt(too long for OAEP)", err, "ValidationException", 400)
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: make([]byte, 191), EncryptionAlgorithm: "RSAES_OAEP_SHA_256", DryRun: aws.Bool(true)})
	wantAPIError(t, "Encrypt(too long for OAEP, DryRun)", err, "ValidationException", 400)
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: pt, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", EncryptionContext: map[string]string{"a": "b"}})
	wantAPIError(t, "Encrypt(RSA key with an encryption context)", err, "ValidationException", 400)
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: pt})
	wantAPIError(t, "Encrypt(RSA key, SYMMETRIC_DEFAULT)", err, "InvalidKeyUsageException", 400)
	_, err = c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: types.DataKeySpecAes256})
	wantAPIError(t, "GenerateDataKey(RSA key)", err, "InvalidKeyUsageException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: ct, KeyId: sym.KeyId})
	wantAPIError(t, "Decrypt(RSA ciphertext under a symmetric key)", err, "InvalidCiphertextException", 400)
}

func TestMacEverySpec(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	msg := []byte("authenticate me")
	for spec, alg := range map[types.KeySpec]types.MacAlgorithmSpec{"HMAC_224": "HMAC_SHA_224", "HMAC_256": "HMAC_SHA_256", "HMAC_384": "HMAC_SHA_384", "HMAC_512": "HMAC_SHA_512"} {
		md := createAsym(t, c, spec, types.KeyUsageTypeGenerateVerifyMac)
		if !slices.Equal(md.MacAlgorithms, []types.MacAlgorithmSpec{alg}) {
			t.Errorf("%s MacAlgorithms = %v", spec, md.MacAlgorithms)
		}
		out := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: alg}))
		size := map[types.MacAlgorithmSpec]int{"HMAC_SHA_224": 28, "HMAC_SHA_256": 32, "HMAC_SHA_384": 48, "HMAC_SHA_512": 64}[alg]
		if len(out.Mac) != size || out.MacAlgorithm != alg {
			t.Errorf("GenerateMac(%s) = %d bytes, %s", alg, len(out.Mac), out.MacAlgorithm)
		}
		again := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: alg}))
		if !bytes.Equal(again.Mac, out.Mac) {
			t.Errorf("GenerateMac(%s) is not deterministic", alg)
		}
		v := must[*kms.VerifyMacOutput](t, "VerifyMac")(c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: alg, Mac: out.Mac}))
		if !v.MacValid {
			t.Errorf("VerifyMac(%s) = false", alg)
		}
		bad := bytes.Clone(out.Mac)
		bad[0] ^= 1
		_, err := c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: alg, Mac: bad})
		wantAPIError(t, "VerifyMac(tampered)", err, "KMSInvalidMacException", 400)
		other := types.MacAlgorithmSpecHmacSha512
		if alg == other {
			other = types.MacAlgorithmSpecHmacSha256
		}
		_, err = c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: other})
		wantAPIError(t, "GenerateMac(wrong algorithm)", err, "InvalidKeyUsageException", 400)
		_, err = c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId})
		wantAPIError(t, "GetPublicKey(HMAC)", err, "UnsupportedOperationException", 400)
	}
	sym := createKey(t, c, "symmetric")
	_, err := c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: sym.KeyId, Message: msg, MacAlgorithm: "HMAC_SHA_256"})
	wantAPIError(t, "GenerateMac(symmetric key)", err, "InvalidKeyUsageException", 400)
}

func TestDeriveSharedSecret(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	for spec, curve := range map[types.KeySpec]ecdh.Curve{"ECC_NIST_P256": ecdh.P256(), "ECC_NIST_P384": ecdh.P384(), "ECC_NIST_P521": ecdh.P521()} {
		md := createAsym(t, c, spec, types.KeyUsageTypeKeyAgreement)
		if !slices.Equal(md.KeyAgreementAlgorithms, []types.KeyAgreementAlgorithmSpec{"ECDH"}) {
			t.Errorf("KeyAgreementAlgorithms = %v", md.KeyAgreementAlgorithms)
		}
		pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
		kmsPub, err := x509.ParsePKIXPublicKey(pk.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		kmsECDH, err := kmsPub.(*ecdsa.PublicKey).ECDH()
		if err != nil {
			t.Fatal(err)
		}
		peer, _ := curve.GenerateKey(rand.Reader)
		peerDER, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
		out := must[*kms.DeriveSharedSecretOutput](t, "DeriveSharedSecret")(c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{
			KeyId: md.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: peerDER}))
		want, _ := peer.ECDH(kmsECDH)
		if !bytes.Equal(out.SharedSecret, want) || out.KeyOrigin != types.OriginTypeAwsKms {
			t.Errorf("DeriveSharedSecret(%s) differs from the peer's ECDH", spec)
		}
		_, err = c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: []byte("not a key")})
		wantAPIError(t, "DeriveSharedSecret(bad public key)", err, "ValidationException", 400)
		_, err = c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: []byte("m"), SigningAlgorithm: "ECDSA_SHA_256"})
		wantAPIError(t, "Sign(KEY_AGREEMENT key)", err, "InvalidKeyUsageException", 400)
	}
}

// parsePrivate parses a PKCS #8 private key and returns its public key as
// SubjectPublicKeyInfo (secp256k1 by hand, as crypto/x509 does not know
// the curve).
func parsePrivate(t *testing.T, spec types.DataKeyPairSpec, der []byte) []byte {
	t.Helper()
	if spec == types.DataKeyPairSpecEccSecgP256k1 {
		var p struct {
			Version    int
			Algo       pkix.AlgorithmIdentifier
			PrivateKey []byte
		}
		var e struct {
			Version    int
			PrivateKey []byte
			PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
		}
		if _, err := asn1.Unmarshal(der, &p); err != nil {
			t.Fatal(err)
		}
		if _, err := asn1.Unmarshal(p.PrivateKey, &e); err != nil {
			t.Fatal(err)
		}
		pub := secp256k1.PrivKeyFromBytes(e.PrivateKey).PubKey().SerializeUncompressed()
		out, _ := asn1.Marshal(spkiDER{Algo: p.Algo, PublicKey: asn1.BitString{Bytes: pub, BitLength: 8 * len(pub)}})
		return out
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("%s private key: %v", spec, err)
	}
	out, err := x509.MarshalPKIXPublicKey(k.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGenerateDataKeyPair(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "wraps data key pairs")
	ec := map[string]string{"purpose": "pairs"}
	for _, spec := range []types.DataKeyPairSpec{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"} {
		out := must[*kms.GenerateDataKeyPairOutput](t, "GenerateDataKeyPair")(c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: md.KeyId, KeyPairSpec: spec, EncryptionContext: ec}))
		if out.KeyPairSpec != spec || *out.KeyId != *md.Arn || aws.ToString(out.KeyMaterialId) != *md.CurrentKeyMaterialId {
			t.Fatalf("GenerateDataKeyPair(%s) = %s, %s", spec, out.KeyPairSpec, *out.KeyId)
		}
		if !bytes.Equal(parsePrivate(t, spec, out.PrivateKeyPlaintext), out.PublicKey) {
			t.Errorf("%s: the private key does not match the public key", spec)
		}
		dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ec}))
		if !bytes.Equal(dec.Plaintext, out.PrivateKeyPlaintext) {
			t.Errorf("%s: the encrypted private key decrypts to another key", spec)
		}
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob})
		wantAPIError(t, "Decrypt(without the context)", err, "InvalidCiphertextException", 400)

		wo := must[*kms.GenerateDataKeyPairWithoutPlaintextOutput](t, "GenerateDataKeyPairWithoutPlaintext")(c.GenerateDataKeyPairWithoutPlaintext(ctx,
			&kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: md.KeyId, KeyPairSpec: spec, EncryptionContext: ec}))
		dec = must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wo.PrivateKeyCiphertextBlob, EncryptionContext: ec}))
		if !bytes.Equal(parsePrivate(t, spec, dec.Plaintext), wo.PublicKey) {
			t.Errorf("%s without plaintext: the private key does not match the public key", spec)
		}
	}
	_, err := c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: md.KeyId, KeyPairSpec: types.DataKeyPairSpecSm2})
	wantAPIError(t, "GenerateDataKeyPair(SM2)", err, "UnsupportedOperationException", 400)
	rsaKey := createAsym(t, c, types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)
	_, err = c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: rsaKey.KeyId, KeyPairSpec: "ECC_NIST_P256"})
	wantAPIError(t, "GenerateDataKeyPair(under an RSA key)", err, "InvalidKeyUsageException", 400)
}

// TestAsymmetricAuditEvents checks that the new operations are audited as
// CloudTrail records them, without a message, signature, MAC, plaintext or
// key in the event.
func TestAsymmetricAuditEvents(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	signing := createAsym(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	mac := createAsym(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	sym := createKey(t, c, "pairs")
	msg := []byte("a very recognisable message 0123456789")
	sig := must[*kms.SignOutput](t, "Sign")(c.Sign(ctx, &kms.SignInput{KeyId: signing.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"}))
	must[*kms.VerifyOutput](t, "Verify")(c.Verify(ctx, &kms.VerifyInput{KeyId: signing.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256", Signature: sig.Signature}))
	m := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: mac.KeyId, Message: msg, MacAlgorithm: "HMAC_SHA_256"}))
	must[*kms.VerifyMacOutput](t, "VerifyMac")(c.VerifyMac(ctx, &kms.VerifyMacInput{KeyId: mac.KeyId, Message: msg, MacAlgorithm: "HMAC_SHA_256", Mac: m.Mac}))
	pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: signing.KeyId}))
	pair := must[*kms.GenerateDataKeyPairOutput](t, "GenerateDataKeyPair")(c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: sym.KeyId, KeyPairSpec: "ECC_NIST_P256"}))

	secrets := [][]byte{msg, sig.Signature, m.Mac, pk.PublicKey, pair.PrivateKeyPlaintext, pair.PrivateKeyCiphertextBlob, pair.PublicKey}
	seen := map[string]map[string]any{}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		name, _ := e["eventName"].(string)
		seen[name] = e
		line, _ := json.Marshal(e)
		for _, b := range secrets {
			for _, enc := range []string{base64.StdEncoding.EncodeToString(b), string(b)} {
				if strings.Contains(string(line), enc) {
					t.Errorf("the %s event carries a message, MAC, signature or key: %s", name, line)
				}
			}
		}
	}
	for name, params := range map[string]map[string]string{
		"Sign":                {"signingAlgorithm": "ECDSA_SHA_256", "keyId": *signing.KeyId},
		"Verify":              {"signingAlgorithm": "ECDSA_SHA_256"},
		"GenerateMac":         {"macAlgorithm": "HMAC_SHA_256"},
		"VerifyMac":           {"macAlgorithm": "HMAC_SHA_256"},
		"GetPublicKey":        {"keyId": *signing.KeyId},
		"GenerateDataKeyPair": {"keyPairSpec": "ECC_NIST_P256"},
	} {
		e, ok := seen[name]
		if !ok {
			t.Errorf("no %s event", name)
			continue
		}
		if ro, _ := e["readOnly"].(bool); !ro {
			t.Errorf("%s event readOnly = %v, want true", name, e["readOnly"])
		}
		rp, _ := e["requestParameters"].(map[string]any)
		for k, v := range params {
			if rp[k] != v {
				t.Errorf("%s event requestParameters[%s] = %v, want %s", name, k, rp[k], v)
			}
		}
	}
}

// TestAsymmetricConditionKeys checks the condition keys of the new
// actions: kms:KeySpec and kms:KeyUsage on CreateKey, kms:MessageType and
// kms:SigningAlgorithm on Sign, kms:DataKeyPairSpec, kms:MacAlgorithm and
// kms:KeyAgreementAlgorithm.
func TestAsymmetricConditionKeys(t *testing.T) {
	s := sealtest.Start(t)
	admin := s.KMS()
	policy := `{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*","Condition":{"StringEquals":{"kms:KeySpec":"ECC_NIST_P256","kms:KeyUsage":"SIGN_VERIFY"}}},
	{"Effect":"Allow","Action":"kms:Sign","Resource":"*","Condition":{"StringEquals":{"kms:MessageType":"RAW","kms:SigningAlgorithm":"ECDSA_SHA_256"}}},
	{"Effect":"Allow","Action":"kms:GenerateMac","Resource":"*","Condition":{"StringEquals":{"kms:MacAlgorithm":"HMAC_SHA_384"}}},
	{"Effect":"Allow","Action":"kms:DeriveSharedSecret","Resource":"*","Condition":{"StringEquals":{"kms:KeyAgreementAlgorithm":"ECDH"}}},
	{"Effect":"Allow","Action":"kms:GenerateDataKeyPair","Resource":"*","Condition":{"StringEquals":{"kms:DataKeyPairSpec":"ECC_NIST_P256"}}}]}`
	role := s.NewRole(t, "signer", "", policy, "signer-session")
	c := kms.NewFromConfig(role.Config(s))

	md := createAsym(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	_, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	wantAPIError(t, "CreateKey(RSA_2048) with kms:KeySpec ECC_NIST_P256", err, "AccessDeniedException", 400)
	_, err = c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP256, KeyUsage: types.KeyUsageTypeKeyAgreement})
	wantAPIError(t, "CreateKey(KEY_AGREEMENT) with kms:KeyUsage SIGN_VERIFY", err, "AccessDeniedException", 400)

	must[*kms.SignOutput](t, "Sign(RAW)")(c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: []byte("m"), SigningAlgorithm: "ECDSA_SHA_256"}))
	d := sha256.Sum256([]byte("m"))
	_, err = c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: d[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: "ECDSA_SHA_256"})
	wantAPIError(t, "Sign(DIGEST) with kms:MessageType RAW", err, "AccessDeniedException", 400)

	mac256 := createAsym(t, admin, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	mac384 := createAsym(t, admin, types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac)
	must[*kms.GenerateMacOutput](t, "GenerateMac(HMAC_SHA_384)")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: mac384.KeyId, Message: []byte("m"), MacAlgorithm: "HMAC_SHA_384"}))
	_, err = c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: mac256.KeyId, Message: []byte("m"), MacAlgorithm: "HMAC_SHA_256"})
	wantAPIError(t, "GenerateMac(HMAC_SHA_256) with kms:MacAlgorithm HMAC_SHA_384", err, "AccessDeniedException", 400)

	agree := createAsym(t, admin, types.KeySpecEccNistP256, types.KeyUsageTypeKeyAgreement)
	peer, _ := ecdh.P256().GenerateKey(rand.Reader)
	peerDER, _ := x509.MarshalPKIXPublicKey(peer.PublicKey())
	must[*kms.DeriveSharedSecretOutput](t, "DeriveSharedSecret")(c.DeriveSharedSecret(ctx, &kms.DeriveSharedSecretInput{KeyId: agree.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peerDER}))

	sym := createKey(t, admin, "pairs")
	must[*kms.GenerateDataKeyPairOutput](t, "GenerateDataKeyPair(P256)")(c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: sym.KeyId, KeyPairSpec: "ECC_NIST_P256"}))
	_, err = c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: sym.KeyId, KeyPairSpec: "ECC_NIST_P384"})
	wantAPIError(t, "GenerateDataKeyPair(P384) with kms:DataKeyPairSpec ECC_NIST_P256", err, "AccessDeniedException", 400)
}
