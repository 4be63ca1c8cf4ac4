package functions_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	sbiam "github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/sealtest"
)

const ordersARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"

// dryRun is an Invoke that only authorizes (204): no emulator needed.
func dryRun(c *lambda.Client, name, qualifier string) error {
	in := &lambda.InvokeInput{FunctionName: aws.String(name), InvocationType: types.InvocationTypeDryRun}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	_, err := c.Invoke(ctx, in)
	return err
}

// mayInvoke fails unless the DryRun Invoke of name (qualifier) is
// allowed as want says, a refusal being AccessDeniedException 403.
func mayInvoke(t *testing.T, who string, c *lambda.Client, name, qualifier string, want bool) {
	t.Helper()
	err := dryRun(c, name, qualifier)
	call := who + " Invoke " + name + " " + qualifier
	if want {
		if err != nil {
			t.Errorf("%s = %v, want allowed", call, err)
		}
		return
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" {
		t.Errorf("%s = %v, want AccessDeniedException", call, err)
	}
}

func addPermission(t *testing.T, c *lambda.Client, in *lambda.AddPermissionInput) string {
	t.Helper()
	return aws.ToString(must[*lambda.AddPermissionOutput](t, "AddPermission "+aws.ToString(in.StatementId))(c.AddPermission(ctx, in)).Statement)
}

// ordersWithVersions makes the function orders, its version 1 and the
// alias live (to 1).
func ordersWithVersions(t *testing.T, s *sealtest.Server) *lambda.Client {
	t.Helper()
	c := s.Lambda()
	execRole(t, s)
	createFunction(t, c, "orders", "arn:aws:iam::123456789012:role/orders-exec", "", nil)
	must[*lambda.PublishVersionOutput](t, "PublishVersion")(c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("orders")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias live")(c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"),
		Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	return c
}

// TestFunctionPolicy: AddPermission builds the statement Lambda builds,
// GetPolicy answers the policy as Lambda writes it, and the policy
// allows what it names on the ARN it names, on its own within the
// account, and nothing else: not another action, not another version or
// alias, not a user it does not name, not past an explicit Deny of the
// caller's own policies, not after RemovePermission.
func TestFunctionPolicy(t *testing.T) {
	s := sealtest.Start(t)
	admin := ordersWithVersions(t, s)
	caller := lambda.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "caller")))
	other := lambda.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "other")))
	callerARN := "arn:aws:iam::123456789012:user/caller"

	mayInvoke(t, "caller, no policy", caller, "orders", "", false)
	_, err := admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})
	wantError(t, "GetPolicy of a function without one", err, "ResourceNotFoundException", 404)

	st := addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(callerARN)})
	want := `{"Sid":"caller","Effect":"Allow","Principal":{"AWS":"` + callerARN + `"},"Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `"}`
	if st != want {
		t.Errorf("AddPermission's Statement = %s\nwant %s", st, want)
	}
	pol := must[*lambda.GetPolicyOutput](t, "GetPolicy")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}))
	if got := aws.ToString(pol.Policy); got != `{"Version":"2012-10-17","Id":"default","Statement":[`+want+`]}` {
		t.Errorf("GetPolicy = %s", got)
	}
	if aws.ToString(pol.RevisionId) == "" {
		t.Errorf("GetPolicy answered no RevisionId")
	}

	// Allowed by the policy alone (same account), on the unqualified ARN
	// only, for the action it names only, for the user it names only.
	mayInvoke(t, "caller", caller, "orders", "", true)
	mayInvoke(t, "caller", caller, ordersARN, "", true)
	for _, q := range []string{"1", "live", "$LATEST"} {
		mayInvoke(t, "caller", caller, "orders", q, false)
	}
	mayInvoke(t, "caller", caller, ordersARN+":live", "", false)
	_, err = caller.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("orders")})
	wantError(t, "caller GetFunction", err, "AccessDeniedException", 403)
	mayInvoke(t, "other", other, "orders", "", false)

	// The policy's own operations need their actions.
	_, err = caller.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})
	wantError(t, "caller GetPolicy", err, "AccessDeniedException", 403)
	_, err = caller.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("me"),
		Action: aws.String("lambda:*"), Principal: aws.String(callerARN)})
	wantError(t, "caller AddPermission", err, "AccessDeniedException", 403)
	_, err = caller.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller")})
	wantError(t, "caller RemovePermission", err, "AccessDeniedException", 403)

	// An explicit Deny in the caller's own policy wins.
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy deny")(s.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("caller"),
		PolicyName: aws.String("deny"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"lambda:InvokeFunction","Resource":"*"}]}`)}))
	mayInvoke(t, "caller with a Deny", caller, "orders", "", false)
	must[*iam.DeleteUserPolicyOutput](t, "DeleteUserPolicy deny")(s.IAM().DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String("caller"), PolicyName: aws.String("deny")}))
	mayInvoke(t, "caller without the Deny", caller, "orders", "", true)

	// A permission on the alias is the alias's alone.
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), StatementId: aws.String("other-live"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("arn:aws:iam::123456789012:user/other")})
	mayInvoke(t, "other", other, "orders", "live", true)
	mayInvoke(t, "other", other, "orders:live", "", true)
	for _, q := range []string{"", "1", "$LATEST"} {
		mayInvoke(t, "other", other, "orders", q, false)
	}
	livePol := must[*lambda.GetPolicyOutput](t, "GetPolicy live")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live")}))
	if !strings.Contains(aws.ToString(livePol.Policy), `"Resource":"`+ordersARN+`:live"`) || strings.Contains(aws.ToString(livePol.Policy), `"Sid":"caller"`) {
		t.Errorf("GetPolicy live = %s", aws.ToString(livePol.Policy))
	}
	_, err = admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1")})
	wantError(t, "GetPolicy of version 1, which has none", err, "ResourceNotFoundException", 404)
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("nope"), StatementId: aws.String("x"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(callerARN)})
	wantError(t, "AddPermission on an alias that does not exist", err, "ResourceNotFoundException", 404)
	// Deleting the alias deletes its policy: made again, it has none.
	must[*lambda.DeleteAliasOutput](t, "DeleteAlias")(admin.DeleteAlias(ctx, &lambda.DeleteAliasInput{FunctionName: aws.String("orders"), Name: aws.String("live")}))
	must[*lambda.CreateAliasOutput](t, "CreateAlias live again")(admin.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("orders"),
		Name: aws.String("live"), FunctionVersion: aws.String("1")}))
	mayInvoke(t, "other, the alias made again", other, "orders", "live", false)

	// Errors as Lambda words them.
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller"),
		Action: aws.String("lambda:GetFunction"), Principal: aws.String(callerARN)})
	msg := wantError(t, "AddPermission of a Sid taken", err, "ResourceConflictException", 409)
	if msg != "The statement id (caller) provided already exists. Please provide a new statement id, or remove the existing statement." {
		t.Errorf("duplicate Sid message = %q", msg)
	}
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("ghost"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("arn:aws:iam::123456789012:user/ghost")})
	wantError(t, "AddPermission naming a user that does not exist", err, "InvalidParameterValueException", 400)
	for _, p := range []string{"not-a-principal", callerARN + "#AIDAAAAAAAAAAAAAAAAAA", "arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:s3:::bucket"} {
		_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("bad"),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(p)})
		wantError(t, "AddPermission with the principal "+p, err, "InvalidParameterValueException", 400)
	}
	_, err = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("rev"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(callerARN), RevisionId: aws.String("not-the-revision")})
	wantError(t, "AddPermission with a stale RevisionId", err, "PreconditionFailedException", 412)
	for name, in := range map[string]*lambda.AddPermissionInput{
		"a Sid with a space":       {StatementId: aws.String("bad sid"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String(callerARN)},
		"another service's action": {StatementId: aws.String("kms"), Action: aws.String("kms:Decrypt"), Principal: aws.String(callerARN)},
		"a SourceAccount not an id": {StatementId: aws.String("acct"), Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
			SourceAccount: aws.String("12345")},
		"an unknown FunctionUrlAuthType": {StatementId: aws.String("url"), Action: aws.String("lambda:InvokeFunctionUrl"), Principal: aws.String("*"),
			FunctionUrlAuthType: types.FunctionUrlAuthType("OPEN")},
	} {
		in.FunctionName = aws.String("orders")
		_, err = admin.AddPermission(ctx, in)
		wantError(t, "AddPermission with "+name, err, "ValidationException", 400)
	}
	_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("nope")})
	wantError(t, "RemovePermission of a Sid not there", err, "ResourceNotFoundException", 404)
	// Over 20 KB.
	var tooBig error
	for i := 0; i < 100 && tooBig == nil; i++ {
		_, tooBig = admin.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("s3-" + strings.Repeat("x", 40) + string(rune('a'+i%26)) + string(rune('a'+i/26))),
			Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::" + strings.Repeat("b", 200))})
	}
	wantError(t, "AddPermission past 20 KB", tooBig, "PolicyLengthExceededException", 400)

	// RemovePermission takes it away, with the revision GetPolicy gave.
	pol = must[*lambda.GetPolicyOutput](t, "GetPolicy")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}))
	must[*lambda.RemovePermissionOutput](t, "RemovePermission")(admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"),
		StatementId: aws.String("caller"), RevisionId: pol.RevisionId}))
	mayInvoke(t, "caller after RemovePermission", caller, "orders", "", false)
	_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller"), RevisionId: pol.RevisionId})
	wantError(t, "RemovePermission with a stale RevisionId", err, "PreconditionFailedException", 412)
	// The last statement removed, there is no policy.
	pol = must[*lambda.GetPolicyOutput](t, "GetPolicy")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")}))
	var doc struct{ Statement []struct{ Sid string } }
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil {
		t.Fatal(err)
	}
	for _, st := range doc.Statement {
		must[*lambda.RemovePermissionOutput](t, "RemovePermission "+st.Sid)(admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String(st.Sid)}))
	}
	_, err = admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})
	wantError(t, "GetPolicy with every statement removed", err, "ResourceNotFoundException", 404)
	_, err = admin.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller")})
	wantError(t, "RemovePermission without a policy", err, "ResourceNotFoundException", 404)
}

// TestFunctionPolicyPrincipals: a user named by a policy and deleted is
// not the user made again under the name (the principal was pinned to
// its unique id); an account delegates to its principals' own policies;
// another account's principals are not this account's; "*" is anyone.
func TestFunctionPolicyPrincipals(t *testing.T) {
	s := sealtest.Start(t)
	admin := ordersWithVersions(t, s)
	caller := lambda.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "caller")))
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("caller"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("arn:aws:iam::123456789012:user/caller")})
	mayInvoke(t, "caller", caller, "orders", "", true)
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys")(s.IAM().ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("caller")}))
	for _, k := range keys.AccessKeyMetadata {
		must[*iam.DeleteAccessKeyOutput](t, "DeleteAccessKey")(s.IAM().DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("caller"), AccessKeyId: k.AccessKeyId}))
	}
	must[*iam.DeleteUserOutput](t, "DeleteUser")(s.IAM().DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String("caller")}))
	again := lambda.NewFromConfig(s.AWSConfigAs("us-east-1", s.NewUser(t, "caller")))
	mayInvoke(t, "caller made again", again, "orders", "", false)

	// Another account, by id: nobody here.
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("elsewhere"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("444455556666")})
	mayInvoke(t, "a user of this account, policy naming another", again, "orders", "", false)
	pol := aws.ToString(must[*lambda.GetPolicyOutput](t, "GetPolicy")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})).Policy)
	if !strings.Contains(pol, `"Principal":{"AWS":"arn:aws:iam::444455556666:root"}`) {
		t.Errorf("an account id's Principal is not its root ARN: %s", pol)
	}

	// This account, by id: delegates to the caller's own policies, on
	// version 1 only.
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("1"), StatementId: aws.String("account"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("123456789012")})
	mayInvoke(t, "a user without policies, the account named", again, "orders", "1", false)
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(s.IAM().PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("caller"),
		PolicyName: aws.String("invoke-1"), PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `:1"}]}`)}))
	mayInvoke(t, "a user allowed by its own policy", again, "orders", "1", true)
	mayInvoke(t, "a user allowed by its own policy on version 1", again, "orders", "live", false)

	// "*" in an organization: nobody (no caller of sealbox is in one).
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("org"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), PrincipalOrgID: aws.String("o-abcdefghij")})
	mayInvoke(t, "anyone in an organization", again, "orders", "", false)

	// "*": anyone, on the alias only.
	addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), Qualifier: aws.String("live"), StatementId: aws.String("public"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*")})
	mayInvoke(t, "anyone", again, "orders", "live", true)
	mayInvoke(t, "anyone", again, "orders", "", false)

	// Made again under its name, a function has none of its policies.
	must[*lambda.DeleteFunctionOutput](t, "DeleteFunction")(admin.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String("orders")}))
	createFunction(t, admin, "orders", "arn:aws:iam::123456789012:role/orders-exec", "", nil)
	_, err := admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})
	wantError(t, "GetPolicy of a function made again", err, "ResourceNotFoundException", 404)
}

// TestFunctionPolicyServicePrincipal: a permission for an AWS service
// (S3 here) is written with its SourceArn and SourceAccount conditions,
// as Lambda writes them. No caller of sealbox is an AWS service (every
// request is signed by an IAM user or role session), so the policy
// GetPolicy answers is decided here by the one evaluator the authorizer
// uses (iam.Decide), for the service calling from the bucket named, from
// another bucket, and from another account.
func TestFunctionPolicyServicePrincipal(t *testing.T) {
	s := sealtest.Start(t)
	admin := ordersWithVersions(t, s)
	st := addPermission(t, admin, &lambda.AddPermissionInput{FunctionName: aws.String("orders"), StatementId: aws.String("s3"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("s3.amazonaws.com"),
		SourceArn: aws.String("arn:aws:s3:::uploads"), SourceAccount: aws.String("123456789012")})
	want := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"` + ordersARN + `",` +
		`"Condition":{"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::uploads"},"StringEquals":{"AWS:SourceAccount":"123456789012"}}}`
	if st != want {
		t.Errorf("AddPermission's Statement = %s\nwant %s", st, want)
	}
	doc := aws.ToString(must[*lambda.GetPolicyOutput](t, "GetPolicy")(admin.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("orders")})).Policy)
	pol, err := sbiam.ParseStored(doc, sbiam.KindResource)
	if err != nil {
		t.Fatalf("the policy GetPolicy answers does not compile: %v\n%s", err, doc)
	}
	for _, c := range []struct {
		name            string
		service         string
		sourceARN, acct string
		resource        string
		allowed         bool
	}{
		{"the bucket named", "s3.amazonaws.com", "arn:aws:s3:::uploads", "123456789012", ordersARN, true},
		{"another bucket", "s3.amazonaws.com", "arn:aws:s3:::elsewhere", "123456789012", ordersARN, false},
		{"the bucket named, another account", "s3.amazonaws.com", "arn:aws:s3:::uploads", "444455556666", ordersARN, false},
		{"no source", "s3.amazonaws.com", "", "", ordersARN, false},
		{"another service", "sns.amazonaws.com", "arn:aws:s3:::uploads", "123456789012", ordersARN, false},
		{"the bucket named, version 1", "s3.amazonaws.com", "arn:aws:s3:::uploads", "123456789012", ordersARN + ":1", false},
	} {
		cond := map[string][]string{}
		if c.sourceARN != "" {
			cond["aws:sourcearn"] = []string{c.sourceARN}
			cond["aws:sourceaccount"] = []string{c.acct}
		}
		req := &sbiam.Request{Principal: sbiam.Principal{Type: sbiam.TypeService, Service: c.service}, Action: "lambda:InvokeFunction", Resource: c.resource, Context: cond}
		if got := sbiam.Decide(&sbiam.Facts{Resource: pol}, req).Allowed; got != c.allowed {
			t.Errorf("%s: Decide = %v, want %v", c.name, got, c.allowed)
		}
	}
}
