package iam

import (
	"fmt"
	"testing"
)

const acct = "123456789012"

var (
	alice = Principal{ARN: "arn:aws:iam::123456789012:user/alice", AccountID: acct, Type: TypeIAMUser, UserName: "alice", UserID: "AIDAALICEEXAMPLE00001"}
	carol = Principal{ARN: "arn:aws:iam::123456789012:user/engineering/carol", AccountID: acct, Type: TypeIAMUser, UserName: "carol", UserID: "AIDACAROLEXAMPLE00001"}
	root  = Principal{ARN: "arn:aws:iam::123456789012:root", AccountID: acct, Type: TypeRoot}
	app   = Principal{ARN: "arn:aws:sts::123456789012:assumed-role/app/i-0abc", AccountID: acct, Type: TypeAssumedRole, RoleARN: "arn:aws:iam::123456789012:role/app", UserID: "AROAAPPEXAMPLE0000001:i-0abc"}
	// From the NotPrincipal page: Bob in account 444455556666, and an
	// assumed-role user of cross-account-read-only-role there.
	bob   = Principal{ARN: "arn:aws:iam::444455556666:user/Bob", AccountID: "444455556666", Type: TypeIAMUser, UserName: "Bob"}
	audit = Principal{ARN: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app", AccountID: "444455556666", Type: TypeAssumedRole, RoleARN: "arn:aws:iam::444455556666:role/cross-account-read-only-role"}
	other = Principal{ARN: "arn:aws:iam::444455556666:user/Eve", AccountID: "444455556666", Type: TypeIAMUser, UserName: "Eve"}
	lamb  = Principal{Type: TypeService, Service: "lambda.amazonaws.com"}
)

const keyARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// req builds a request; ctx alternates keys and values ("k", "v1|v2").
func req(p Principal, action, resource string, ctx ...string) *Request {
	r := &Request{Principal: p, Action: action, Resource: resource}
	for i := 0; i+1 < len(ctx); i += 2 {
		var vals []string
		if ctx[i+1] != "" {
			vals = splitBar(ctx[i+1])
		}
		r.Set(ctx[i], vals...)
	}
	return r
}

func splitBar(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '|' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func mustParse(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := Parse(doc, kind)
	if err != nil {
		t.Fatalf("Parse(%.100q, %v) error: %v", doc, kind, err)
	}
	return p
}

// mustParseStored is mustParse for a policy in the form sealbox keeps,
// whose principals may be pinned ("<arn>#<id>").
func mustParseStored(t testing.TB, doc string, kind Kind) *Policy {
	t.Helper()
	p, err := ParseStored(doc, kind)
	if err != nil {
		t.Fatalf("ParseStored(%.100q, %v) error: %v", doc, kind, err)
	}
	return p
}

type evalCase struct {
	name    string
	req     *Request
	want    Effect
	wantSid string
}

func runEvaluate(t *testing.T, doc string, kind Kind, tests []evalCase) {
	t.Helper()
	p := mustParse(t, doc, kind)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, sid := p.Evaluate(tt.req)
			if got != tt.want || sid != tt.wantSid {
				t.Errorf("Evaluate(%s %s on %s, context %v) = %v, %q; want %v, %q", tt.req.Principal.ARN, tt.req.Action, tt.req.Resource, tt.req.Context, got, sid, tt.want, tt.wantSid)
			}
		})
	}
}

func TestEvaluateActions(t *testing.T) {
	doc := stmt(
		`{"Sid":"Use","Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe?ey"],"Resource":"*"}`,
		`{"Sid":"NoDelete","Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`,
		`{"Sid":"Admin","Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:123456789012:key/admin-*"}`,
	)
	adminKey := "arn:aws:kms:us-east-1:123456789012:key/admin-1"
	runEvaluate(t, doc, KindIdentity, []evalCase{
		{"listed action", req(alice, "kms:Decrypt", keyARN), Allow, "Use"},
		{"actions match case-insensitively", req(alice, "KMS:decrypt", keyARN), Allow, "Use"},
		{"trailing wildcard", req(alice, "kms:ReEncryptFrom", keyARN), Allow, "Use"},
		{"wildcard matches nothing after", req(alice, "kms:GenerateDataKey", keyARN), Allow, "Use"},
		{"question mark", req(alice, "kms:DescribeKey", keyARN), Allow, "Use"},
		{"question mark is exactly one character", req(alice, "kms:DescribeKkey", keyARN), NoMatch, ""},
		{"unlisted action", req(alice, "kms:CreateGrant", keyARN), NoMatch, ""},
		{"prefix of a listed action does not match", req(alice, "kms:Decryp", keyARN), NoMatch, ""},
		{"explicit deny wins over an allow", req(alice, "kms:ScheduleKeyDeletion", adminKey), Deny, "NoDelete"},
		{"resource pattern", req(alice, "kms:CreateGrant", adminKey), Allow, "Admin"},
		{"resources match case-sensitively", req(alice, "kms:CreateGrant", "arn:aws:kms:us-east-1:123456789012:key/ADMIN-1"), NoMatch, ""},
		{"other service", req(alice, "secretsmanager:GetSecretValue", adminKey), NoMatch, ""},
	})
}

// The NotAction and NotResource pages of the IAM User Guide.
func TestEvaluateNotActionNotResource(t *testing.T) {
	t.Run("Allow NotAction iam:*", func(t *testing.T) {
		runEvaluate(t, stmt(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), KindIdentity, []evalCase{
			{"any other service", req(alice, "kms:Decrypt", keyARN), Allow, ""},
			{"IAM is left out", req(alice, "iam:CreateUser", "arn:aws:iam::123456789012:user/x"), NoMatch, ""},
			{"IAM in another case is left out too", req(alice, "IAM:createUser", "arn:aws:iam::123456789012:user/x"), NoMatch, ""},
		})
	})
	t.Run("Allow NotAction s3:DeleteBucket on S3 resources", func(t *testing.T) {
		runEvaluate(t, stmt(`{"Effect":"Allow","NotAction":"s3:DeleteBucket","Resource":"arn:aws:s3:::*"}`), KindIdentity, []evalCase{
			{"other S3 action", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/key"), Allow, ""},
			{"DeleteBucket", req(alice, "s3:DeleteBucket", "arn:aws:s3:::bucket"), NoMatch, ""},
			{"ListAllMyBuckets needs the * resource", req(alice, "s3:ListAllMyBuckets", "*"), NoMatch, ""},
			{"other service's resource", req(alice, "kms:Decrypt", keyARN), NoMatch, ""},
		})
	})
	t.Run("DenyAllUsersNotUsingMFA", func(t *testing.T) {
		doc := `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllUsersNotUsingMFA","Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"access keys (no MFA key): denied", req(alice, "kms:Decrypt", keyARN), Deny, "DenyAllUsersNotUsingMFA"},
			{"console without MFA: denied", req(alice, "kms:Decrypt", keyARN, "aws:MultiFactorAuthPresent", "false"), Deny, "DenyAllUsersNotUsingMFA"},
			{"signed in with MFA: not denied", req(alice, "kms:Decrypt", keyARN, "aws:MultiFactorAuthPresent", "true"), NoMatch, ""},
			{"IAM actions are not denied", req(alice, "iam:ChangePassword", "*"), NoMatch, ""},
		})
	})
	t.Run("Deny NotResource", func(t *testing.T) {
		doc := stmt(`{"Sid":"OnlyPayroll","Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::HRBucket/Payroll","arn:aws:s3:::HRBucket/Payroll/*"]}`)
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"another bucket", req(alice, "s3:GetObject", "arn:aws:s3:::Other/x"), Deny, "OnlyPayroll"},
			{"the payroll folder", req(alice, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll/jan.csv"), NoMatch, ""},
			{"the payroll object", req(alice, "s3:GetObject", "arn:aws:s3:::HRBucket/Payroll"), NoMatch, ""},
			{"not S3", req(alice, "kms:Decrypt", keyARN), NoMatch, ""},
		})
	})
}

// The IAM User Guide's policy variables page.
func TestEvaluatePolicyVariables(t *testing.T) {
	home := `{"Version":"2012-10-17","Statement":[
		{"Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::mybucket"],"Condition":{"StringLike":{"s3:prefix":["${aws:username}/*"]}}},
		{"Action":["s3:GetObject","s3:PutObject"],"Effect":"Allow","Resource":["arn:aws:s3:::mybucket/${aws:username}/*"]}]}`
	t.Run("home folder", func(t *testing.T) {
		runEvaluate(t, home, KindIdentity, []evalCase{
			{"own folder", req(alice, "s3:GetObject", "arn:aws:s3:::mybucket/alice/notes.txt"), Allow, ""},
			{"someone else's folder", req(alice, "s3:GetObject", "arn:aws:s3:::mybucket/david/notes.txt"), NoMatch, ""},
			{"list own prefix", req(alice, "s3:ListBucket", "arn:aws:s3:::mybucket", "s3:prefix", "alice/docs"), Allow, ""},
			{"list another prefix", req(alice, "s3:ListBucket", "arn:aws:s3:::mybucket", "s3:prefix", "david/"), NoMatch, ""},
			// aws:username is not present for a role session: the element matches nothing.
			{"role session has no user name", req(app, "s3:GetObject", "arn:aws:s3:::mybucket/app/x"), NoMatch, ""},
			{"a * in the user name is not a wildcard", req(Principal{ARN: "arn:aws:iam::123456789012:user/x", AccountID: acct, Type: TypeIAMUser, UserName: "*"}, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x"), NoMatch, ""},
		})
	})
	t.Run("2008-10-17 treats variables as literal text", func(t *testing.T) {
		doc := `{"Version":"2008-10-17","Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}]}`
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"not substituted", req(alice, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x"), NoMatch, ""},
			{"literal", req(alice, "s3:GetObject", "arn:aws:s3:::mybucket/${aws:username}/x"), Allow, ""},
		})
	})
	t.Run("no Version treats variables as literal text", func(t *testing.T) {
		doc := `{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"arn:aws:s3:::mybucket/${aws:username}/*"}]}`
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"not substituted", req(alice, "s3:GetObject", "arn:aws:s3:::mybucket/alice/x"), NoMatch, ""},
		})
	})
	t.Run("sqs queue named for the user", func(t *testing.T) {
		doc := stmt(`{"Sid":"ListForConsole","Effect":"Allow","Action":"sqs:ListQueues","Resource":"*"}`,
			`{"Sid":"AllQueueActions","Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:us-east-2:*:${aws:username}-queue"}`)
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"own queue", req(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-2:123456789012:alice-queue"), Allow, "AllQueueActions"},
			{"own queue in another region", req(alice, "sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:alice-queue"), NoMatch, ""},
			{"list", req(alice, "sqs:ListQueues", "*"), Allow, "ListForConsole"},
		})
	})
	t.Run("tag as a variable", func(t *testing.T) {
		doc := stmt(`{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::bucket/${aws:PrincipalTag/department}"]}`)
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"tagged", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/HR", "aws:PrincipalTag/department", "HR"), Allow, ""},
			{"tagged otherwise", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/HR", "aws:PrincipalTag/department", "IT"), NoMatch, ""},
			{"untagged", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/HR"), NoMatch, ""},
		})
	})
	t.Run("default value and special characters", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/${aws:PrincipalTag/team, 'shared'}/*"}`,
			`{"Sid":"S","Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::bucket/literal${*}${?}${$}/*"}`)
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"default when untagged", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/shared/x"), Allow, "D"},
			{"tag when tagged", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/red/x", "aws:PrincipalTag/team", "red"), Allow, "D"},
			{"default not used when tagged", req(alice, "s3:GetObject", "arn:aws:s3:::bucket/shared/x", "aws:PrincipalTag/team", "red"), NoMatch, ""},
			{"escaped characters are literal", req(alice, "s3:PutObject", "arn:aws:s3:::bucket/literal*?$/x"), Allow, "S"},
			{"escaped star is not a wildcard", req(alice, "s3:PutObject", "arn:aws:s3:::bucket/literalxx$/x"), NoMatch, ""},
		})
	})
	t.Run("principal keys derived from the principal", func(t *testing.T) {
		doc := stmt(`{"Sid":"Own","Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::${aws:PrincipalAccount}:user/${aws:username}"}`,
			`{"Sid":"ById","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ids/${aws:userid}"}`,
			`{"Sid":"ByArn","Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/app"},"StringEquals":{"aws:PrincipalType":"AssumedRole"}}}`)
		runEvaluate(t, doc, KindIdentity, []evalCase{
			{"own access keys", req(alice, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/alice"), Allow, "Own"},
			{"another user's access keys", req(alice, "iam:CreateAccessKey", "arn:aws:iam::123456789012:user/bob"), NoMatch, ""},
			{"user id", req(alice, "s3:GetObject", "arn:aws:s3:::ids/AIDAALICEEXAMPLE00001"), Allow, "ById"},
			{"role session user id is role-id:session", req(app, "s3:GetObject", "arn:aws:s3:::ids/AROAAPPEXAMPLE0000001:i-0abc"), Allow, "ById"},
			{"aws:PrincipalArn of a session is its role", req(app, "kms:Decrypt", keyARN), Allow, "ByArn"},
			{"aws:PrincipalType of a user", req(alice, "kms:Decrypt", keyARN, "aws:PrincipalArn", "arn:aws:iam::123456789012:role/app"), NoMatch, ""},
			{"context overrides the derived key", req(app, "kms:Decrypt", keyARN, "aws:PrincipalType", "User"), NoMatch, ""},
		})
	})
}

// Several operators AND, several keys in one operator AND, several values
// for one key OR: the User Guide's "Conditions with multiple context keys or
// values".
func TestEvaluateConditionLogic(t *testing.T) {
	doc := stmt(`{"Sid":"Tagged","Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{
		"StringEquals":{"aws:ResourceTag/team":["red","blue"],"aws:PrincipalTag/team":"${aws:ResourceTag/team}"},
		"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)
	runEvaluate(t, doc, KindIdentity, []evalCase{
		{"everything holds", req(alice, "ec2:StartInstances", "*", "aws:ResourceTag/team", "red", "aws:PrincipalTag/team", "red", "aws:SourceIp", "10.1.1.1"), Allow, "Tagged"},
		{"second value of a key (OR)", req(alice, "ec2:StartInstances", "*", "aws:ResourceTag/team", "blue", "aws:PrincipalTag/team", "blue", "aws:SourceIp", "10.1.1.1"), Allow, "Tagged"},
		{"second key fails (AND)", req(alice, "ec2:StartInstances", "*", "aws:ResourceTag/team", "red", "aws:PrincipalTag/team", "blue", "aws:SourceIp", "10.1.1.1"), NoMatch, ""},
		{"second operator fails (AND)", req(alice, "ec2:StartInstances", "*", "aws:ResourceTag/team", "red", "aws:PrincipalTag/team", "red", "aws:SourceIp", "192.0.2.1"), NoMatch, ""},
		{"key missing", req(alice, "ec2:StartInstances", "*", "aws:PrincipalTag/team", "red", "aws:SourceIp", "10.1.1.1"), NoMatch, ""},
		{"condition keys are case-insensitive in the request", req(alice, "ec2:StartInstances", "*", "AWS:RESOURCETAG/TEAM", "red", "aws:principaltag/team", "red", "Aws:SourceIP", "10.1.1.1"), Allow, "Tagged"},
		{"condition values are case-sensitive", req(alice, "ec2:StartInstances", "*", "aws:ResourceTag/team", "Red", "aws:PrincipalTag/team", "Red", "aws:SourceIp", "10.1.1.1"), NoMatch, ""},
	})
}

// A KMS encryption context condition, and the policy AWS gives an
// AWS-managed key.
func TestEvaluateKMSConditions(t *testing.T) {
	doc := stmt(`{"Sid":"Ctx","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:purpose":"config"},"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["purpose","stage"]}}}`)
	runEvaluate(t, doc, KindKey, []evalCase{
		{"context matches", req(app, "kms:Decrypt", keyARN, "kms:EncryptionContext:purpose", "config", "kms:EncryptionContextKeys", "purpose"), Allow, "Ctx"},
		{"extra context key", req(app, "kms:Decrypt", keyARN, "kms:EncryptionContext:purpose", "config", "kms:EncryptionContextKeys", "purpose|tenant"), NoMatch, ""},
		{"wrong purpose", req(app, "kms:Decrypt", keyARN, "kms:EncryptionContext:purpose", "other", "kms:EncryptionContextKeys", "purpose"), NoMatch, ""},
		{"no context", req(app, "kms:Decrypt", keyARN), NoMatch, ""},
		{"another principal", req(alice, "kms:Decrypt", keyARN, "kms:EncryptionContext:purpose", "config"), NoMatch, ""},
	})
	managed := `{"Version":"2012-10-17","Id":"auto-secretsmanager-1","Statement":[
		{"Sid":"Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"123456789012","kms:ViaService":"secretsmanager.us-east-1.amazonaws.com"}}},
		{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["kms:Describe*","kms:Get*","kms:List*","kms:RevokeGrant"],"Resource":"*"}]}`
	via := "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager"
	runEvaluate(t, managed, KindKey, []evalCase{
		{"through Secrets Manager", req(alice, "kms:Decrypt", keyARN, "kms:CallerAccount", acct, "kms:ViaService", "secretsmanager.us-east-1.amazonaws.com"), Allow, via},
		{"directly", req(alice, "kms:Decrypt", keyARN, "kms:CallerAccount", acct), NoMatch, ""},
		{"through another service", req(alice, "kms:Decrypt", keyARN, "kms:CallerAccount", acct, "kms:ViaService", "ssm.us-east-1.amazonaws.com"), NoMatch, ""},
		{"metadata", req(alice, "kms:DescribeKey", keyARN), Allow, "Allow direct access to key metadata to the account"},
		{"metadata from another account", req(other, "kms:GetKeyPolicy", keyARN), NoMatch, ""},
	})
}

// The Principal element of resource policies.
func TestEvaluatePrincipals(t *testing.T) {
	policyFor := func(principal string) string {
		return stmt(`{"Sid":"P","Effect":"Allow","Principal":` + principal + `,"Action":"secretsmanager:GetSecretValue","Resource":"*"}`)
	}
	get := func(p Principal) *Request { return req(p, "secretsmanager:GetSecretValue", "*") }
	tests := []struct {
		principal string
		caller    Principal
		want      Effect
	}{
		{`"*"`, alice, Allow},
		{`"*"`, lamb, Allow},
		{`{"AWS":"*"}`, other, Allow},
		{`{"AWS":"123456789012"}`, alice, Allow},
		{`{"AWS":"123456789012"}`, root, Allow},
		{`{"AWS":"123456789012"}`, app, Allow},
		{`{"AWS":"123456789012"}`, other, NoMatch},
		{`{"AWS":"123456789012"}`, lamb, NoMatch},
		{`{"AWS":"arn:aws:iam::123456789012:root"}`, alice, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:user/alice"}`, alice, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:user/alice"}`, carol, NoMatch},
		{`{"AWS":"arn:aws:iam::123456789012:user/carol"}`, carol, NoMatch}, // carol's ARN has her path
		{`{"AWS":"arn:aws:iam::123456789012:user/engineering/carol"}`, carol, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:role/app"}`, app, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:role/app"}`, alice, NoMatch},
		{`{"AWS":"arn:aws:sts::123456789012:assumed-role/app/i-0abc"}`, app, Allow},
		{`{"AWS":"arn:aws:sts::123456789012:assumed-role/app/i-0def"}`, app, NoMatch},
		{`{"AWS":"AIDAALICEEXAMPLE00001"}`, alice, Allow},
		{`{"AWS":"AROAAPPEXAMPLE0000001"}`, app, Allow},
		{`{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::123456789012:user/alice"]}`, alice, Allow},
		// Pinned (identity.PinPrincipals): the ARN and the unique id it had
		// when the policy was saved; a new user or role under the same
		// name, or another name with the same id, is someone else.
		{`{"AWS":"arn:aws:iam::123456789012:user/alice#AIDAALICEEXAMPLE00001"}`, alice, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:user/alice#AIDAOLDALICEEXAMPLE01"}`, alice, NoMatch},
		{`{"AWS":"arn:aws:iam::123456789012:user/alicia#AIDAALICEEXAMPLE00001"}`, alice, NoMatch},
		{`{"AWS":"arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001"}`, app, Allow},
		{`{"AWS":"arn:aws:iam::123456789012:role/app#AROAOLDAPPEXAMPLE0001"}`, app, NoMatch},
		{`{"AWS":"arn:aws:iam::123456789012:user/alice#AROAAPPEXAMPLE0000001"}`, app, NoMatch},
		{`{"Service":"lambda.amazonaws.com"}`, lamb, Allow},
		{`{"Service":"lambda.amazonaws.com"}`, alice, NoMatch},
		{`{"Service":"ec2.amazonaws.com"}`, lamb, NoMatch},
		{`{"Federated":"cognito-identity.amazonaws.com"}`, alice, NoMatch},
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s", tt.principal, tt.caller.ARN+tt.caller.Service)
		t.Run(name, func(t *testing.T) {
			p := mustParseStored(t, policyFor(tt.principal), KindResource)
			if got, _ := p.Evaluate(get(tt.caller)); got != tt.want {
				t.Errorf("Principal %s: Evaluate(%s) = %v, want %v", tt.principal, tt.caller.ARN+tt.caller.Service, got, tt.want)
			}
		})
	}
}

// The NotPrincipal page: Deny everyone except the principals listed, where
// a request is checked for its account, its role and its session or user.
func TestEvaluateNotPrincipal(t *testing.T) {
	getObject := func(p Principal) *Request { return req(p, "s3:GetObject", "arn:aws:s3:::BUCKETNAME/x") }
	t.Run("user and account listed", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:user/Bob","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":["arn:aws:s3:::BUCKETNAME","arn:aws:s3:::BUCKETNAME/*"]}`)
		runEvaluate(t, doc, KindResource, []evalCase{
			{"Bob is not denied", getObject(bob), NoMatch, ""},
			{"Eve, in Bob's account, is denied", getObject(other), Deny, "D"},
			{"alice is denied", getObject(alice), Deny, "D"},
			{"a service is denied", getObject(lamb), Deny, "D"},
		})
	})
	t.Run("user pinned to its unique id", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice#AIDAALICEEXAMPLE00001","arn:aws:iam::123456789012:root"]},"Action":"s3:*","Resource":"*"}`)
		newAlice := alice
		newAlice.UserID = "AIDANEWALICEEXAMPLE01"
		p := mustParseStored(t, doc, KindResource)
		for _, tt := range []evalCase{
			{"alice is not denied", getObject(alice), NoMatch, ""},
			{"a new alice under the same name is denied", getObject(newAlice), Deny, "D"},
		} {
			if got, sid := p.Evaluate(tt.req); got != tt.want || sid != tt.wantSid {
				t.Errorf("%s: Evaluate = %v, %q; want %v, %q", tt.name, got, sid, tt.want, tt.wantSid)
			}
		}
	})
	t.Run("user listed without the account", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:user/Bob"},"Action":"s3:*","Resource":"*"}`)
		runEvaluate(t, doc, KindResource, []evalCase{
			{"Bob's account is denied, so Bob is", getObject(bob), Deny, "D"},
		})
	})
	t.Run("session, role and account listed", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:role/cross-account-read-only-role","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"}`)
		runEvaluate(t, doc, KindResource, []evalCase{
			{"the audit session is not denied", getObject(audit), NoMatch, ""},
			{"another session of the role is denied", getObject(Principal{ARN: "arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/other", AccountID: "444455556666", Type: TypeAssumedRole, RoleARN: "arn:aws:iam::444455556666:role/cross-account-read-only-role"}), Deny, "D"},
			{"the account's root is not denied", getObject(Principal{ARN: "arn:aws:iam::444455556666:root", AccountID: "444455556666", Type: TypeRoot}), NoMatch, ""},
		})
	})
	t.Run("session and account listed, role missing", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app","arn:aws:iam::444455556666:root"]},"Action":"s3:*","Resource":"*"}`)
		runEvaluate(t, doc, KindResource, []evalCase{
			{"the role is denied, so its session is", getObject(audit), Deny, "D"},
		})
	})
	t.Run("service", func(t *testing.T) {
		doc := stmt(`{"Sid":"D","Effect":"Deny","NotPrincipal":{"Service":"lambda.amazonaws.com"},"Action":"s3:*","Resource":"*"}`)
		runEvaluate(t, doc, KindResource, []evalCase{
			{"the service is not denied", getObject(lamb), NoMatch, ""},
			{"a user is denied", getObject(alice), Deny, "D"},
		})
	})
	t.Run("NotPrincipal * excludes everyone", func(t *testing.T) {
		doc := stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"*"},"Action":"s3:*","Resource":"*"}`)
		runEvaluate(t, doc, KindResource, []evalCase{{"nobody is denied", getObject(alice), NoMatch, ""}})
	})
}

func TestEvaluateNil(t *testing.T) {
	var p *Policy
	if got, sid := p.Evaluate(req(alice, "kms:Decrypt", keyARN)); got != NoMatch || sid != "" {
		t.Errorf("(*Policy)(nil).Evaluate() = %v, %q, want NoMatch", got, sid)
	}
}

func TestKeyStatementWithoutActionHasNoEffect(t *testing.T) {
	doc := stmt(`{"Effect":"Allow","Principal":"*","Resource":"*"}`, `{"Effect":"Deny","Principal":"*","Action":"kms:*"}`)
	p := mustParse(t, doc, KindKey)
	if got, _ := p.Evaluate(req(alice, "kms:Decrypt", keyARN)); got != NoMatch {
		t.Errorf("Evaluate(kms:Decrypt) against statements lacking Action or Resource = %v, want NoMatch", got)
	}
}

func TestEffectString(t *testing.T) {
	for e, want := range map[Effect]string{NoMatch: "NoMatch", Allow: "Allow", Deny: "Deny"} {
		if got := e.String(); got != want {
			t.Errorf("Effect(%d).String() = %q, want %q", e, got, want)
		}
	}
}

func TestMissingContext(t *testing.T) {
	p, err := Parse(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"},"Bool":{"aws:SecureTransport":"true"}}},
		{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"ssm.us-east-1.amazonaws.com"}}}]}`, KindIdentity)
	if err != nil {
		t.Fatal(err)
	}
	r := &Request{Action: "kms:Decrypt", Resource: "arn:aws:kms:us-east-1:123456789012:key/k"}
	r.Set("aws:SecureTransport", "true")
	got := p.MissingContext(r)
	if len(got) != 1 || got[0] != "kms:encryptioncontext:app" {
		t.Fatalf("MissingContext = %v, want [kms:encryptioncontext:app]", got)
	}
}
