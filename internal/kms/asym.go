package kms

import (
	"context"
	"errors"
	"slices"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/store"
)

// AsymmetricKeyring is what the service needs of the keyring for
// asymmetric and HMAC keys: operations that use private material without
// handing it out.
type AsymmetricKeyring interface {
	PublicKey(tx store.Tx, ref keyring.Ref) ([]byte, error)
	Sign(tx store.Tx, ref keyring.Ref, alg, msgType string, msg []byte) ([]byte, error)
	Verify(tx store.Tx, ref keyring.Ref, alg, msgType string, msg, sig []byte) (bool, error)
	EncryptAsym(tx store.Tx, ref keyring.Ref, alg string, plaintext []byte) ([]byte, error)
	DecryptAsym(tx store.Tx, ref keyring.Ref, alg string, ciphertext []byte) ([]byte, error)
	MAC(tx store.Tx, ref keyring.Ref, alg string, msg []byte) ([]byte, error)
	VerifyMAC(tx store.Tx, ref keyring.Ref, alg string, msg, mac []byte) (bool, error)
	DeriveSharedSecret(tx store.Tx, ref keyring.Ref, peer []byte) ([]byte, error)
}

const (
	signVerify     = "SIGN_VERIFY"
	generateVerify = "GENERATE_VERIFY_MAC"
	keyAgreement   = "KEY_AGREEMENT"
	messageRaw     = "RAW"
	messageDigest  = "DIGEST"
	messageMu      = "EXTERNAL_MU"
	// muSize is the length of an EXTERNAL_MU message: ML-DSA's message
	// representative (FIPS 204 section 6.2).
	muSize = 64
)

// algorithms are the algorithms a key of one spec and usage performs, as
// KeyMetadata and GetPublicKey list them.
type algorithms struct{ enc, sign, mac, agree []string }

var (
	rsaEncrypt = algorithms{enc: []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}}
	rsaSign    = algorithms{sign: []string{"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
		"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512"}}
	ecdh = algorithms{agree: []string{"ECDH"}}
)

// keySpecs is the model's table of which KeyUsage goes with which KeySpec,
// and the algorithms of each pair. SM2 (China Regions only) is not here.
var keySpecs = map[string]map[string]algorithms{
	symmetricDefault:        {encryptDecrypt: {enc: []string{symmetricDefault}}},
	"RSA_2048":              {encryptDecrypt: rsaEncrypt, signVerify: rsaSign},
	"RSA_3072":              {encryptDecrypt: rsaEncrypt, signVerify: rsaSign},
	"RSA_4096":              {encryptDecrypt: rsaEncrypt, signVerify: rsaSign},
	"ECC_NIST_P256":         {signVerify: {sign: []string{"ECDSA_SHA_256"}}, keyAgreement: ecdh},
	"ECC_NIST_P384":         {signVerify: {sign: []string{"ECDSA_SHA_384"}}, keyAgreement: ecdh},
	"ECC_NIST_P521":         {signVerify: {sign: []string{"ECDSA_SHA_512"}}, keyAgreement: ecdh},
	"ECC_SECG_P256K1":       {signVerify: {sign: []string{"ECDSA_SHA_256"}}},
	"ECC_NIST_EDWARDS25519": {signVerify: {sign: []string{"ED25519_SHA_512", "ED25519_PH_SHA_512"}}},
	"ML_DSA_44":             {signVerify: {sign: []string{"ML_DSA_SHAKE_256"}}},
	"ML_DSA_65":             {signVerify: {sign: []string{"ML_DSA_SHAKE_256"}}},
	"ML_DSA_87":             {signVerify: {sign: []string{"ML_DSA_SHAKE_256"}}},
	"HMAC_224":              {generateVerify: {mac: []string{"HMAC_SHA_224"}}},
	"HMAC_256":              {generateVerify: {mac: []string{"HMAC_SHA_256"}}},
	"HMAC_384":              {generateVerify: {mac: []string{"HMAC_SHA_384"}}},
	"HMAC_512":              {generateVerify: {mac: []string{"HMAC_SHA_512"}}},
}

// digestSizes is the size of a DIGEST message for each algorithm that
// takes one.
var digestSizes = map[string]int{
	"RSASSA_PSS_SHA_256": 32, "RSASSA_PSS_SHA_384": 48, "RSASSA_PSS_SHA_512": 64,
	"RSASSA_PKCS1_V1_5_SHA_256": 32, "RSASSA_PKCS1_V1_5_SHA_384": 48, "RSASSA_PKCS1_V1_5_SHA_512": 64,
	"ECDSA_SHA_256": 32, "ECDSA_SHA_384": 48, "ECDSA_SHA_512": 64, "ED25519_PH_SHA_512": 64,
}

func (k *keyRecord) spec() string {
	if k.Spec == "" {
		return symmetricDefault
	}
	return k.Spec
}

func (k *keyRecord) usage() string {
	if k.Usage == "" {
		return encryptDecrypt
	}
	return k.Usage
}

func (k *keyRecord) algorithms() algorithms { return keySpecs[k.spec()][k.usage()] }

// ref names the key's one material version (asymmetric and HMAC keys do
// not rotate).
func (k *keyRecord) ref() keyring.Ref {
	return keyring.Ref{Region: k.Region, KeyID: k.ID, MaterialID: k.current().ID}
}

// customerMasterKeySpec is the deprecated twin of KeySpec, for the specs
// its enum has.
func customerMasterKeySpec(spec string) string {
	switch spec {
	case "ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "ECC_NIST_EDWARDS25519":
		return ""
	}
	return spec
}

func checkKeySpec(spec, usage string) error {
	if spec == "SM2" {
		return sealbox.Errorf("UnsupportedOperationException", "KeySpec %s is not supported in this Region.", spec)
	}
	usages, ok := keySpecs[spec]
	if !ok {
		return sealbox.Errorf("UnsupportedOperationException", "KeySpec %s is not supported in this Region.", spec)
	}
	if _, ok := usages[usage]; !ok {
		return errValidation("KeyUsage %s is not compatible with KeySpec %s", usage, spec)
	}
	return nil
}

func errKeyUsage(k *keyRecord, op string) error {
	return sealbox.Errorf("InvalidKeyUsageException", "%s key usage is %s which is not valid for %s.", k.arn(), k.usage(), op)
}

var (
	errInvalidSignature = &sealbox.Error{Code: "KMSInvalidSignatureException"}
	errInvalidMac       = &sealbox.Error{Code: "KMSInvalidMacException"}
)

func errRecipient() error {
	return sealbox.Errorf("UnsupportedOperationException", "Recipient (Nitro Enclaves attestation) is not supported.")
}

// asymOp resolves keyID for an operation on an asymmetric or HMAC key:
// the caller may perform action with the condition keys extra, the key is
// usable, and its usage is usage.
func (s *Service) asymOp(ctx context.Context, tx store.Tx, keyID, action, usage string, extra map[string][]string) (*keyRecord, error) {
	k, err := s.resolve(ctx, tx, keyID, true)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, action, k, nil, merge(requestAlias(keyID), extra)); err != nil {
		return nil, err
	}
	if err := usable(k); err != nil {
		return nil, err
	}
	if k.usage() != usage {
		return nil, errKeyUsage(k, action[len("kms:"):])
	}
	return k, nil
}

// decryptAsym is Decrypt (or ReEncrypt's source) under an RSA key: the
// request names the key and the algorithm.
func (s *Service) decryptAsym(ctx context.Context, tx store.Tx, k *keyRecord, blob []byte, ec map[string]string, keyID, action, alg string) (*keyRecord, string, []byte, error) {
	if err := s.authorize(ctx, action, k, nonNil(ec), encryptionAlgorithm(requestAlias(keyID), alg)); err != nil {
		return nil, "", nil, err
	}
	if err := usable(k); err != nil {
		return nil, "", nil, err
	}
	if err := checkAlgorithm(k, action[len("kms:"):], alg); err != nil {
		return nil, "", nil, err
	}
	if len(ec) > 0 {
		return nil, "", nil, errValidation("EncryptionContext is not supported with asymmetric KMS keys.")
	}
	pt, err := s.ring.DecryptAsym(tx, k.ref(), alg, blob)
	if errors.Is(err, keyring.ErrDecrypt) {
		return nil, "", nil, errInvalidCiphertext
	}
	if err != nil {
		return nil, "", nil, err
	}
	return k, "", pt, nil
}

// GetPublicKey returns the public key of an asymmetric key as DER
// SubjectPublicKeyInfo, with what it may be used for.
func (s *Service) GetPublicKey(ctx context.Context, in *GetPublicKeyRequest) (*GetPublicKeyResponse, error) {
	var out *GetPublicKeyResponse
	err := s.view(ctx, func(tx store.Tx) error {
		k, err := s.resolve(ctx, tx, in.KeyId, true)
		if err != nil {
			return err
		}
		if err := s.authorize(ctx, "kms:GetPublicKey", k, nil, requestAlias(in.KeyId)); err != nil {
			return err
		}
		if err := usable(k); err != nil {
			return err
		}
		if k.spec() == symmetricDefault || k.usage() == generateVerify {
			return sealbox.Errorf("UnsupportedOperationException", "%s key usage is %s which is not valid for GetPublicKey.", k.arn(), k.usage())
		}
		pub, err := s.ring.PublicKey(tx, k.ref())
		if err != nil {
			return err
		}
		a := k.algorithms()
		out = &GetPublicKeyResponse{
			KeyId: k.arn(), PublicKey: pub, KeySpec: k.spec(), CustomerMasterKeySpec: customerMasterKeySpec(k.spec()),
			KeyUsage: k.usage(), EncryptionAlgorithms: a.enc, SigningAlgorithms: a.sign, KeyAgreementAlgorithms: a.agree,
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSigning checks alg and the message for k: the algorithm is one of
// the key's, the message type one the algorithm takes, a digest the size
// of the algorithm's hash.
func checkSigning(k *keyRecord, alg, msgType string, msg []byte) error {
	if !slices.Contains(k.algorithms().sign, alg) {
		return sealbox.Errorf("InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", alg, k.spec())
	}
	switch {
	case msgType == messageMu && alg != "ML_DSA_SHAKE_256":
		return errValidation("MessageType %s is not valid for signing algorithm %s.", msgType, alg)
	case msgType == messageMu && len(msg) != muSize:
		return errValidation("Message is invalid length for MessageType EXTERNAL_MU: it must be a %d-byte mu.", muSize)
	case msgType == messageDigest && (alg == "ED25519_SHA_512" || alg == "ML_DSA_SHAKE_256"),
		msgType == messageRaw && alg == "ED25519_PH_SHA_512":
		return errValidation("MessageType %s is not valid for signing algorithm %s.", msgType, alg)
	case msgType == messageDigest && len(msg) != digestSizes[alg]:
		return errValidation("Digest is invalid length for algorithm %s.", alg)
	}
	return nil
}

func signingConditions(alg, msgType string) map[string][]string {
	return map[string][]string{"kms:signingalgorithm": {alg}, "kms:messagetype": {msgType}}
}

func messageType(t string) string {
	if t == "" {
		return messageRaw
	}
	return t
}

// asymCall is an operation on an asymmetric or HMAC key, in a read
// transaction: asymOp's checks of keyID for action (with the condition keys
// extra) and usage, then check's refusal of what the key cannot do with
// this request; a dry run stops there, else do answers.
func asymCall[T any](ctx context.Context, s *Service, keyID, action, usage string, extra map[string][]string, check func(*keyRecord) error, dryRun bool, do func(store.Tx, *keyRecord) (*T, error)) (*T, error) {
	var out *T
	err := s.view(ctx, func(tx store.Tx) error {
		k, err := s.asymOp(ctx, tx, keyID, action, usage, extra)
		if err != nil {
			return err
		}
		if err := check(k); err != nil {
			return err
		}
		if dryRun {
			return errDryRun()
		}
		out, err = do(tx, k)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Sign signs a message or a digest with an asymmetric SIGN_VERIFY key.
func (s *Service) Sign(ctx context.Context, in *SignRequest) (*SignResponse, error) {
	mt := messageType(in.MessageType)
	check := func(k *keyRecord) error { return checkSigning(k, in.SigningAlgorithm, mt, in.Message) }
	return asymCall(ctx, s, in.KeyId, "kms:Sign", signVerify, signingConditions(in.SigningAlgorithm, mt), check, in.DryRun, func(tx store.Tx, k *keyRecord) (*SignResponse, error) {
		sig, err := s.ring.Sign(tx, k.ref(), in.SigningAlgorithm, mt, in.Message)
		if err != nil {
			return nil, err
		}
		return &SignResponse{KeyId: k.arn(), Signature: sig, SigningAlgorithm: in.SigningAlgorithm}, nil
	})
}

// Verify checks a signature made by Sign (or by anyone with the public
// key). A signature that does not verify is KMSInvalidSignatureException.
func (s *Service) Verify(ctx context.Context, in *VerifyRequest) (*VerifyResponse, error) {
	mt := messageType(in.MessageType)
	check := func(k *keyRecord) error {
		if err := checkSigning(k, in.SigningAlgorithm, mt, in.Message); err != nil {
			return err
		}
		if mt == messageMu {
			// Verifying from mu needs ML-DSA's internal verification, which
			// the ML-DSA library does not export. The signature is an
			// ordinary ML-DSA signature of the message, so it verifies with
			// MessageType RAW, or offline.
			return sealbox.Errorf("UnsupportedOperationException", "Verify with MessageType EXTERNAL_MU is not supported by this server. Verify the signature of the message with MessageType RAW, or offline with the public key.")
		}
		return nil
	}
	return asymCall(ctx, s, in.KeyId, "kms:Verify", signVerify, signingConditions(in.SigningAlgorithm, mt), check, in.DryRun, func(tx store.Tx, k *keyRecord) (*VerifyResponse, error) {
		ok, err := s.ring.Verify(tx, k.ref(), in.SigningAlgorithm, mt, in.Message, in.Signature)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidSignature
		}
		return &VerifyResponse{KeyId: k.arn(), SignatureValid: true, SigningAlgorithm: in.SigningAlgorithm}, nil
	})
}

// checkMac refuses alg where k is not an HMAC key of it.
func checkMac(k *keyRecord, alg string) error {
	if !slices.Contains(k.algorithms().mac, alg) {
		return sealbox.Errorf("InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", alg, k.spec())
	}
	return nil
}

// GenerateMac computes the HMAC of a message with an HMAC key.
func (s *Service) GenerateMac(ctx context.Context, in *GenerateMacRequest) (*GenerateMacResponse, error) {
	check := func(k *keyRecord) error { return checkMac(k, in.MacAlgorithm) }
	return asymCall(ctx, s, in.KeyId, "kms:GenerateMac", generateVerify, map[string][]string{"kms:macalgorithm": {in.MacAlgorithm}}, check, in.DryRun, func(tx store.Tx, k *keyRecord) (*GenerateMacResponse, error) {
		mac, err := s.ring.MAC(tx, k.ref(), in.MacAlgorithm, in.Message)
		if err != nil {
			return nil, err
		}
		return &GenerateMacResponse{KeyId: k.arn(), Mac: mac, MacAlgorithm: in.MacAlgorithm}, nil
	})
}

// VerifyMac checks an HMAC in constant time; a MAC that does not match is
// KMSInvalidMacException.
func (s *Service) VerifyMac(ctx context.Context, in *VerifyMacRequest) (*VerifyMacResponse, error) {
	check := func(k *keyRecord) error { return checkMac(k, in.MacAlgorithm) }
	return asymCall(ctx, s, in.KeyId, "kms:VerifyMac", generateVerify, map[string][]string{"kms:macalgorithm": {in.MacAlgorithm}}, check, in.DryRun, func(tx store.Tx, k *keyRecord) (*VerifyMacResponse, error) {
		ok, err := s.ring.VerifyMAC(tx, k.ref(), in.MacAlgorithm, in.Message, in.Mac)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, errInvalidMac
		}
		return &VerifyMacResponse{KeyId: k.arn(), MacValid: true, MacAlgorithm: in.MacAlgorithm}, nil
	})
}

// DeriveSharedSecret is ECDH between a KEY_AGREEMENT key and a peer's
// public key (DER SubjectPublicKeyInfo on the key's curve).
func (s *Service) DeriveSharedSecret(ctx context.Context, in *DeriveSharedSecretRequest) (*DeriveSharedSecretResponse, error) {
	if in.Recipient != nil {
		return nil, errRecipient()
	}
	check := func(k *keyRecord) error {
		if !slices.Contains(k.algorithms().agree, in.KeyAgreementAlgorithm) {
			return sealbox.Errorf("InvalidKeyUsageException", "Algorithm %s is incompatible with key spec %s.", in.KeyAgreementAlgorithm, k.spec())
		}
		return nil
	}
	return asymCall(ctx, s, in.KeyId, "kms:DeriveSharedSecret", keyAgreement, map[string][]string{"kms:keyagreementalgorithm": {in.KeyAgreementAlgorithm}}, check, in.DryRun, func(tx store.Tx, k *keyRecord) (*DeriveSharedSecretResponse, error) {
		secret, err := s.ring.DeriveSharedSecret(tx, k.ref(), in.PublicKey)
		if errors.Is(err, keyring.ErrPublicKey) {
			return nil, errValidation("The public key is not a valid DER-encoded SubjectPublicKeyInfo for key spec %s.", k.spec())
		}
		if err != nil {
			return nil, err
		}
		return &DeriveSharedSecretResponse{KeyId: k.arn(), SharedSecret: secret, KeyAgreementAlgorithm: in.KeyAgreementAlgorithm, KeyOrigin: k.origin()}, nil
	})
}

// dataKeyPair makes a fresh key pair of spec and encrypts its private key
// under keyID (a symmetric key) with ec.
func (s *Service) dataKeyPair(ctx context.Context, keyID, action, spec string, ec map[string]string, dryRun bool) (*keyRecord, []byte, []byte, []byte, error) {
	if spec == "SM2" {
		return nil, nil, nil, nil, sealbox.Errorf("UnsupportedOperationException", "KeyPairSpec %s is not supported in this Region.", spec)
	}
	var priv, pub []byte
	k, blob, err := s.encryptMade(ctx, keyID, action, nil, func() (_ []byte, err error) {
		priv, pub, err = keyring.GenerateKeyPair(spec)
		return priv, err
	}, ec, "", dryRun, map[string][]string{"kms:datakeypairspec": {spec}})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return k, priv, pub, blob, nil
}

// GenerateDataKeyPair returns a fresh key pair: the public key, the
// private key (PKCS #8 DER) in plaintext and encrypted under a symmetric
// key with the encryption context.
func (s *Service) GenerateDataKeyPair(ctx context.Context, in *GenerateDataKeyPairRequest) (*GenerateDataKeyPairResponse, error) {
	if in.Recipient != nil {
		return nil, errRecipient()
	}
	k, priv, pub, blob, err := s.dataKeyPair(ctx, in.KeyId, "kms:GenerateDataKeyPair", in.KeyPairSpec, in.EncryptionContext, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyPairResponse{PrivateKeyCiphertextBlob: blob, PrivateKeyPlaintext: priv, PublicKey: pub,
		KeyId: k.arn(), KeyPairSpec: in.KeyPairSpec, KeyMaterialId: k.current().ID}, nil
}

// GenerateDataKeyPairWithoutPlaintext is GenerateDataKeyPair without the
// plaintext private key.
func (s *Service) GenerateDataKeyPairWithoutPlaintext(ctx context.Context, in *GenerateDataKeyPairWithoutPlaintextRequest) (*GenerateDataKeyPairWithoutPlaintextResponse, error) {
	k, _, pub, blob, err := s.dataKeyPair(ctx, in.KeyId, "kms:GenerateDataKeyPairWithoutPlaintext", in.KeyPairSpec, in.EncryptionContext, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyPairWithoutPlaintextResponse{PrivateKeyCiphertextBlob: blob, PublicKey: pub,
		KeyId: k.arn(), KeyPairSpec: in.KeyPairSpec, KeyMaterialId: k.current().ID}, nil
}

// grantOperations are the grant operations each key usage accepts (with
// those every key accepts); the model checks the names, this the fit.
func grantOperations(k *keyRecord) []string {
	ops := []string{"CreateGrant", "RetireGrant", "DescribeKey"}
	switch {
	case k.spec() == symmetricDefault:
		ops = append(ops, "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
			"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo")
	case k.usage() == encryptDecrypt:
		ops = append(ops, "Decrypt", "Encrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey")
	case k.usage() == signVerify:
		ops = append(ops, "Sign", "Verify", "GetPublicKey")
	case k.usage() == generateVerify:
		ops = append(ops, "GenerateMac", "VerifyMac")
	case k.usage() == keyAgreement:
		ops = append(ops, "DeriveSharedSecret", "GetPublicKey")
	}
	return ops
}

// keyKind is how the grant error names a key's kind.
func keyKind(k *keyRecord) string {
	switch {
	case k.spec() == symmetricDefault:
		return "a symmetric encryption KMS key"
	case k.usage() == generateVerify:
		return "an HMAC KMS key"
	default:
		return "an asymmetric KMS key with KeyUsage " + k.usage()
	}
}

// rotatable refuses rotation of keys that are not symmetric encryption
// keys, as AWS does.
func rotatable(k *keyRecord) error {
	if k.spec() == symmetricDefault {
		return nil
	}
	return sealbox.Errorf("UnsupportedOperationException", "%s key spec is %s: rotation is supported only for symmetric encryption KMS keys.", k.arn(), k.spec())
}
