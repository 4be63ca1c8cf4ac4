package optable_test

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// fuzzQuery sends arbitrary form bodies to every operation of an AWS Query
// service (IAM, STS): the form follows Action and Version, so it may name
// them again; the caller is the root or the user optabletest.User. No input may panic or get a 5xx, and every answer, success
// or error, is well-formed XML (an error: an ErrorResponse with a Code).
//
// seeds maps an operation to its seeds; those of "" go to every
// operation. (Every seed to every operation made IAM's 3,000 inputs, 30 s
// of baseline coverage before the fuzzing started.)
func fuzzQuery(f *testing.F, r optabletest.Router, svc *awsapi.Service, version string, seeds map[string][]string) {
	ops := svc.Operations
	for i, op := range ops {
		for _, s := range append(seeds[""], seeds[op.Name]...) {
			f.Add(uint8(i), false, s)
			f.Add(uint8(i), true, s)
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, asUser bool, form string) {
		name := ops[int(op)%len(ops)].Name
		w := r.Query("Action="+name+"&Version="+version+"&"+form, asUser)
		if w.Code >= 500 {
			t.Fatalf("%s %q = %d %s", name, form, w.Code, w.Body.String())
		}
		checkXML(t, name, form, w)
	})
}

// checkXML fails t unless w's body is one well-formed XML document, and an
// error's holds a non-empty Code.
func checkXML(t *testing.T, name, form string, w *httptest.ResponseRecorder) {
	t.Helper()
	var doc struct {
		XMLName xml.Name
		Code    string `xml:"Error>Code"`
	}
	d := xml.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	if err := d.Decode(&doc); err != nil {
		t.Fatalf("%s %q = %d, not XML (%v): %s", name, form, w.Code, err, w.Body.String())
	}
	if _, err := d.Token(); err != io.EOF {
		t.Fatalf("%s %q = %d, more than one XML document (%v): %s", name, form, w.Code, err, w.Body.String())
	}
	if w.Code != http.StatusOK && (doc.XMLName.Local != "ErrorResponse" || doc.Code == "") {
		t.Fatalf("%s %q = %d without an ErrorResponse and its Code: %s", name, form, w.Code, w.Body.String())
	}
}

// form encodes name, value pairs as a Query body does.
func form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

const (
	fuzzAccount = optabletest.AccountID
	userARN     = "arn:aws:iam::" + fuzzAccount + ":user/" + optabletest.User
	roleARN     = "arn:aws:iam::" + fuzzAccount + ":role/" + optabletest.Role
	allowAll    = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	trustUser   = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + userARN + `","` + roleARN + `"]},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"xx"}}}]}`
	denyKMS     = `{"Version":"2012-10-17","Statement":[{"Sid":"d","Effect":"Deny","NotAction":["kms:Decrypt"],"NotResource":"arn:aws:kms:*:*:key/*","Condition":{"Bool":{"aws:SecureTransport":"false"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
)

// FuzzIAMRequest fuzzes every IAM operation (AWS Query).
func FuzzIAMRequest(f *testing.F) {
	r := optabletest.TrustingRouter()
	policyARN := "arn:aws:iam::" + fuzzAccount + ":policy/p"
	fuzzQuery(f, r, r.IAM, "2010-05-08", map[string][]string{
		"":           {``, `UserName=%FF&RoleName=&Tags.member.1.Key=&Tags.member.99.Value=x&MaxItems=-1&Marker=x`},
		"CreateUser": {`UserName=n&Path=/a/b/`, form("UserName", "t", "Tags.member.1.Key", "team", "Tags.member.1.Value", "a", "PermissionsBoundary", policyARN)},
		"GetUser":    {`UserName=` + optabletest.User},
		"GetRole":    {`RoleName=` + optabletest.Role},
		"CreateRole": {form("RoleName", "n", "Path", "/svc/", "AssumeRolePolicyDocument", trustUser, "MaxSessionDuration", "7200",
			"Tags.member.1.Key", "team", "Tags.member.1.Value", "a", "PermissionsBoundary", policyARN)},
		"UpdateAssumeRolePolicy": {form("RoleName", optabletest.Role, "PolicyDocument", trustUser),
			form("RoleName", optabletest.Role, "PolicyDocument", `{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}}`)},
		"PutRolePolicy":              {form("RoleName", optabletest.Role, "PolicyName", "inline", "PolicyDocument", denyKMS)},
		"PutUserPolicy":              {form("UserName", optabletest.User, "PolicyName", "inline", "PolicyDocument", allowAll)},
		"PutGroupPolicy":             {form("GroupName", "g", "PolicyName", "inline", "PolicyDocument", allowAll)},
		"CreateGroup":                {form("GroupName", "g", "Path", "/")},
		"AddUserToGroup":             {form("UserName", optabletest.User, "GroupName", "g")},
		"CreatePolicy":               {form("PolicyName", "p", "Path", "/", "PolicyDocument", allowAll, "Description", "d", "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")},
		"CreatePolicyVersion":        {form("PolicyArn", policyARN, "PolicyDocument", denyKMS, "SetAsDefault", "true")},
		"GetPolicyVersion":           {form("PolicyArn", policyARN, "VersionId", "v1")},
		"AttachRolePolicy":           {form("PolicyArn", "arn:aws:iam::aws:policy/AdministratorAccess", "RoleName", optabletest.Role)},
		"CreateAccessKey":            {form("UserName", optabletest.User)},
		"UpdateAccessKey":            {form("UserName", optabletest.User, "AccessKeyId", "AKIAIOSFODNN7EXAMPLE", "Status", "Inactive")},
		"UpdateUser":                 {form("UserName", optabletest.User, "NewUserName", "v", "NewPath", "/x/")},
		"UpdateRole":                 {form("RoleName", optabletest.Role, "Description", "d", "MaxSessionDuration", "43200")},
		"TagRole":                    {form("RoleName", optabletest.Role, "Tags.member.1.Key", "k", "Tags.member.1.Value", "v")},
		"UntagUser":                  {form("UserName", optabletest.User, "TagKeys.member.1", "k", "TagKeys.member.2", "j")},
		"PutRolePermissionsBoundary": {form("RoleName", optabletest.Role, "PermissionsBoundary", policyARN)},
		"ListPolicies":               {form("Scope", "Local", "OnlyAttached", "true", "PathPrefix", "/", "MaxItems", "1", "Marker", "x")},
		"SimulatePrincipalPolicy": {form("PolicySourceArn", userARN, "ActionNames.member.1", "kms:Decrypt", "ResourceArns.member.1", "*",
			"ContextEntries.member.1.ContextKeyName", "aws:SourceIp", "ContextEntries.member.1.ContextKeyType", "ip",
			"ContextEntries.member.1.ContextKeyValues.member.1", "10.0.0.1", "PolicyInputList.member.1", denyKMS)},
		"SimulateCustomPolicy": {form("PolicyInputList.member.1", allowAll, "PermissionsBoundaryPolicyInputList.member.1", denyKMS,
			"ActionNames.member.1", "s3:GetObject", "ResourcePolicy", trustUser, "CallerArn", roleARN, "ResourceOwner", "arn:aws:iam::"+fuzzAccount+":root")},
	})
}

// FuzzSTSRequest fuzzes every STS operation (AWS Query): AssumeRole with
// session policies, tags and durations, GetSessionToken, GetCallerIdentity.
func FuzzSTSRequest(f *testing.F) {
	r := optabletest.TrustingRouter()
	fuzzQuery(f, r, r.STS, "2011-06-15", map[string][]string{
		"":                {``},
		"GetSessionToken": {`DurationSeconds=900`, `DurationSeconds=129600&SerialNumber=x&TokenCode=1`},
		"AssumeRole": {
			form("RoleArn", roleARN, "RoleSessionName", "ss", "DurationSeconds", "3600"),
			form("RoleArn", roleARN, "RoleSessionName", "ss", "Policy", allowAll, "PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/ReadOnlyAccess",
				"Tags.member.1.Key", "team", "Tags.member.1.Value", "a", "TransitiveTagKeys.member.1", "team", "ExternalId", "xx", "SourceIdentity", "me"),
			form("RoleArn", roleARN, "RoleSessionName", "ss", "SerialNumber", "arn:aws:iam::"+fuzzAccount+":mfa/u", "TokenCode", "123456"),
			form("RoleArn", "arn:aws:iam::"+fuzzAccount+":role/missing", "RoleSessionName", "ss"),
			form("RoleArn", roleARN, "RoleSessionName", "ss", "Policy", `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}}]}`),
			`RoleArn=arn&RoleSessionName=%00&DurationSeconds=99999999999999999999`,
		},
	})
}

// FuzzCloudTrailRequest fuzzes CloudTrail's served operations (AWS JSON
// 1.1) over a store trail that holds events.
func FuzzCloudTrailRequest(f *testing.F) {
	r := optabletest.TrustingRouter()
	fuzzService(f, r.Router, r.CloudTrail, "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.", []string{
		`{}`, ``, `{"MaxResults":1}`, `{"MaxResults":2,"NextToken":"x"}`,
		`{"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"Decrypt"}]}`,
		`{"LookupAttributes":[{"AttributeKey":"ResourceName","AttributeValue":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"}],"StartTime":1767322800,"EndTime":"2026-01-03T00:00:00Z"}`,
		`{"LookupAttributes":[{"AttributeKey":"ReadOnly","AttributeValue":"false"},{"AttributeKey":"Username","AttributeValue":"u"}]}`,
		`{"EventCategory":"insight"}`, `{"StartTime":1e400}`, `{"trailNameList":["sealbox","arn:aws:cloudtrail:us-east-1:123456789012:trail/sealbox"],"includeShadowTrails":false}`,
		`{"Name":"sealbox"}`, `{"Name":"arn:aws:cloudtrail:us-east-1:123456789012:trail/other"}`,
	})
}
