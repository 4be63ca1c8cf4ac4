package identity_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
)

func TestInlinePolicies(t *testing.T) {
	e := newEnv(t)
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	e.role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}"

	type ops struct {
		kind   string
		put    func(name, doc string) error
		get    func(name string) (string, error)
		list   func(marker string, max int) (*identity.ListUserPoliciesResponse, error)
		delete func(name string) error
	}
	all := []ops{
		{"user",
			func(n, d string) error {
				_, err := e.iam.PutUserPolicy(e.root, &identity.PutUserPolicyRequest{UserName: "alice", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.iam.GetUserPolicy(e.root, &identity.GetUserPolicyRequest{UserName: "alice", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*identity.ListUserPoliciesResponse, error) {
				return e.iam.ListUserPolicies(e.root, &identity.ListUserPoliciesRequest{UserName: "alice", Marker: m, MaxItems: int32(max)})
			},
			func(n string) error {
				_, err := e.iam.DeleteUserPolicy(e.root, &identity.DeleteUserPolicyRequest{UserName: "alice", PolicyName: n})
				return err
			}},
		{"role",
			func(n, d string) error {
				_, err := e.iam.PutRolePolicy(e.root, &identity.PutRolePolicyRequest{RoleName: "r", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.iam.GetRolePolicy(e.root, &identity.GetRolePolicyRequest{RoleName: "r", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*identity.ListUserPoliciesResponse, error) {
				out, err := e.iam.ListRolePolicies(e.root, &identity.ListRolePoliciesRequest{RoleName: "r", Marker: m, MaxItems: int32(max)})
				return (*identity.ListUserPoliciesResponse)(out), err
			},
			func(n string) error {
				_, err := e.iam.DeleteRolePolicy(e.root, &identity.DeleteRolePolicyRequest{RoleName: "r", PolicyName: n})
				return err
			}},
		{"group",
			func(n, d string) error {
				_, err := e.iam.PutGroupPolicy(e.root, &identity.PutGroupPolicyRequest{GroupName: "g", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.iam.GetGroupPolicy(e.root, &identity.GetGroupPolicyRequest{GroupName: "g", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*identity.ListUserPoliciesResponse, error) {
				out, err := e.iam.ListGroupPolicies(e.root, &identity.ListGroupPoliciesRequest{GroupName: "g", Marker: m, MaxItems: int32(max)})
				return (*identity.ListUserPoliciesResponse)(out), err
			},
			func(n string) error {
				_, err := e.iam.DeleteGroupPolicy(e.root, &identity.DeleteGroupPolicyRequest{GroupName: "g", PolicyName: n})
				return err
			}},
	}
	for _, o := range all {
		t.Run(o.kind, func(t *testing.T) {
			for _, n := range []string{"b", "a", "c"} {
				if err := o.put(n, doc); err != nil {
					t.Fatalf("Put%sPolicy(%s): %v", o.kind, n, err)
				}
			}
			got, err := o.get("a")
			if err != nil {
				t.Fatalf("Get%sPolicy(a): %v", o.kind, err)
			}
			if !strings.HasPrefix(got, "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22") || decode(t, got) != doc {
				t.Errorf("Get%sPolicy(a) = %q, want the document percent-encoded as IAM does", o.kind, got)
			}
			p1, err := o.list("", 2)
			if err != nil {
				t.Fatal(err)
			}
			p2, err := o.list(p1.Marker, 2)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(p1.PolicyNames, ",") != "a,b" || !p1.IsTruncated || strings.Join(p2.PolicyNames, ",") != "c" || p2.IsTruncated {
				t.Errorf("List%sPolicies pages = %+v, %+v", o.kind, p1, p2)
			}
			if err := o.delete("b"); err != nil {
				t.Fatalf("Delete%sPolicy(b): %v", o.kind, err)
			}
			_, err = o.get("b")
			wantErr(t, "Get after delete", err, "NoSuchEntity", fmt.Sprintf("The %s policy with name b cannot be found.", o.kind))
			wantErr(t, "Delete again", o.delete("b"), "NoSuchEntity", fmt.Sprintf("The %s policy with name b cannot be found.", o.kind))
			wantErr(t, "Put malformed", o.put("x", `{"Version":"2012-10-17"}`), "MalformedPolicyDocument", "")
			wantErr(t, "Put with a principal", o.put("x", trustFor("arn:aws:iam::123456789012:root")), "MalformedPolicyDocument", "")
		})
	}

	// The size quota counts every inline policy of the entity.
	big := allow(strings.Repeat("s3:GetObject", 150))
	_, err := e.iam.PutUserPolicy(e.root, &identity.PutUserPolicyRequest{UserName: "alice", PolicyName: "big", PolicyDocument: big})
	wantErr(t, "PutUserPolicy(big)", err, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user alice")
	_, err = e.iam.PutUserPolicy(e.root, &identity.PutUserPolicyRequest{UserName: "nobody", PolicyName: "p", PolicyDocument: doc})
	wantErr(t, "PutUserPolicy(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = e.iam.GetGroupPolicy(e.root, &identity.GetGroupPolicyRequest{GroupName: "nogroup", PolicyName: "p"})
	wantErr(t, "GetGroupPolicy(nogroup)", err, "NoSuchEntity", "The group with name nogroup cannot be found.")
}

func TestManagedPolicies(t *testing.T) {
	e := newEnv(t)
	doc1, doc2 := allow("kms:Decrypt"), allow("kms:Decrypt", "kms:Encrypt")
	p := must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "KeyUse", Path: "/app/", PolicyDocument: doc1, Description: "use keys"}))(t, "CreatePolicy").Policy
	if !uniqueIDPattern.MatchString(p.PolicyId) || !hasPrefix(p.PolicyId, "ANPA") || p.Arn != "arn:aws:iam::123456789012:policy/app/KeyUse" ||
		p.DefaultVersionId != "v1" || p.AttachmentCount != 0 || !p.IsAttachable || p.Path != "/app/" {
		t.Errorf("CreatePolicy = %+v", p)
	}
	_, err := e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "keyuse", PolicyDocument: doc1})
	wantErr(t, "CreatePolicy(keyuse)", err, "EntityAlreadyExists", "A policy called keyuse already exists. Duplicate names are not allowed.")
	_, err = e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "m", PolicyDocument: "[]"})
	wantErr(t, "CreatePolicy(malformed)", err, "MalformedPolicyDocument", "")
	_, err = e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "huge", PolicyDocument: allow(strings.Repeat("a", 6200))})
	wantErr(t, "CreatePolicy(huge)", err, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")

	_, err = e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: "arn:aws:iam::123456789012:policy/KeyUse"})
	wantErr(t, "GetPolicy(wrong path)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/KeyUse was not found.")
	_, err = e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: "arn:aws:iam::123456789012:user/KeyUse"})
	wantErr(t, "GetPolicy(user ARN)", err, "InvalidInput", "ARN arn:aws:iam::123456789012:user/KeyUse is not valid.")

	v := must(e.iam.GetPolicyVersion(e.root, &identity.GetPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v1"}))(t, "GetPolicyVersion").PolicyVersion
	if !v.IsDefaultVersion || decode(t, v.Document) != doc1 {
		t.Errorf("GetPolicyVersion(v1) = %+v", v)
	}
	_, err = e.iam.GetPolicyVersion(e.root, &identity.GetPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v7"})
	wantErr(t, "GetPolicyVersion(v7)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/app/KeyUse version v7 does not exist or is not attachable.")

	v2 := must(e.iam.CreatePolicyVersion(e.root, &identity.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2}))(t, "CreatePolicyVersion").PolicyVersion
	if v2.VersionId != "v2" || v2.IsDefaultVersion || v2.Document != "" {
		t.Errorf("CreatePolicyVersion = %+v", v2)
	}
	for i := 3; i <= 5; i++ {
		v := must(e.iam.CreatePolicyVersion(e.root, &identity.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2, SetAsDefault: i == 5}))(t, "CreatePolicyVersion").PolicyVersion
		if v.VersionId != fmt.Sprintf("v%d", i) || v.IsDefaultVersion != (i == 5) {
			t.Errorf("CreatePolicyVersion %d = %+v", i, v)
		}
	}
	_, err = e.iam.CreatePolicyVersion(e.root, &identity.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2})
	wantErr(t, "sixth version", err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	got := must(e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: p.Arn}))(t, "GetPolicy").Policy
	if got.DefaultVersionId != "v5" || got.Description != "use keys" {
		t.Errorf("GetPolicy = %+v", got)
	}
	_, err = e.iam.DeletePolicyVersion(e.root, &identity.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v5"})
	wantErr(t, "DeletePolicyVersion(default)", err, "DeleteConflict", "Cannot delete the default version of a policy.")
	must(e.iam.DeletePolicyVersion(e.root, &identity.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v2"}))(t, "DeletePolicyVersion(v2)")
	v6 := must(e.iam.CreatePolicyVersion(e.root, &identity.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc1}))(t, "CreatePolicyVersion").PolicyVersion
	if v6.VersionId != "v6" {
		t.Errorf("version after a deletion = %s, want v6 (ids are never reused)", v6.VersionId)
	}
	vs := must(e.iam.ListPolicyVersions(e.root, &identity.ListPolicyVersionsRequest{PolicyArn: p.Arn}))(t, "ListPolicyVersions")
	var ids []string
	for _, v := range vs.Versions {
		ids = append(ids, v.VersionId)
	}
	if strings.Join(ids, ",") != "v1,v3,v4,v5,v6" {
		t.Errorf("ListPolicyVersions = %v", ids)
	}
	must(e.iam.SetDefaultPolicyVersion(e.root, &identity.SetDefaultPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v1"}))(t, "SetDefaultPolicyVersion")

	// Attachments, on each kind, counted.
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	e.role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	must(e.iam.AttachUserPolicy(e.root, &identity.AttachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "AttachUserPolicy")
	must(e.iam.AttachUserPolicy(e.root, &identity.AttachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "AttachUserPolicy again")
	must(e.iam.AttachRolePolicy(e.root, &identity.AttachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn}))(t, "AttachRolePolicy")
	must(e.iam.AttachGroupPolicy(e.root, &identity.AttachGroupPolicyRequest{GroupName: "g", PolicyArn: p.Arn}))(t, "AttachGroupPolicy")
	must(e.iam.AttachRolePolicy(e.root, &identity.AttachRolePolicyRequest{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "AttachRolePolicy(AWS)")
	if n := must(e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: p.Arn}))(t, "GetPolicy").Policy.AttachmentCount; n != 3 {
		t.Errorf("AttachmentCount = %d, want 3", n)
	}
	la := must(e.iam.ListAttachedRolePolicies(e.root, &identity.ListAttachedRolePoliciesRequest{RoleName: "r"}))(t, "ListAttachedRolePolicies")
	if len(la.AttachedPolicies) != 2 || la.AttachedPolicies[0].PolicyName != "KeyUse" || la.AttachedPolicies[1].PolicyName != "AdministratorAccess" {
		t.Errorf("ListAttachedRolePolicies = %+v", la)
	}
	la = must(e.iam.ListAttachedRolePolicies(e.root, &identity.ListAttachedRolePoliciesRequest{RoleName: "r", PathPrefix: "/app/"}))(t, "ListAttachedRolePolicies(/app/)")
	if len(la.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedRolePolicies(/app/) = %+v", la)
	}
	lu := must(e.iam.ListAttachedUserPolicies(e.root, &identity.ListAttachedUserPoliciesRequest{UserName: "alice"}))(t, "ListAttachedUserPolicies")
	lg := must(e.iam.ListAttachedGroupPolicies(e.root, &identity.ListAttachedGroupPoliciesRequest{GroupName: "g"}))(t, "ListAttachedGroupPolicies")
	if len(lu.AttachedPolicies) != 1 || len(lg.AttachedPolicies) != 1 || lu.AttachedPolicies[0].PolicyArn != p.Arn {
		t.Errorf("ListAttached user %+v group %+v", lu, lg)
	}

	_, err = e.iam.AttachUserPolicy(e.root, &identity.AttachUserPolicyRequest{UserName: "alice", PolicyArn: "arn:aws:iam::123456789012:policy/nope"})
	wantErr(t, "AttachUserPolicy(nope)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.")
	_, err = e.iam.DetachGroupPolicy(e.root, &identity.DetachGroupPolicyRequest{GroupName: "g", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, "DetachGroupPolicy(not attached)", err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/AdministratorAccess was not found.")
	_, err = e.iam.DeletePolicy(e.root, &identity.DeletePolicyRequest{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, "DeletePolicy(AWS managed)", err, "AccessDenied", "")

	// ListPolicies by scope.
	must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "Unused", PolicyDocument: doc1}))(t, "CreatePolicy")
	names := func(in *identity.ListPoliciesRequest) string {
		out := must(e.iam.ListPolicies(e.root, in))(t, "ListPolicies")
		var n []string
		for _, p := range out.Policies {
			n = append(n, fmt.Sprintf("%s:%d", p.PolicyName, p.AttachmentCount))
		}
		return strings.Join(n, ",")
	}
	for _, c := range []struct {
		in   identity.ListPoliciesRequest
		want string
	}{
		// AdministratorAccess: the admin user's, and one attached above.
		{identity.ListPoliciesRequest{OnlyAttached: true}, "AdministratorAccess:2,KeyUse:3"},
		{identity.ListPoliciesRequest{Scope: "Local"}, "KeyUse:3,Unused:0"},
		{identity.ListPoliciesRequest{Scope: "AWS", OnlyAttached: true}, "AdministratorAccess:2"},
		{identity.ListPoliciesRequest{Scope: "Local", OnlyAttached: true}, "KeyUse:3"},
		{identity.ListPoliciesRequest{PathPrefix: "/app/"}, "KeyUse:3"},
	} {
		if got := names(&c.in); got != c.want {
			t.Errorf("ListPolicies(%+v) = %s, want %s", c.in, got, c.want)
		}
	}
	pg := must(e.iam.ListPolicies(e.root, &identity.ListPoliciesRequest{Scope: "Local", MaxItems: 1}))(t, "ListPolicies page 1")
	pg2 := must(e.iam.ListPolicies(e.root, &identity.ListPoliciesRequest{Scope: "Local", MaxItems: 1, Marker: pg.Marker}))(t, "ListPolicies page 2")
	if len(pg.Policies) != 1 || !pg.IsTruncated || len(pg2.Policies) != 1 || pg2.Policies[0].PolicyName != "Unused" {
		t.Errorf("ListPolicies pages = %+v / %+v", pg, pg2)
	}

	// DeletePolicy: attached, then extra versions, then it goes.
	_, err = e.iam.DeletePolicy(e.root, &identity.DeletePolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "DeletePolicy(attached)", err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	must(e.iam.DetachUserPolicy(e.root, &identity.DetachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "DetachUserPolicy")
	must(e.iam.DetachRolePolicy(e.root, &identity.DetachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn}))(t, "DetachRolePolicy")
	must(e.iam.DetachGroupPolicy(e.root, &identity.DetachGroupPolicyRequest{GroupName: "g", PolicyArn: p.Arn}))(t, "DetachGroupPolicy")
	_, err = e.iam.DeletePolicy(e.root, &identity.DeletePolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "DeletePolicy(versions)", err, "DeleteConflict",
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, v := range []string{"v3", "v4", "v5", "v6"} {
		must(e.iam.DeletePolicyVersion(e.root, &identity.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: v}))(t, "DeletePolicyVersion")
	}
	must(e.iam.DeletePolicy(e.root, &identity.DeletePolicyRequest{PolicyArn: p.Arn}))(t, "DeletePolicy")
	_, err = e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "GetPolicy(deleted)", err, "NoSuchEntity", "")
}

func TestAttachQuota(t *testing.T) {
	e := newEnv(t)
	e.role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	for i := range 11 {
		p := must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: fmt.Sprintf("p%d", i), PolicyDocument: allow("s3:*")}))(t, "CreatePolicy").Policy
		_, err := e.iam.AttachRolePolicy(e.root, &identity.AttachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn})
		if i < 10 && err != nil {
			t.Fatalf("AttachRolePolicy %d: %v", i, err)
		}
		if i == 10 {
			wantErr(t, "eleventh AttachRolePolicy", err, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
		}
	}
}

func TestPoliciesFor(t *testing.T) {
	e := newEnv(t)
	alice, key := e.user("alice")
	_ = alice
	for _, g := range []string{"devs", "ops"} {
		must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: g}))(t, "CreateGroup")
		must(e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: g, UserName: "alice"}))(t, "AddUserToGroup")
		must(e.iam.PutGroupPolicy(e.root, &identity.PutGroupPolicyRequest{GroupName: g, PolicyName: g + "-inline", PolicyDocument: allow(g + ":Inline")}))(t, "PutGroupPolicy")
	}
	must(e.iam.PutUserPolicy(e.root, &identity.PutUserPolicyRequest{UserName: "alice", PolicyName: "own", PolicyDocument: allow("own:Inline")}))(t, "PutUserPolicy")
	shared := must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "Shared", PolicyDocument: allow("shared:V1")}))(t, "CreatePolicy").Policy
	opsOnly := must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "OpsOnly", PolicyDocument: allow("ops:Managed")}))(t, "CreatePolicy").Policy
	must(e.iam.AttachUserPolicy(e.root, &identity.AttachUserPolicyRequest{UserName: "alice", PolicyArn: shared.Arn}))(t, "AttachUserPolicy")
	must(e.iam.AttachGroupPolicy(e.root, &identity.AttachGroupPolicyRequest{GroupName: "devs", PolicyArn: shared.Arn}))(t, "AttachGroupPolicy")
	must(e.iam.AttachGroupPolicy(e.root, &identity.AttachGroupPolicyRequest{GroupName: "ops", PolicyArn: opsOnly.Arn}))(t, "AttachGroupPolicy")

	p := must(e.ids.LookupAccessKey(context.Background(), key.AccessKeyId))(t, "LookupAccessKey").Principal
	docs := must(e.ids.PoliciesFor(context.Background(), p))(t, "PoliciesFor")
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
	must(e.iam.CreatePolicyVersion(e.root, &identity.CreatePolicyVersionRequest{PolicyArn: shared.Arn, PolicyDocument: allow("shared:V2"), SetAsDefault: true}))(t, "CreatePolicyVersion")
	docs2 := must(e.ids.PoliciesFor(context.Background(), p))(t, "PoliciesFor after v2")
	if got := summary(docs2); !strings.Contains(got, "policy/Shared?v2=shared:V2") || strings.Contains(got, "shared:V1") {
		t.Errorf("PoliciesFor after a new default version =\n%s", got)
	}
	// Leaving a group drops its policies.
	must(e.iam.RemoveUserFromGroup(e.root, &identity.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "RemoveUserFromGroup")
	if got := summary(must(e.ids.PoliciesFor(context.Background(), p))(t, "PoliciesFor")); strings.Contains(got, "ops") {
		t.Errorf("PoliciesFor after leaving ops =\n%s", got)
	}

	// Root has none; a role session has the role's.
	if d := must(e.ids.PoliciesFor(context.Background(), e.ids.RootPrincipal("")))(t, "PoliciesFor(root)"); len(d) != 0 {
		t.Errorf("PoliciesFor(root) = %v, want none", d)
	}
	e.role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.iam.PutRolePolicy(e.root, &identity.PutRolePolicyRequest{RoleName: "app", PolicyName: "r", PolicyDocument: allow("role:Inline")}))(t, "PutRolePolicy")
	must(e.iam.AttachRolePolicy(e.root, &identity.AttachRolePolicyRequest{RoleName: "app", PolicyArn: opsOnly.Arn}))(t, "AttachRolePolicy")
	creds := must(e.sts.AssumeRole(alice, &identity.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/app", RoleSessionName: "s1"}))(t, "AssumeRole").Credentials
	rp := must(e.ids.LookupAccessKey(context.Background(), creds.AccessKeyId))(t, "LookupAccessKey(session)").Principal
	if got := summary(must(e.ids.PoliciesFor(context.Background(), rp))(t, "PoliciesFor(role)")); got !=
		"arn:aws:iam::123456789012:role/app#r=role:Inline\narn:aws:iam::123456789012:policy/OpsOnly?v1=ops:Managed" {
		t.Errorf("PoliciesFor(role session) =\n%s", got)
	}
	if d := must(e.ids.SessionPolicies(context.Background(), creds.AccessKeyId))(t, "SessionPolicies"); d != nil {
		t.Errorf("SessionPolicies without session policies = %v, want none", d)
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

func TestPrincipalByARN(t *testing.T) {
	e := newEnv(t)
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice", Path: "/dev/"}))(t, "CreateUser")
	role := e.role("app", trustFor("arn:aws:iam::123456789012:user/dev/alice"), 0)
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
		p, ok, err := e.ids.Principal(context.Background(), c.arn)
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
