package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// framed fails unless the answer behind md went out with its length, not
// chunked, and was over net/http's 2 KiB buffer (past which it would
// chunk one it does not know the length of).
func framed(t *testing.T, call string, md middleware.Metadata) {
	t.Helper()
	raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response)
	if !ok {
		t.Fatalf("%s: no raw response", call)
	}
	r := raw.Response
	if len(r.TransferEncoding) != 0 || r.ContentLength <= 2048 {
		t.Errorf("%s: answer sent with Transfer-Encoding %q, Content-Length %d; want a length over 2048, not chunked", call, r.TransferEncoding, r.ContentLength)
	}
}

// TestLargeAnswersFraming: Query (IAM) and REST-JSON (Lambda) answers over
// 2 KiB go out with their Content-Length, as AWS sends them.
func TestLargeAnswersFraming(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`
	for i := range 12 {
		sealtest.Must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{
			PolicyName: aws.String(fmt.Sprintf("framing-%02d", i)), PolicyDocument: aws.String(doc),
			Description: aws.String(strings.Repeat("d", 200))}))
	}
	policies := sealtest.Must[*iam.ListPoliciesOutput](t, "ListPolicies")(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"}))
	if len(policies.Policies) != 12 {
		t.Fatalf("ListPolicies: %d policies, want 12", len(policies.Policies))
	}
	framed(t, "IAM ListPolicies", policies.ResultMetadata)

	sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("framing-exec"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
	l := lambda.NewFromConfig(s.AWSConfig("us-east-1"))
	for i := range 8 {
		sealtest.Must[*lambda.CreateFunctionOutput](t, "CreateFunction")(l.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fmt.Sprintf("framing-%d", i)), Role: aws.String("arn:aws:iam::123456789012:role/framing-exec"),
			Runtime: types.RuntimeProvidedal2023, Handler: aws.String("bootstrap"), Code: &types.FunctionCode{ZipFile: randomZip(t, 64)}}))
	}
	fns := sealtest.Must[*lambda.ListFunctionsOutput](t, "ListFunctions")(l.ListFunctions(ctx, &lambda.ListFunctionsInput{}))
	if len(fns.Functions) != 8 {
		t.Fatalf("ListFunctions: %d functions, want 8", len(fns.Functions))
	}
	framed(t, "Lambda ListFunctions", fns.ResultMetadata)
}
