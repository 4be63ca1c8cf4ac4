package parameters_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestReadByARN: GetParameter, GetParameters and GetParameterHistory take
// a parameter's full ARN as its name, as the SSM model documents.
func TestReadByARN(t *testing.T) {
	s := sealtest.Start(t)
	c := s.SSM()
	for _, n := range []string{"/app/db/host", "flat"} {
		must[*ssm.PutParameterOutput](t, "PutParameter "+n)(c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(n), Value: aws.String("v-" + n), Type: types.ParameterTypeString}))
	}
	const hostARN = "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/host"
	got := must[*ssm.GetParameterOutput](t, "GetParameter by ARN")(c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(hostARN)})).Parameter
	if aws.ToString(got.Name) != "/app/db/host" || aws.ToString(got.ARN) != hostARN || aws.ToString(got.Value) != "v-/app/db/host" {
		t.Errorf("GetParameter by ARN = %s %s %s", aws.ToString(got.Name), aws.ToString(got.ARN), aws.ToString(got.Value))
	}
	const missing = "arn:aws:ssm:us-east-1:123456789012:parameter/none"
	gs := must[*ssm.GetParametersOutput](t, "GetParameters by ARN")(c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{hostARN, "arn:aws:ssm:us-east-1:123456789012:parameter/flat:1", missing}}))
	if len(gs.Parameters) != 2 || aws.ToString(gs.Parameters[0].Name) != "/app/db/host" || aws.ToString(gs.Parameters[1].Name) != "flat" || aws.ToString(gs.Parameters[1].Selector) != ":1" ||
		len(gs.InvalidParameters) != 1 || gs.InvalidParameters[0] != missing {
		t.Errorf("GetParameters by ARN = %+v, invalid %v", gs.Parameters, gs.InvalidParameters)
	}
	h := must[*ssm.GetParameterHistoryOutput](t, "GetParameterHistory by ARN")(c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(hostARN)}))
	if len(h.Parameters) != 1 || aws.ToString(h.Parameters[0].Name) != "/app/db/host" {
		t.Errorf("GetParameterHistory by ARN = %+v", h.Parameters)
	}
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(missing)})
	wantAPIError(t, "GetParameter by the ARN of no parameter", err, "ParameterNotFound")
}
