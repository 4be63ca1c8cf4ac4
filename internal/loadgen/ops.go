package loadgen

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// Op is an operation the load generator can drive.
type Op string

// The operations. Ceiling is the server's bare GET /healthz, unsigned: the
// most a client on this connection and this server process can get, against
// which the others are measured.
const (
	Ceiling         Op = "ceiling"
	Encrypt         Op = "encrypt"
	Decrypt         Op = "decrypt"
	GenerateDataKey Op = "generate-data-key"
	GenerateRandom  Op = "generate-random"
	DescribeKey     Op = "describe-key"

	// KMS asymmetric and HMAC keys: a 32-byte message, MessageType RAW.
	SignECCP256   Op = "sign-ecc-p256"   // ECDSA_SHA_256 with an ECC_NIST_P256 key
	SignRSA2048   Op = "sign-rsa-2048"   // RSASSA_PSS_SHA_256 with an RSA_2048 key
	VerifyECCP256 Op = "verify-ecc-p256" // the signature set-up made with the ECC_NIST_P256 key
	VerifyRSA2048 Op = "verify-rsa-2048" // the signature set-up made with the RSA_2048 key
	GenerateMac   Op = "generate-mac"    // HMAC_SHA_256 with an HMAC_256 key

	// Parameter Store.
	GetParameter        Op = "get-parameter"          // a String
	GetSecureParameter  Op = "get-secure-parameter"   // a SecureString, with decryption
	GetParametersByPath Op = "get-parameters-by-path" // one 10-item page of the bench tree
	PutParameter        Op = "put-parameter"          // a SecureString version, durable

	// Secrets Manager.
	GetSecretValue      Op = "get-secret-value"       // AWSCURRENT of a 1 KiB secret
	BatchGetSecretValue Op = "batch-get-secret-value" // 10 secrets in one call
)

// AllOps lists every operation, in the order they are documented.
var AllOps = []Op{Ceiling, Encrypt, Decrypt, GenerateDataKey, GenerateRandom, DescribeKey,
	SignECCP256, SignRSA2048, VerifyECCP256, VerifyRSA2048, GenerateMac,
	GetParameter, GetSecureParameter, GetParametersByPath, PutParameter, GetSecretValue, BatchGetSecretValue}

// SecretsOps are the Secrets Manager operations, with the ceiling.
var SecretsOps = []Op{Ceiling, GetSecretValue, BatchGetSecretValue}

// KMSOps are the KMS operations, with the ceiling.
var KMSOps = []Op{Ceiling, Encrypt, Decrypt, GenerateDataKey, GenerateRandom, DescribeKey,
	SignECCP256, SignRSA2048, VerifyECCP256, VerifyRSA2048, GenerateMac}

// SSMOps are the Parameter Store operations, with the ceiling.
var SSMOps = []Op{Ceiling, GetParameter, GetSecureParameter, GetParametersByPath, PutParameter}

// DefaultOps is what a bench runs unless told otherwise.
var DefaultOps = []Op{Ceiling, Encrypt, Decrypt, GenerateDataKey}

// ParseOps parses a comma-separated list of operation names.
func ParseOps(s string) ([]Op, error) {
	var ops []Op
	seen := map[Op]bool{}
	for _, f := range strings.Split(s, ",") {
		op := Op(strings.TrimSpace(f))
		if op == "" {
			continue
		}
		if !op.valid() {
			return nil, fmt.Errorf("unknown operation %q (known: %s)", op, opNames(AllOps))
		}
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("no operations in %q", s)
	}
	return ops, nil
}

func opNames(ops []Op) string {
	names := make([]string, len(ops))
	for i, op := range ops {
		names[i] = string(op)
	}
	return strings.Join(names, ", ")
}

func (op Op) valid() bool {
	for _, o := range AllOps {
		if o == op {
			return true
		}
	}
	return false
}

// key is the kind of KMS key op works on; ok is false if it needs none.
func (op Op) key() (k keyKind, ok bool) {
	switch op {
	case Encrypt, Decrypt, GenerateDataKey, DescribeKey:
		return symmetricKey, true
	case SignECCP256, VerifyECCP256:
		return eccKey, true
	case SignRSA2048, VerifyRSA2048:
		return rsaKey, true
	case GenerateMac:
		return hmacKey, true
	}
	return 0, false
}

// isSecrets reports whether op is a Secrets Manager operation.
func (op Op) isSecrets() bool { return op == GetSecretValue || op == BatchGetSecretValue }

// isSSM reports whether op is a Parameter Store operation.
func (op Op) isSSM() bool {
	switch op {
	case GetParameter, GetSecureParameter, GetParametersByPath, PutParameter:
		return true
	}
	return false
}

// target is op's X-Amz-Target; empty for the ceiling.
func (op Op) target() string {
	switch op {
	case Encrypt:
		return "TrentService.Encrypt"
	case Decrypt:
		return "TrentService.Decrypt"
	case GenerateDataKey:
		return "TrentService.GenerateDataKey"
	case GenerateRandom:
		return "TrentService.GenerateRandom"
	case DescribeKey:
		return "TrentService.DescribeKey"
	case SignECCP256, SignRSA2048:
		return "TrentService.Sign"
	case VerifyECCP256, VerifyRSA2048:
		return "TrentService.Verify"
	case GenerateMac:
		return "TrentService.GenerateMac"
	case GetParameter, GetSecureParameter:
		return "AmazonSSM.GetParameter"
	case GetParametersByPath:
		return "AmazonSSM.GetParametersByPath"
	case PutParameter:
		return "AmazonSSM.PutParameter"
	case GetSecretValue:
		return "secretsmanager.GetSecretValue"
	case BatchGetSecretValue:
		return "secretsmanager.BatchGetSecretValue"
	}
	return ""
}

// service is the SigV4 signing name of the request's service.
func (rq *request) service() string {
	switch {
	case strings.HasPrefix(rq.target, "AmazonSSM."):
		return "ssm"
	case strings.HasPrefix(rq.target, "secretsmanager."):
		return "secretsmanager"
	}
	return "kms"
}

// request is an operation's request, prepared once for a whole run: the
// body and its hash never change, only the signature does.
type request struct {
	op     Op
	target string
	body   []byte
	hash   string // hex SHA-256 of body

	// variants, when set, are bodies taken in turn instead of body (a write
	// spread over many resources); next picks the turn.
	variants []variant
	next     *atomic.Uint64
}

type variant struct {
	body []byte
	hash string
}

// pick returns the body to send next and its hash.
func (rq *request) pick() ([]byte, string) {
	if len(rq.variants) == 0 {
		return rq.body, rq.hash
	}
	v := rq.variants[rq.next.Add(1)%uint64(len(rq.variants))]
	return v.body, v.hash
}

// putVariants is how many parameters put-parameter spreads its writes over:
// concurrent writes to one parameter are refused (TooManyUpdates), as AWS
// refuses them.
const putVariants = 256

// fixture is what set-up made on the server.
type fixture struct {
	keyARN string // the symmetric key
	blob   []byte // 32 bytes encrypted under keyARN

	keys map[keyKind]string // every key made, by kind (keyARN too)
	sigs map[keyKind][]byte // plaintext signed with the kind's key, for verify
}

// plaintext is what encrypt sends and decrypt's blob holds, and the message
// sign, verify and generate-mac send.
var plaintext = []byte("sealbox-bench-32-byte-plaintext!")

func prepare(op Op, fx fixture) (request, error) {
	var in any
	switch op {
	case Ceiling:
		return request{op: op}, nil
	case Encrypt:
		in = map[string]string{"KeyId": fx.keyARN, "Plaintext": base64.StdEncoding.EncodeToString(plaintext)}
	case Decrypt:
		in = map[string]string{"CiphertextBlob": base64.StdEncoding.EncodeToString(fx.blob)}
	case GenerateDataKey:
		in = map[string]string{"KeyId": fx.keyARN, "KeySpec": "AES_256"}
	case GenerateRandom:
		in = map[string]int{"NumberOfBytes": 32}
	case DescribeKey:
		in = map[string]string{"KeyId": fx.keyARN}
	case SignECCP256, SignRSA2048:
		k, _ := op.key()
		in = signInput(fx.keys[k], k)
	case VerifyECCP256, VerifyRSA2048:
		k, _ := op.key()
		v := signInput(fx.keys[k], k)
		v["Signature"] = base64.StdEncoding.EncodeToString(fx.sigs[k])
		in = v
	case GenerateMac:
		in = map[string]string{"KeyId": fx.keys[hmacKey], "Message": base64.StdEncoding.EncodeToString(plaintext), "MacAlgorithm": "HMAC_SHA_256"}
	case GetParameter:
		in = map[string]any{"Name": benchString}
	case GetSecureParameter:
		in = map[string]any{"Name": benchSecure, "WithDecryption": true}
	case GetParametersByPath:
		in = map[string]any{"Path": benchTree, "Recursive": true, "MaxResults": 10}
	case GetSecretValue:
		in = map[string]any{"SecretId": benchSecret}
	case BatchGetSecretValue:
		ids := make([]string, benchSecrets)
		for i := range ids {
			ids[i] = benchSecret + "-" + strconv.Itoa(i)
		}
		in = map[string]any{"SecretIdList": ids}
	case PutParameter:
		rq := request{op: op, target: op.target(), next: new(atomic.Uint64)}
		for i := range putVariants {
			v, err := newRequest(op, op.target(), map[string]any{"Name": benchPut + "/" + strconv.Itoa(i), "Value": string(plaintext), "Type": "SecureString", "Overwrite": true})
			if err != nil {
				return request{}, err
			}
			rq.variants = append(rq.variants, variant{v.body, v.hash})
		}
		return rq, nil
	default:
		return request{}, fmt.Errorf("unknown operation %q", op)
	}
	return newRequest(op, op.target(), in)
}

func newRequest(op Op, target string, in any) (request, error) {
	body, err := json.Marshal(in)
	if err != nil {
		return request{}, err
	}
	sum := sha256.Sum256(body)
	return request{op: op, target: target, body: body, hash: hex.EncodeToString(sum[:])}, nil
}
