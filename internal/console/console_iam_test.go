//go:build !fuzzbinary

package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

const (
	// execTrust lets Lambda and the account assume the role exec.
	execTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	// execPolicy allows kms:Decrypt under one encryption context and
	// denies key deletion.
	execPolicy = `{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:app":"billing"}}},
		{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`
)

// iamFixture makes the user alice (an access key, in the group devs, with
// IAMReadOnlyAccess attached and an inline policy), the group devs (an
// inline policy), a managed policy of the account, and the role exec
// (trusting Lambda, with execPolicy inline as "decrypt"). It returns
// alice's key.
func iamFixture(t *testing.T, s *sealtest.Server) aws.Credentials {
	t.Helper()
	ctx := context.Background()
	c := s.IAM()
	alice := s.NewUser(t, "alice", "iam:GetUser")
	sealtest.Must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("devs")}))
	sealtest.Must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("devs"), UserName: aws.String("alice")}))
	sealtest.Must[*iam.PutGroupPolicyOutput](t, "PutGroupPolicy")(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("devs"),
		PolicyName: aws.String("read-params"), PolicyDocument: aws.String(sealtest.Allow("ssm:GetParameter"))}))
	sealtest.Must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("alice"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/IAMReadOnlyAccess")}))
	sealtest.Must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("deployers"),
		Description: aws.String("what deploys may do"), PolicyDocument: aws.String(sealtest.Allow("lambda:UpdateFunctionCode"))}))
	sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("exec"),
		Description: aws.String("runs billing"), AssumeRolePolicyDocument: aws.String(execTrust)}))
	sealtest.Must[*iam.PutRolePolicyOutput](t, "PutRolePolicy")(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("exec"),
		PolicyName: aws.String("decrypt"), PolicyDocument: aws.String(execPolicy)}))
	return alice
}

// TestIAMPagesShowEntitiesButNoSecrets: the lists and each user's, group's,
// role's and policy's page show what IAM answers (groups, members,
// policies, a trust policy and documents pretty-printed, access keys' ids
// and status), and no page holds any access key's secret.
func TestIAMPagesShowEntitiesButNoSecrets(t *testing.T) {
	s := sealtest.Start(t)
	alice := iamFixture(t, s)
	second := sealtest.Must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(s.IAM().CreateAccessKey(context.Background(), &iam.CreateAccessKeyInput{UserName: aws.String("alice")}))
	sealtest.Must[*iam.UpdateAccessKeyOutput](t, "UpdateAccessKey")(s.IAM().UpdateAccessKey(context.Background(), &iam.UpdateAccessKeyInput{UserName: aws.String("alice"),
		AccessKeyId: second.AccessKey.AccessKeyId, Status: iamtypes.StatusTypeInactive}))
	secrets := []string{alice.SecretAccessKey, *second.AccessKey.SecretAccessKey, sealtest.SecretAccessKey}

	b := newBrowser(t, s)
	b.signIn(admin())
	if code, loc, _ := b.do("GET", "/console/iam", nil); code != http.StatusSeeOther || loc != "/console/iam/users" {
		t.Fatalf("/console/iam: %d to %q", code, loc)
	}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/console/iam/users", []string{`href="/console/iam/users/alice"`, "arn:aws:iam::123456789012:user/admin", `aria-current="page">Users`}},
		{"/console/iam/users/alice", []string{`href="/console/iam/groups/devs"`, "IAMReadOnlyAccess", "<h3>p</h3>", "&#34;iam:GetUser&#34;",
			alice.AccessKeyID, *second.AccessKey.AccessKeyId, "<td>Active</td>", "<td>Inactive</td>"}},
		{"/console/iam/groups", []string{`href="/console/iam/groups/devs"`}},
		{"/console/iam/groups/devs", []string{`href="/console/iam/users/alice"`, "<h3>read-params</h3>", "ssm:GetParameter"}},
		{"/console/iam/roles", []string{`href="/console/iam/roles/exec"`, "runs billing"}},
		// The trust policy, URL-encoded by IAM, decoded and indented.
		{"/console/iam/roles/exec", []string{"<h2>Trust policy</h2>", "\n      &#34;Principal&#34;: {\n        &#34;Service&#34;: &#34;lambda.amazonaws.com&#34;",
			"<h3>decrypt</h3>", "kms:EncryptionContext:app"}},
		{"/console/iam/policies", []string{`href="/console/iam/policy?arn=arn%3aaws%3aiam%3a%3a123456789012%3apolicy%2fdeployers"`, "<strong>Your policies</strong>"}},
		{"/console/iam/policies?scope=AWS", []string{"AdministratorAccess", "IAMReadOnlyAccess", "<strong>AWS managed policies</strong>"}},
		{"/console/iam/policy?arn=" + url.QueryEscape("arn:aws:iam::123456789012:policy/deployers"), []string{"<h2>Document (default version)</h2>", "lambda:UpdateFunctionCode", "what deploys may do", "<dt>Default version</dt><dd>v1</dd>"}},
		{"/console/iam/policy?arn=" + url.QueryEscape("arn:aws:iam::aws:policy/IAMReadOnlyAccess"), []string{"iam:Get*", "iam:List*"}},
		{"/console/iam/simulate?principal=" + url.QueryEscape("arn:aws:iam::123456789012:user/alice") + "&actions=iam:GetUser", []string{"allowed"}},
	} {
		code, body := b.get(tc.path)
		if code != 200 {
			t.Fatalf("%s: %d\n%s", tc.path, code, body)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %q", tc.path, w)
			}
		}
		for _, secret := range secrets {
			if strings.Contains(body, secret) {
				t.Errorf("%s shows an access key's secret", tc.path)
			}
		}
		if t.Failed() {
			t.Fatalf("%s:\n%s", tc.path, body)
		}
	}
}

// TestIAMListsPaginate: a list shows 50 rows and a link to the next page
// with IAM's marker, which shows the rest.
func TestIAMListsPaginate(t *testing.T) {
	s := sealtest.Start(t)
	ctx := context.Background()
	for i := range 52 {
		sealtest.Must[*iam.CreateUserOutput](t, "CreateUser")(s.IAM().CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(fmt.Sprintf("u%02d", i))}))
	}
	b := newBrowser(t, s)
	b.signIn(admin())
	row := regexp.MustCompile(`href="/console/iam/users/[^"]+"`)
	code, body := b.get("/console/iam/users")
	next := regexp.MustCompile(`href="(/console/iam/users\?marker=[^"]+)">Next page`).FindStringSubmatch(body)
	if code != 200 || len(row.FindAllString(body, -1)) != 50 || next == nil {
		t.Fatalf("first page: %d, %d rows, next %v", code, len(row.FindAllString(body, -1)), next)
	}
	code, body = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if n := len(row.FindAllString(body, -1)); code != 200 || n != 3 || strings.Contains(body, "Next page") {
		t.Fatalf("second page: %d, %d rows (53 users in all)\n%s", code, n, body)
	}
}

// simRow is one result row of the simulator's page.
var simRow = regexp.MustCompile(`<td>([^<]*)</td><td>([^<]*)</td>\s*<td><span class="decision \w+">(\w+)</span></td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>`)

// TestSimulatorAsSDK: the simulator's decisions are SimulatePrincipalPolicy's
// through the SDK, for an allowed, an implicitly and an explicitly denied
// action, with the matched statement's policy, where it is written (lines
// and columns, as the SDK has them and as counted by hand) and the missing
// context values; a typed ARN and context entries are sent as given.
func TestSimulatorAsSDK(t *testing.T) {
	s := sealtest.Start(t)
	iamFixture(t, s)
	roleARN := "arn:aws:iam::123456789012:role/exec"
	actions := []string{"kms:Decrypt", "kms:Encrypt", "kms:ScheduleKeyDeletion"}
	b := newBrowser(t, s)
	b.signIn(admin())

	code, body := b.get("/console/iam/simulate")
	if code != 200 || !strings.Contains(body, "<option>"+roleARN+"</option>") || !strings.Contains(body, "<option>arn:aws:iam::123456789012:user/alice</option>") || strings.Contains(body, "Results for") {
		t.Fatalf("the empty simulator: %d\n%s", code, body)
	}

	for _, tc := range []struct {
		name    string
		query   url.Values
		entries []iamtypes.ContextEntry
		decrypt string // kms:Decrypt's decision
	}{
		{"no context", url.Values{"principal": {roleARN}}, nil, "implicitDeny"},
		{"with context, typed ARN", url.Values{"principal": {""}, "arn": {roleARN}, "ck": {"kms:EncryptionContext:app", ""}, "ct": {"string", "string"}, "cv": {"billing", ""}},
			[]iamtypes.ContextEntry{{ContextKeyName: aws.String("kms:EncryptionContext:app"), ContextKeyType: iamtypes.ContextKeyTypeEnumString, ContextKeyValues: []string{"billing"}}}, "allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sdk := sealtest.Must[*iam.SimulatePrincipalPolicyOutput](t, "SimulatePrincipalPolicy")(s.IAM().SimulatePrincipalPolicy(context.Background(), &iam.SimulatePrincipalPolicyInput{
				PolicySourceArn: aws.String(roleARN), ActionNames: actions, ContextEntries: tc.entries}))
			q := tc.query
			q.Set("actions", strings.Join(actions, "\n"))
			code, body := b.get("/console/iam/simulate?" + q.Encode())
			rows := simRow.FindAllStringSubmatch(body, -1)
			if code != 200 || len(rows) != len(sdk.EvaluationResults) || !strings.Contains(body, "Results for "+roleARN) {
				t.Fatalf("%d, %d rows, want %d:\n%s", code, len(rows), len(sdk.EvaluationResults), body)
			}
			for i, r := range sdk.EvaluationResults {
				got := rows[i]
				if got[1] != *r.EvalActionName || got[2] != *r.EvalResourceName || got[3] != string(r.EvalDecision) {
					t.Errorf("row %d: %s on %s %s; the SDK: %s on %s %s", i, got[1], got[2], got[3], *r.EvalActionName, *r.EvalResourceName, r.EvalDecision)
				}
				for _, m := range r.MatchedStatements {
					if m.StartPosition == nil || m.EndPosition == nil {
						t.Fatalf("row %d: the SDK's matched statement has no position: %+v", i, m)
					}
					want := fmt.Sprintf("%s (%s), line %d column %d to line %d column %d", *m.SourcePolicyId, m.SourcePolicyType,
						m.StartPosition.Line, m.StartPosition.Column, m.EndPosition.Line, m.EndPosition.Column)
					if !strings.Contains(got[4], want) {
						t.Errorf("row %d names %q, want the statement %s", i, got[4], want)
					}
				}
				for _, k := range r.MissingContextValues {
					if !strings.Contains(got[5], k) {
						t.Errorf("row %d's missing context %q lacks %s", i, got[5], k)
					}
				}
			}
			// Where execPolicy's statements are, counted by hand as AWS
			// counts (1-based, just past the token before the statement's
			// {, and just past its }): the allow from just past the [ (line
			// 1, column 37) to its } at line 2 column 127 (after two tabs);
			// the deny from there to its } at line 3 column 69.
			at := map[string]string{
				"kms:Decrypt":             "decrypt (role), line 1 column 38 to line 2 column 128",
				"kms:ScheduleKeyDeletion": "decrypt (role), line 2 column 128 to line 3 column 70",
			}
			for _, r := range rows {
				if r[3] != "implicitDeny" && !strings.Contains(r[4], at[r[1]]) {
					t.Errorf("%s (%s): %q, want %q", r[1], r[3], r[4], at[r[1]])
				}
			}
			want := map[string]string{"kms:Decrypt": tc.decrypt, "kms:Encrypt": "implicitDeny", "kms:ScheduleKeyDeletion": "explicitDeny"}
			for _, r := range rows {
				if want[r[1]] != r[3] {
					t.Errorf("%s: %s, want %s", r[1], r[3], want[r[1]])
				}
				if r[3] != "implicitDeny" && !strings.Contains(r[4], "decrypt (role)") {
					t.Errorf("%s (%s) does not name the role's inline policy decrypt: %q", r[1], r[3], r[4])
				}
			}
			if t.Failed() {
				t.Log(body)
			}
		})
	}
}

// TestFunctionsAndIAMDeniedUser: a user with no permission sees AWS's
// denial on every functions and IAM page, and none of the data.
func TestFunctionsAndIAMDeniedUser(t *testing.T) {
	s := sealtest.Start(t)
	ordersFunction(t, s)
	iamFixture(t, s)
	b := newBrowser(t, s)
	b.signIn(s.NewUser(t, "nobody"))
	for _, tc := range []struct {
		path, code, action string
	}{
		{"/console/functions", "AccessDeniedException", "lambda:ListFunctions"},
		{"/console/functions/orders", "AccessDeniedException", "lambda:GetFunctionConfiguration"},
		{"/console/iam/users", "AccessDenied", "iam:ListUsers"},
		{"/console/iam/users/alice", "AccessDenied", "iam:GetUser"},
		{"/console/iam/groups", "AccessDenied", "iam:ListGroups"},
		{"/console/iam/groups/devs", "AccessDenied", "iam:GetGroup"},
		{"/console/iam/roles", "AccessDenied", "iam:ListRoles"},
		{"/console/iam/roles/exec", "AccessDenied", "iam:GetRole"},
		{"/console/iam/policies", "AccessDenied", "iam:ListPolicies"},
		{"/console/iam/policy?arn=" + url.QueryEscape("arn:aws:iam::123456789012:policy/deployers"), "AccessDenied", "iam:GetPolicy"},
		{"/console/iam/simulate?principal=" + url.QueryEscape("arn:aws:iam::123456789012:role/exec") + "&actions=kms:Decrypt", "AccessDenied", "iam:SimulatePrincipalPolicy"},
	} {
		code, body := b.get(tc.path)
		if code != http.StatusForbidden && code != http.StatusBadRequest {
			t.Errorf("%s: %d, want AWS's denial", tc.path, code)
		}
		if !strings.Contains(body, `<div class="error" role="alert"><strong>`+tc.code+`</strong>`) || !strings.Contains(body, "user/nobody is not authorized to perform: "+tc.action) {
			t.Errorf("%s does not show AWS's denial of %s:\n%s", tc.path, tc.action, body)
		}
		for _, data := range []string{"orders API", "role/orders-exec", "<dt>ARN</dt>", "&#34;Effect&#34;", "what deploys may do", "Results for", "<option>arn:"} {
			if strings.Contains(body, data) {
				t.Errorf("%s shows %q to nobody", tc.path, data)
			}
		}
	}
	// The reveal, too, is the API's denial.
	b.get("/console/iam/users")
	code, _, body := b.post("/console/functions/orders/reveal", nil)
	if code != http.StatusForbidden || !strings.Contains(body, "lambda:GetFunctionConfiguration") || strings.Contains(body, fnSecret) {
		t.Fatalf("reveal as nobody: %d\n%s", code, body)
	}
}
