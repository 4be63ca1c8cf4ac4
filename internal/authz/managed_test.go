package authz_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	siam "github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestAWSManagedPolicies: the AWS managed policies are served read-only
// under arn:aws:iam::aws:policy/ (AWSLambdaBasicExecutionRole under
// service-role/), listed by ListPolicies with Scope AWS, readable with
// GetPolicy and GetPolicyVersion, attachable, and refused any change; each
// document compiles, and an attached one allows what AWS's allows.
func TestAWSManagedPolicies(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	want := []string{
		"arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
		"arn:aws:iam::aws:policy/AWSLambda_FullAccess",
		"arn:aws:iam::aws:policy/AWSLambda_ReadOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/AmazonSSMFullAccess",
		"arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
		"arn:aws:iam::aws:policy/IAMFullAccess",
		"arn:aws:iam::aws:policy/IAMReadOnlyAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/ReadOnlyAccess",
		"arn:aws:iam::aws:policy/SecretsManagerReadWrite",
	}
	var got []string
	p := iam.NewListPoliciesPaginator(c, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws, MaxItems: aws.Int32(5)})
	for p.HasMorePages() {
		page := must[*iam.ListPoliciesOutput](t, "ListPolicies(AWS)")(p.NextPage(ctx))
		for _, pol := range page.Policies {
			got = append(got, *pol.Arn)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("ListPolicies(Scope AWS) = %v, want %v", got, want)
	}
	local := must[*iam.ListPoliciesOutput](t, "ListPolicies(Local)")(c.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal}))
	if len(local.Policies) != 0 {
		t.Errorf("ListPolicies(Scope Local) = %d policies, want none", len(local.Policies))
	}
	sr := must[*iam.ListPoliciesOutput](t, "ListPolicies(/service-role/)")(c.ListPolicies(ctx, &iam.ListPoliciesInput{PathPrefix: aws.String("/service-role/")}))
	if len(sr.Policies) != 1 || *sr.Policies[0].PolicyName != "AWSLambdaBasicExecutionRole" || *sr.Policies[0].Path != "/service-role/" {
		t.Errorf("ListPolicies(PathPrefix /service-role/) = %+v", sr.Policies)
	}

	for _, arn := range want {
		pol := must[*iam.GetPolicyOutput](t, "GetPolicy "+arn)(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})).Policy
		if *pol.Arn != arn || !pol.IsAttachable || pol.DefaultVersionId == nil || pol.Description == nil {
			t.Errorf("GetPolicy(%s) = %+v", arn, pol)
			continue
		}
		v := must[*iam.GetPolicyVersionOutput](t, "GetPolicyVersion "+arn)(c.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.DefaultVersionId})).PolicyVersion
		doc, err := url.QueryUnescape(*v.Document)
		if err != nil || !v.IsDefaultVersion {
			t.Fatalf("GetPolicyVersion(%s) = %+v, %v", arn, v, err)
		}
		if _, err := siam.Parse(doc, siam.KindIdentity); err != nil {
			t.Errorf("the document of %s does not compile: %v", arn, err)
		}
	}
	_, err := c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")})
	sealtest.APIError(t, "GetPolicy(AWSLambdaBasicExecutionRole without its path)", err, "NoSuchEntity", 404)

	// Read-only, as AWS: every change is AccessDenied.
	admin := aws.String("arn:aws:iam::aws:policy/AdministratorAccess")
	doc := aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`)
	_, err = c.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: admin, PolicyDocument: doc, SetAsDefault: true})
	sealtest.APIError(t, "CreatePolicyVersion(AWS managed)", err, "AccessDenied", 403)
	_, err = c.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: admin})
	sealtest.APIError(t, "DeletePolicy(AWS managed)", err, "AccessDenied", 403)
	_, err = c.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: admin, VersionId: aws.String("v1")})
	sealtest.APIError(t, "SetDefaultPolicyVersion(AWS managed)", err, "AccessDenied", 403)
	_, err = c.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: admin, VersionId: aws.String("v1")})
	sealtest.APIError(t, "DeletePolicyVersion(AWS managed)", err, "AccessDenied", 403)

	// Attached, ReadOnlyAccess reads parameters but no secret value and
	// changes nothing; AmazonSSMFullAccess then writes parameters.
	must[*ssm.PutParameterOutput](t, "PutParameter")(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("v"), Type: "String"}))
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(s.SecretsManager().CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/s"), SecretString: aws.String("x")}))
	r := s.NewRole(t, "reader", "", "", "s1")
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy(ReadOnlyAccess)")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")}))
	cfg := r.Config(s)
	must[*ssm.GetParameterOutput](t, "GetParameter with ReadOnlyAccess")(ssm.NewFromConfig(cfg).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/app/p")}))
	must[*secretsmanager.DescribeSecretOutput](t, "DescribeSecret with ReadOnlyAccess")(secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("app/s")}))
	_, err = secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("app/s")})
	sealtest.APIError(t, "GetSecretValue with ReadOnlyAccess", err, "AccessDeniedException", 400)
	_, err = ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("w"), Type: "String", Overwrite: aws.Bool(true)})
	sealtest.APIError(t, "PutParameter with ReadOnlyAccess", err, "AccessDeniedException", 400)
	_, err = kms.NewFromConfig(cfg).CreateKey(ctx, &kms.CreateKeyInput{})
	sealtest.APIError(t, "CreateKey with ReadOnlyAccess", err, "AccessDeniedException", 400)
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy(AmazonSSMFullAccess)")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("reader"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonSSMFullAccess")}))
	must[*ssm.PutParameterOutput](t, "PutParameter with AmazonSSMFullAccess")(ssm.NewFromConfig(cfg).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/app/p"), Value: aws.String("w"), Type: "String", Overwrite: aws.Bool(true)}))
	pol := must[*iam.GetPolicyOutput](t, "GetPolicy(ReadOnlyAccess)")(c.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess")})).Policy
	if *pol.AttachmentCount != 1 {
		t.Errorf("ReadOnlyAccess AttachmentCount = %d, want 1", *pol.AttachmentCount)
	}
	// AWS's policy id and default version.
	if *pol.PolicyId != "ANPAILL3HVNFSB6DCOWYQ" || *pol.DefaultVersionId != "v178" || !pol.UpdateDate.After(*pol.CreateDate) {
		t.Errorf("GetPolicy(ReadOnlyAccess) = id %s, version %s, created %v, updated %v; want ANPAILL3HVNFSB6DCOWYQ, v178",
			*pol.PolicyId, *pol.DefaultVersionId, pol.CreateDate, pol.UpdateDate)
	}

	// What AWS's statements allow, and what they do not, by the simulator.
	decide := map[bool]iamtypes.PolicyEvaluationDecisionType{true: iamtypes.PolicyEvaluationDecisionTypeAllowed, false: iamtypes.PolicyEvaluationDecisionTypeImplicitDeny}
	type sim struct {
		action, resource, key, value string
		allowed                      bool
	}
	simulate := func(policy string, cases []sim) {
		t.Helper()
		roleName := "sim-" + policy
		role := must[*iam.CreateRoleOutput](t, "CreateRole "+roleName)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(roleName), AssumeRolePolicyDocument: aws.String(sealtest.TrustAccount)})).Role
		must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy "+policy)(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(roleName), PolicyArn: aws.String("arn:aws:iam::aws:policy/" + policy)}))
		for _, k := range cases {
			in := &iam.SimulatePrincipalPolicyInput{PolicySourceArn: role.Arn, ActionNames: []string{k.action}}
			if k.resource != "" {
				in.ResourceArns = []string{k.resource}
			}
			if k.key != "" {
				in.ContextEntries = []iamtypes.ContextEntry{{ContextKeyName: aws.String(k.key), ContextKeyValues: []string{k.value}, ContextKeyType: iamtypes.ContextKeyTypeEnumString}}
			}
			out := must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy "+policy)(c.SimulatePrincipalPolicy(ctx, in))
			if len(out.EvaluationResults) != 1 {
				t.Fatalf("%s: %s: %d results, want 1", policy, k.action, len(out.EvaluationResults))
			}
			if got := out.EvaluationResults[0].EvalDecision; got != decide[k.allowed] {
				t.Errorf("%s: %s on %q (%s=%s) = %s, want %s", policy, k.action, k.resource, k.key, k.value, got, decide[k.allowed])
			}
		}
	}
	const ssmSLR = "arn:aws:iam::123456789012:role/aws-service-role/ssm.amazonaws.com/AWSServiceRoleForAmazonSSM"
	const lambdaSLR = "arn:aws:iam::123456789012:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda"
	simulate("ReadOnlyAccess", []sim{
		{action: "sts:GetSessionToken", allowed: true},
		{action: "sts:GetAccessKeyInfo", allowed: true},
		{action: "cloudtrail:LookupEvents", allowed: true},
		{action: "sts:AssumeRole", resource: "arn:aws:iam::123456789012:role/reader"},
		{action: "secretsmanager:GetSecretValue"},
		{action: "kms:Decrypt"},
	})
	simulate("AmazonSSMFullAccess", []sim{
		{action: "ssm:DeleteParameter", allowed: true},
		{action: "iam:CreateServiceLinkedRole", resource: ssmSLR, key: "iam:AWSServiceName", value: "ssm.amazonaws.com", allowed: true},
		{action: "iam:CreateServiceLinkedRole", resource: ssmSLR, key: "iam:AWSServiceName", value: "lambda.amazonaws.com"},
		{action: "iam:CreateServiceLinkedRole", resource: lambdaSLR, key: "iam:AWSServiceName", value: "ssm.amazonaws.com"},
		{action: "iam:DeleteServiceLinkedRole", resource: ssmSLR, allowed: true},
		{action: "iam:GetServiceLinkedRoleDeletionStatus", resource: ssmSLR, allowed: true},
		{action: "iam:DeleteServiceLinkedRole", resource: lambdaSLR},
		{action: "iam:CreateRole", resource: "arn:aws:iam::123456789012:role/x"},
	})
	simulate("AWSLambda_FullAccess", []sim{
		{action: "lambda:CreateFunction", allowed: true},
		{action: "kms:DescribeKey", allowed: true},
		{action: "kms:Decrypt"},
		{action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/exec", key: "iam:PassedToService", value: "lambda.amazonaws.com", allowed: true},
		{action: "iam:PassRole", resource: "arn:aws:iam::123456789012:role/exec", key: "iam:PassedToService", value: "ssm.amazonaws.com"},
		{action: "iam:CreateServiceLinkedRole", resource: lambdaSLR, key: "iam:AWSServiceName", value: "lambda.amazonaws.com", allowed: true},
		{action: "iam:CreateServiceLinkedRole", resource: ssmSLR, key: "iam:AWSServiceName", value: "lambda.amazonaws.com"},
		{action: "iam:DeleteServiceLinkedRole", resource: lambdaSLR},
	})
	simulate("AWSLambda_ReadOnlyAccess", []sim{
		{action: "lambda:GetFunction", allowed: true},
		{action: "iam:GetRolePolicy", allowed: true},
		{action: "kms:ListAliases", allowed: true},
		{action: "kms:DescribeKey"},
		{action: "lambda:InvokeFunction"},
	})
}
