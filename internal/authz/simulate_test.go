package authz_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestSimulateMatchesTheServer asks the simulator about the execution role
// and checks that its answers agree with what the server then does.
func TestSimulateMatchesTheServer(t *testing.T) {
	s := sealtest.Start(t)
	key := must[*kms.CreateKeyOutput](t, "CreateKey")(s.KMS().CreateKey(ctx, &kms.CreateKeyInput{})).KeyMetadata
	execARN := role(t, s, "exec", `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"`+*key.Arn+`","Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"}}},
		{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`)
	c := s.IAM()
	billing := []iamtypes.ContextEntry{{ContextKeyName: aws.String("kms:EncryptionContext:app"), ContextKeyValues: []string{"billing"}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}
	out := must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy")(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(execARN), ActionNames: []string{"kms:Decrypt", "kms:Encrypt", "kms:ScheduleKeyDeletion"},
		ResourceArns: []string{*key.Arn}, ContextEntries: billing}))
	want := map[string]iamtypes.PolicyEvaluationDecisionType{
		"kms:Decrypt": iamtypes.PolicyEvaluationDecisionTypeAllowed, "kms:Encrypt": iamtypes.PolicyEvaluationDecisionTypeImplicitDeny,
		"kms:ScheduleKeyDeletion": iamtypes.PolicyEvaluationDecisionTypeExplicitDeny,
	}
	if len(out.EvaluationResults) != 3 {
		t.Fatalf("%d results, want 3", len(out.EvaluationResults))
	}
	for _, r := range out.EvaluationResults {
		if r.EvalDecision != want[*r.EvalActionName] || *r.EvalResourceName != *key.Arn {
			t.Fatalf("%s on %s = %s, want %s", *r.EvalActionName, *r.EvalResourceName, r.EvalDecision, want[*r.EvalActionName])
		}
	}
	noContext := must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy")(c.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
		PolicySourceArn: aws.String(execARN), ActionNames: []string{"kms:Decrypt"}, ResourceArns: []string{*key.Arn}}))
	if r := noContext.EvaluationResults[0]; r.EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny ||
		len(r.MissingContextValues) != 1 || !strings.EqualFold(r.MissingContextValues[0], "kms:EncryptionContext:app") {
		t.Fatalf("kms:Decrypt without the context = %s, missing %v; want implicitDeny, missing kms:EncryptionContext:app", r.EvalDecision, r.MissingContextValues)
	}
	for _, r := range out.EvaluationResults {
		if *r.EvalActionName == "kms:Decrypt" && (len(r.MatchedStatements) != 1 || *r.MatchedStatements[0].SourcePolicyId != "inline" || r.MatchedStatements[0].SourcePolicyType != iamtypes.PolicySourceTypeRole) {
			t.Fatalf("matched statements = %+v, want the role's inline policy", r.MatchedStatements)
		}
	}

	// What the simulator said is what the server does.
	exec, _, _ := assume(t, s, pipeline(t, s), execARN, "sim")
	blob := must[*kms.EncryptOutput](t, "Encrypt")(s.KMS().Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x"), EncryptionContext: map[string]string{"app": "billing"}}))
	must[*kms.DecryptOutput](t, "exec Decrypt")(exec.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: blob.CiphertextBlob, EncryptionContext: map[string]string{"app": "billing"}}))
	if _, err := exec.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyId, Plaintext: []byte("x")}); err == nil {
		t.Fatalf("exec Encrypt succeeded; the simulator said implicitDeny")
	}

	custom := must[*iam.SimulateCustomPolicyOutput](t, "SimulateCustomPolicy")(c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Describe*","Resource":"*"}]}`},
		ActionNames:     []string{"kms:DescribeKey", "kms:Decrypt"}}))
	if custom.EvaluationResults[0].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeAllowed ||
		custom.EvaluationResults[1].EvalDecision != iamtypes.PolicyEvaluationDecisionTypeImplicitDeny {
		t.Fatalf("SimulateCustomPolicy = %+v", custom.EvaluationResults)
	}
	_, err := c.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{PolicyInputList: []string{`{"Statement":`}, ActionNames: []string{"kms:Decrypt"}})
	if err == nil {
		t.Fatalf("SimulateCustomPolicy accepted a broken policy")
	}
}
