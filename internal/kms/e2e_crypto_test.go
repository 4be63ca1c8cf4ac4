package kms_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

func TestEncryptDecrypt(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	md := createKey(t, c, "crypto")
	ec := map[string]string{"tenant": "acme", "purpose": "test"}
	for _, size := range []int{1, 32, 4096} {
		pt := make([]byte, size)
		rand.Read(pt)
		enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: pt, EncryptionContext: ec}))
		if *enc.KeyId != *md.Arn || enc.EncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
			t.Fatalf("Encrypt = KeyId %s, alg %s", *enc.KeyId, enc.EncryptionAlgorithm)
		}
		if bytes.Contains(enc.CiphertextBlob, pt) && size > 4 {
			t.Fatalf("ciphertext contains the plaintext")
		}
		dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ec}))
		if !bytes.Equal(dec.Plaintext, pt) || *dec.KeyId != *md.Arn || aws.ToString(dec.KeyMaterialId) != *md.CurrentKeyMaterialId {
			t.Fatalf("Decrypt(%d bytes) = %d bytes, KeyId %s, material %v", size, len(dec.Plaintext), *dec.KeyId, dec.KeyMaterialId)
		}
	}
	_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: make([]byte, 4097)})
	e := wantAPIError(t, "Encrypt(4097 bytes)", err, "ValidationException", 400)
	if e.Message != "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096" {
		t.Fatalf("message = %q", e.Message)
	}
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	wantAPIError(t, "Encrypt(RSA algorithm)", err, "InvalidKeyUsageException", 400)
	_, err = c.Encrypt(ctx, &kms.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), DryRun: aws.Bool(true)})
	wantAPIError(t, "Encrypt(DryRun)", err, "DryRunOperationException", 400)
}

func TestEncryptionContextIsBound(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "context").KeyId
	ec := map[string]string{"a": "1", "b": "2"}
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("bound"), EncryptionContext: ec}))
	for name, bad := range map[string]map[string]string{
		"missing":   nil,
		"one fewer": {"a": "1"},
		"extra":     {"a": "1", "b": "2", "c": "3"},
		"different": {"a": "1", "b": "3"},
		"renamed":   {"a": "1", "B": "2"},
		"swapped":   {"a": "2", "b": "1"},
	} {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: bad})
		wantAPIError(t, "Decrypt(context "+name+")", err, "InvalidCiphertextException", 400)
	}
	// Order on the wire does not matter.
	must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"b": "2", "a": "1"}}))
}

func TestBadCiphertexts(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "tamper").KeyId
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("integrity")}))
	blob := enc.CiphertextBlob
	for i := range blob {
		bad := append([]byte(nil), blob...)
		bad[i] ^= 0x01
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: bad})
		wantAPIError(t, "Decrypt(bit flipped)", err, "InvalidCiphertextException", 400)
	}
	for n := 1; n < len(blob); n += 7 {
		_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob[:n]})
		wantAPIError(t, "Decrypt(truncated)", err, "InvalidCiphertextException", 400)
	}
	foreign := make([]byte, 200)
	rand.Read(foreign)
	foreign[0] = 1
	_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: foreign})
	wantAPIError(t, "Decrypt(foreign)", err, "InvalidCiphertextException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{})
	wantAPIError(t, "Decrypt(no blob)", err, "ValidationException", 400)
	_, err = c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: make([]byte, 6145)})
	wantAPIError(t, "Decrypt(6145 bytes)", err, "ValidationException", 400)
}

func TestDecryptKeyIDMustMatch(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	a, b := createKey(t, c, "a"), createKey(t, c, "b")
	must[*kms.CreateAliasOutput](t, "CreateAlias")(c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/a"), TargetKeyId: a.KeyId}))
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: a.KeyId, Plaintext: []byte("x")}))
	for _, ok := range []string{*a.KeyId, *a.Arn, "alias/a"} {
		must[*kms.DecryptOutput](t, "Decrypt(KeyId "+ok+")")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, KeyId: aws.String(ok)}))
	}
	_, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, KeyId: b.KeyId})
	wantAPIError(t, "Decrypt(other key)", err, "IncorrectKeyException", 400)
}

func TestReEncrypt(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	a, b := createKey(t, c, "src"), createKey(t, c, "dst")
	enc := must[*kms.EncryptOutput](t, "Encrypt")(c.Encrypt(ctx, &kms.EncryptInput{KeyId: a.KeyId, Plaintext: []byte("moving"), EncryptionContext: map[string]string{"v": "1"}}))
	re := must[*kms.ReEncryptOutput](t, "ReEncrypt")(c.ReEncrypt(ctx, &kms.ReEncryptInput{
		CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: map[string]string{"v": "1"},
		DestinationKeyId: b.KeyId, DestinationEncryptionContext: map[string]string{"v": "2"},
	}))
	if *re.SourceKeyId != *a.Arn || *re.KeyId != *b.Arn {
		t.Fatalf("ReEncrypt = source %s, dest %s", *re.SourceKeyId, *re.KeyId)
	}
	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"v": "2"}}))
	if string(dec.Plaintext) != "moving" || *dec.KeyId != *b.Arn {
		t.Fatalf("Decrypt(re-encrypted) = %q under %s", dec.Plaintext, *dec.KeyId)
	}
	_, err := c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, DestinationKeyId: b.KeyId})
	wantAPIError(t, "ReEncrypt(wrong source context)", err, "InvalidCiphertextException", 400)
	_, err = c.ReEncrypt(ctx, &kms.ReEncryptInput{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: map[string]string{"v": "1"}, SourceKeyId: b.KeyId, DestinationKeyId: b.KeyId})
	wantAPIError(t, "ReEncrypt(wrong source key)", err, "IncorrectKeyException", 400)
}

// TestEnvelopeEncryption is the README's worked example: a data key from
// GenerateDataKey encrypts locally; only the encrypted data key is kept
// beside the data; Decrypt recovers the data key later.
func TestEnvelopeEncryption(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "envelope").KeyId
	ec := map[string]string{"file": "report.csv"}
	dk := must[*kms.GenerateDataKeyOutput](t, "GenerateDataKey")(c.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{KeyId: id, KeySpec: types.DataKeySpecAes256, EncryptionContext: ec}))
	if len(dk.Plaintext) != 32 {
		t.Fatalf("data key is %d bytes, want 32", len(dk.Plaintext))
	}
	block, _ := aes.NewCipher(dk.Plaintext)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	sealed := gcm.Seal(nil, nonce, []byte("quarterly numbers"), nil)
	stored := dk.CiphertextBlob // kept beside the data

	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: stored, EncryptionContext: ec}))
	block, _ = aes.NewCipher(dec.Plaintext)
	gcm, _ = cipher.NewGCM(block)
	data, err := gcm.Open(nil, nonce, sealed, nil)
	if err != nil || string(data) != "quarterly numbers" {
		t.Fatalf("open with the decrypted data key = %q, %v", data, err)
	}
}

func TestGenerateDataKeySizes(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	id := createKey(t, c, "sizes").KeyId
	for _, tc := range []struct {
		in   kms.GenerateDataKeyInput
		want int
	}{
		{kms.GenerateDataKeyInput{KeySpec: types.DataKeySpecAes128}, 16},
		{kms.GenerateDataKeyInput{KeySpec: types.DataKeySpecAes256}, 32},
		{kms.GenerateDataKeyInput{NumberOfBytes: aws.Int32(1)}, 1},
		{kms.GenerateDataKeyInput{NumberOfBytes: aws.Int32(1024)}, 1024},
	} {
		tc.in.KeyId = id
		out := must[*kms.GenerateDataKeyOutput](t, "GenerateDataKey")(c.GenerateDataKey(ctx, &tc.in))
		if len(out.Plaintext) != tc.want {
			t.Fatalf("GenerateDataKey(%+v) = %d bytes, want %d", tc.in, len(out.Plaintext), tc.want)
		}
		dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: out.CiphertextBlob}))
		if !bytes.Equal(dec.Plaintext, out.Plaintext) {
			t.Fatalf("Decrypt(data key) differs")
		}
	}
	for name, in := range map[string]kms.GenerateDataKeyInput{
		"neither":  {KeyId: id},
		"both":     {KeyId: id, KeySpec: types.DataKeySpecAes256, NumberOfBytes: aws.Int32(32)},
		"too many": {KeyId: id, NumberOfBytes: aws.Int32(1025)},
		"zero":     {KeyId: id, NumberOfBytes: aws.Int32(0)},
		"bad spec": {KeyId: id, KeySpec: "AES_512"},
	} {
		_, err := c.GenerateDataKey(ctx, &in)
		wantAPIError(t, "GenerateDataKey("+name+")", err, "ValidationException", 400)
	}
	wp := must[*kms.GenerateDataKeyWithoutPlaintextOutput](t, "GenerateDataKeyWithoutPlaintext")(c.GenerateDataKeyWithoutPlaintext(ctx, &kms.GenerateDataKeyWithoutPlaintextInput{KeyId: id, KeySpec: types.DataKeySpecAes256}))
	dec := must[*kms.DecryptOutput](t, "Decrypt")(c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wp.CiphertextBlob}))
	if len(dec.Plaintext) != 32 {
		t.Fatalf("data key without plaintext decrypts to %d bytes", len(dec.Plaintext))
	}
}

func TestGenerateRandom(t *testing.T) {
	s := sealtest.Start(t)
	c := s.KMS()
	a := must[*kms.GenerateRandomOutput](t, "GenerateRandom")(c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1024)}))
	b := must[*kms.GenerateRandomOutput](t, "GenerateRandom")(c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(1024)}))
	if len(a.Plaintext) != 1024 || bytes.Equal(a.Plaintext, b.Plaintext) {
		t.Fatalf("GenerateRandom gave %d bytes, equal twice: %v", len(a.Plaintext), bytes.Equal(a.Plaintext, b.Plaintext))
	}
	for _, n := range []int32{0, 1025} {
		_, err := c.GenerateRandom(ctx, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(n)})
		wantAPIError(t, "GenerateRandom", err, "ValidationException", 400)
	}
}
