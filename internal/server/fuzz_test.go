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
	"github.com/sealbox/sealbox/internal/parameters"
	"github.com/sealbox/sealbox/internal/secrets"
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

// fuzzRouter is the real protocol layer over real services on a memory
// store, trusting every caller: the fuzz target is what follows the
// signature check.
func fuzzRouter() (rt *awsapi.Router, kmsSvc, ssmSvc, smSvc *awsapi.Service) {
	st := memstore.New()
	k := kms.New(kms.Config{Store: st, Keyring: keyring.New()})
	kmsSvc = kmsService(k)
	ssmSvc = ssmService(parameters.New(parameters.Config{Store: st, KMS: k}))
	smSvc = secretsService(secrets.New(secrets.Config{Store: st, KMS: k}))
	rt = awsapi.NewRouter(awsapi.Config{AccountID: "123456789012", Auth: trustAll{}, Audit: discard{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	rt.Register(kmsSvc)
	rt.Register(ssmSvc)
	rt.Register(smSvc)
	return rt, kmsSvc, ssmSvc, smSvc
}

// fuzzService sends arbitrary bodies to every operation of svc: no input
// may panic or get a 5xx.
func fuzzService(f *testing.F, rt *awsapi.Router, svc *awsapi.Service, prefix string, seeds []string) {
	ops := svc.Operations
	for i := range ops {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body string) {
		name := ops[int(op)%len(ops)].Name
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("X-Amz-Target", prefix+name)
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q = %d %s", name, body, w.Code, w.Body.String())
		}
	})
}

// FuzzKMSRequest fuzzes every KMS operation.
func FuzzKMSRequest(f *testing.F) {
	rt, svc, _, _ := fuzzRouter()
	fuzzService(f, rt, svc, "TrentService.", []string{
		`{}`, ``, `{"KeyId":"alias/aws/ssm","Plaintext":"aGVsbG8="}`,
		`{"Description":"x","Tags":[{"TagKey":"a","TagValue":"b"}]}`,
		`{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32}`,
		`{"CiphertextBlob":"AQ==","EncryptionContext":{"a":"b"}}`,
		`{"Limit":1,"Marker":"x"}`, `{"AliasName":"alias/a","TargetKeyId":"alias/aws/lambda"}`,
		`{"KeyId":"arn:aws:kms:us-east-1:123456789012:alias/aws/ssm"}`, `[]`, `null`, `{"Tags":[null]}`,
		`{"EncryptionContext":{"a":null}}`, `{"NumberOfBytes":1e400}`,
	})
}

// FuzzSSMRequest fuzzes every Parameter Store operation.
func FuzzSSMRequest(f *testing.F) {
	rt, _, svc, _ := fuzzRouter()
	fuzzService(f, rt, svc, "AmazonSSM.", []string{
		`{}`, ``, `{"Name":"/a/b","Value":"v","Type":"String"}`, `{"Name":"/a/b","Value":"v","Type":"SecureString","Overwrite":true}`,
		`{"Name":"/a/b:1"}`, `{"Name":"/a/b:label","WithDecryption":true}`, `{"Names":["/a","/b:3"]}`,
		`{"Path":"/a","Recursive":true,"MaxResults":10,"NextToken":"x"}`,
		`{"ParameterFilters":[{"Key":"tag:env","Option":"Equals","Values":["p"]}]}`,
		`{"Name":"/a/b","ParameterVersion":1,"Labels":["l"]}`, `{"ResourceType":"Parameter","ResourceId":"/a/b","Tags":[{"Key":"k","Value":"v"}]}`,
		`{"Name":"/a/b","Value":"v","Type":"String","Tier":"Advanced","Policies":"[{\"Type\":\"Expiration\",\"Version\":\"1.0\",\"Attributes\":{\"Timestamp\":\"2030-01-01T00:00:00Z\"}}]"}`,
	})
}

// FuzzSecretsRequest fuzzes every Secrets Manager operation.
func FuzzSecretsRequest(f *testing.F) {
	rt, _, _, svc := fuzzRouter()
	fuzzService(f, rt, svc, "secretsmanager.", []string{
		`{}`, ``, `{"Name":"db","SecretString":"s"}`, `{"Name":"db","SecretBinary":"AQ==","ClientRequestToken":"0123456789abcdef0123456789abcdef"}`,
		`{"SecretId":"db"}`, `{"SecretId":"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf","VersionStage":"AWSPREVIOUS"}`,
		`{"SecretIdList":["db","x"]}`, `{"Filters":[{"Key":"name","Values":["!d"]}],"MaxResults":1}`,
		`{"SecretId":"db","VersionStage":"AWSCURRENT","MoveToVersionId":"v","RemoveFromVersionId":"w"}`,
		`{"SecretId":"db","RecoveryWindowInDays":7}`, `{"SecretId":"db","ResourcePolicy":"{\"Statement\":[]}","BlockPublicPolicy":true}`,
		`{"PasswordLength":4096,"ExcludeCharacters":"abc"}`, `{"SecretId":"db","RotationRules":{"ScheduleExpression":"cron(0 1 ? * MON *)"}}`,
		`{"SecretId":"db","Tags":[{"Key":"sealbox:validation-schema","Value":"{\"type\":\"object\"}"}]}`,
	})
}
