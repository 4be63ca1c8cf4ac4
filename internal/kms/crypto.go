package kms

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// requireBlob enforces a member the model leaves optional but AWS requires.
func requireBlob(blob []byte) error {
	if blob == nil {
		return errValidation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: Member must not be null")
	}
	return nil
}

// nonNil makes an absent encryption context an empty one, so that the
// authorizer still sets the cryptographic condition keys.
func nonNil(ec map[string]string) map[string]string {
	if ec == nil {
		return map[string]string{}
	}
	return ec
}

// requestAlias is kms:RequestAlias: the alias the request named the key by.
func requestAlias(keyID string) map[string][]string {
	name := requestAliasName(keyID)
	if name == "" {
		return nil
	}
	return map[string][]string{"kms:requestalias": {name}}
}

// requestAliasName is kms:RequestAlias's value, "" for none.
func requestAliasName(keyID string) string {
	name := keyID
	if strings.HasPrefix(keyID, "arn:") {
		if i := strings.Index(keyID, ":alias/"); i >= 0 {
			name = keyID[i+1:]
		}
	}
	if !strings.HasPrefix(name, "alias/") {
		return ""
	}
	return name
}

func errDryRun() error {
	return sealbox.Errorf("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.")
}

// checkAlgorithm checks that k encrypts and decrypts (for op) with alg
// ("" is SYMMETRIC_DEFAULT).
func checkAlgorithm(k *keyRecord, op, alg string) error {
	if k.usage() != encryptDecrypt {
		return errKeyUsage(k, op)
	}
	if slices.Contains(k.algorithms().enc, orDefault(alg)) {
		return nil
	}
	return sealbox.Errorf("InvalidKeyUsageException", "%s is not a valid encryption algorithm for key %s.", orDefault(alg), k.arn())
}

func orDefault(alg string) string {
	if alg == "" {
		return symmetricDefault
	}
	return alg
}

// encryptionAlgorithm is kms:EncryptionAlgorithm for a request naming alg.
func encryptionAlgorithm(extra map[string][]string, alg string) map[string][]string {
	out := map[string][]string{"kms:encryptionalgorithm": {orDefault(alg)}}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// encryptWith resolves keyID for a cryptographic operation and seals
// plaintext under its current material. Only Encrypt takes an asymmetric
// key; the data-key operations need a symmetric one.
func (s *Service) encryptWith(ctx context.Context, keyID, action string, plaintext []byte, ec map[string]string, alg string, dryRun bool, extra map[string][]string) (*keyRecord, []byte, error) {
	return s.encryptMade(ctx, keyID, action, plaintext, nil, ec, alg, dryRun, extra)
}

// encryptMade is encryptWith for a plaintext that mk, when not nil, makes
// only once the call is known to be allowed and valid (a data key pair:
// an RSA key costs a refused caller nothing). mk may run more than once;
// the last plaintext is the one sealed.
func (s *Service) encryptMade(ctx context.Context, keyID, action string, plaintext []byte, mk func() ([]byte, error), ec map[string]string, alg string, dryRun bool, extra map[string][]string) (*keyRecord, []byte, error) {
	// First from the caches alone, which serve a hot key without a store
	// transaction; from the store when they cannot.
	if tx := s.cache.Hot(); tx != nil {
		k, blob, err := s.encryptIn(ctx, tx, keyID, action, plaintext, mk, ec, alg, dryRun, extra)
		if recordcache.Done(tx) {
			return k, blob, err
		}
	}
	var k *keyRecord
	var blob []byte
	err := s.view(ctx, func(tx store.Tx) (err error) {
		k, blob, err = s.encryptIn(ctx, tx, keyID, action, plaintext, mk, ec, alg, dryRun, extra)
		return err
	})
	return k, blob, err
}

func (s *Service) encryptIn(ctx context.Context, tx store.Tx, keyID, action string, plaintext []byte, mk func() ([]byte, error), ec map[string]string, alg string, dryRun bool, extra map[string][]string) (*keyRecord, []byte, error) {
	k, err := s.resolve(ctx, tx, keyID, true)
	if err != nil {
		return nil, nil, err
	}
	// A crypto action: an absent context sets the context keys as an empty one.
	if err := s.authorizeCrypto(ctx, action, k, ec, cryptoConds{extra: extra, alg: alg, set: true, alias: requestAliasName(keyID)}); err != nil {
		return nil, nil, err
	}
	if err := usable(k); err != nil {
		return nil, nil, err
	}
	op := strings.TrimPrefix(action, "kms:")
	if action != "kms:Encrypt" && k.spec() != symmetricDefault {
		return nil, nil, errKeyUsage(k, op)
	}
	if err := checkAlgorithm(k, op, alg); err != nil {
		return nil, nil, err
	}
	if mk != nil {
		if plaintext, err = mk(); err != nil {
			return nil, nil, err
		}
	}
	if err := checkAsymmetricInput(k, alg, plaintext, ec); err != nil {
		return nil, nil, err
	}
	if dryRun {
		return nil, nil, errDryRun()
	}
	blob, err := s.encryptUnder(tx, k, alg, plaintext, ec)
	if err != nil {
		return nil, nil, err
	}
	return k, blob, nil
}

// encryptUnder seals plaintext under k's current material: a keyring blob
// for a symmetric key, the raw RSAES-OAEP ciphertext for an RSA key.
func (s *Service) encryptUnder(tx store.Tx, k *keyRecord, alg string, plaintext []byte, ec map[string]string) ([]byte, error) {
	if k.spec() == symmetricDefault {
		return s.ring.Encrypt(tx, k.Region, k.ID, k.current().ID, plaintext, ec)
	}
	return s.ring.EncryptAsym(tx, k.ref(), alg, plaintext)
}

// checkAsymmetricInput refuses what RSA encryption cannot take: an
// encryption context, or a plaintext longer than OAEP allows.
func checkAsymmetricInput(k *keyRecord, alg string, plaintext []byte, ec map[string]string) error {
	if k.spec() == symmetricDefault {
		return nil
	}
	if len(ec) > 0 {
		return errValidation("EncryptionContext is not supported with asymmetric KMS keys.")
	}
	if max := keyring.MaxPlaintext(k.spec(), alg); len(plaintext) > max {
		return errValidation("Plaintext of %d bytes is too long for %s with key spec %s: at most %d bytes.", len(plaintext), alg, k.spec(), max)
	}
	return nil
}

func merge(a, b map[string][]string) map[string][]string {
	if len(b) == 0 {
		return a
	}
	out := make(map[string][]string, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// Encrypt encrypts up to 4096 bytes under a key, binding the encryption
// context.
func (s *Service) Encrypt(ctx context.Context, in *EncryptRequest) (*EncryptResponse, error) {
	k, blob, err := s.encryptWith(ctx, in.KeyId, "kms:Encrypt", in.Plaintext, in.EncryptionContext, in.EncryptionAlgorithm, in.DryRun, nil)
	if err != nil {
		return nil, err
	}
	alg := orDefault(in.EncryptionAlgorithm)
	sealbox.MustRequest(ctx).SetAuditParameter("encryptionAlgorithm", auditAlgorithm(alg))
	return &EncryptResponse{CiphertextBlob: blob, KeyId: k.arn(), EncryptionAlgorithm: alg}, nil
}

// decryptWith opens blob: the blob names its key and material; keyID, when
// given, must name the same key (IncorrectKeyException otherwise). An RSA
// ciphertext names nothing: keyID must name its key, and alg its algorithm.
func (s *Service) decryptWith(ctx context.Context, tx store.Tx, blob []byte, ec map[string]string, keyID, action, alg string) (*keyRecord, string, []byte, error) {
	r := sealbox.MustRequest(ctx)
	var named *keyRecord
	if keyID != "" {
		var err error
		if named, err = s.resolve(ctx, tx, keyID, true); err != nil {
			return nil, "", nil, err
		}
		if named.spec() != symmetricDefault {
			return s.decryptAsym(ctx, tx, named, blob, ec, keyID, action, alg)
		}
	}
	h, err := keyring.ParseBlob(blob)
	if err != nil {
		return nil, "", nil, errInvalidCiphertext
	}
	k, err := s.loadKey(tx, r.Region, h.KeyID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, "", nil, err
	}
	if named != nil {
		if named.ID != k.ID {
			return nil, "", nil, sealbox.Errorf("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.")
		}
	}
	r.AddResource(resourceTypeKey, k.arn())
	// A crypto action: an absent context sets the context keys as an
	// empty one.
	if err := s.authorizeCrypto(ctx, action, k, ec, cryptoConds{alg: alg, set: true, alias: requestAliasName(keyID)}); err != nil {
		return nil, "", nil, err
	}
	if err := usable(k); err != nil {
		return nil, "", nil, err
	}
	if err := checkAlgorithm(k, strings.TrimPrefix(action, "kms:"), alg); err != nil {
		return nil, "", nil, err
	}
	if !k.hasMaterial(h.MaterialID) {
		return nil, "", nil, errInvalidCiphertext
	}
	pt, err := s.ring.DecryptAs(tx, k.Region, h, blob, ec)
	if errors.Is(err, keyring.ErrInvalidCiphertext) {
		return nil, "", nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, "", nil, err
	}
	return k, h.MaterialID, pt, nil
}

// Decrypt decrypts a blob made by Encrypt, GenerateDataKey* or ReEncrypt,
// under the same encryption context it was made with.
func (s *Service) Decrypt(ctx context.Context, in *DecryptRequest) (*DecryptResponse, error) {
	if err := requireBlob(in.CiphertextBlob); err != nil {
		return nil, err
	}
	// First from the caches alone, which serve a hot key without a store
	// transaction; from the store when they cannot.
	if tx := s.cache.Hot(); tx != nil {
		out, err := s.decrypt(ctx, tx, in)
		if recordcache.Done(tx) {
			return out, err
		}
		if out != nil {
			clear(out.Plaintext)
		}
	}
	var out *DecryptResponse
	err := s.view(ctx, func(tx store.Tx) (err error) {
		out, err = s.decrypt(ctx, tx, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) decrypt(ctx context.Context, tx store.Tx, in *DecryptRequest) (*DecryptResponse, error) {
	k, mat, pt, err := s.decryptWith(ctx, tx, in.CiphertextBlob, in.EncryptionContext, in.KeyId, "kms:Decrypt", in.EncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		clear(pt)
		return nil, errDryRun()
	}
	alg := orDefault(in.EncryptionAlgorithm)
	// CloudTrail's Decrypt names the key the ciphertext was under and the
	// algorithm, although the request need not.
	r := sealbox.MustRequest(ctx)
	r.SetAuditParameter("keyId", k.auditARN())
	r.SetAuditParameter("encryptionAlgorithm", auditAlgorithm(alg))
	return &DecryptResponse{KeyId: k.arn(), Plaintext: pt, EncryptionAlgorithm: alg, KeyMaterialId: mat}, nil
}

// ReEncrypt decrypts a blob and encrypts its plaintext under another key (or
// the same key's current material, or another context) without the plaintext
// leaving the server.
func (s *Service) ReEncrypt(ctx context.Context, in *ReEncryptRequest) (*ReEncryptResponse, error) {
	if err := requireBlob(in.CiphertextBlob); err != nil {
		return nil, err
	}
	var out *ReEncryptResponse
	err := s.view(ctx, func(tx store.Tx) error {
		src, srcMat, pt, err := s.decryptWith(ctx, tx, in.CiphertextBlob, in.SourceEncryptionContext, in.SourceKeyId, "kms:ReEncryptFrom", in.SourceEncryptionAlgorithm)
		if err != nil {
			return err
		}
		dst, err := s.resolve(ctx, tx, in.DestinationKeyId, true)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, "kms:ReEncryptTo", dst, nonNil(in.DestinationEncryptionContext), encryptionAlgorithm(requestAlias(in.DestinationKeyId), in.DestinationEncryptionAlgorithm)); err != nil {
			return err
		}
		if err := usable(dst); err != nil {
			return err
		}
		if err := checkAlgorithm(dst, "ReEncrypt", in.DestinationEncryptionAlgorithm); err != nil {
			return err
		}
		if err := checkAsymmetricInput(dst, in.DestinationEncryptionAlgorithm, pt, in.DestinationEncryptionContext); err != nil {
			return err
		}
		if in.DryRun {
			return errDryRun()
		}
		blob, err := s.encryptUnder(tx, dst, in.DestinationEncryptionAlgorithm, pt, in.DestinationEncryptionContext)
		if err != nil {
			return err
		}
		out = &ReEncryptResponse{
			CiphertextBlob:                 blob,
			SourceKeyId:                    src.arn(),
			KeyId:                          dst.arn(),
			SourceEncryptionAlgorithm:      orDefault(in.SourceEncryptionAlgorithm),
			DestinationEncryptionAlgorithm: orDefault(in.DestinationEncryptionAlgorithm),
			SourceKeyMaterialId:            srcMat,
		}
		if dst.spec() == symmetricDefault {
			out.DestinationKeyMaterialId = dst.current().ID
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// dataKeySize reads the size of a data key from KeySpec or NumberOfBytes:
// exactly one of them must be given.
func dataKeySize(spec string, n int32) (int, error) {
	switch {
	case spec != "" && n != 0, spec == "" && n == 0:
		return 0, errValidation("Please specify either number of bytes or key spec.")
	case spec == "AES_256":
		return 32, nil
	case spec == "AES_128":
		return 16, nil
	case spec != "":
		return 0, errValidation("1 validation error detected: Value '%s' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]", spec)
	default:
		return int(n), nil
	}
}

// GenerateDataKey returns a fresh data key in plaintext and encrypted under
// a key: the envelope-encryption pattern.
func (s *Service) GenerateDataKey(ctx context.Context, in *GenerateDataKeyRequest) (*GenerateDataKeyResponse, error) {
	n, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	pt := keyring.Random(n)
	k, blob, err := s.encryptWith(ctx, in.KeyId, "kms:GenerateDataKey", pt, in.EncryptionContext, "", in.DryRun, nil)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyResponse{CiphertextBlob: blob, Plaintext: pt, KeyId: k.arn(), KeyMaterialId: k.current().ID}, nil
}

// GenerateDataKeyWithoutPlaintext is GenerateDataKey that returns only the
// encrypted data key.
func (s *Service) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *GenerateDataKeyWithoutPlaintextRequest) (*GenerateDataKeyWithoutPlaintextResponse, error) {
	n, err := dataKeySize(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return nil, err
	}
	k, blob, err := s.encryptWith(ctx, in.KeyId, "kms:GenerateDataKeyWithoutPlaintext", keyring.Random(n), in.EncryptionContext, "", in.DryRun, nil)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyWithoutPlaintextResponse{CiphertextBlob: blob, KeyId: k.arn(), KeyMaterialId: k.current().ID}, nil
}

// GenerateRandom returns 1 to 1024 random bytes.
func (s *Service) GenerateRandom(ctx context.Context, in *GenerateRandomRequest) (*GenerateRandomResponse, error) {
	if in.CustomKeyStoreId != "" {
		return nil, sealbox.Errorf("CustomKeyStoreNotFoundException", "Custom key store %s does not exist.", in.CustomKeyStoreId)
	}
	if in.NumberOfBytes == 0 {
		return nil, errValidation("1 validation error detected: Value null at 'numberOfBytes' failed to satisfy constraint: Member must not be null")
	}
	if err := s.authorize(ctx, "kms:GenerateRandom", nil, nil, nil); err != nil {
		return nil, err
	}
	return &GenerateRandomResponse{Plaintext: keyring.Random(int(in.NumberOfBytes))}, nil
}
