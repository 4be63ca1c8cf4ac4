package query_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
)

// Output types as a service would write them: fields named as the model's
// members, optional ones omitted when empty, timestamps sealbox.Timestamp.

type tag struct{ Key, Value string }

type permissionsBoundary struct {
	PermissionsBoundaryType string
	PermissionsBoundaryArn  string
}

type roleLastUsed struct {
	LastUsedDate *sealbox.Timestamp `json:",omitempty"`
	Region       string             `json:",omitempty"`
}

type role struct {
	Path                     string
	RoleName                 string
	RoleId                   string
	Arn                      string
	CreateDate               sealbox.Timestamp
	AssumeRolePolicyDocument string               `json:",omitempty"`
	Description              string               `json:",omitempty"`
	MaxSessionDuration       *int32               `json:",omitempty"`
	PermissionsBoundary      *permissionsBoundary `json:",omitempty"`
	Tags                     []tag                `json:",omitempty"`
	RoleLastUsed             *roleLastUsed        `json:",omitempty"`
}

type createRoleOutput struct{ Role role }

type user struct {
	Path             string
	UserName         string
	UserId           string
	Arn              string
	CreateDate       sealbox.Timestamp
	PasswordLastUsed *sealbox.Timestamp `json:",omitempty"`
	Tags             []tag              `json:",omitempty"`
}

type listUsersOutput struct {
	Users       []user
	IsTruncated bool
	Marker      string `json:",omitempty"`
}

type accessKey struct {
	UserName        string
	AccessKeyId     string
	Status          string
	SecretAccessKey string
	CreateDate      *sealbox.Timestamp `json:",omitempty"`
}

type createAccessKeyOutput struct{ AccessKey accessKey }

type getAccountSummaryOutput struct{ SummaryMap map[string]int32 }

type position struct{ Line, Column int32 }

type statement struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    *position
	EndPosition      *position
}

type evaluationResult struct {
	EvalActionName       string
	EvalResourceName     string `json:",omitempty"`
	EvalDecision         string
	MatchedStatements    []statement
	MissingContextValues []string
	EvalDecisionDetails  map[string]string `json:",omitempty"`
}

type simulateOutput struct {
	EvaluationResults []evaluationResult
	IsTruncated       bool
	Marker            string `json:",omitempty"`
}

type credentialReportOutput struct {
	Content       []byte
	ReportFormat  string
	GeneratedTime *sealbox.Timestamp
}

type stsCredentials struct {
	AccessKeyId     string
	SecretAccessKey string
	SessionToken    string
	Expiration      sealbox.Timestamp
}

type assumedRoleUser struct{ AssumedRoleId, Arn string }

type assumeRoleOutput struct {
	Credentials      *stsCredentials  `json:",omitempty"`
	AssumedRoleUser  *assumedRoleUser `json:",omitempty"`
	PackedPolicySize *int32           `json:",omitempty"`
	SourceIdentity   string           `json:",omitempty"`
}

type callerIdentity struct{ UserId, Account, Arn string }

type everythingOutput struct {
	Str       string             `json:",omitempty"`
	Flag      *bool              `json:",omitempty"`
	Count     *int32             `json:",omitempty"`
	Big       *int64             `json:",omitempty"`
	Ratio     *float64           `json:",omitempty"`
	When      *sealbox.Timestamp `json:",omitempty"`
	Data      []byte             `json:",omitempty"`
	Secret    string             `json:",omitempty"`
	Names     []string
	Flat      []string          `json:",omitempty"`
	FlatNamed []string          `json:",omitempty"`
	Renamed   string            `json:",omitempty"`
	Items     []item            `json:",omitempty"`
	Attrs     map[string]string `json:",omitempty"`
	FlatAttrs map[string]string `json:",omitempty"`
	NamedMap  map[string]item   `json:",omitempty"`
	Nested    *item             `json:",omitempty"`
	Matrix    [][]string        `json:",omitempty"`
}

const special = "a <b> & \"c\" 'd' ]]> \t\r\n é中🔒"

func ptr[T any](v T) *T { return &v }

func at(s string) sealbox.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return sealbox.Timestamp{Time: t}
}

type encodeCase struct {
	name  string
	model string // iam, sts, test
	op    string
	out   any    // nil: an operation without output
	want  string // what botocore parses, when not out itself
}

func encodeCases() []encodeCase {
	created := at("2026-11-23T10:00:00Z")
	return []encodeCase{
		{"iam-CreateRole", "iam", "CreateRole", createRoleOutput{role{
			Path: "/service-role/", RoleName: "lambda-payments", RoleId: "AROAEXAMPLEID", Arn: "arn:aws:iam::123456789012:role/service-role/lambda-payments",
			CreateDate: created, AssumeRolePolicyDocument: `{"Version":"2012-10-17","Statement":[]}`, Description: special,
			MaxSessionDuration:  ptr(int32(7200)),
			PermissionsBoundary: &permissionsBoundary{"PermissionsBoundaryPolicy", "arn:aws:iam::123456789012:policy/boundary"},
			Tags:                []tag{{"team", "payments"}, {"note", special}},
			RoleLastUsed:        &roleLastUsed{LastUsedDate: ptr(at("2026-11-23T11:12:13.456Z")), Region: "eu-west-1"},
		}}, ""},
		{"iam-ListUsers", "iam", "ListUsers", listUsersOutput{Users: []user{
			{Path: "/", UserName: "alice", UserId: "AIDAALICE", Arn: "arn:aws:iam::123456789012:user/alice", CreateDate: created,
				PasswordLastUsed: ptr(at("2026-11-24T00:00:00Z")), Tags: []tag{{"k", "v"}}},
			{Path: "/eng/", UserName: "bob", UserId: "AIDABOB", Arn: "arn:aws:iam::123456789012:user/eng/bob", CreateDate: created},
		}, IsTruncated: true, Marker: "bmV4dA=="}, ""},
		{"iam-ListUsers-empty", "iam", "ListUsers", listUsersOutput{Users: []user{}}, ""},
		// A required list the service leaves nil is written empty, as IAM
		// answers <Users/>.
		{"iam-ListUsers-nil", "iam", "ListUsers", listUsersOutput{}, `{"Users":[],"IsTruncated":false}`},
		{"iam-CreateAccessKey", "iam", "CreateAccessKey", createAccessKeyOutput{accessKey{
			UserName: "alice", AccessKeyId: "AKIAEXAMPLE", Status: "Active", SecretAccessKey: "wJalr/K7MDENG+bPxRfiCY&<>", CreateDate: ptr(created)}}, ""},
		{"iam-GetAccountSummary", "iam", "GetAccountSummary", getAccountSummaryOutput{map[string]int32{
			"Users": 3, "UsersQuota": 5000, "Roles": 0, "AccessKeysPerUserQuota": 2}}, ""},
		{"iam-SimulatePrincipalPolicy", "iam", "SimulatePrincipalPolicy", simulateOutput{EvaluationResults: []evaluationResult{
			{EvalActionName: "kms:Decrypt", EvalResourceName: "*", EvalDecision: "allowed",
				MatchedStatements: []statement{{SourcePolicyId: "inline", SourcePolicyType: "user",
					StartPosition: &position{1, 2}, EndPosition: &position{10, 20}}},
				MissingContextValues: []string{}, EvalDecisionDetails: map[string]string{"kms:Decrypt": "allowed"}},
			{EvalActionName: "kms:Encrypt", EvalDecision: "implicitDeny", MatchedStatements: []statement{},
				MissingContextValues: []string{"aws:SourceIp", "kms:EncryptionContext:app"}},
		}}, ""},
		{"iam-GetCredentialReport", "iam", "GetCredentialReport", credentialReportOutput{
			Content: []byte("user,arn\n<root_account>,arn:aws:iam::123456789012:root\n\x00\xff"), ReportFormat: "text/csv",
			GeneratedTime: ptr(created)}, ""},
		{"iam-PutRolePolicy", "iam", "PutRolePolicy", nil, `{}`},
		{"sts-AssumeRole", "sts", "AssumeRole", assumeRoleOutput{
			Credentials:      &stsCredentials{"ASIAEXAMPLE", "secret/+=", "FwoGZXIvYXdzE<&>", at("2026-11-23T11:00:00Z")},
			AssumedRoleUser:  &assumedRoleUser{"AROAEXAMPLEID:session-1", "arn:aws:sts::123456789012:assumed-role/lambda-payments/session-1"},
			PackedPolicySize: ptr(int32(6)), SourceIdentity: "alice"}, ""},
		{"sts-GetCallerIdentity", "sts", "GetCallerIdentity", callerIdentity{"AIDAALICE", "123456789012", "arn:aws:iam::123456789012:user/alice"}, ""},
		{"test-Everything", "test", "Everything", everythingOutput{
			Str: special, Flag: ptr(false), Count: ptr(int32(-42)), Big: ptr(int64(9007199254740993)), Ratio: ptr(0.25),
			When: ptr(at("2026-11-23T10:00:00.25Z")), Data: []byte{0, 1, 'b', 0xff}, Secret: "hunter2",
			Names: []string{"one", "", "three"}, Flat: []string{"f1", "f2"}, FlatNamed: []string{"n1"}, Renamed: "r",
			Items: []item{{Id: "i1", Enabled: ptr(true), Size: ptr(int32(3)), Tags: []string{"x"}},
				{Id: "i2", Child: &item{Id: "i2c", Tags: []string{}}}},
			Attrs: map[string]string{"b": special, "a": "1"}, FlatAttrs: map[string]string{"k": "v", "j": "w"},
			NamedMap: map[string]item{"first": {Id: "m1"}, "second": {Id: "m2", Size: ptr(int32(0))}},
			Nested:   &item{Id: "n", Child: &item{Id: "nc", Enabled: ptr(true)}},
			Matrix:   [][]string{{"a", "b"}, {}, {"c"}},
		}, ""},
		{"test-Everything-empty", "test", "Everything", everythingOutput{}, `{"Names":[]}`},
	}
}

type errorCase struct {
	name, model, op, code, message string
	sender                         bool
	status                         int // 0: Status decides
	wantStatus                     int
	exception                      string // the class botocore's client raises
}

func errorCases() []errorCase {
	return []errorCase{
		{"iam-NoSuchEntity", "iam", "GetRole", "NoSuchEntity", "The role with name lambda-payments cannot be found.", true, 0, 404, "NoSuchEntityException"},
		{"iam-EntityAlreadyExists", "iam", "CreateRole", "EntityAlreadyExists", "Role with name lambda-payments already exists.", true, 0, 409, "EntityAlreadyExistsException"},
		{"iam-MalformedPolicyDocument", "iam", "PutRolePolicy", "MalformedPolicyDocument", "Syntax errors in policy: " + special, true, 0, 400, "MalformedPolicyDocumentException"},
		{"iam-LimitExceeded", "iam", "CreateAccessKey", "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", true, 0, 409, "LimitExceededException"},
		{"iam-DeleteConflict", "iam", "DeleteRole", "DeleteConflict", "Cannot delete entity, must delete policies first.", true, 0, 409, "DeleteConflictException"},
		{"iam-ServiceFailure", "iam", "ListUsers", "ServiceFailure", "An internal error occurred.", false, 0, 500, "ServiceFailureException"},
		{"iam-AccessDenied", "iam", "ListUsers", "AccessDenied", "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListUsers", true, 0, 403, "ClientError"},
		{"iam-ValidationError", "iam", "GetRole", "ValidationError", "1 validation error detected: Value 'a b' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+", true, 0, 400, "ClientError"},
		{"iam-InvalidParameterValue", "iam", "ListUsers", query.MalformedCode, "Value (abc) for parameter MaxItems is invalid. Expected a 32-bit integer.", true, 0, 400, "ClientError"},
		{"sts-MalformedPolicyDocument", "sts", "AssumeRole", "MalformedPolicyDocument", "The policy is not in the valid JSON format.", true, 0, 400, "MalformedPolicyDocumentException"},
		{"sts-RegionDisabled", "sts", "AssumeRole", "RegionDisabledException", "STS is not activated in this region.", true, 0, 403, "RegionDisabledException"},
		{"sts-ExpiredToken", "sts", "GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired", true, 0, 403, "ClientError"},
		{"sts-explicit-status", "sts", "GetCallerIdentity", "InvalidClientTokenId", "The security token included in the request is invalid.", true, 403, 403, "ClientError"},
		{"test-NotFound", "test", "Everything", "NotFound", "", true, 0, 404, ""},
		{"test-Broken", "test", "Everything", "Broken", "down", false, 0, 503, ""},
		{"test-unknown-receiver", "test", "Everything", "Mystery", "?", false, 0, 500, ""},
		{"test-unknown-sender", "test", "Everything", "Mystery", "?", true, 0, 400, ""},
	}
}

type parseInput struct {
	Name   string `json:"name"`
	Model  string `json:"model"`
	Op     string `json:"op"`
	Status int    `json:"status"`
	Body   string `json:"body"`
}

// TestEncodeBotocore writes typed outputs and errors as Query XML and
// checks what botocore's QueryParser, with the real IAM and STS models,
// makes of them: the typed value itself, the request id, and for errors the
// code, message, type and the exception class. The XML is a golden file in
// testdata/encode.
func TestEncodeBotocore(t *testing.T) {
	models := map[string]*model.Service{"iam": model.Load("iam"), "sts": model.Load("sts"), "test": testModel(t)}
	pyModel := map[string]string{"iam": "iam", "sts": "sts", "test": testModelPath}
	var inputs []parseInput
	want := map[string]any{}
	for _, c := range encodeCases() {
		m := models[c.model]
		var output *model.Shape
		if c.out != nil {
			output = m.OutputShape(c.op)
			if output == nil {
				t.Fatalf("%s: %s has no output", c.name, c.op)
			}
		}
		var buf bytes.Buffer
		if err := query.Encode(&buf, m, c.op, output, c.out, "req-"+c.name); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		golden(t, "encode/"+c.name+".xml", append(buf.Bytes(), '\n'))
		inputs = append(inputs, parseInput{c.name, pyModel[c.model], c.op, 200, buf.String()})
		w := c.want
		if w == "" {
			b, err := json.Marshal(c.out)
			if err != nil {
				t.Fatal(err)
			}
			w = string(b)
		}
		// A null member is not written, so botocore has nothing for it.
		want[c.name] = dropNulls(decodeJSON(t, []byte(w)))
	}
	statuses := map[string]int{}
	for _, c := range errorCases() {
		rec := httptest.NewRecorder()
		query.EncodeError(rec, models[c.model], c.status, c.code, c.message, "req-"+c.name, c.sender)
		if rec.Code != c.wantStatus {
			t.Errorf("%s: status %d, want %d", c.name, rec.Code, c.wantStatus)
		}
		if ct := rec.Header().Get("Content-Type"); ct != "text/xml" {
			t.Errorf("%s: Content-Type %q", c.name, ct)
		}
		if id := rec.Header().Get("x-amzn-RequestId"); id != "req-"+c.name {
			t.Errorf("%s: x-amzn-RequestId %q", c.name, id)
		}
		golden(t, "encode/"+c.name+".xml", append(rec.Body.Bytes(), '\n'))
		inputs = append(inputs, parseInput{c.name, pyModel[c.model], c.op, rec.Code, rec.Body.String()})
		statuses[c.name] = rec.Code
	}
	stdin, _ := json.Marshal(inputs)
	parsed := map[string]map[string]any{}
	for name, v := range decodeJSON(t, python(t, stdin, "botocore_parse.py")).(map[string]any) {
		parsed[name], _ = v.(map[string]any)
	}
	for _, c := range encodeCases() {
		got := parsed[c.name]
		meta, _ := got["ResponseMetadata"].(map[string]any)
		if meta["RequestId"] != "req-"+c.name {
			t.Errorf("%s: botocore's ResponseMetadata %v", c.name, got["ResponseMetadata"])
		}
		delete(got, "ResponseMetadata")
		if !sameValue(got, want[c.name]) {
			t.Errorf("%s: botocore parsed\n%s\nfrom the output\n%s", c.name, pretty(got), pretty(want[c.name]))
		}
	}
	for _, c := range errorCases() {
		got := parsed[c.name]
		e, _ := got["Error"].(map[string]any)
		typ := "Receiver"
		if c.sender {
			typ = "Sender"
		}
		if e["Code"] != c.code || e["Type"] != typ || (c.message != "" && e["Message"] != c.message) {
			t.Errorf("%s: botocore parsed %s", c.name, pretty(got))
		}
		meta, _ := got["ResponseMetadata"].(map[string]any)
		if meta["RequestId"] != "req-"+c.name {
			t.Errorf("%s: request id %v", c.name, got["ResponseMetadata"])
		}
		if c.exception != "" && got["exception"] != c.exception {
			t.Errorf("%s: botocore raises %v, want %s", c.name, got["exception"], c.exception)
		}
	}
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(e)
			}
		}
	case []any:
		for i, e := range v {
			v[i] = dropNulls(e)
		}
	}
	return v
}

func TestEncodeNoOutput(t *testing.T) {
	var buf bytes.Buffer
	if err := query.Encode(&buf, model.Load("iam"), "PutRolePolicy", nil, struct{}{}, "r-1"); err != nil {
		t.Fatal(err)
	}
	want := `<PutRolePolicyResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></PutRolePolicyResponse>`
	if buf.String() != want {
		t.Errorf("got %s\nwant %s", buf.String(), want)
	}
}

func TestEncodeMismatch(t *testing.T) {
	iam := model.Load("iam")
	for _, out := range []any{
		struct{ Users string }{"x"},
		struct{ IsTruncated string }{"yes"},
		struct{ Users []int }{[]int{1}},
		[]string{"not", "a", "structure"},
		struct{ Marker func() }{},
	} {
		var buf bytes.Buffer
		if err := query.Encode(&buf, iam, "ListUsers", iam.OutputShape("ListUsers"), out, "r"); err == nil {
			t.Errorf("%#v: no error", out)
		}
		if buf.Len() != 0 {
			t.Errorf("%#v: wrote %s", out, buf.String())
		}
	}
	// time.Time is a timestamp too.
	var buf bytes.Buffer
	out := struct {
		Users []struct{ CreateDate time.Time }
	}{Users: []struct{ CreateDate time.Time }{{time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("x", 3600))}}}
	if err := query.Encode(&buf, iam, "ListUsers", iam.OutputShape("ListUsers"), out, "r"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<CreateDate>2026-11-23T09:00:00Z</CreateDate>") {
		t.Errorf("got %s", buf.String())
	}
}

func TestFormatTime(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC):                 "2026-11-23T10:00:00Z",
		time.Date(2026, 11, 23, 10, 0, 0, 999_999, time.UTC):           "2026-11-23T10:00:00Z",
		time.Date(2026, 11, 23, 10, 0, 0, 5_000_000, time.UTC):         "2026-11-23T10:00:00.005Z",
		time.Date(2026, 11, 23, 11, 0, 0, 0, time.FixedZone("", 3600)): "2026-11-23T10:00:00Z",
	} {
		if got := query.FormatTime(in); got != want {
			t.Errorf("FormatTime(%v) = %s, want %s", in, got, want)
		}
	}
}

func TestStatus(t *testing.T) {
	iam, sts := model.Load("iam"), model.Load("sts")
	for _, tc := range []struct {
		m      *model.Service
		code   string
		status int
		ok     bool
	}{
		{iam, "NoSuchEntity", 404, true},
		{iam, "EntityAlreadyExists", 409, true},
		{iam, "MalformedPolicyDocument", 400, true},
		{iam, "LimitExceeded", 409, true},
		{iam, "ConcurrentModification", 409, true},
		{iam, "ReportInProgress", 404, true},
		{iam, "ReportExpired", 410, true},
		{iam, "InvalidAuthenticationCode", 403, true},
		{iam, "ServiceFailure", 500, true},
		{iam, "PolicyEvaluation", 500, true},
		{iam, "NotSupportedService", 404, true},
		// A modelled error without an error trait is sent by its shape name.
		{iam, "OrganizationNotFoundException", 400, true},
		// The shape name of an error with a code is not its wire code.
		{iam, "NoSuchEntityException", 0, false},
		{sts, "ExpiredTokenException", 400, true},
		{sts, "IDPRejectedClaim", 403, true},
		{sts, "RegionDisabledException", 403, true},
		{sts, "PackedPolicyTooLarge", 400, true},
		{iam, "AccessDenied", 403, true},
		{iam, "ValidationError", 400, true},
		{iam, "InvalidClientTokenId", 403, true},
		{iam, "SignatureDoesNotMatch", 403, true},
		{iam, "Throttling", 400, true},
		{nil, "NoSuchEntity", 0, false},
		{nil, "InternalFailure", 500, true},
		{iam, "Nope", 0, false},
	} {
		st, ok := query.Status(tc.m, tc.code)
		if st != tc.status || ok != tc.ok {
			t.Errorf("Status(%s) = %d %v, want %d %v", tc.code, st, ok, tc.status, tc.ok)
		}
	}
}

func TestEncodeErrorWithoutModel(t *testing.T) {
	rec := httptest.NewRecorder()
	query.EncodeError(rec, nil, 0, "InternalFailure", "x", "r", false)
	want := `<ErrorResponse><Error><Type>Receiver</Type><Code>InternalFailure</Code><Message>x</Message></Error><RequestId>r</RequestId></ErrorResponse>`
	if rec.Code != http.StatusInternalServerError || rec.Body.String() != want {
		t.Errorf("%d %s", rec.Code, rec.Body.String())
	}
}
