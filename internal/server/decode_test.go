package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// signed sends a raw request signed with the admin pair for the signing
// name service, and returns the status and the body. Raw requests carry
// what no SDK sends: duplicate members, members in another case, repeated
// form keys.
func signed(t *testing.T, s *sealtest.Server, service string, req *http.Request, body string) (int, http.Header, []byte) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// jsonCall sends a raw AWS JSON 1.1 request signed for service.
func jsonCall(t *testing.T, s *sealtest.Server, service, target, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target)
	st, _, raw := signed(t, s, service, req, body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("POST %s: answer is not JSON: %q", target, raw)
	}
	return st, out
}

// queryCall sends a raw AWS Query request (a form body) signed for service.
func queryCall(t *testing.T, s *sealtest.Server, service, rawQuery, form string) (int, string) {
	t.Helper()
	target := s.URL + "/"
	if rawQuery != "" {
		target += "?" + rawQuery
	}
	req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	st, _, raw := signed(t, s, service, req, form)
	return st, string(raw)
}

func lastEvent(t *testing.T, s *sealtest.Server, name string) map[string]any {
	t.Helper()
	var last map[string]any
	for _, e := range sealtest.AuditEvents(t, s.Dir) {
		if e["eventName"] == name {
			last = e
		}
	}
	if last == nil {
		t.Fatalf("no %s audit event", name)
	}
	return last
}

// TestMemberInAnotherCaseIsIgnored is the first reproduction: a
// member spelt "plaintext" once slipped an 8,000-byte plaintext past
// Encrypt's 4,096-byte limit, because the model checked "Plaintext" while
// the operation's decoder matched names without case and let the later one
// win. Member names are matched exactly now: "plaintext" is an unknown
// member, ignored, and the call encrypts what the model checked.
func TestMemberInAnotherCaseIsIgnored(t *testing.T) {
	s := sealtest.Start(t)
	key := sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{}))
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("s"), 8000))
	body := `{"KeyId":"` + *key.KeyMetadata.KeyId + `","Plaintext":"eA==","plaintext":"` + big + `"}`
	st, out := jsonCall(t, s, "kms", "TrentService.Encrypt", body)
	if st != 200 {
		t.Fatalf("Encrypt with plaintext in another case = %d %v, want 200", st, out)
	}
	blob, _ := base64.StdEncoding.DecodeString(out["CiphertextBlob"].(string))
	dec := sealtest.Must[*kms.DecryptOutput](t, "Decrypt")(s.KMS().Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob}))
	if string(dec.Plaintext) != "x" {
		t.Fatalf("Encrypt encrypted %d bytes, want the 1 byte of Plaintext (\"x\")", len(dec.Plaintext))
	}

	// A required member sent only in another case is missing.
	st, out = jsonCall(t, s, "kms", "TrentService.DescribeKey", `{"keyid":"`+*key.KeyMetadata.KeyId+`"}`)
	if st != 400 || out["__type"] != "ValidationException" || !strings.Contains(out["message"].(string), "at 'keyId' failed to satisfy constraint: Member must not be null") {
		t.Fatalf("DescribeKey {keyid} = %d %v, want 400 ValidationException for keyId", st, out)
	}
}

// TestGetParameterReadsWhatTheAuditRecords is the second
// reproduction: GetParameter {"Name":"/public/x","name":"/secret/db"} once
// answered /secret/db while the audit event recorded /public/x. Now the
// value that is validated and audited is the value acted on.
func TestGetParameterReadsWhatTheAuditRecords(t *testing.T) {
	s := sealtest.Start(t)
	for name, value := range map[string]string{"/public/x": "public", "/secret/db": "db-password"} {
		sealtest.Must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString}))
	}
	st, out := jsonCall(t, s, "ssm", "AmazonSSM.GetParameter", `{"Name":"/public/x","name":"/secret/db"}`)
	if st != 200 {
		t.Fatalf("GetParameter = %d %v", st, out)
	}
	p := out["Parameter"].(map[string]any)
	if p["Name"] != "/public/x" || p["Value"] != "public" {
		t.Fatalf("GetParameter {Name:/public/x, name:/secret/db} answered %v %v, want /public/x", p["Name"], p["Value"])
	}
	params := lastEvent(t, s, "GetParameter")["requestParameters"].(map[string]any)
	if params["name"] != "/public/x" || len(params) != 1 {
		t.Fatalf("GetParameter event requestParameters = %v, want exactly {name: /public/x}", params)
	}

	// The same member twice is refused, and the refusal is what is audited.
	st, out = jsonCall(t, s, "ssm", "AmazonSSM.GetParameter", `{"Name":"/public/x","Name":"/secret/db"}`)
	if st != 400 || out["__type"] != "SerializationException" {
		t.Fatalf("GetParameter with Name twice = %d %v, want 400 SerializationException", st, out)
	}
	if strings.Contains(out["message"].(string), "/secret/db") {
		t.Fatalf("message echoes a value: %q", out["message"])
	}
	if e := lastEvent(t, s, "GetParameter"); e["errorCode"] != "SerializationException" {
		t.Fatalf("GetParameter event for the refused call = %v", e)
	}
}

// TestDuplicateMemberRefused: a JSON object with the same name twice, at
// any depth (a structure member, a map's key, a structure in a list), is
// SerializationException 400, never a silent choice of one of them.
func TestDuplicateMemberRefused(t *testing.T) {
	s := sealtest.Start(t)
	key := *sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	big := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("s"), 8000))
	cases := []struct{ name, target, body string }{
		{"top-level member", "TrentService.Encrypt", `{"KeyId":"` + key + `","Plaintext":"eA==","Plaintext":"` + big + `"}`},
		{"map key", "TrentService.Encrypt", `{"KeyId":"` + key + `","Plaintext":"eA==","EncryptionContext":{"app":"a","app":"b"}}`},
		{"structure in a list", "TrentService.CreateKey", `{"Tags":[{"TagKey":"k","TagValue":"v","TagKey":"k2"}]}`},
		{"unknown member", "TrentService.ListKeys", `{"Other":1,"Other":2}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, out := jsonCall(t, s, "kms", tc.target, tc.body)
			if st != 400 || out["__type"] != "SerializationException" {
				t.Fatalf("POST %s %.80s… = %d %v, want 400 SerializationException", tc.target, tc.body, st, out)
			}
		})
	}
}

// TestQueryRepeatedParameterRefused: in a Query request a parameter given
// twice for one scalar member is refused with InvalidParameterValue 400,
// whether both are in the body or one is in the URL; a repeated parameter
// no member reads is ignored with the rest of the unknown ones.
func TestQueryRepeatedParameterRefused(t *testing.T) {
	s := sealtest.Start(t)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	st, body := queryCall(t, s, "iam", "", url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"},
		"RoleName": {"a"}, "AssumeRolePolicyDocument": {trust}}.Encode())
	if st != 200 {
		t.Fatalf("CreateRole = %d %s", st, body)
	}
	for _, tc := range []struct{ name, query, form string }{
		{"both in the body", "", "Action=GetRole&Version=2010-05-08&RoleName=a&RoleName=b"},
		{"body and URL", "RoleName=b", "Action=GetRole&Version=2010-05-08&RoleName=a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, body := queryCall(t, s, "iam", tc.query, tc.form)
			if st != 400 || !strings.Contains(body, "<Code>InvalidParameterValue</Code>") || !strings.Contains(body, "RoleName") {
				t.Fatalf("GetRole with RoleName twice = %d %s, want 400 InvalidParameterValue naming RoleName", st, body)
			}
		})
	}
	st, body = queryCall(t, s, "iam", "", "Action=GetRole&Version=2010-05-08&RoleName=a&Unknown=1&Unknown=2")
	if st != 200 || !strings.Contains(body, "<RoleName>a</RoleName>") {
		t.Fatalf("GetRole with an unknown parameter twice = %d %s, want 200", st, body)
	}
}

// TestRESTDuplicateRefused: REST-JSON refuses a body member given twice
// (Lambda's InvalidRequestContentException, its code for a body it cannot
// read) and a query parameter given twice for one scalar member (Lambda's
// InvalidParameterValueException).
func TestRESTDuplicateRefused(t *testing.T) {
	s := sealtest.Start(t)
	for _, tc := range []struct {
		name, method, target, body string
		code                       string
	}{
		{"body member", "POST", "/2015-03-31/functions", `{"FunctionName":"a","FunctionName":"b","Role":"arn:aws:iam::123456789012:role/r","Runtime":"provided.al2023","Handler":"h","Code":{"ZipFile":"UEs="}}`, "InvalidRequestContentException"},
		{"nested map key", "POST", "/2015-03-31/functions", `{"FunctionName":"a","Role":"arn:aws:iam::123456789012:role/r","Code":{"ZipFile":"UEs="},"Environment":{"Variables":{"AB":"1","AB":"2"}}}`, "InvalidRequestContentException"},
		{"query parameter", "GET", "/2015-03-31/functions/?MaxItems=1&MaxItems=50", "", "InvalidParameterValueException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, code, shape := rest(t, s, tc.method, tc.target, tc.body, false)
			if st != 400 || code != tc.code {
				t.Fatalf("%s %s = %d %q %v, want 400 %s", tc.method, tc.target, st, code, shape, tc.code)
			}
		})
	}
}

// TestUnicodeEscapePatternEnforced: KMS's PolicyType pattern
// [\u0009\u000A\u000D\u0020-\u00FF]+ is written with Java's \u escapes,
// which Go's regexp does not read, so it was skipped. It is translated
// now: a policy with a character above U+00FF is refused as AWS refuses
// it, and one within Latin-1 is accepted.
func TestUnicodeEscapePatternEnforced(t *testing.T) {
	s := sealtest.Start(t)
	key := *sealtest.Must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata.KeyId
	policy := func(sid string) string {
		return `{"Version":"2012-10-17","Statement":[{"Sid":"` + sid + `","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}]}`
	}
	_, err := s.KMS().PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key), Policy: aws.String(policy("日本"))})
	sealtest.APIErrorContaining(t, "PutKeyPolicy (a character above U+00FF)", err, "ValidationException", 400,
		`at 'policy' failed to satisfy constraint: Member must satisfy regular expression pattern: [\u0009\u000A\u000D\u0020-\u00FF]+`)
	sealtest.Must[*kms.PutKeyPolicyOutput](t, "PutKeyPolicy (Latin-1)")(s.KMS().PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{
		KeyId: aws.String(key), Policy: aws.String(policy("café"))}))
}
