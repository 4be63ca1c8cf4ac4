package functions_test

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const (
	fnARN   = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	roleARN = "arn:aws:iam::123456789012:role/orders-exec"
)

var lastModified = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$`)

// TestFunctionLifecycle is the everyday flow through aws-sdk-go-v2's Lambda
// client: create (the Active waiter), read, update (the Updated waiter),
// new code, list, delete.
func TestFunctionLifecycle(t *testing.T) {
	s := sealtest.Start(t)
	execRole(t, s)
	c := s.Lambda()
	code := zipOf(t, "app.py", "def handler(e, c):\n    return 'ok'\n")
	sum := sha256.Sum256(code)
	out := must[*lambda.CreateFunctionOutput](t, "CreateFunction")(c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("orders"), Role: aws.String(roleARN), Runtime: types.RuntimePython312,
		Handler: aws.String("app.handler"), Description: aws.String("takes orders"), Code: &types.FunctionCode{ZipFile: code},
		Environment: &types.Environment{Variables: map[string]string{"DB_ENDPOINT": "orders-db.internal", "DB_PORT": "5432"}},
		Tags:        map[string]string{"team": "blue"},
	}))
	if aws.ToString(out.FunctionArn) != fnARN || aws.ToString(out.Version) != "$LATEST" || out.State != types.StateActive ||
		out.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToInt32(out.Timeout) != 3 || aws.ToInt32(out.MemorySize) != 128 ||
		aws.ToString(out.CodeSha256) != base64.StdEncoding.EncodeToString(sum[:]) || out.CodeSize != int64(len(code)) ||
		out.PackageType != types.PackageTypeZip || !slices.Equal(out.Architectures, []types.Architecture{types.ArchitectureX8664}) ||
		!lastModified.MatchString(aws.ToString(out.LastModified)) || len(aws.ToString(out.RevisionId)) != 36 {
		t.Fatalf("CreateFunction = %+v", out)
	}
	// The administrator may reveal, so sees the values.
	if v := out.Environment.Variables; v["DB_ENDPOINT"] != "orders-db.internal" || v["DB_PORT"] != "5432" {
		t.Fatalf("CreateFunction environment = %v", v)
	}
	if err := lambda.NewFunctionActiveV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionActiveV2 waiter: %v", err)
	}
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("orders"), Role: aws.String(roleARN),
		Runtime: types.RuntimePython312, Handler: aws.String("app.handler"), Code: &types.FunctionCode{ZipFile: code}})
	if msg := wantError(t, "CreateFunction again", err, "ResourceConflictException", 409); msg != "Function already exist: orders" {
		t.Fatalf("message = %q", msg)
	}

	// By name, partial ARN and full ARN.
	for _, name := range []string{"orders", "123456789012:function:orders", fnARN} {
		g := must[*lambda.GetFunctionOutput](t, "GetFunction "+name)(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}))
		if aws.ToString(g.Configuration.FunctionArn) != fnARN || aws.ToString(g.Configuration.Description) != "takes orders" ||
			aws.ToString(g.Code.RepositoryType) != "S3" || aws.ToString(g.Code.Location) == "" || g.Tags["team"] != "blue" {
			t.Fatalf("GetFunction(%s) = %+v %+v %v", name, g.Configuration, g.Code, g.Tags)
		}
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("absent")})
	if msg := wantError(t, "GetFunction absent", err, "ResourceNotFoundException", 404); msg != "Function not found: arn:aws:lambda:us-east-1:123456789012:function:absent" {
		t.Fatalf("message = %q", msg)
	}
	_, err = c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("arn:aws:lambda:eu-west-1:123456789012:function:orders")})
	wantError(t, "GetFunction in another region", err, "ResourceNotFoundException", 404)

	up := must[*lambda.UpdateFunctionConfigurationOutput](t, "UpdateFunctionConfiguration")(c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("orders"), Timeout: aws.Int32(30), MemorySize: aws.Int32(512), Description: aws.String("v2"),
		Environment: &types.Environment{Variables: map[string]string{"DB_ENDPOINT": "orders-db-2.internal", "DB_PORT": "5432", "MODE": "live"}},
	}))
	if aws.ToInt32(up.Timeout) != 30 || aws.ToInt32(up.MemorySize) != 512 || aws.ToString(up.RevisionId) == aws.ToString(out.RevisionId) ||
		up.Environment.Variables["MODE"] != "live" || up.Environment.Variables["DB_ENDPOINT"] != "orders-db-2.internal" {
		t.Fatalf("UpdateFunctionConfiguration = %+v", up)
	}
	if err := lambda.NewFunctionUpdatedV2Waiter(c).Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}, 5*time.Second); err != nil {
		t.Fatalf("FunctionUpdatedV2 waiter: %v", err)
	}
	code2 := zipOf(t, "app.py", "def handler(e, c):\n    return 'v2'\n")
	sum2 := sha256.Sum256(code2)
	uc := must[*lambda.UpdateFunctionCodeOutput](t, "UpdateFunctionCode")(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: code2}))
	if aws.ToString(uc.CodeSha256) != base64.StdEncoding.EncodeToString(sum2[:]) || aws.ToInt32(uc.Timeout) != 30 {
		t.Fatalf("UpdateFunctionCode = %+v", uc)
	}
	_, err = c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"), ZipFile: []byte("not a zip")})
	wantError(t, "UpdateFunctionCode with no ZIP", err, "InvalidParameterValueException", 400)
	s3 := must[*lambda.UpdateFunctionCodeOutput](t, "UpdateFunctionCode S3")(c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("orders"),
		S3Bucket: aws.String("deploys"), S3Key: aws.String("orders/v3.zip")}))
	g := must[*lambda.GetFunctionOutput](t, "GetFunction S3")(c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")}))
	if aws.ToString(g.Code.Location) != "s3://deploys/orders/v3.zip" || aws.ToString(g.Configuration.CodeSha256) != aws.ToString(s3.CodeSha256) {
		t.Fatalf("GetFunction after S3 code = %+v %+v", g.Code, g.Configuration)
	}

	createFunction(t, c, "billing", roleARN, "", nil)
	createFunction(t, c, "audit-trail", roleARN, "", nil)
	var names []string
	var marker *string
	for pages := 0; ; pages++ {
		l := must[*lambda.ListFunctionsOutput](t, "ListFunctions")(c.ListFunctions(ctx, &lambda.ListFunctionsInput{MaxItems: aws.Int32(2), Marker: marker}))
		for _, f := range l.Functions {
			names = append(names, aws.ToString(f.FunctionName))
		}
		if marker = l.NextMarker; marker == nil {
			break
		}
		if pages > 3 {
			t.Fatal("ListFunctions does not end")
		}
	}
	if !slices.Equal(names, []string{"audit-trail", "billing", "orders"}) {
		t.Fatalf("ListFunctions = %v", names)
	}
	p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{MaxItems: aws.Int32(1)})
	n := 0
	for p.HasMorePages() {
		page := must[*lambda.ListFunctionsOutput](t, "ListFunctions paginator")(p.NextPage(ctx))
		n += len(page.Functions)
	}
	if n != 3 {
		t.Fatalf("paginator listed %d functions", n)
	}

	d := must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("billing")}))
	_ = d
	_, err = c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("billing")})
	wantError(t, "GetFunctionConfiguration deleted", err, "ResourceNotFoundException", 404)
	_, err = c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("billing")})
	wantError(t, "DeleteFunction twice", err, "ResourceNotFoundException", 404)
}
