package sigv4

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// decryptRequest is the size and shape of a KMS Decrypt call from
// aws-sdk-go-v2: the hot path Verify must keep fast.
func decryptRequest() clientRequest {
	return clientRequest{
		method: http.MethodPost,
		url:    "http://127.0.0.1:8777/",
		body:   `{"CiphertextBlob":"AQICAHhR6Qh4Xj8x0m4pZHwnRzJqWb1VbSxz5mKQ4pD8R1Wf4AGkq5b3bL4w2kqJ3s8oP1vZAAAAfjB8BgkqhkiG9w0BBwagbzBtAgEAMGgGCSqGSIb3DQEHATAeBglghkgBZQMEAS4wEQQM","EncryptionContext":{"app":"web","stage":"prod"}}`,
		header: http.Header{
			"Content-Type":          {"application/x-amz-json-1.1"},
			"X-Amz-Target":          {"TrentService.Decrypt"},
			"Amz-Sdk-Invocation-Id": {"c59a47f6-c670-4c6f-9ad7-8ad1d9c0a2e2"},
			"Amz-Sdk-Request":       {"attempt=1; max=3"},
		},
	}
}

func BenchmarkVerify(b *testing.B) {
	for _, bc := range []struct {
		name  string
		creds aws.Credentials
	}{
		{"long-term key", longTerm},
		{"session credentials", temporary},
	} {
		b.Run(bc.name, func(b *testing.B) {
			v := newVerifier(newCreds(), t0)
			r, body := onServer(b, decryptRequest().signed(b, bc.creds, testRegion, testService, t0))
			ctx := context.Background()
			if _, err := v.Verify(ctx, r, body, testService); err != nil {
				b.Fatalf("Verify() err = %v", err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Verify(ctx, r, body, testService); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyManyKeys signs with 64 access keys in turn, so that the
// SDK signers' derived-key caches see a new key on most calls.
func BenchmarkVerifyManyKeys(b *testing.B) {
	creds := newCreds()
	var reqs []*http.Request
	var bodies [][]byte
	for i := range 64 {
		id := fmt.Sprintf("AKIDBENCH%011d", i)
		creds.keys[id] = Key{Secret: secret(testSecret + id), Principal: testPrincipal}
		r, body := onServer(b, decryptRequest().signed(b, aws.Credentials{AccessKeyID: id, SecretAccessKey: testSecret + id}, testRegion, testService, t0))
		reqs, bodies = append(reqs, r), append(bodies, body)
	}
	v := newVerifier(creds, t0)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := v.Verify(ctx, reqs[i%64], bodies[i%64], testService); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkVerifyPresigned(b *testing.B) {
	v := newVerifier(newCreds(), t0)
	r, body := onServer(b, listKeysGet().presigned(b, longTerm, 0, t0))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, r, body, testService); err != nil {
			b.Fatal(err)
		}
	}
}
