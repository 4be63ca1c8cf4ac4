package kms_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"hash"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	kwp "github.com/tink-crypto/tink-go/v2/kwp/subtle"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// keyWrapFor gets import parameters for keyID with an RSA_AES_KEY_WRAP
// algorithm and wraps mat as AWS's documentation tells a client to: a fresh
// AES-256 key, RSA-OAEP-encrypted under the wrapping public key, then the
// material by AES key wrap with padding (RFC 5649) under that AES key.
func keyWrapFor(t *testing.T, c *kms.Client, keyID *string, alg types.AlgorithmSpec, spec types.WrappingKeySpec, mat []byte) (token, wrapped []byte) {
	t.Helper()
	p := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport("+string(alg)+")")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: keyID, WrappingAlgorithm: alg, WrappingKeySpec: spec,
	}))
	return p.ImportToken, keyWrap(t, p.PublicKey, alg, mat)
}

func keyWrap(t *testing.T, der []byte, alg types.AlgorithmSpec, mat []byte) []byte {
	t.Helper()
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("wrapping public key: %v", err)
	}
	var h hash.Hash = sha256.New()
	if alg == types.AlgorithmSpecRsaAesKeyWrapSha1 {
		h = sha1.New()
	}
	aesKey := make([]byte, 32)
	rand.Read(aesKey)
	head, err := rsa.EncryptOAEP(h, rand.Reader, pub.(*rsa.PublicKey), aesKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	w, err := kwp.NewKWP(aesKey)
	if err != nil {
		t.Fatal(err)
	}
	tail, err := w.Wrap(mat)
	if err != nil {
		t.Fatal(err)
	}
	if len(head) != pub.(*rsa.PublicKey).Size() {
		t.Fatalf("OAEP part is %d bytes", len(head))
	}
	return append(head, tail...)
}

func rsaPKCS8(t *testing.T, bits int) (*rsa.PrivateKey, []byte) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return k, der
}

func TestImportRSAKeyWrapSigning(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	msg := []byte("signed with imported RSA material")
	md := createExternal(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	priv, der := rsaPKCS8(t, 2048)
	token, wrapped := keyWrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa3072, der)
	imp := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(RSA, RSA_AES_KEY_WRAP_SHA_256)")(importMaterial(c, md.KeyId, token, wrapped, nil))
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId})).KeyMetadata
	if d.KeyState != types.KeyStateEnabled || d.Origin != types.OriginTypeExternal {
		t.Fatalf("DescribeKey after import = state %s, origin %s", d.KeyState, d.Origin)
	}

	pk := must[*kms.GetPublicKeyOutput](t, "GetPublicKey")(c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: md.KeyId}))
	wantPub, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if !bytes.Equal(pk.PublicKey, wantPub) {
		t.Fatalf("GetPublicKey differs from the imported key's public half")
	}
	digest := sha256.Sum256(msg)
	pss := must[*kms.SignOutput](t, "Sign(PSS)")(c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256}))
	if err := rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, digest[:], pss.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}); err != nil {
		t.Fatalf("the PSS signature does not verify with the imported key's public half: %v", err)
	}
	v15 := must[*kms.SignOutput](t, "Sign(PKCS1)")(c.Sign(ctx, &kms.SignInput{KeyId: md.KeyId, Message: digest[:], MessageType: types.MessageTypeDigest, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPkcs1V15Sha256}))
	if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, digest[:], v15.Signature); err != nil {
		t.Fatalf("the PKCS #1 v1.5 signature does not verify with the imported key's public half: %v", err)
	}

	// The same material again, wrapped with SHA-1 this time; then another
	// RSA key, and material of the wrong spec.
	token, wrapped = keyWrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha1, types.WrappingKeySpecRsa2048, der)
	again := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(same, RSA_AES_KEY_WRAP_SHA_1)")(importMaterial(c, md.KeyId, token, wrapped, nil))
	if *again.KeyMaterialId != *imp.KeyMaterialId {
		t.Fatalf("reimport id %s, first %s", *again.KeyMaterialId, *imp.KeyMaterialId)
	}
	_, otherDER := rsaPKCS8(t, 2048)
	token, wrapped = keyWrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, otherDER)
	_, err := importMaterial(c, md.KeyId, token, wrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(another RSA_2048 key)", err, "IncorrectKeyMaterialException", 400)

	fresh := createExternal(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	_, der3072 := rsaPKCS8(t, 3072)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKCS8PrivateKey(ec)
	for name, mat := range map[string][]byte{"RSA_3072 material": der3072, "P-256 material": ecDER, "32 random bytes": bytes.Repeat([]byte{5}, 32)} {
		token, wrapped = keyWrapFor(t, c, fresh.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, mat)
		_, err = importMaterial(c, fresh.KeyId, token, wrapped, nil)
		sealtest.APIErrorContaining(t, "ImportKeyMaterial("+name+" into RSA_2048)", err, "IncorrectKeyMaterialException", 400, "not valid key material for the key spec RSA_2048")
	}
	if d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: fresh.KeyId})).KeyMetadata; d.KeyState != types.KeyStatePendingImport {
		t.Fatalf("state after refused imports = %s, want PendingImport", d.KeyState)
	}
}

func TestImportRSAKeyWrapDecrypt(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createExternal(t, c, types.KeySpecRsa3072, types.KeyUsageTypeEncryptDecrypt)
	priv, der := rsaPKCS8(t, 3072)
	token, wrapped := keyWrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha1, types.WrappingKeySpecRsa2048, der)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(RSA_3072, RSA_AES_KEY_WRAP_SHA_1)")(importMaterial(c, md.KeyId, token, wrapped, nil))
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, []byte("for the imported key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{KeyId: md.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256}))
	if string(dec.Plaintext) != "for the imported key" {
		t.Fatalf("Decrypt = %q", dec.Plaintext)
	}
}

func TestImportSymmetricAndHMACByKeyWrap(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createExternal(t, c, "", "")
	mat := make([]byte, 32)
	rand.Read(mat)
	token, wrapped := keyWrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, mat)
	imp := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(symmetric, RSA_AES_KEY_WRAP_SHA_256)")(importMaterial(c, md.KeyId, token, wrapped, nil))
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("wrapped twice")}))
	if dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})); string(dec.Plaintext) != "wrapped twice" {
		t.Fatalf("Decrypt = %q", dec.Plaintext)
	}
	// The same material by plain RSA-OAEP is the same version.
	token, wrapped = wrapFor(t, c, md.KeyId, types.AlgorithmSpecRsaesOaepSha1, mat)
	again := must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(same, RSAES_OAEP_SHA_1)")(importMaterial(c, md.KeyId, token, wrapped, nil))
	if *again.KeyMaterialId != *imp.KeyMaterialId {
		t.Fatalf("reimport id %s, first %s", *again.KeyMaterialId, *imp.KeyMaterialId)
	}

	hk := createExternal(t, c, types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac)
	hkey := bytes.Repeat([]byte{0x17}, 48)
	token, wrapped = keyWrapFor(t, c, hk.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha1, types.WrappingKeySpecRsa2048, hkey)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(HMAC, RSA_AES_KEY_WRAP_SHA_1)")(importMaterial(c, hk.KeyId, token, wrapped, nil))
	m := must[*kms.GenerateMacOutput](t, "GenerateMac")(c.GenerateMac(ctx, &kms.GenerateMacInput{KeyId: hk.KeyId, Message: []byte("m"), MacAlgorithm: types.MacAlgorithmSpecHmacSha384}))
	want := hmac.New(sha512.New384, hkey)
	want.Write([]byte("m"))
	if !hmac.Equal(m.Mac, want.Sum(nil)) {
		t.Fatalf("GenerateMac under material imported by key wrap differs from HMAC-SHA384 of the key")
	}
}

// TestImportKeyWrapRefusals: wrapping that does not match the token's
// algorithm, or was altered, is InvalidCiphertextException; RSA material
// needs an RSA_AES_KEY_WRAP algorithm.
func TestImportKeyWrapRefusals(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	rk := createExternal(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	for _, alg := range []types.AlgorithmSpec{types.AlgorithmSpecRsaesOaepSha256, types.AlgorithmSpecRsaesOaepSha1} {
		_, err := c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{KeyId: rk.KeyId, WrappingAlgorithm: alg, WrappingKeySpec: types.WrappingKeySpecRsa2048})
		sealtest.APIErrorContaining(t, "GetParametersForImport(RSA key, "+string(alg)+")", err, "UnsupportedOperationException", 400, "Use RSA_AES_KEY_WRAP_SHA_256 or RSA_AES_KEY_WRAP_SHA_1")
	}
	_, der := rsaPKCS8(t, 2048)
	p := must[*kms.GetParametersForImportOutput](t, "GetParametersForImport")(c.GetParametersForImport(ctx, &kms.GetParametersForImportInput{
		KeyId: rk.KeyId, WrappingAlgorithm: types.AlgorithmSpecRsaAesKeyWrapSha256, WrappingKeySpec: types.WrappingKeySpecRsa2048,
	}))
	good := keyWrap(t, p.PublicKey, types.AlgorithmSpecRsaAesKeyWrapSha256, der)
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x01; return b }
	for name, wrapped := range map[string][]byte{
		"wrapped with SHA-1, token for SHA-256": keyWrap(t, p.PublicKey, types.AlgorithmSpecRsaAesKeyWrapSha1, der),
		"a KWP byte altered":                    flip(256 + 40),
		"the KWP integrity block altered":       flip(256 + 2),
		"the OAEP part altered":                 flip(7),
		"the KWP part cut short":                good[:len(good)-8],
		"the OAEP part alone":                   good[:256],
		"one byte":                              {0},
	} {
		_, err := importMaterial(c, rk.KeyId, p.ImportToken, wrapped, nil)
		wantAPIError(t, "ImportKeyMaterial("+name+")", err, "InvalidCiphertextException", 400)
	}
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(good)")(importMaterial(c, rk.KeyId, p.ImportToken, good, nil))

	// A symmetric key: a token for key wrap and plain OAEP, and the reverse.
	sk := createExternal(t, c, "", "")
	mat := bytes.Repeat([]byte{3}, 32)
	kwToken, kwWrapped := keyWrapFor(t, c, sk.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa2048, mat)
	oaepToken, oaepWrapped := wrapFor(t, c, sk.KeyId, types.AlgorithmSpecRsaesOaepSha256, mat)
	_, err := importMaterial(c, sk.KeyId, kwToken, wrapWith(t, mustPublic(t, c, sk.KeyId, types.AlgorithmSpecRsaAesKeyWrapSha256, &kwToken), types.AlgorithmSpecRsaesOaepSha256, mat), nil)
	wantAPIError(t, "ImportKeyMaterial(plain OAEP, token for key wrap)", err, "InvalidCiphertextException", 400)
	_, err = importMaterial(c, sk.KeyId, oaepToken, kwWrapped, nil)
	wantAPIError(t, "ImportKeyMaterial(key wrap, token for plain OAEP)", err, "InvalidCiphertextException", 400)
	must[*kms.ImportKeyMaterialOutput](t, "ImportKeyMaterial(OAEP)")(importMaterial(c, sk.KeyId, oaepToken, oaepWrapped, nil))
	d := must[*kms.DescribeKeyOutput](t, "DescribeKey")(c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: sk.KeyId})).KeyMetadata
	if d.KeyState != types.KeyStateEnabled || aws.ToString(d.CurrentKeyMaterialId) == "" {
		t.Fatalf("DescribeKey = state %s, material %q", d.KeyState, aws.ToString(d.CurrentKeyMaterialId))
	}
}
