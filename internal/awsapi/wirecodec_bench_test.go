package awsapi

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
)

// The hot operations' inputs and outputs, as a client sends and gets them.
var (
	benchBlob   = bytes.Repeat([]byte{0xA5}, 184) // a KMS ciphertext's size
	benchSecret = string(bytes.Repeat([]byte("s"), 1024))
	benchWhen   = sealbox.At(time.UnixMilli(1795428000123))
	benchInputs = map[string]string{
		"Decrypt":             `{"CiphertextBlob":"` + b64(benchBlob) + `","EncryptionContext":{"app":"billing","env":"prod"},"KeyId":"alias/bench"}`,
		"Encrypt":             `{"KeyId":"alias/bench","Plaintext":"` + b64(benchBlob[:32]) + `","EncryptionContext":{"app":"billing"}}`,
		"GenerateDataKey":     `{"KeyId":"alias/bench","KeySpec":"AES_256","EncryptionContext":{"app":"billing"}}`,
		"GetSecretValue":      `{"SecretId":"bench/secret","VersionStage":"AWSCURRENT"}`,
		"BatchGetSecretValue": `{"SecretIdList":["bench/a","bench/b","bench/c"]}`,
		"GetParameter":        `{"Name":"/bench/param","WithDecryption":true}`,
		"GetParameters":       `{"Names":["/bench/a","/bench/b"],"WithDecryption":true}`,
	}
	benchIn = map[string]reflect.Type{
		"Decrypt": reflect.TypeFor[kms.DecryptRequest](), "Encrypt": reflect.TypeFor[kms.EncryptRequest](),
		"GenerateDataKey": reflect.TypeFor[kms.GenerateDataKeyRequest](), "GetSecretValue": reflect.TypeFor[secrets.GetSecretValueRequest](),
		"BatchGetSecretValue": reflect.TypeFor[secrets.BatchGetSecretValueRequest](), "GetParameter": reflect.TypeFor[parameters.GetParameterRequest](),
		"GetParameters": reflect.TypeFor[parameters.GetParametersRequest](),
	}
	benchOut = map[string]any{
		"Decrypt": &kms.DecryptResponse{KeyId: "arn:aws:kms:us-east-1:123456789012:key/0b5d2f2e-6a4e-4d4c-9a51-5d9b1f0e7c11", Plaintext: benchBlob[:32], EncryptionAlgorithm: "SYMMETRIC_DEFAULT"},
		"Encrypt": &kms.EncryptResponse{KeyId: "arn:aws:kms:us-east-1:123456789012:key/0b5d2f2e-6a4e-4d4c-9a51-5d9b1f0e7c11", CiphertextBlob: benchBlob, EncryptionAlgorithm: "SYMMETRIC_DEFAULT"},
		"GenerateDataKey": &kms.GenerateDataKeyResponse{KeyId: "arn:aws:kms:us-east-1:123456789012:key/0b5d2f2e-6a4e-4d4c-9a51-5d9b1f0e7c11",
			CiphertextBlob: benchBlob, Plaintext: benchBlob[:32]},
		"GetSecretValue": &secrets.GetSecretValueResponse{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/secret-AbCdEf", Name: "bench/secret",
			VersionId: "3f0c8d6e-4e0b-4f6a-9c1d-2b7e5a9f8c11", SecretString: &benchSecret, VersionStages: []string{"AWSCURRENT"}, CreatedDate: benchWhen},
		"BatchGetSecretValue": &secrets.BatchGetSecretValueResponse{SecretValues: []secrets.SecretValueEntry{
			{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/a-AbCdEf", Name: "bench/a", VersionId: "v1", SecretString: &benchSecret, VersionStages: []string{"AWSCURRENT"}, CreatedDate: benchWhen},
			{ARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:bench/b-AbCdEf", Name: "bench/b", VersionId: "v1", SecretString: &benchSecret, VersionStages: []string{"AWSCURRENT"}, CreatedDate: benchWhen},
		}, Errors: []secrets.APIErrorType{}},
		"GetParameter": &parameters.GetParameterResult{Parameter: &parameters.Parameter{Name: "/bench/param", Type: "SecureString", Value: "v<a&l>ue", Version: 3,
			LastModifiedDate: benchWhen, ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/bench/param", DataType: "text"}},
		"GetParameters": &parameters.GetParametersResult{Parameters: []parameters.Parameter{
			{Name: "/bench/a", Type: "String", Value: "a", Version: 1, LastModifiedDate: benchWhen, ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/bench/a", DataType: "text"},
			{Name: "/bench/b", Type: "String", Value: "b", Version: 1, LastModifiedDate: benchWhen, ARN: "arn:aws:ssm:us-east-1:123456789012:parameter/bench/b", DataType: "text"},
		}, InvalidParameters: []string{}},
	}
	benchOps = []string{"Decrypt", "Encrypt", "GenerateDataKey", "GetSecretValue", "BatchGetSecretValue", "GetParameter", "GetParameters"}
)

func b64(b []byte) string { s, _ := json.Marshal(b); return string(s[1 : len(s)-1]) }

// TestWireCodecHotOperations checks the benchmarks' values both ways.
func TestWireCodecHotOperations(t *testing.T) {
	for _, op := range benchOps {
		checkAppend(t, benchOut[op])
		v, err := jsonvalue.DecodeObject([]byte(benchInputs[op]))
		if err != nil {
			t.Fatal(op, err)
		}
		checkBind(t, benchIn[op], v)
	}
}

// BenchmarkWireCodec compares, for the hot operations, the generated codec
// with the reflective paths it replaces: binding the decoded input, and
// encoding the output.
func BenchmarkWireCodec(b *testing.B) {
	for _, op := range benchOps {
		v, err := jsonvalue.DecodeObject([]byte(benchInputs[op]))
		if err != nil {
			b.Fatal(err)
		}
		typ, out := benchIn[op], benchOut[op]
		bind := binderFor(typ)
		b.Run(op+"/bind/reflect", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := bind(v, reflect.New(typ).Elem(), ""); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(op+"/bind/generated", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := reflect.New(typ).Interface().(valueBinder).BindValue(v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(op+"/encode/reflect", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := json.Marshal(out); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(op+"/encode/generated", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 4096)
			for b.Loop() {
				if _, err := out.(jsonAppender).AppendJSON(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
