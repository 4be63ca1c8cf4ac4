package query_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
)

// answer is what the fake service answers an operation: an output, or an
// error code and message.
type answer struct {
	out           any
	code, message string
	receiver      bool
}

// fakeService serves one Query model with the codec the router will use:
// ParseRequest, Decode, Validate, then Encode or EncodeError. It records the
// decoded input of each call.
type fakeService struct {
	m       *model.Service
	answers map[string]answer

	mu      sync.Mutex
	inputs  map[string]map[string]any
	methods map[string]string
}

func (s *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := fmt.Sprintf("req-%d", time.Now().UnixNano())
	w.Header().Set("x-amzn-RequestId", id)
	body, _ := io.ReadAll(r.Body)
	fail := func(err error) {
		e, ok := sealbox.AsError(err)
		if !ok {
			e = &sealbox.Error{Code: "InternalFailure", Message: err.Error(), Server: true}
		}
		query.EncodeError(w, s.m, e.Status, e.Code, e.Message, id, !e.Server)
	}
	if !query.IsQuery(r) {
		fail(&sealbox.Error{Code: "InvalidAction", Message: "not a Query request"})
		return
	}
	action, _, form, err := query.ParseRequest(r, body)
	if err != nil {
		fail(err)
		return
	}
	in := s.m.InputShape(action)
	v, err := query.Decode(form, s.m, in)
	if err != nil {
		fail(err)
		return
	}
	if err := s.m.Validate(in, v); err != nil {
		fail(&sealbox.Error{Code: "ValidationError", Message: err.Error()})
		return
	}
	s.mu.Lock()
	s.inputs[action], s.methods[action] = v, r.Method
	s.mu.Unlock()
	a, ok := s.answers[action]
	switch {
	case !ok:
		fail(&sealbox.Error{Code: "InvalidAction", Message: "no answer for " + action})
	case a.code != "":
		query.EncodeError(w, s.m, 0, a.code, a.message, id, !a.receiver)
	default:
		w.Header().Set("Content-Type", query.ContentType)
		output := s.m.OutputShape(action)
		if err := query.Encode(w, s.m, action, output, a.out, id); err != nil {
			panic(err)
		}
	}
}

func (s *fakeService) input(t *testing.T, op string) map[string]any {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.inputs[op]
	if !ok {
		t.Fatalf("%s was not called", op)
	}
	return v
}

func serve(t *testing.T, m *model.Service, answers map[string]answer) (*fakeService, *httptest.Server) {
	s := &fakeService{m: m, answers: answers, inputs: map[string]map[string]any{}, methods: map[string]string{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

var sdkCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")

func wantInput(t *testing.T, got map[string]any, want string) {
	t.Helper()
	if !sameValue(got, decodeJSON(t, []byte(want))) {
		t.Errorf("decoded\n%s\nwant\n%s", pretty(got), want)
	}
}

// TestIAMWithSDK drives the codec with aws-sdk-go-v2's IAM client: its
// query serializer writes the requests, its awsquery deserializers read the
// answers and errors.
func TestIAMWithSDK(t *testing.T) {
	created := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	lastUsed := time.Date(2026, 11, 23, 11, 12, 13, 456e6, time.UTC)
	fake, srv := serve(t, model.Load("iam"), map[string]answer{
		"CreateRole": {out: createRoleOutput{role{
			Path: "/service-role/", RoleName: "lambda-payments", RoleId: "AROAEXAMPLEID", Arn: "arn:aws:iam::123456789012:role/service-role/lambda-payments",
			CreateDate: sealbox.Timestamp{Time: created}, Description: special, MaxSessionDuration: ptr(int32(7200)),
			PermissionsBoundary: &permissionsBoundary{"PermissionsBoundaryPolicy", "arn:aws:iam::123456789012:policy/boundary"},
			Tags:                []tag{{"team", "payments"}, {"note", special}},
			RoleLastUsed:        &roleLastUsed{LastUsedDate: &sealbox.Timestamp{Time: lastUsed}, Region: "eu-west-1"},
		}}},
		"ListUsers":                   {out: listUsersOutput{}},
		"UntagRole":                   {out: struct{}{}},
		"UpdateAccountPasswordPolicy": {out: struct{}{}},
		"GetAccountSummary":           {out: getAccountSummaryOutput{map[string]int32{"Users": 3, "Roles": 0}}},
		"SimulatePrincipalPolicy": {out: simulateOutput{EvaluationResults: []evaluationResult{{
			EvalActionName: "kms:Decrypt", EvalResourceName: "*", EvalDecision: "allowed",
			MatchedStatements:    []statement{{SourcePolicyId: "inline", SourcePolicyType: "user", StartPosition: &position{1, 2}, EndPosition: &position{3, 4}}},
			MissingContextValues: []string{}, EvalDecisionDetails: map[string]string{"kms:Decrypt": "allowed"}}}, IsTruncated: true, Marker: "m2"}},
		"GetCredentialReport": {out: credentialReportOutput{Content: []byte("a,b\n\x00\xff"), ReportFormat: "text/csv", GeneratedTime: &sealbox.Timestamp{Time: created}}},
		"GetRole":             {code: "NoSuchEntity", message: "The role with name nobody cannot be found."},
		"DeleteRole":          {code: "DeleteConflict", message: "Cannot delete entity, must detach all policies first."},
		"CreateAccessKey":     {code: "LimitExceeded", message: "Cannot exceed quota for AccessKeysPerUser: 2"},
		"DeleteUser":          {code: "ServiceFailure", message: "An internal error occurred.", receiver: true},
		"ListRoles":           {code: "AccessDenied", message: "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: iam:ListRoles"},
	})
	client := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		Retryer: aws.NopRetryer{}, HTTPClient: srv.Client()})
	ctx := context.Background()

	t.Run("CreateRole", func(t *testing.T) {
		out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName: aws.String("lambda-payments"), Path: aws.String("/service-role/"),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`), Description: aws.String("d <&>"),
			MaxSessionDuration: aws.Int32(7200), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/boundary"),
			Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}, {Key: aws.String("k"), Value: aws.String("")}},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "CreateRole"), `{"RoleName":"lambda-payments","Path":"/service-role/",
			"AssumeRolePolicyDocument":"{\"Version\":\"2012-10-17\",\"Statement\":[]}","Description":"d <&>",
			"MaxSessionDuration":7200,"PermissionsBoundary":"arn:aws:iam::123456789012:policy/boundary",
			"Tags":[{"Key":"team","Value":"payments"},{"Key":"k","Value":""}]}`)
		r := out.Role
		if aws.ToString(r.RoleName) != "lambda-payments" || aws.ToString(r.Description) != special || !aws.ToTime(r.CreateDate).Equal(created) ||
			aws.ToInt32(r.MaxSessionDuration) != 7200 || len(r.Tags) != 2 || aws.ToString(r.Tags[1].Value) != special ||
			r.PermissionsBoundary == nil || r.PermissionsBoundary.PermissionsBoundaryType != iamtypes.PermissionsBoundaryAttachmentTypePolicy ||
			r.RoleLastUsed == nil || !aws.ToTime(r.RoleLastUsed.LastUsedDate).Equal(lastUsed) {
			t.Errorf("the SDK read %+v", r)
		}
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !strings.HasPrefix(id, "req-") {
			t.Errorf("request id %q", id)
		}
	})
	t.Run("ListUsers", func(t *testing.T) {
		out, err := client.ListUsers(ctx, &iam.ListUsersInput{Marker: aws.String("bWFya2Vy+/="), MaxItems: aws.Int32(50), PathPrefix: aws.String("/")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "ListUsers"), `{"Marker":"bWFya2Vy+/=","MaxItems":50,"PathPrefix":"/"}`)
		if out.Users == nil || len(out.Users) != 0 || out.IsTruncated || out.Marker != nil {
			t.Errorf("the SDK read %+v", out)
		}
	})
	t.Run("empty list", func(t *testing.T) {
		if _, err := client.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("r"), TagKeys: []string{}}); err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "UntagRole"), `{"RoleName":"r","TagKeys":[]}`)
	})
	t.Run("booleans", func(t *testing.T) {
		_, err := client.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{
			MinimumPasswordLength: aws.Int32(14), RequireSymbols: true, RequireNumbers: false, AllowUsersToChangePassword: true,
			HardExpiry: aws.Bool(false), MaxPasswordAge: aws.Int32(90)})
		if err != nil {
			t.Fatal(err)
		}
		// The SDK leaves out a plain bool that is false; a *bool is sent.
		wantInput(t, fake.input(t, "UpdateAccountPasswordPolicy"), `{"MinimumPasswordLength":14,"RequireSymbols":true,
			"AllowUsersToChangePassword":true,"HardExpiry":false,"MaxPasswordAge":90}`)
	})
	t.Run("map", func(t *testing.T) {
		out, err := client.GetAccountSummary(ctx, &iam.GetAccountSummaryInput{})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(out.SummaryMap) != "map[Roles:0 Users:3]" {
			t.Errorf("the SDK read %v", out.SummaryMap)
		}
	})
	t.Run("SimulatePrincipalPolicy", func(t *testing.T) {
		out, err := client.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::123456789012:role/lambda-payments"),
			ActionNames:     []string{"kms:Decrypt", "kms:Encrypt"},
			ContextEntries: []iamtypes.ContextEntry{
				{ContextKeyName: aws.String("aws:SourceIp"), ContextKeyType: iamtypes.ContextKeyTypeEnumIpList, ContextKeyValues: []string{"10.0.0.1", "10.0.0.2"}},
				{ContextKeyName: aws.String("aws:MultiFactorAuthPresent"), ContextKeyType: iamtypes.ContextKeyTypeEnumBoolean, ContextKeyValues: []string{"true"}},
			},
			MaxItems: aws.Int32(10),
		})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "SimulatePrincipalPolicy"), `{"PolicySourceArn":"arn:aws:iam::123456789012:role/lambda-payments",
			"ActionNames":["kms:Decrypt","kms:Encrypt"],"MaxItems":10,"ContextEntries":[
			{"ContextKeyName":"aws:SourceIp","ContextKeyType":"ipList","ContextKeyValues":["10.0.0.1","10.0.0.2"]},
			{"ContextKeyName":"aws:MultiFactorAuthPresent","ContextKeyType":"boolean","ContextKeyValues":["true"]}]}`)
		if len(out.EvaluationResults) != 1 || !out.IsTruncated || aws.ToString(out.Marker) != "m2" {
			t.Fatalf("the SDK read %+v", out)
		}
		r := out.EvaluationResults[0]
		if r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed || r.EvalDecisionDetails["kms:Decrypt"] != "allowed" ||
			len(r.MatchedStatements) != 1 || r.MatchedStatements[0].EndPosition.Column != 4 || r.MissingContextValues == nil {
			t.Errorf("the SDK read %+v", r)
		}
	})
	t.Run("blob", func(t *testing.T) {
		out, err := client.GetCredentialReport(ctx, &iam.GetCredentialReportInput{})
		if err != nil {
			t.Fatal(err)
		}
		if string(out.Content) != "a,b\n\x00\xff" || out.ReportFormat != iamtypes.ReportFormatTypeTextCsv || !aws.ToTime(out.GeneratedTime).Equal(created) {
			t.Errorf("the SDK read %+v", out)
		}
	})
	t.Run("errors", func(t *testing.T) {
		check := func(err error, target any, code string, status int) {
			t.Helper()
			if !errors.As(err, target) {
				t.Errorf("%v is not a %T", err, target)
			}
			var api smithy.APIError
			if !errors.As(err, &api) || api.ErrorCode() != code || api.ErrorMessage() == "" {
				t.Errorf("%v: want code %s", err, code)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != status || !strings.HasPrefix(re.ServiceRequestID(), "req-") {
				t.Errorf("%v: want status %d and a request id", err, status)
			}
		}
		_, err := client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nobody")})
		var noSuch *iamtypes.NoSuchEntityException
		check(err, &noSuch, "NoSuchEntity", 404)
		if noSuch != nil && noSuch.ErrorMessage() != "The role with name nobody cannot be found." {
			t.Errorf("message %q", noSuch.ErrorMessage())
		}
		_, err = client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("r")})
		var conflict *iamtypes.DeleteConflictException
		check(err, &conflict, "DeleteConflict", 409)
		_, err = client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
		var limit *iamtypes.LimitExceededException
		check(err, &limit, "LimitExceeded", 409)
		_, err = client.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("u")})
		var failure *iamtypes.ServiceFailureException
		check(err, &failure, "ServiceFailure", 500)
		_, err = client.ListRoles(ctx, &iam.ListRolesInput{})
		var generic *smithy.GenericAPIError
		check(err, &generic, "AccessDenied", 403)
		// The shared validator's error, as IAM words it.
		_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(strings.Repeat("r", 65))})
		check(err, &generic, "ValidationError", 400)
	})
}

// TestSTSWithSDK drives the codec with aws-sdk-go-v2's STS client,
// including a presigned GetCallerIdentity, which is a GET.
func TestSTSWithSDK(t *testing.T) {
	expiration := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC)
	fake, srv := serve(t, model.Load("sts"), map[string]answer{
		"AssumeRole": {out: assumeRoleOutput{
			Credentials:      &stsCredentials{"ASIAEXAMPLE", "secret/+=", "token<&>", sealbox.Timestamp{Time: expiration}},
			AssumedRoleUser:  &assumedRoleUser{"AROAEXAMPLEID:s1", "arn:aws:sts::123456789012:assumed-role/r/s1"},
			PackedPolicySize: ptr(int32(6)), SourceIdentity: "alice"}},
		"GetCallerIdentity":         {out: callerIdentity{"AIDAALICE", "123456789012", "arn:aws:iam::123456789012:user/alice"}},
		"GetSessionToken":           {code: "RegionDisabledException", message: "STS is not activated in this region."},
		"AssumeRoleWithWebIdentity": {code: "MalformedPolicyDocument", message: "The policy is not in the valid JSON format."},
	})
	client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		Retryer: aws.NopRetryer{}, HTTPClient: srv.Client()})
	ctx := context.Background()

	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s1"),
		PolicyArns:        []ststypes.PolicyDescriptorType{{Arn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}, {Arn: aws.String("arn:aws:iam::123456789012:policy/p")}},
		Tags:              []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}},
		TransitiveTagKeys: []string{"team"}, DurationSeconds: aws.Int32(900), ExternalId: aws.String("ext-123"),
		ProvidedContexts: []ststypes.ProvidedContext{{ProviderArn: aws.String("arn:aws:iam::aws:contextProvider/IdentityCenter"), ContextAssertion: aws.String(strings.Repeat("x", 20))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantInput(t, fake.input(t, "AssumeRole"), `{"RoleArn":"arn:aws:iam::123456789012:role/r","RoleSessionName":"s1",
		"PolicyArns":[{"arn":"arn:aws:iam::aws:policy/ReadOnlyAccess"},{"arn":"arn:aws:iam::123456789012:policy/p"}],
		"Tags":[{"Key":"team","Value":"payments"}],"TransitiveTagKeys":["team"],"DurationSeconds":900,"ExternalId":"ext-123",
		"ProvidedContexts":[{"ProviderArn":"arn:aws:iam::aws:contextProvider/IdentityCenter","ContextAssertion":"xxxxxxxxxxxxxxxxxxxx"}]}`)
	c := out.Credentials
	//lint:ignore SA1019 STS still sends PackedPolicySize, and this test checks the SDK reads the one the server wrote.
	packed := aws.ToInt32(out.PackedPolicySize)
	if c == nil || aws.ToString(c.SessionToken) != "token<&>" || aws.ToString(c.SecretAccessKey) != "secret/+=" || !aws.ToTime(c.Expiration).Equal(expiration) ||
		packed != 6 || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/r/s1" {
		t.Errorf("the SDK read %+v %+v", out, c)
	}

	who, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(who.Arn) != "arn:aws:iam::123456789012:user/alice" || aws.ToString(who.Account) != "123456789012" {
		t.Errorf("the SDK read %+v", who)
	}
	if m := fake.methods["GetCallerIdentity"]; m != http.MethodPost {
		t.Errorf("GetCallerIdentity came as %s", m)
	}

	presigned, err := sts.NewPresignClient(client).PresignGetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(presigned.Method, presigned.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = presigned.SignedHeader.Clone()
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<GetCallerIdentityResult><UserId>AIDAALICE</UserId>") {
		t.Errorf("presigned %s: %d %s", presigned.Method, resp.StatusCode, body)
	}
	if m := fake.methods["GetCallerIdentity"]; m != http.MethodGet {
		t.Errorf("presigned GetCallerIdentity came as %s", m)
	}

	_, err = client.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	var disabled *ststypes.RegionDisabledException
	var re *awshttp.ResponseError
	if !errors.As(err, &disabled) || !errors.As(err, &re) || re.HTTPStatusCode() != 403 {
		t.Errorf("GetSessionToken: %v", err)
	}
	_, err = client.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: aws.String("arn:aws:iam::123456789012:role/r"), RoleSessionName: aws.String("s1"), WebIdentityToken: aws.String(strings.Repeat("t", 10))})
	var malformed *ststypes.MalformedPolicyDocumentException
	if !errors.As(err, &malformed) || malformed.ErrorMessage() != "The policy is not in the valid JSON format." {
		t.Errorf("AssumeRoleWithWebIdentity: %v", err)
	}
}
