package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// signBare signs req for service with only host and x-amz-date, as a
// careless or hand-written client may, and returns it ready to send: the
// headers set on req before the call are not signed.
func signBare(t *testing.T, req *http.Request, body, service string) {
	t.Helper()
	bare := req.Clone(context.Background())
	bare.Header = http.Header{}
	bare.ContentLength = 0 // the SDK signs a positive Content-Length
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, bare, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(bare.Header.Get("Authorization"), "SignedHeaders=host;x-amz-date,") {
		t.Fatalf("Authorization = %q, want host;x-amz-date signed", bare.Header.Get("Authorization"))
	}
	req.Header.Set("Authorization", bare.Header.Get("Authorization"))
	req.Header.Set("X-Amz-Date", bare.Header.Get("X-Amz-Date"))
}

func send(t *testing.T, s *sealtest.Server, req *http.Request) (int, []byte, http.Header) {
	t.Helper()
	resp, err := s.HTTPClient().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, resp.Header
}

// TestReplayAsAnotherOperation is issue 12's attack: a GetParameter signed
// over host and x-amz-date alone, sent again as DeleteParameter within the
// five minutes the signature lives. X-Amz-Target selects the operation, so
// it must be signed; the replay is refused and the parameter stays.
func TestReplayAsAnotherOperation(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/db"), Value: aws.String("v1"), Type: ssmtypes.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	body := `{"Name":"/app/db"}`
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
	signBare(t, req, body, "ssm")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "AmazonSSM.DeleteParameter")
	st, raw, _ := send(t, s, req)
	var shape map[string]any
	json.Unmarshal(raw, &shape)
	if st != 400 || shape["__type"] != "InvalidSignatureException" ||
		shape["message"] != "There were headers present in the request which were not signed. HeadersNotSigned: content-type, x-amz-target" {
		t.Fatalf("DeleteParameter replayed from an unsigned target = %d %s, want 400 InvalidSignatureException", st, raw)
	}
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/db")})
	if err != nil || aws.ToString(got.Parameter.Value) != "v1" {
		t.Fatalf("GetParameter(/app/db) after the replay = %v, %v; want v1", got, err)
	}
}

// TestUnsignedHeadersRefused checks the rule on each protocol: a
// Content-Type or x-amz-* header that the signature does not cover is
// refused with the protocol's signature error; x-amzn-trace-id and a
// session token added after signing are not.
func TestUnsignedHeadersRefused(t *testing.T) {
	s := sealtest.Start(t)

	t.Run("json 1.1 content-type", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
		sign(t, req, "{}", "kms")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		st, raw, _ := send(t, s, req)
		if st != 400 || !strings.Contains(string(raw), `"__type":"InvalidSignatureException"`) || !strings.Contains(string(raw), "HeadersNotSigned: content-type") {
			t.Fatalf("ListKeys with an unsigned Content-Type = %d %s, want 400 InvalidSignatureException", st, raw)
		}
	})

	t.Run("query content-type", func(t *testing.T) {
		body := "Action=ListUsers&Version=2010-05-08"
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader(body))
		signBare(t, req, body, "iam")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		st, raw, _ := send(t, s, req)
		var e struct {
			Error struct{ Code, Message string }
		}
		xml.Unmarshal(raw, &e)
		if st != 403 || e.Error.Code != "SignatureDoesNotMatch" || !strings.Contains(e.Error.Message, "HeadersNotSigned: content-type") {
			t.Fatalf("ListUsers with an unsigned Content-Type = %d %s, want 403 SignatureDoesNotMatch", st, raw)
		}
	})

	t.Run("rest-json x-amz header", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, s.URL+"/2015-03-31/functions/", nil)
		sign(t, req, "", "lambda")
		req.Header.Set("X-Amz-Meta-Late", "x")
		st, raw, h := send(t, s, req)
		if st != 403 || h.Get("X-Amzn-Errortype") != "InvalidSignatureException" {
			t.Fatalf("ListFunctions with an unsigned x-amz header = %d %q %s, want 403 InvalidSignatureException", st, h.Get("X-Amzn-Errortype"), raw)
		}
	})

	t.Run("x-amzn-trace-id unsigned is accepted", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		sign(t, req, "{}", "kms")
		req.Header.Set("X-Amzn-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793")
		if st, raw, _ := send(t, s, req); st != 200 {
			t.Fatalf("ListKeys with an unsigned X-Amzn-Trace-Id = %d %s, want 200", st, raw)
		}
	})

	t.Run("session token added after signing is accepted", func(t *testing.T) {
		sess := s.NewRole(t, "lister", "", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}`, "s1").Creds
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/", strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "TrentService.ListKeys")
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		signWith(t, req, "{}", "kms", aws.Credentials{AccessKeyID: sess.AccessKeyID, SecretAccessKey: sess.SecretAccessKey})
		req.Header.Set("X-Amz-Security-Token", sess.SessionToken)
		if st, raw, _ := send(t, s, req); st != 200 {
			t.Fatalf("ListKeys with X-Amz-Security-Token added after signing = %d %s, want 200", st, raw)
		}
	})
}

// sign signs req with the admin pair as the SDK does (every header set so
// far is signed).
func sign(t *testing.T, req *http.Request, body, service string) {
	t.Helper()
	signWith(t, req, body, service, aws.Credentials{AccessKeyID: sealtest.AccessKeyID, SecretAccessKey: sealtest.SecretAccessKey})
}

func signWith(t *testing.T, req *http.Request, body, service string, creds aws.Credentials) {
	t.Helper()
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
}
