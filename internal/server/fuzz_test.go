package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/keyring"
	"github.com/sealbox/sealbox/internal/kms"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// trustAll authenticates every request as the administrator: the fuzz
// target is what comes after the signature check.
type trustAll struct{}

func (trustAll) Verify(context.Context, *http.Request, []byte, string) (*sigv4.Result, error) {
	return &sigv4.Result{Principal: sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::123456789012:root"}, Region: "us-east-1", Service: "kms"}, nil
}

type discard struct{}

func (discard) Log(context.Context, *audit.Event) error { return nil }

// FuzzKMSRequest sends arbitrary bodies to every KMS operation through the
// real protocol layer and service: no input may panic or get a 5xx.
func FuzzKMSRequest(f *testing.F) {
	svc := kmsService(kms.New(kms.Config{Store: memstore.New(), Keyring: keyring.New()}))
	rt := awsapi.NewRouter(awsapi.Config{AccountID: "123456789012", Auth: trustAll{}, Audit: discard{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rt.Register(svc)
	ops := svc.Operations
	seeds := []string{
		`{}`, ``, `{"KeyId":"alias/aws/ssm","Plaintext":"aGVsbG8="}`,
		`{"Description":"x","Tags":[{"TagKey":"a","TagValue":"b"}]}`,
		`{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32}`,
		`{"CiphertextBlob":"AQ==","EncryptionContext":{"a":"b"}}`,
		`{"Limit":1,"Marker":"x"}`, `{"AliasName":"alias/a","TargetKeyId":"alias/aws/lambda"}`,
		`{"KeyId":"arn:aws:kms:us-east-1:123456789012:alias/aws/ssm"}`, `[]`, `null`, `{"Tags":[null]}`,
		`{"EncryptionContext":{"a":null}}`, `{"NumberOfBytes":1e400}`,
	}
	for i := range ops {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := ops[int(op)%len(ops)].Name
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", "TrentService."+name)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q = %d %s", name, body, w.Code, w.Body.String())
		}
	})
}
