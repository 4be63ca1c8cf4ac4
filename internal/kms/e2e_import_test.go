package kms_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"hash"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func createExternal(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) *types.KeyMetadata {
	t.Helper()
	in := &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: spec, KeyUsage: usage}
	md := must[*kms.CreateKeyOutput](t, "CreateKey(EXTERNAL)")(c.CreateKey(ctx, in)).KeyMetadata
	if md.Origin != types.OriginTypeExternal || md.KeyState != types.KeyStatePendingImport || md.Enabled {
		t.Fatalf("CreateKey(EXTERNAL) = origin %s, state %s, enabled %v", md.Origin, md.KeyState, md.Enabled)
	}
	return md
}

// wrapFor gets import parameters for keyID and wraps mat with Go's RSA-OAEP
// under the returned public key, as a client does.
func wrapFor(t *testing.T, c *kms.Client, keyID *string, alg types.AlgorithmSpec, mat []byte) (token, wrapped []byte) {
	t.Helper()
	p := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: keyID, WrappingAlgorithm: alg, WrappingKeySpec: types.WrappingKeySpecRsa2048,
	}))
	if p.ParametersValidTo == nil || len(p.ImportToken) == 0 || !strings.HasSuffix(*p.KeyId, *keyID) && !strings.HasSuffix(*p.KeyId, "/"+*keyID) {
		t.Fatalf("GetParametersForImport = %+v", p)
	}
	return p.ImportToken, wrapWith(t, p.PublicKey, alg, mat)
}

func wrapWith(t *testing.T, der []byte, alg types.AlgorithmSpec, mat []byte) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("wrapping public key: %v", err)
	}
	var h hash.Hash = sha256.New()
	if alg == types.AlgorithmSpecRsaesOaepSha1 {
		h = sha1.New()
	}
	w, err := rsa.EncryptOAEP(h, rand.Reader, pub.(*rsa.PublicKey), mat, nil)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func importMaterial(c *kms.Client, keyID *string, token, wrapped []byte, validTo *time.Time) (*kms.ImportKeyMaterialOutput, error) {
	in := &kms.ImportKeyMaterialInput{KeyId: keyID, ImportToken: token, EncryptedKeyMaterial: wrapped, ValidTo: validTo}
	if validTo == nil {
		in.ExpirationModel = types.ExpirationModelTypeKeyMaterialDoesNotExpire
	}
	return c.ImportKeyMaterial(ctx, in)
}

func TestImportSymmetric(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createExternal(t, c, "", "")
	id := md.KeyId
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	sealtest.APIErrorContaining(t, "Encrypt(PendingImport)", err, "KMSInvalidStateException", 400, "is pending import.")
	_, err = c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: id})
	wantAPIError(t, "EnableKey(PendingImport)", err, "KMSInvalidStateException", 400)

	mat := make([]byte, 32)
	rand.Read(mat)
	token, wrapped := wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha256, mat)
	validTo := s.Clock.Now().Add(48 * time.Hour)
	imp := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial")(importMaterial(c, id, token, wrapped, &validTo))
	if len(aws.ToString(imp.KeyMaterialId)) != 64 {
		t.Fatalf("KeyMaterialId = %q", aws.ToString(imp.KeyMaterialId))
	}
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})).KeyMetadata
	if d.KeyState != types.KeyStateEnabled || d.Origin != types.OriginTypeExternal || d.ExpirationModel != types.ExpirationModelTypeKeyMaterialExpires ||
		d.ValidTo == nil || !d.ValidTo.Equal(validTo.Truncate(time.Millisecond)) && !d.ValidTo.Equal(validTo.Truncate(time.Second)) {
		t.Fatalf("DescribeKey after import = state %s, origin %s, model %s, validTo %v (want %v)", d.KeyState, d.Origin, d.ExpirationModel, d.ValidTo, validTo)
	}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("imported")}))
	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))
	if string(dec.Plaintext) != "imported" {
		t.Fatalf("Decrypt = %q", dec.Plaintext)
	}

	// The same material again is fine (SHA-1 this time); other material is not.
	token, wrapped = wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha1, mat)
	again := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(same)")(importMaterial(c, id, token, wrapped, &validTo))
	if *again.KeyMaterialId != *imp.KeyMaterialId {
		t.Fatalf("reimport id %s, first %s", *again.KeyMaterialId, *imp.KeyMaterialId)
	}
	other := bytes.Repeat([]byte{9}, 32)
	_, err = importMaterial(c, id, token, wrapWith(t, mustPublic(t, c, id, types.AlgorithmSpecRsaesOaepSha256, &token), types.AlgorithmSpecRsaesOaepSha256, other), &validTo)
	wantAPIError(t, "ImportKeyMaterial(other material)", err, "IncorrectKeyMaterialException", 400)

	// Automatic rotation is refused; NEW_KEY_MATERIAL, then on-demand rotation.
	_, err = c.EnableKeyRotation(ctx, &kms.EnableKeyRotationInput{KeyId: id})
	wantAPIError(t, "EnableKeyRotation(EXTERNAL)", err, "UnsupportedOperationException", 400)
	_, err = c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id})
	wantAPIError(t, "RotateKeyOnDemand(nothing imported)", err, "UnsupportedOperationException", 400)
	token, wrapped = wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha256, other)
	newMat := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(NEW)")(c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{
		KeyId: id, ImportToken: token, EncryptedKeyMaterial: wrapped, ValidTo: &validTo, ImportType: types.ImportTypeNewKeyMaterial,
	}))
	l := must[*kms.ListKeyRotationsOutput](t, "ListKeyRotations")(c.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id, IncludeKeyMaterial: types.IncludeKeyMaterialAllKeyMaterial}))
	if len(l.Rotations) != 2 || l.Rotations[1].KeyMaterialState != types.KeyMaterialStatePendingRotation || l.Rotations[0].ImportState != types.ImportStateImported {
		t.Fatalf("ListKeyRotations with new material imported = %+v", l.Rotations)
	}
	must[*kms.RotateKeyOnDemandOutput](t, "RotateKeyOnDemand")(c.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}))
	enc2 := must[*kms.EncryptOutput](t, "Encrypt(new material)")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("new")}))
	if d2 := must[*kms.DecryptOutput](t, "Decrypt(new blob)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob})); *d2.KeyMaterialId != *newMat.KeyMaterialId {
		t.Fatalf("Encrypt used %s, want the new material %s", *d2.KeyMaterialId, *newMat.KeyMaterialId)
	}
	must[*kms.DecryptOutput](t, "Decrypt(old blob)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}))

	// ValidTo passes: the sweeper deletes the material.
	s.Clock.Advance(49 * time.Hour)
	s.WaitSweep()
	d = must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})).KeyMetadata
	if d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("state after ValidTo = %s", d.KeyState)
	}
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob})
	sealtest.APIErrorContaining(t, "Decrypt(expired material)", err, "KMSInvalidStateException", 400, "is pending import.")

	// The expired token, a token of another key.
	_, err = importMaterial(c, id, token, wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(expired token)", err, "ExpiredImportTokenException", 400)
	token, wrapped = wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha256, other)
	second := createExternal(t, c, "", "")
	_, err = importMaterial(c, second.KeyId, token, wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(token of another key)", err, "InvalidImportTokenException", 400)
	_, err = importMaterial(c, id, []byte("forged token"), wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(forged token)", err, "InvalidImportTokenException", 400)

	// Reimport the current material, without expiry: the key waits for
	// every version, as AWS's does; then the original one, then delete the
	// current one.
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(after expiry)")(importMaterial(c, id, token, wrapped, nil))
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob})
	sealtest.APIErrorContaining(t, "Decrypt(one version of two reimported)", err, "KMSInvalidStateException", 400, "is pending import.")
	token, wrapped = wrapFor(t, c, id, types.AlgorithmSpecRsaesOaepSha256, mat)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(the original, after expiry)")(importMaterial(c, id, token, wrapped, nil))
	must[*kms.DecryptOutput](t, "Decrypt(reimported)")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob}))
	del := must[*kms.DeleteImportedKeyMaterialOutput](t, "DeleteImportedKeyMaterial")(c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: id}))
	if *del.KeyMaterialId != *newMat.KeyMaterialId {
		t.Fatalf("deleted %s, want the current %s", *del.KeyMaterialId, *newMat.KeyMaterialId)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
	wantAPIError(t, "Encrypt(deleted material)", err, "KMSInvalidStateException", 400)
}

// mustPublic gets fresh import parameters and sets *token to their token.
func mustPublic(t *testing.T, c *kms.Client, keyID *string, alg types.AlgorithmSpec, token *[]byte) []byte {
	t.Helper()
	p := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: keyID, WrappingAlgorithm: alg, WrappingKeySpec: types.WrappingKeySpecRsa2048,
	}))
	*token = p.ImportToken
	return p.PublicKey
}

func TestImportRefusals(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	native := createKey(t, c, "native")
	_, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: native.KeyId, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantAPIError(t, "GetParametersForImport(AWS_KMS key)", err, "UnsupportedOperationException", 400)
	_, err = c.DeleteImportedKeyMaterial(ctx, &kms.DeleteImportedKeyMaterialInput{KeyId: native.KeyId})
	wantAPIError(t, "DeleteImportedKeyMaterial(AWS_KMS key)", err, "UnsupportedOperationException", 400)
	ext := createExternal(t, c, "", "")
	for alg, code := range map[types.AlgorithmSpec]string{
		types.AlgorithmSpecRsaesPkcs1V15: "UnsupportedOperationException",
		types.AlgorithmSpecSm2pke:        "UnsupportedOperationException",
		"ROT13":                          "ValidationException",
	} {
		_, err = c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: ext.KeyId, WrappingAlgorithm: alg, WrappingKeySpec: types.WrappingKeySpecRsa2048})
		wantAPIError(t, "GetParametersForImport("+string(alg)+")", err, code, 400)
	}

	token, wrapped := wrapFor(t, c, ext.KeyId, types.AlgorithmSpecRsaesOaepSha256, make([]byte, 16))
	_, err = importMaterial(c, ext.KeyId, token, wrapped, nil)
	sealtest.APIErrorContaining(t, "ImportKeyMaterial(16 bytes)", err, "IncorrectKeyMaterialException", 400, "not valid key material for the key spec SYMMETRIC_DEFAULT")
	_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: ext.KeyId, ImportToken: token, EncryptedKeyMaterial: wrapped})
	wantAPIError(t, "ImportKeyMaterial(no ValidTo)", err, "ValidationException", 400)
	past := s.Clock.Now().Add(-time.Hour)
	_, err = importMaterial(c, ext.KeyId, token, wrapped, &past)
	wantAPIError(t, "ImportKeyMaterial(past ValidTo)", err, "ValidationException", 400)
	far := s.Clock.Now().Add(400 * 24 * time.Hour)
	_, err = importMaterial(c, ext.KeyId, token, wrapped, &far)
	wantAPIError(t, "ImportKeyMaterial(ValidTo past 365 days)", err, "ValidationException", 400)

	// A key without material comes back from PendingDeletion PendingImport.
	must[*kms.ScheduleKeyDeletionOutput](t, "ScheduleKeyDeletion")(c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: ext.KeyId, PendingWindowInDays: aws.Int32(7)}))
	_, err = c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: ext.KeyId, WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	wantAPIError(t, "GetParametersForImport(PendingDeletion)", err, "KMSInvalidStateException", 400)
	must[*kms.CancelKeyDeletionOutput](t, "CancelKeyDeletion")(c.CancelKeyDeletion(ctx, &kms.CancelKeyDeletionInput{KeyId: ext.KeyId}))
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: ext.KeyId})).KeyMetadata
	if d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("state after CancelKeyDeletion = %s, want PendingImport", d.KeyState)
	}
}

func TestImportAsymmetricAndHMAC(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	msg := []byte("a message signed with imported material")

	hk := createExternal(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	hkey := bytes.Repeat([]byte{0x42}, 40)
	token, wrapped := wrapFor(t, c, hk.KeyId, types.AlgorithmSpecRsaesOaepSha256, hkey)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(HMAC)")(importMaterial(c, hk.KeyId, token, wrapped, nil))
	m := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: hk.KeyId, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256}))
	want := hmac.New(sha256.New, hkey)
	want.Write(msg)
	if !hmac.Equal(m.Mac, want.Sum(nil)) {
		t.Fatalf("GenerateMac under imported material differs from HMAC-SHA256 of the key")
	}
	token, wrapped = wrapFor(t, c, hk.KeyId, types.AlgorithmSpecRsaesOaepSha256, hkey[:20])
	_, err := importMaterial(c, hk.KeyId, token, wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(HMAC too short)", err, "IncorrectKeyMaterialException", 400)
	token, wrapped = wrapFor(t, c, hk.KeyId, types.AlgorithmSpecRsaesOaepSha256, bytes.Repeat([]byte{0x43}, 40))
	_, err = c.ImportKeyMaterial(ctx, &kms.ImportKeyMaterialInput{KeyId: hk.KeyId, ImportToken: token, EncryptedKeyMaterial: wrapped,
		ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire, ImportType: types.ImportTypeNewKeyMaterial})
	wantAPIError(t, "ImportKeyMaterial(NEW into HMAC)", err, "UnsupportedOperationException", 400)

	ek := createExternal(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	token, wrapped = wrapFor(t, c, ek.KeyId, types.AlgorithmSpecRsaesOaepSha256, der)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(P-256)")(importMaterial(c, ek.KeyId, token, wrapped, nil))
	sig := must[*kms.SignOutput](t, "Sign")(c.Sign(ctx, &kms.SignInput{KeyId: ek.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}))
	digest := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(&priv.PublicKey, digest[:], sig.Signature) {
		t.Fatalf("the signature does not verify with the imported key's public half")
	}
	pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: ek.KeyId}))
	wantPub, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if !bytes.Equal(pk.PublicKey, wantPub) {
		t.Fatalf("GetPublicKey differs from the imported key's public half")
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKCS8PrivateKey(other)
	token, wrapped = wrapFor(t, c, ek.KeyId, types.AlgorithmSpecRsaesOaepSha256, otherDER)
	_, err = importMaterial(c, ek.KeyId, token, wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(another P-256 key)", err, "IncorrectKeyMaterialException", 400)

	edk := createExternal(t, c, types.KeySpecEccNistEdwards25519, types.KeyUsageTypeSignVerify)
	edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	token, wrapped = wrapFor(t, c, edk.KeyId, types.AlgorithmSpecRsaesOaepSha1, edDER)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(Ed25519)")(importMaterial(c, edk.KeyId, token, wrapped, nil))
	edSig := must[*kms.SignOutput](t, "Sign(Ed25519)")(c.Sign(ctx, &kms.SignInput{KeyId: edk.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEd25519Sha512, MessageType: types.MessageTypeRaw}))
	if !ed25519.Verify(edPub, msg, edSig.Signature) {
		t.Fatalf("the Ed25519 signature does not verify with the imported key's public half")
	}

	// Nothing secret in the audit trail.
	secrets := [][]byte{hkey, der, wrapped, token}
	seen := map[string]bool{}
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		name, _ := e["eventName"].(string)
		seen[name] = true
		line, _ := json.Marshal(e)
		for _, b := range secrets {
			for _, enc := range []string{base64.StdEncoding.EncodeToString(b), string(b)} {
				if strings.Contains(string(line), enc) {
					t.Errorf("the %s event carries key material, wrapped material or a token: %s", name, line)
				}
			}
		}
	}
	for _, name := range []string{"GetParametersForImport", "ImportKeyMaterial"} {
		if !seen[name] {
			t.Errorf("no %s event", name)
		}
	}
}
