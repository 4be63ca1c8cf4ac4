package authz_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestSimulateBoundaryAndPrincipalTags: the simulator decides as every
// call does: the principal's permissions boundary (or the one given in
// PermissionsBoundaryPolicyInputList instead) bounds its allows, and
// aws:PrincipalTag/<key> is the principal's own tag, which a context entry
// cannot claim otherwise. Before, it answered allowed where the call was
// denied.
func TestSimulateBoundaryAndPrincipalTags(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	ssmOnly := *must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("ssm-only"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`)})).Policy.Arn
	u := *must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sim"), PermissionsBoundary: aws.String(ssmOnly),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})).User.Arn
	const redOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}]}`
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("sim"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:GetParameter","kms:CreateKey"],"Resource":"*"}]}`)}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy red")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("sim"), PolicyName: aws.String("red"), PolicyDocument: aws.String(redOnly)}))
	claimRed := []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:PrincipalTag/team"), ContextKeyValues: []string{"red"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}
	actions := []string{"ssm:GetParameter", "kms:CreateKey", "secretsmanager:GetSecretValue"}
	const (
		allowed  = iamtypes.PolicyEvaluationDecisionTypeAllowed
		implicit = iamtypes.PolicyEvaluationDecisionTypeImplicitDeny
		explicit = iamtypes.PolicyEvaluationDecisionTypeExplicitDeny
	)
	check := func(call string, results []iamtypes.EvaluationResult, want ...iamtypes.PolicyEvaluationDecisionType) {
		t.Helper()
		if len(results) != len(want) {
			t.Fatalf("%s: %d results, want %d", call, len(results), len(want))
		}
		for i, r := range results {
			if r.EvalDecision != want[i] {
				t.Errorf("%s: %s = %s, want %s", call, *r.EvalActionName, r.EvalDecision, want[i])
			}
		}
	}
	principal := func(call string, boundary ...string) []iamtypes.EvaluationResult {
		t.Helper()
		return must[*iam.SimulatePrincipalPolicyOutput](t, call)(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String(u), ActionNames: actions, ContextEntries: claimRed, PermissionsBoundaryPolicyInputList: boundary})).EvaluationResults
	}

	// The boundary keeps kms:CreateKey out; the user's tag is blue, so
	// claiming red in a context entry does not allow the red-only secret.
	check("SimulatePrincipalPolicy (boundary ssm-only, team blue)", principal("SimulatePrincipalPolicy"), allowed, implicit, implicit)
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("sim")})).AccessKey
	_, err := kms.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey})).CreateKey(ctx, &kms.CreateKeyInput{})
	wantDenied(t, "CreateKey as sim (the call agrees)", err, u, "kms:CreateKey", "because no permissions boundary allows")

	// A boundary given instead of the user's: everything but an explicit
	// deny of kms:CreateKey.
	check("SimulatePrincipalPolicy (boundary given)", principal("SimulatePrincipalPolicy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kms:CreateKey","Resource":"*"}]}`),
		allowed, explicit, implicit)

	// Team red, boundary lifted: the red-only statement applies.
	must[*iam.TagUserOutput](t, "TagUser red")(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("sim"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	must[*iam.DeleteUserPermissionsBoundaryOutput](t, "DeleteUserPermissionsBoundary")(c.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String("sim")}))
	check("SimulatePrincipalPolicy (no boundary, team red)", principal("SimulatePrincipalPolicy"), allowed, allowed, allowed)

	// SimulateCustomPolicy: a CallerArn naming a user brings its tags
	// (red, whatever the context entry claims); without one the context
	// entries say; the boundary given bounds.
	claimBlue := []iamtypes.ContextEntry{{ContextKeyName: aws.String("aws:PrincipalTag/team"), ContextKeyValues: []string{"blue"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}
	custom := func(call string, caller *string, entries []iamtypes.ContextEntry, boundary ...string) []iamtypes.EvaluationResult {
		t.Helper()
		return must[*iam.SimulateCustomPolicyOutput](t, call)(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
			PolicyInputList: []string{redOnly, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*"}]}`},
			ActionNames:     []string{"secretsmanager:GetSecretValue", "kms:CreateKey"}, CallerArn: caller, ContextEntries: entries,
			PermissionsBoundaryPolicyInputList: boundary})).EvaluationResults
	}
	check("SimulateCustomPolicy (CallerArn sim, claims blue)", custom("SimulateCustomPolicy", aws.String(u), claimBlue), allowed, allowed)
	check("SimulateCustomPolicy (no caller, claims blue)", custom("SimulateCustomPolicy", nil, claimBlue), implicit, allowed)
	check("SimulateCustomPolicy (no caller, claims red)", custom("SimulateCustomPolicy", nil, claimRed), allowed, allowed)
	check("SimulateCustomPolicy (boundary ssm-only)", custom("SimulateCustomPolicy", aws.String(u), nil,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}`), implicit, implicit)
	_, err = c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{redOnly}, ActionNames: []string{"kms:CreateKey"},
		PermissionsBoundaryPolicyInputList: []string{redOnly, redOnly}})
	sealtest.APIError(t, "SimulateCustomPolicy(two boundaries)", err, "InvalidInput", 400)
}
