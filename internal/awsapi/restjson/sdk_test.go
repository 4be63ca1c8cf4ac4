package restjson_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

// reply is what the fake service answers a call: an output, or an error
// code and message.
type reply struct {
	out           any
	code, message string
}

// fakeService serves one REST-JSON model with the codec the router will
// use: Match, Decode, Validate, then Encode or EncodeError. It records the
// decoded input of each call.
type fakeService struct {
	m       *model.Service
	table   *restjson.Table
	answer  func(op string, in map[string]any) reply
	counter atomic.Int64

	mu     sync.Mutex
	inputs map[string]map[string]any
}

func (s *fakeService) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := fmt.Sprintf("req-%d", s.counter.Add(1))
	w.Header().Set("x-amzn-RequestId", id)
	body, _ := io.ReadAll(r.Body)
	fail := func(err error) {
		e, ok := sealbox.AsError(err)
		if !ok {
			e = &sealbox.Error{Code: "ServiceException", Message: err.Error(), Server: true}
		}
		restjson.EncodeError(w, s.m, e.Status, e.Code, e.Message, id)
	}
	op, labels, ok := s.table.Match(r.Method, r.URL.RequestURI())
	if !ok {
		fail(&sealbox.Error{Code: "UnknownOperationException", Message: "Unknown operation " + r.Method + " " + r.URL.Path})
		return
	}
	in := s.m.InputShape(op)
	v, err := restjson.Decode(r, body, s.m, in, labels)
	if err != nil {
		fail(err)
		return
	}
	if err := s.m.Validate(in, v); err != nil {
		fail(&sealbox.Error{Code: "ValidationException", Message: err.Error()})
		return
	}
	s.mu.Lock()
	s.inputs[op] = v
	s.mu.Unlock()
	a := s.answer(op, v)
	if a.code == "TooManyRequestsException" {
		w.Header().Set("Retry-After", "1") // as the router does on a 429
	}
	if a.code != "" {
		restjson.EncodeError(w, s.m, 0, a.code, a.message, id)
		return
	}
	if err := restjson.Encode(w, s.m, op, s.m.OutputShape(op), a.out, id); err != nil {
		panic(err)
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

func wantInput(t *testing.T, got map[string]any, want string) {
	t.Helper()
	if !sameValue(got, decodeJSON(t, []byte(want))) {
		t.Errorf("decoded\n%s\nwant\n%s", pretty(got), want)
	}
}

var sdkCreds = credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "")

// TestLambdaWithSDK drives the codec with aws-sdk-go-v2's Lambda client:
// its restjson1 serializer writes the requests (labels, query parameters,
// headers, JSON bodies, payloads), its deserializer reads the answers and
// turns the errors into the typed exceptions.
func TestLambdaWithSDK(t *testing.T) {
	const account = "123456789012"
	arnOf := func(name string) string { return "arn:aws:lambda:us-east-1:" + account + ":function:" + name }
	config := func(name, version string) functionConfiguration {
		return functionConfiguration{FunctionName: name, FunctionArn: arnOf(name), Runtime: "python3.12", Role: "arn:aws:iam::" + account + ":role/r",
			Handler: "app.handler", CodeSize: 42, Timeout: ptr(int32(30)), MemorySize: ptr(int32(512)), Version: version,
			LastModified: "2026-11-23T10:00:00.000+0000", CodeSha256: "c2hh", RevisionId: "rev-1", State: "Active",
			LastUpdateStatus: "Successful", PackageType: "Zip", Architectures: []string{"arm64"},
			Environment: &environmentResponse{Variables: map[string]string{"STAGE": "prod"}}, Description: ptr(special)}
	}
	fake := &fakeService{m: model.Load("lambda"), inputs: map[string]map[string]any{}}
	fake.table = restjson.NewTable(fake.m)
	fake.answer = func(op string, in map[string]any) reply {
		name, _ := in["FunctionName"].(string)
		switch op {
		case "CreateFunction":
			if name == "exists" {
				return reply{code: "ResourceConflictException", message: "Function already exist: exists"}
			}
			return reply{out: config(name, "$LATEST")}
		case "GetFunctionConfiguration", "GetFunction":
			if strings.Contains(name, "missing") {
				return reply{code: "ResourceNotFoundException", message: "Function not found: " + arnOf("missing")}
			}
			c := config("payments", "$LATEST")
			if q, _ := in["Qualifier"].(string); q != "" {
				c.Version = q
			}
			if op == "GetFunction" {
				return reply{out: map[string]any{"Configuration": c, "Tags": map[string]string{"team": "payments"}}}
			}
			return reply{out: c}
		case "UpdateFunctionConfiguration":
			if in["RevisionId"] != "rev-1" {
				return reply{code: "PreconditionFailedException", message: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"}
			}
			c := config("payments", "$LATEST")
			c.RevisionId, c.Timeout = "rev-2", ptr(int32(60))
			return reply{out: c}
		case "ListFunctions":
			if in["Marker"] == "page-2" {
				return reply{out: listFunctionsOutput{Functions: []functionConfiguration{config("three", "$LATEST")}}}
			}
			return reply{out: listFunctionsOutput{NextMarker: ptr("page-2"), Functions: []functionConfiguration{config("one", "$LATEST"), config("two", "$LATEST")}}}
		case "PublishVersion":
			return reply{out: config("payments", "1")}
		case "CreateAlias", "GetAlias":
			if in["Name"] == "missing" {
				return reply{code: "ResourceNotFoundException", message: "Alias not found: " + arnOf("payments:missing")}
			}
			return reply{out: aliasConfiguration{AliasArn: arnOf("payments:live"), Name: "live", FunctionVersion: "1", Description: special,
				RoutingConfig: &routingConfig{AdditionalVersionWeights: map[string]float64{"2": 0.25}}, RevisionId: "a-rev"}}
		case "ListVersionsByFunction":
			return reply{out: listVersionsOutput{Versions: []functionConfiguration{config("payments", "$LATEST"), config("payments", "1")}}}
		case "TagResource", "UntagResource":
			return reply{out: struct{}{}}
		case "ListTags":
			return reply{out: listTagsOutput{Tags: map[string]string{"team": "payments", "cost center": special}}}
		case "DeleteFunction":
			return reply{out: deleteFunctionOutput{StatusCode: 204}}
		case "Invoke":
			return reply{out: invocationOutput{StatusCode: 200, FunctionError: "Unhandled", LogResult: "U1RBUlQK", ExecutedVersion: "1",
				Payload: []byte(`{"errorMessage":"boom"}`)}}
		case "GetAccountSettings":
			return reply{code: "TooManyRequestsException", message: "Rate exceeded"}
		case "ListLayers":
			return reply{code: "ServiceException", message: "An internal error occurred."}
		}
		return reply{code: "UnknownOperationException", message: "no answer for " + op}
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := lambda.New(lambda.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: sdkCreds,
		Retryer: aws.NopRetryer{}, HTTPClient: srv.Client()})
	ctx := context.Background()
	zip := []byte("PK\x03\x04\x00\xff binary")

	checkConfig := func(t *testing.T, c *types.FunctionConfiguration, name, version string) {
		t.Helper()
		if aws.ToString(c.FunctionName) != name || aws.ToString(c.FunctionArn) != arnOf(name) || aws.ToString(c.Version) != version ||
			c.Runtime != types.RuntimePython312 || aws.ToInt32(c.Timeout) == 0 || aws.ToInt32(c.MemorySize) != 512 || c.CodeSize != 42 ||
			c.State != types.StateActive || c.LastUpdateStatus != types.LastUpdateStatusSuccessful || c.PackageType != types.PackageTypeZip ||
			len(c.Architectures) != 1 || c.Architectures[0] != types.ArchitectureArm64 || aws.ToString(c.Description) != special ||
			aws.ToString(c.LastModified) != "2026-11-23T10:00:00.000+0000" || c.Environment == nil || c.Environment.Variables["STAGE"] != "prod" {
			t.Errorf("the SDK read %+v", c)
		}
	}

	t.Run("CreateFunction", func(t *testing.T) {
		out, err := client.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String("payments"), Runtime: types.RuntimePython312, Role: aws.String("arn:aws:iam::" + account + ":role/r"),
			Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: zip}, Description: aws.String(special),
			Timeout: aws.Int32(30), MemorySize: aws.Int32(512), Publish: true, Architectures: []types.Architecture{types.ArchitectureArm64},
			Environment: &types.Environment{Variables: map[string]string{"STAGE": "prod", "DB_URL": "postgres://db/x?ssl=1", "EMPTY": ""}},
			Tags:        map[string]string{"team": "payments", "cost center": special},
		})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "CreateFunction"), `{"FunctionName":"payments","Runtime":"python3.12","Role":"arn:aws:iam::123456789012:role/r",
			"Handler":"app.handler","Code":{"ZipFile":"UEsDBAD/IGJpbmFyeQ=="},"Description":`+jsonString(special)+`,"Timeout":30,"MemorySize":512,
			"Publish":true,"Architectures":["arm64"],"Environment":{"Variables":{"STAGE":"prod","DB_URL":"postgres://db/x?ssl=1","EMPTY":""}},
			"Tags":{"team":"payments","cost center":`+jsonString(special)+`}}`)
		checkConfig(t, &types.FunctionConfiguration{FunctionName: out.FunctionName, FunctionArn: out.FunctionArn, Version: out.Version,
			Runtime: out.Runtime, Timeout: out.Timeout, MemorySize: out.MemorySize, CodeSize: out.CodeSize, State: out.State,
			LastUpdateStatus: out.LastUpdateStatus, PackageType: out.PackageType, Architectures: out.Architectures,
			Description: out.Description, LastModified: out.LastModified, Environment: out.Environment}, "payments", "$LATEST")
		if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !strings.HasPrefix(id, "req-") {
			t.Errorf("request id %q", id)
		}
	})
	t.Run("GetFunctionConfiguration with an ARN and a qualifier", func(t *testing.T) {
		out, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(arnOf("payments")), Qualifier: aws.String("$LATEST")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "GetFunctionConfiguration"), `{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:payments","Qualifier":"$LATEST"}`)
		if aws.ToString(out.FunctionName) != "payments" || aws.ToString(out.Version) != "$LATEST" {
			t.Errorf("the SDK read %+v", out)
		}
		// A partial ARN with a qualifier of its own.
		if _, err := client.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(account + ":function:payments:live")}); err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "GetFunctionConfiguration"), `{"FunctionName":"123456789012:function:payments:live"}`)
	})
	t.Run("GetFunction", func(t *testing.T) {
		out, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("payments:7")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "GetFunction"), `{"FunctionName":"payments:7"}`)
		if out.Configuration == nil {
			t.Fatalf("the SDK read %+v", out)
		}
		checkConfig(t, out.Configuration, "payments", "$LATEST")
		if out.Tags["team"] != "payments" {
			t.Errorf("tags %v", out.Tags)
		}
	})
	t.Run("UpdateFunctionConfiguration with a RevisionId", func(t *testing.T) {
		out, err := client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String("payments"), RevisionId: aws.String("rev-1"), Timeout: aws.Int32(60),
			Environment: &types.Environment{Variables: map[string]string{}}})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "UpdateFunctionConfiguration"), `{"FunctionName":"payments","RevisionId":"rev-1","Timeout":60,"Environment":{"Variables":{}}}`)
		if aws.ToString(out.RevisionId) != "rev-2" || aws.ToInt32(out.Timeout) != 60 {
			t.Errorf("the SDK read %+v", out)
		}
		_, err = client.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("payments"), RevisionId: aws.String("stale")})
		var pre *types.PreconditionFailedException
		if !errors.As(err, &pre) || !strings.HasPrefix(pre.ErrorMessage(), "The Revision Id provided does not match") || aws.ToString(pre.Type) != "User" {
			t.Errorf("stale RevisionId: %v", err)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != 412 || !strings.HasPrefix(re.ServiceRequestID(), "req-") {
			t.Errorf("stale RevisionId: %v", err)
		}
	})
	t.Run("ListFunctions with Marker and MaxItems", func(t *testing.T) {
		var names []string
		pages := lambda.NewListFunctionsPaginator(client, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), FunctionVersion: types.FunctionVersionAll})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range page.Functions {
				names = append(names, aws.ToString(f.FunctionName))
			}
		}
		if fmt.Sprint(names) != "[one two three]" {
			t.Errorf("functions %v", names)
		}
		wantInput(t, fake.input(t, "ListFunctions"), `{"MaxItems":2,"FunctionVersion":"ALL","Marker":"page-2"}`)
	})
	t.Run("PublishVersion", func(t *testing.T) {
		out, err := client.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("payments"), Description: aws.String("v1"), RevisionId: aws.String("rev-1")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "PublishVersion"), `{"FunctionName":"payments","Description":"v1","RevisionId":"rev-1"}`)
		if aws.ToString(out.Version) != "1" {
			t.Errorf("the SDK read %+v", out)
		}
	})
	t.Run("CreateAlias and GetAlias", func(t *testing.T) {
		out, err := client.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("payments"), Name: aws.String("live"),
			FunctionVersion: aws.String("1"), Description: aws.String(special),
			RoutingConfig: &types.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"2": 0.25}}})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "CreateAlias"), `{"FunctionName":"payments","Name":"live","FunctionVersion":"1","Description":`+jsonString(special)+`,
			"RoutingConfig":{"AdditionalVersionWeights":{"2":0.25}}}`)
		if aws.ToString(out.AliasArn) != arnOf("payments:live") || aws.ToString(out.Description) != special ||
			out.RoutingConfig == nil || out.RoutingConfig.AdditionalVersionWeights["2"] != 0.25 {
			t.Errorf("the SDK read %+v", out)
		}
		got, err := client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(arnOf("payments")), Name: aws.String("live")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "GetAlias"), `{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:payments","Name":"live"}`)
		if aws.ToString(got.Name) != "live" || aws.ToString(got.RevisionId) != "a-rev" {
			t.Errorf("the SDK read %+v", got)
		}
		_, err = client.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String("payments"), Name: aws.String("missing")})
		var nf *types.ResourceNotFoundException
		if !errors.As(err, &nf) || nf.ErrorMessage() != "Alias not found: "+arnOf("payments:missing") {
			t.Errorf("GetAlias missing: %v", err)
		}
	})
	t.Run("ListVersionsByFunction", func(t *testing.T) {
		out, err := client.ListVersionsByFunction(ctx, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(arnOf("payments")), Marker: aws.String("m"), MaxItems: aws.Int32(10)})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "ListVersionsByFunction"), `{"FunctionName":"arn:aws:lambda:us-east-1:123456789012:function:payments","Marker":"m","MaxItems":10}`)
		if len(out.Versions) != 2 || aws.ToString(out.Versions[1].Version) != "1" || out.NextMarker != nil {
			t.Errorf("the SDK read %+v", out)
		}
	})
	t.Run("tags on the function ARN", func(t *testing.T) {
		if _, err := client.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arnOf("payments")), Tags: map[string]string{"team": "payments", "k": ""}}); err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "TagResource"), `{"Resource":"arn:aws:lambda:us-east-1:123456789012:function:payments","Tags":{"team":"payments","k":""}}`)
		out, err := client.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arnOf("payments"))})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "ListTags"), `{"Resource":"arn:aws:lambda:us-east-1:123456789012:function:payments"}`)
		if len(out.Tags) != 2 || out.Tags["cost center"] != special {
			t.Errorf("the SDK read %v", out.Tags)
		}
		if _, err := client.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arnOf("payments")), TagKeys: []string{"team", "cost center", "a&b=c"}}); err != nil {
			t.Fatal(err)
		}
		// The SDK sends the keys sorted (botocore in order: see
		// testdata/decode/lambda-UntagResource.json).
		wantInput(t, fake.input(t, "UntagResource"), `{"Resource":"arn:aws:lambda:us-east-1:123456789012:function:payments","TagKeys":["a&b=c","cost center","team"]}`)
	})
	t.Run("DeleteFunction", func(t *testing.T) {
		out, err := client.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("payments"), Qualifier: aws.String("1")})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "DeleteFunction"), `{"FunctionName":"payments","Qualifier":"1"}`)
		if out.StatusCode != 204 {
			t.Errorf("StatusCode %d", out.StatusCode)
		}
	})
	t.Run("Invoke", func(t *testing.T) {
		out, err := client.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("payments"), Qualifier: aws.String("1"),
			InvocationType: types.InvocationTypeRequestResponse, LogType: types.LogTypeTail, Payload: []byte(`{"order":42}`)})
		if err != nil {
			t.Fatal(err)
		}
		wantInput(t, fake.input(t, "Invoke"), `{"FunctionName":"payments","Qualifier":"1","InvocationType":"RequestResponse","LogType":"Tail","Payload":"eyJvcmRlciI6NDJ9"}`)
		if out.StatusCode != 200 || aws.ToString(out.FunctionError) != "Unhandled" || aws.ToString(out.LogResult) != "U1RBUlQK" ||
			aws.ToString(out.ExecutedVersion) != "1" || string(out.Payload) != `{"errorMessage":"boom"}` {
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
			var re *awshttp.ResponseError
			if !errors.As(err, &api) || api.ErrorCode() != code || !errors.As(err, &re) || re.HTTPStatusCode() != status {
				t.Errorf("%v: want %s %d", err, code, status)
			}
		}
		_, err := client.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("missing")})
		var nf *types.ResourceNotFoundException
		check(err, &nf, "ResourceNotFoundException", 404)
		if nf != nil && (nf.ErrorMessage() != "Function not found: "+arnOf("missing") || aws.ToString(nf.Type) != "User") {
			t.Errorf("ResourceNotFoundException %+v", nf)
		}
		_, err = client.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("exists"), Role: aws.String("arn:aws:iam::123456789012:role/r"),
			Code: &types.FunctionCode{ZipFile: zip}})
		var conflict *types.ResourceConflictException
		check(err, &conflict, "ResourceConflictException", 409)
		if conflict != nil && conflict.ErrorMessage() != "Function already exist: exists" {
			t.Errorf("ResourceConflictException %+v", conflict)
		}
		_, err = client.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
		var tooMany *types.TooManyRequestsException
		check(err, &tooMany, "TooManyRequestsException", 429)
		if tooMany != nil && (tooMany.ErrorMessage() != "Rate exceeded" || tooMany.Reason != types.ThrottleReasonCallerRateLimitExceeded ||
			aws.ToString(tooMany.RetryAfterSeconds) != "1" || aws.ToString(tooMany.Type) != "User") {
			t.Errorf("TooManyRequestsException %+v", tooMany)
		}
		_, err = client.ListLayers(ctx, &lambda.ListLayersInput{})
		var svc *types.ServiceException
		check(err, &svc, "ServiceException", 500)
		if svc != nil && (svc.ErrorMessage() != "An internal error occurred." || aws.ToString(svc.Type) != "Service" || svc.ErrorFault() != smithy.FaultServer) {
			t.Errorf("ServiceException %+v", svc)
		}
		// The model's constraints, checked on the decoded value, answer
		// ValidationException, which the SDK knows only generically.
		_, err = client.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(0)})
		var generic *smithy.GenericAPIError
		check(err, &generic, "ValidationException", 400)
		if generic != nil && generic.ErrorMessage() != "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1" {
			t.Errorf("ValidationException %+v", generic)
		}
		// An operation the fake does not answer.
		_, err = client.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("payments")})
		check(err, &generic, "UnknownOperationException", 404)
	})
}

// TestLambdaMalformedRequests sends what no SDK sends, and checks that the
// SDK's deserializer reads the errors Decode makes as Lambda's typed
// exceptions.
func TestLambdaMalformedRequests(t *testing.T) {
	fake := &fakeService{m: model.Load("lambda"), inputs: map[string]map[string]any{},
		answer: func(string, map[string]any) reply { return reply{out: struct{}{}} }}
	fake.table = restjson.NewTable(fake.m)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	for _, tc := range []struct {
		method, path, body, code, message string
	}{
		{"GET", "/2015-03-31/functions?MaxItems=abc", "", "InvalidParameterValueException", "Value (abc) for query parameter MaxItems is invalid. Expected a 32-bit integer."},
		{"POST", "/2015-03-31/functions", `{"FunctionName":`, "InvalidRequestContentException", "Could not parse request body into json: unexpected end of the JSON input (at byte 16)."},
		{"POST", "/2015-03-31/functions", `{"MemorySize":"big"}`, "InvalidRequestContentException", "Could not parse request body into json: Unexpected value type at 'memorySize': expected a number."},
		{"GET", "/2015-03-31/nothing-here", "", "UnknownOperationException", "Unknown operation GET /2015-03-31/nothing-here"},
	} {
		req, _ := http.NewRequest(tc.method, srv.URL+tc.path, strings.NewReader(tc.body))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		st, _ := restjson.Status(fake.m, tc.code)
		if resp.StatusCode != st || resp.Header.Get("X-Amzn-Errortype") != tc.code || !strings.Contains(string(body), jsonString(tc.message)) {
			t.Errorf("%s %s: %d %v %s", tc.method, tc.path, resp.StatusCode, resp.Header, body)
		}
	}
}
