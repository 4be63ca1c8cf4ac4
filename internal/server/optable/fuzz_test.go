package optable_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
)

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
	r := optabletest.TrustingRouter()
	rt, svc := r.Router, r.KMS
	fuzzService(f, rt, svc, "TrentService.", []string{
		`{}`, ``, `{"KeyId":"alias/aws/ssm","Plaintext":"aGVsbG8="}`,
		`{"Description":"x","Tags":[{"TagKey":"a","TagValue":"b"}]}`,
		`{"KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab","NumberOfBytes":32}`,
		`{"CiphertextBlob":"AQ==","EncryptionContext":{"a":"b"}}`,
		`{"Limit":1,"Marker":"x"}`, `{"AliasName":"alias/a","TargetKeyId":"alias/aws/lambda"}`,
		`{"KeyId":"arn:aws:kms:us-east-1:123456789012:alias/aws/ssm"}`, `[]`, `null`, `{"Tags":[null]}`,
		`{"EncryptionContext":{"a":null}}`, `{"NumberOfBytes":1e400}`,
		// Issue 12: members in another case, and named twice.
		`{"KeyId":"alias/aws/ssm","Plaintext":"eA==","plaintext":"eQ=="}`, `{"KeyId":"alias/aws/ssm","Plaintext":"eA==","Plaintext":"eQ=="}`,
		`{"CiphertextBlob":"AQ==","EncryptionContext":{"a":"b","a":"c"}}`,
	})
}

// FuzzSSMRequest fuzzes every Parameter Store operation.
func FuzzSSMRequest(f *testing.F) {
	r := optabletest.TrustingRouter()
	rt, svc := r.Router, r.SSM
	fuzzService(f, rt, svc, "AmazonSSM.", []string{
		`{}`, ``, `{"Name":"/a/b","Value":"v","Type":"String"}`, `{"Name":"/a/b","Value":"v","Type":"SecureString","Overwrite":true}`,
		`{"Name":"/a/b:1"}`, `{"Name":"/a/b:label","WithDecryption":true}`, `{"Names":["/a","/b:3"]}`,
		`{"Path":"/a","Recursive":true,"MaxResults":10,"NextToken":"x"}`,
		`{"ParameterFilters":[{"Key":"tag:env","Option":"Equals","Values":["p"]}]}`,
		`{"Name":"/a/b","ParameterVersion":1,"Labels":["l"]}`, `{"Name":"/a/b","name":"/c"}`, `{"Name":"/a/b","Name":"/c"}`, `{"ResourceType":"Parameter","ResourceId":"/a/b","Tags":[{"Key":"k","Value":"v"}]}`,
		`{"Name":"/a/b","Value":"v","Type":"String","Tier":"Advanced","Policies":"[{\"Type\":\"Expiration\",\"Version\":\"1.0\",\"Attributes\":{\"Timestamp\":\"2030-01-01T00:00:00Z\"}}]"}`,
	})
}

// FuzzSecretsRequest fuzzes every Secrets Manager operation.
func FuzzSecretsRequest(f *testing.F) {
	r := optabletest.TrustingRouter()
	rt, svc := r.Router, r.Secrets
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

// FuzzLambdaRequest fuzzes the REST-JSON path with Lambda's operations:
// any method, request target and body; none may panic or get a 5xx.
func FuzzLambdaRequest(f *testing.F) {
	rt := optabletest.TrustingRouter().Router
	methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete}
	create := `{"FunctionName":"f","Role":"arn:aws:iam::123456789012:role/r","Runtime":"python3.12","Handler":"a.h","Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"Environment":{"Variables":{"A":"b","R":"{{resolve:ssm:/p}}"}}}`
	for _, seed := range []struct {
		method       uint8
		target, body string
	}{
		{1, "/2015-03-31/functions", create},
		{0, "/2015-03-31/functions/f", ""},
		{0, "/2015-03-31/functions/f/configuration?Qualifier=%24LATEST", ""},
		{2, "/2015-03-31/functions/f/configuration", `{"Environment":{"Variables":{"A":"{{sealbox:masked}}"}},"RevisionId":"x"}`},
		{2, "/2015-03-31/functions/f/code", `{"ZipFile":"AAAA","Publish":true}`},
		{1, "/2015-03-31/functions/f/versions", `{"Description":"v"}`},
		{0, "/2015-03-31/functions/?MaxItems=1&Marker=x&FunctionVersion=ALL", ""},
		{1, "/2015-03-31/functions/f/aliases", `{"Name":"prod","FunctionVersion":"1","RoutingConfig":{"AdditionalVersionWeights":{"2":0.5}}}`},
		{3, "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af%3A1", ""},
		{1, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af", `{"Tags":{"k":"v"}}`},
		{3, "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af?tagKeys=k&tagKeys=j", ""},
		{0, "/2015-03-31/functions/f/sealbox-environment?Qualifier=prod", ""},
		{0, "/2015-03-31/functions/%ZZ/configuration", ""},
		{1, "/2015-03-31/functions", `{"FunctionName":1}`},
	} {
		f.Add(seed.method, seed.target, seed.body)
	}
	f.Fuzz(func(t *testing.T, method uint8, target, body string) {
		if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n#") {
			return // not a request target a client can send
		}
		req, err := http.NewRequest(methods[int(method)%len(methods)], "http://sealbox"+target, strings.NewReader(body))
		if err != nil {
			return
		}
		w := httptest.NewRecorder()
		rt.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s %q = %d %s", req.Method, target, body, w.Code, w.Body.String())
		}
	})
}
