package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// call sends a raw JSON 1.1 request for target, signed with the admin pair
// unless unsigned, and returns the status, the decoded error shape and the
// response.
func call(t *testing.T, s *sealtest.Server, target, body string, unsigned bool) (int, map[string]any, *http.Response) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	if !unsigned {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "kms", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var shape map[string]any
	json.Unmarshal(raw, &shape)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s: no x-amzn-RequestId header", target)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-amz-json-1.1" {
		t.Errorf("%s: Content-Type = %q", target, ct)
	}
	return resp.StatusCode, shape, resp
}

func TestWireErrors(t *testing.T) {
	s := sealtest.Start(t)
	cases := []struct {
		name     string
		target   string
		body     string
		unsigned bool
		status   int
		code     string
		message  string
	}{
		{"unknown operation", "TrentService.Nope", "{}", false, 400, "UnknownOperationException", ""},
		{"operation not served", "TrentService.ConnectCustomKeyStore", "{}", false, 400, "UnknownOperationException", ""},
		{"unsigned", "TrentService.ListKeys", "{}", true, 400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"},
		{"malformed JSON", "TrentService.ListKeys", "{not json", false, 400, "SerializationException", ""},
		{"not an object", "TrentService.ListKeys", "[1,2]", false, 400, "SerializationException", ""},
		{"wrong member type", "TrentService.GenerateRandom", `{"NumberOfBytes":"ten"}`, false, 400, "SerializationException", ""},
		{"bad base64", "TrentService.Decrypt", `{"CiphertextBlob":"%%%"}`, false, 400, "SerializationException", ""},
		{"missing required", "TrentService.GenerateDataKey", `{"KeySpec":"AES_256"}`, false, 400, "ValidationException",
			"1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null"},
		{"two problems", "TrentService.Encrypt", `{"KeyId":"","Plaintext":""}`, false, 400, "ValidationException",
			"2 validation errors detected: "},
		{"enum", "TrentService.GenerateDataKey", `{"KeyId":"alias/x","KeySpec":"AES_1"}`, false, 400, "ValidationException",
			"1 validation error detected: Value 'AES_1' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]"},
		{"range", "TrentService.GenerateRandom", `{"NumberOfBytes":0}`, false, 400, "ValidationException",
			"1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"nested", "TrentService.CreateKey", `{"Tags":[{"TagKey":"","TagValue":"v"}]}`, false, 400, "ValidationException",
			"1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1"},
		{"pattern", "TrentService.CreateAlias", `{"AliasName":"alias/a b","TargetKeyId":"x"}`, false, 400, "ValidationException",
			"1 validation error detected: Value 'alias/a b' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$"},
		{"32-bit overflow", "TrentService.GenerateRandom", `{"NumberOfBytes":99999999999}`, false, 400, "SerializationException", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, shape, _ := call(t, s, tc.target, tc.body, tc.unsigned)
			if st != tc.status || shape["__type"] != tc.code {
				t.Fatalf("POST %s %s = %d %v, want %d %s", tc.target, tc.body, st, shape, tc.status, tc.code)
			}
			msg, _ := shape["message"].(string)
			if tc.message != "" && !strings.HasPrefix(msg, tc.message) {
				t.Fatalf("message = %q, want prefix %q", msg, tc.message)
			}
		})
	}
}

func TestEmptyBodyIsEmptyInput(t *testing.T) {
	s := sealtest.Start(t)
	st, shape, _ := call(t, s, "TrentService.ListKeys", "", false)
	if st != 200 || shape["Keys"] == nil || shape["Truncated"] != false {
		t.Fatalf("ListKeys with an empty body = %d %v", st, shape)
	}
}

func TestOversizedBody(t *testing.T) {
	s := sealtest.Start(t)
	body := `{"Description":"` + strings.Repeat("a", 2<<20) + `"}`
	st, shape, _ := call(t, s, "TrentService.CreateKey", body, false)
	if st != 413 || shape["__type"] != "RequestEntityTooLargeException" {
		t.Fatalf("2 MiB body = %d %v", st, shape)
	}
}

func TestHealthz(t *testing.T) {
	s := sealtest.Start(t)
	resp, err := s.HTTPClient().Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, []byte("ok\n")) {
		t.Fatalf("GET /healthz = %d %q", resp.StatusCode, body)
	}
}

func TestUnsignedPayloadRefused(t *testing.T) {
	s := sealtest.Start(t)
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
	req.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, "UNSIGNED-PAYLOAD", "kms", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("UNSIGNED-PAYLOAD request = %d, want 400", resp.StatusCode)
	}
}

// TestPresignedGetCallerIdentity sends a presigned STS request (a GET with
// the signature in the query string), as EKS-style and Vault-style
// authentication does.
func TestPresignedGetCallerIdentity(t *testing.T) {
	s := sealtest.Start(t)
	req, err := sts.NewPresignClient(s.STS()).PresignGetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	hr, _ := http.NewRequest(req.Method, req.URL, nil)
	for k, v := range req.SignedHeader {
		hr.Header[k] = v
	}
	resp, err := s.HTTPClient().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<Arn>arn:aws:iam::123456789012:user/admin</Arn>") ||
		!strings.Contains(string(body), `xmlns="https://sts.amazonaws.com/doc/2011-06-15/"`) {
		t.Fatalf("presigned GetCallerIdentity = %d %s", resp.StatusCode, body)
	}
	// Tampering with the presigned URL breaks the signature.
	bad, _ := http.NewRequest(req.Method, strings.Replace(req.URL, "Action=GetCallerIdentity", "Action=GetSessionToken", 1), nil)
	resp, err = s.HTTPClient().Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("tampered presigned URL = %d, want 403", resp.StatusCode)
	}
}

// rest sends a raw REST-JSON request (Lambda's protocol), signed with the
// admin pair for service lambda unless unsigned, and returns the status,
// the x-amzn-ErrorType header and the decoded body.
func rest(t *testing.T, s *sealtest.Server, method, target, body string, unsigned bool) (int, string, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, s.URL+target, strings.NewReader(body))
	if !unsigned {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "lambda", "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var shape map[string]any
	json.Unmarshal(raw, &shape)
	if resp.Header.Get("x-amzn-RequestId") == "" {
		t.Errorf("%s %s: no x-amzn-RequestId header", method, target)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"), shape
}

// TestRESTWireErrors checks the REST-JSON path's own answers: an unknown
// path, a missing or bad signature (403 there, not JSON 1.1's 400), a body
// that is not JSON or over Lambda's limit, a label that fails the model.
func TestRESTWireErrors(t *testing.T) {
	s := sealtest.Start(t)
	cases := []struct {
		name, method, target, body string
		unsigned                   bool
		status                     int
		code, message              string
	}{
		{"unknown path", "GET", "/2015-03-31/nothing", "", false, 404, "UnknownOperationException", ""},
		{"operation not served", "GET", "/2015-03-31/event-source-mappings/", "", false, 404, "UnknownOperationException", ""},
		{"unsigned", "GET", "/2015-03-31/functions/", "", true, 403, "MissingAuthenticationTokenException", "Request is missing Authentication Token"},
		{"body not JSON", "POST", "/2015-03-31/functions", "{not json", false, 400, "InvalidRequestContentException", ""},
		{"label against the model", "GET", "/2015-03-31/functions/a%20b/configuration", "", false, 400, "ValidationException", "1 validation error detected: Value 'a b' at 'functionName' failed to satisfy constraint"},
		{"absent function", "GET", "/2015-03-31/functions/nope/configuration", "", false, 404, "ResourceNotFoundException", "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{"too large", "POST", "/2015-03-31/functions", `{"Code":{"ZipFile":"` + strings.Repeat("A", 69905067) + `"}}`, false, 413, "RequestTooLargeException",
			"Request must be smaller than 69905067 bytes for the CreateFunction operation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, code, shape := rest(t, s, tc.method, tc.target, tc.body, tc.unsigned)
			if st != tc.status || code != tc.code {
				t.Fatalf("%s %s = %d %q %v, want %d %s", tc.method, tc.target, st, code, shape, tc.status, tc.code)
			}
			msg, _ := shape["message"].(string)
			if msg == "" {
				msg, _ = shape["Message"].(string)
			}
			if !strings.HasPrefix(msg, tc.message) {
				t.Fatalf("message = %q, want prefix %q", msg, tc.message)
			}
		})
	}
}
