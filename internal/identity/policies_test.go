package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
)

func TestPoliciesFor(t *testing.T) {
	e := newEnv(t)
	alice, key := e.User("alice")
	_ = alice
	for _, g := range []string{"devs", "ops"} {
		must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: g}))(t, "CreateGroup")
		must(e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: g, UserName: "alice"}))(t, "AddUserToGroup")
		must(e.IAM.PutGroupPolicy(e.Root, &iamapi.PutGroupPolicyRequest{GroupName: g, PolicyName: g + "-inline", PolicyDocument: allow(g + ":Inline")}))(t, "PutGroupPolicy")
	}
	must(e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "alice", PolicyName: "own", PolicyDocument: allow("own:Inline")}))(t, "PutUserPolicy")
	shared := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "Shared", PolicyDocument: allow("shared:V1")}))(t, "CreatePolicy").Policy
	opsOnly := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "OpsOnly", PolicyDocument: allow("ops:Managed")}))(t, "CreatePolicy").Policy
	must(e.IAM.AttachUserPolicy(e.Root, &iamapi.AttachUserPolicyRequest{UserName: "alice", PolicyArn: shared.Arn}))(t, "AttachUserPolicy")
	must(e.IAM.AttachGroupPolicy(e.Root, &iamapi.AttachGroupPolicyRequest{GroupName: "devs", PolicyArn: shared.Arn}))(t, "AttachGroupPolicy")
	must(e.IAM.AttachGroupPolicy(e.Root, &iamapi.AttachGroupPolicyRequest{GroupName: "ops", PolicyArn: opsOnly.Arn}))(t, "AttachGroupPolicy")

	p := must(e.IDs.LookupAccessKey(context.Background(), key.AccessKeyId))(t, "LookupAccessKey").Principal
	docs := must(e.IDs.PoliciesFor(context.Background(), p))(t, "PoliciesFor")
	summary := func(docs []identity.PolicyDoc) string {
		var out []string
		for _, d := range docs {
			src, _, _ := strings.Cut(d.Source, "@")
			out = append(out, src+"="+actionOf(d.Document))
		}
		return strings.Join(out, "\n")
	}
	want := strings.Join([]string{
		"arn:aws:iam::123456789012:user/alice#own=own:Inline",
		"arn:aws:iam::123456789012:policy/Shared?v1=shared:V1",
		"arn:aws:iam::123456789012:group/devs#devs-inline=devs:Inline",
		"arn:aws:iam::123456789012:group/ops#ops-inline=ops:Inline",
		"arn:aws:iam::123456789012:policy/OpsOnly?v1=ops:Managed",
	}, "\n")
	if got := summary(docs); got != want {
		t.Fatalf("PoliciesFor(alice) =\n%s\nwant\n%s", got, want)
	}
	for _, d := range docs {
		if !strings.Contains(d.Source, "@") || len(d.Source[strings.LastIndexByte(d.Source, '@')+1:]) != 16 {
			t.Errorf("Source %q lacks its document hash", d.Source)
		}
	}

	// A new default version replaces the old one, under a new source.
	must(e.IAM.CreatePolicyVersion(e.Root, &iamapi.CreatePolicyVersionRequest{PolicyArn: shared.Arn, PolicyDocument: allow("shared:V2"), SetAsDefault: true}))(t, "CreatePolicyVersion")
	docs2 := must(e.IDs.PoliciesFor(context.Background(), p))(t, "PoliciesFor after v2")
	if got := summary(docs2); !strings.Contains(got, "policy/Shared?v2=shared:V2") || strings.Contains(got, "shared:V1") {
		t.Errorf("PoliciesFor after a new default version =\n%s", got)
	}
	// Leaving a group drops its policies.
	must(e.IAM.RemoveUserFromGroup(e.Root, &iamapi.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "RemoveUserFromGroup")
	if got := summary(must(e.IDs.PoliciesFor(context.Background(), p))(t, "PoliciesFor")); strings.Contains(got, "ops") {
		t.Errorf("PoliciesFor after leaving ops =\n%s", got)
	}

	// Root has none; a role session has the role's.
	if d := must(e.IDs.PoliciesFor(context.Background(), e.IDs.RootPrincipal("")))(t, "PoliciesFor(root)"); len(d) != 0 {
		t.Errorf("PoliciesFor(root) = %v, want none", d)
	}
	e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.IAM.PutRolePolicy(e.Root, &iamapi.PutRolePolicyRequest{RoleName: "app", PolicyName: "r", PolicyDocument: allow("role:Inline")}))(t, "PutRolePolicy")
	must(e.IAM.AttachRolePolicy(e.Root, &iamapi.AttachRolePolicyRequest{RoleName: "app", PolicyArn: opsOnly.Arn}))(t, "AttachRolePolicy")
	creds := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/app", RoleSessionName: "s1"}))(t, "AssumeRole").Credentials
	rp := must(e.IDs.LookupAccessKey(context.Background(), creds.AccessKeyId))(t, "LookupAccessKey(session)").Principal
	if got := summary(must(e.IDs.PoliciesFor(context.Background(), rp))(t, "PoliciesFor(role)")); got !=
		"arn:aws:iam::123456789012:role/app#r=role:Inline\narn:aws:iam::123456789012:policy/OpsOnly?v1=ops:Managed" {
		t.Errorf("PoliciesFor(role session) =\n%s", got)
	}
	if d := must(e.IDs.SessionPolicies(context.Background(), creds.AccessKeyId))(t, "SessionPolicies"); d != nil {
		t.Errorf("SessionPolicies without session policies = %v, want none", d)
	}
}

func TestPrincipalByARN(t *testing.T) {
	e := newEnv(t)
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice", Path: "/dev/"}))(t, "CreateUser")
	role := e.Role("app", trustFor("arn:aws:iam::123456789012:user/dev/alice"), 0)
	for _, c := range []struct {
		arn  string
		ok   bool
		want sealbox.Principal
	}{
		{"arn:aws:iam::123456789012:user/dev/alice", true, sealbox.Principal{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/dev/alice", UserName: "alice"}},
		{"arn:aws:iam::123456789012:user/alice", false, sealbox.Principal{}},
		{"arn:aws:iam::123456789012:role/app", true, sealbox.Principal{Type: "AssumedRole", ARN: role.Arn, RoleARN: role.Arn, PrincipalID: role.RoleId}},
		{"arn:aws:sts::123456789012:assumed-role/app/sess", true, sealbox.Principal{Type: "AssumedRole", ARN: "arn:aws:sts::123456789012:assumed-role/app/sess", RoleARN: role.Arn, SessionName: "sess", PrincipalID: role.RoleId + ":sess"}},
		{"arn:aws:iam::123456789012:root", true, sealbox.Principal{Type: "Root", ARN: "arn:aws:iam::123456789012:root", PrincipalID: account}},
		{"arn:aws:iam::999999999999:user/dev/alice", false, sealbox.Principal{}},
		{"not an arn", false, sealbox.Principal{}},
	} {
		p, ok, err := e.IDs.Principal(context.Background(), c.arn)
		if err != nil || ok != c.ok {
			t.Errorf("Principal(%s) = %v, %v; want ok %v", c.arn, ok, err, c.ok)
			continue
		}
		if !ok {
			continue
		}
		if p.Type != c.want.Type || p.ARN != c.want.ARN || p.UserName != c.want.UserName || p.RoleARN != c.want.RoleARN ||
			p.SessionName != c.want.SessionName || (c.want.PrincipalID != "" && p.PrincipalID != c.want.PrincipalID) {
			t.Errorf("Principal(%s) = %+v, want %+v", c.arn, p, c.want)
		}
	}
}

// actionOf returns the first action of a document made by allow().
func actionOf(doc string) string {
	i := strings.Index(doc, `"Action":["`)
	if i < 0 {
		return "?"
	}
	rest := doc[i+len(`"Action":["`):]
	return rest[:strings.IndexByte(rest, '"')]
}
