package iamapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

func TestInlinePolicies(t *testing.T) {
	e := newEnv(t)
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	e.Role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:*\", \"Resource\": \"*\"}]\n}"

	type ops struct {
		kind   string
		put    func(name, doc string) error
		get    func(name string) (string, error)
		list   func(marker string, max int) (*iamapi.ListUserPoliciesResponse, error)
		delete func(name string) error
	}
	all := []ops{
		{"user",
			func(n, d string) error {
				_, err := e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "alice", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.IAM.GetUserPolicy(e.Root, &iamapi.GetUserPolicyRequest{UserName: "alice", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*iamapi.ListUserPoliciesResponse, error) {
				return e.IAM.ListUserPolicies(e.Root, &iamapi.ListUserPoliciesRequest{UserName: "alice", Marker: m, MaxItems: int32(max)})
			},
			func(n string) error {
				_, err := e.IAM.DeleteUserPolicy(e.Root, &iamapi.DeleteUserPolicyRequest{UserName: "alice", PolicyName: n})
				return err
			}},
		{"role",
			func(n, d string) error {
				_, err := e.IAM.PutRolePolicy(e.Root, &iamapi.PutRolePolicyRequest{RoleName: "r", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.IAM.GetRolePolicy(e.Root, &iamapi.GetRolePolicyRequest{RoleName: "r", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*iamapi.ListUserPoliciesResponse, error) {
				out, err := e.IAM.ListRolePolicies(e.Root, &iamapi.ListRolePoliciesRequest{RoleName: "r", Marker: m, MaxItems: int32(max)})
				return (*iamapi.ListUserPoliciesResponse)(out), err
			},
			func(n string) error {
				_, err := e.IAM.DeleteRolePolicy(e.Root, &iamapi.DeleteRolePolicyRequest{RoleName: "r", PolicyName: n})
				return err
			}},
		{"group",
			func(n, d string) error {
				_, err := e.IAM.PutGroupPolicy(e.Root, &iamapi.PutGroupPolicyRequest{GroupName: "g", PolicyName: n, PolicyDocument: d})
				return err
			},
			func(n string) (string, error) {
				out, err := e.IAM.GetGroupPolicy(e.Root, &iamapi.GetGroupPolicyRequest{GroupName: "g", PolicyName: n})
				if err != nil {
					return "", err
				}
				return out.PolicyDocument, nil
			},
			func(m string, max int) (*iamapi.ListUserPoliciesResponse, error) {
				out, err := e.IAM.ListGroupPolicies(e.Root, &iamapi.ListGroupPoliciesRequest{GroupName: "g", Marker: m, MaxItems: int32(max)})
				return (*iamapi.ListUserPoliciesResponse)(out), err
			},
			func(n string) error {
				_, err := e.IAM.DeleteGroupPolicy(e.Root, &iamapi.DeleteGroupPolicyRequest{GroupName: "g", PolicyName: n})
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
	_, err := e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "alice", PolicyName: "big", PolicyDocument: big})
	wantErr(t, "PutUserPolicy(big)", err, "LimitExceeded", "Maximum policy size of 2048 bytes exceeded for user alice")
	_, err = e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "nobody", PolicyName: "p", PolicyDocument: doc})
	wantErr(t, "PutUserPolicy(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")
	_, err = e.IAM.GetGroupPolicy(e.Root, &iamapi.GetGroupPolicyRequest{GroupName: "nogroup", PolicyName: "p"})
	wantErr(t, "GetGroupPolicy(nogroup)", err, "NoSuchEntity", "The group with name nogroup cannot be found.")
}

func TestManagedPolicies(t *testing.T) {
	e := newEnv(t)
	doc1, doc2 := allow("kms:Decrypt"), allow("kms:Decrypt", "kms:Encrypt")
	p := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "KeyUse", Path: "/app/", PolicyDocument: doc1, Description: "use keys"}))(t, "CreatePolicy").Policy
	if !uniqueIDPattern.MatchString(p.PolicyId) || !hasPrefix(p.PolicyId, "ANPA") || p.Arn != "arn:aws:iam::123456789012:policy/app/KeyUse" ||
		p.DefaultVersionId != "v1" || p.AttachmentCount != 0 || !p.IsAttachable || p.Path != "/app/" {
		t.Errorf("CreatePolicy = %+v", p)
	}
	_, err := e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "keyuse", PolicyDocument: doc1})
	wantErr(t, "CreatePolicy(keyuse)", err, "EntityAlreadyExists", "A policy called keyuse already exists. Duplicate names are not allowed.")
	_, err = e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "m", PolicyDocument: "[]"})
	wantErr(t, "CreatePolicy(malformed)", err, "MalformedPolicyDocument", "")
	_, err = e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "huge", PolicyDocument: allow(strings.Repeat("a", 6200))})
	wantErr(t, "CreatePolicy(huge)", err, "LimitExceeded", "Cannot exceed quota for PolicySize: 6144")

	_, err = e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: "arn:aws:iam::123456789012:policy/KeyUse"})
	wantErr(t, "GetPolicy(wrong path)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/KeyUse was not found.")
	_, err = e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: "arn:aws:iam::123456789012:user/KeyUse"})
	wantErr(t, "GetPolicy(user ARN)", err, "InvalidInput", "ARN arn:aws:iam::123456789012:user/KeyUse is not valid.")

	v := must(e.IAM.GetPolicyVersion(e.Root, &iamapi.GetPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v1"}))(t, "GetPolicyVersion").PolicyVersion
	if !v.IsDefaultVersion || decode(t, v.Document) != doc1 {
		t.Errorf("GetPolicyVersion(v1) = %+v", v)
	}
	_, err = e.IAM.GetPolicyVersion(e.Root, &iamapi.GetPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v7"})
	wantErr(t, "GetPolicyVersion(v7)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/app/KeyUse version v7 does not exist or is not attachable.")

	v2 := must(e.IAM.CreatePolicyVersion(e.Root, &iamapi.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2}))(t, "CreatePolicyVersion").PolicyVersion
	if v2.VersionId != "v2" || v2.IsDefaultVersion || v2.Document != "" {
		t.Errorf("CreatePolicyVersion = %+v", v2)
	}
	for i := 3; i <= 5; i++ {
		v := must(e.IAM.CreatePolicyVersion(e.Root, &iamapi.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2, SetAsDefault: i == 5}))(t, "CreatePolicyVersion").PolicyVersion
		if v.VersionId != fmt.Sprintf("v%d", i) || v.IsDefaultVersion != (i == 5) {
			t.Errorf("CreatePolicyVersion %d = %+v", i, v)
		}
	}
	_, err = e.IAM.CreatePolicyVersion(e.Root, &iamapi.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc2})
	wantErr(t, "sixth version", err, "LimitExceeded", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")
	got := must(e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: p.Arn}))(t, "GetPolicy").Policy
	if got.DefaultVersionId != "v5" || got.Description != "use keys" {
		t.Errorf("GetPolicy = %+v", got)
	}
	_, err = e.IAM.DeletePolicyVersion(e.Root, &iamapi.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v5"})
	wantErr(t, "DeletePolicyVersion(default)", err, "DeleteConflict", "Cannot delete the default version of a policy.")
	must(e.IAM.DeletePolicyVersion(e.Root, &iamapi.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v2"}))(t, "DeletePolicyVersion(v2)")
	v6 := must(e.IAM.CreatePolicyVersion(e.Root, &iamapi.CreatePolicyVersionRequest{PolicyArn: p.Arn, PolicyDocument: doc1}))(t, "CreatePolicyVersion").PolicyVersion
	if v6.VersionId != "v6" {
		t.Errorf("version after a deletion = %s, want v6 (ids are never reused)", v6.VersionId)
	}
	vs := must(e.IAM.ListPolicyVersions(e.Root, &iamapi.ListPolicyVersionsRequest{PolicyArn: p.Arn}))(t, "ListPolicyVersions")
	var ids []string
	for _, v := range vs.Versions {
		ids = append(ids, v.VersionId)
	}
	if strings.Join(ids, ",") != "v1,v3,v4,v5,v6" {
		t.Errorf("ListPolicyVersions = %v", ids)
	}
	must(e.IAM.SetDefaultPolicyVersion(e.Root, &iamapi.SetDefaultPolicyVersionRequest{PolicyArn: p.Arn, VersionId: "v1"}))(t, "SetDefaultPolicyVersion")

	// Attachments, on each kind, counted.
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	e.Role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	must(e.IAM.AttachUserPolicy(e.Root, &iamapi.AttachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "AttachUserPolicy")
	must(e.IAM.AttachUserPolicy(e.Root, &iamapi.AttachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "AttachUserPolicy again")
	must(e.IAM.AttachRolePolicy(e.Root, &iamapi.AttachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn}))(t, "AttachRolePolicy")
	must(e.IAM.AttachGroupPolicy(e.Root, &iamapi.AttachGroupPolicyRequest{GroupName: "g", PolicyArn: p.Arn}))(t, "AttachGroupPolicy")
	must(e.IAM.AttachRolePolicy(e.Root, &iamapi.AttachRolePolicyRequest{RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "AttachRolePolicy(AWS)")
	if n := must(e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: p.Arn}))(t, "GetPolicy").Policy.AttachmentCount; n != 3 {
		t.Errorf("AttachmentCount = %d, want 3", n)
	}
	la := must(e.IAM.ListAttachedRolePolicies(e.Root, &iamapi.ListAttachedRolePoliciesRequest{RoleName: "r"}))(t, "ListAttachedRolePolicies")
	if len(la.AttachedPolicies) != 2 || la.AttachedPolicies[0].PolicyName != "KeyUse" || la.AttachedPolicies[1].PolicyName != "AdministratorAccess" {
		t.Errorf("ListAttachedRolePolicies = %+v", la)
	}
	la = must(e.IAM.ListAttachedRolePolicies(e.Root, &iamapi.ListAttachedRolePoliciesRequest{RoleName: "r", PathPrefix: "/app/"}))(t, "ListAttachedRolePolicies(/app/)")
	if len(la.AttachedPolicies) != 1 {
		t.Errorf("ListAttachedRolePolicies(/app/) = %+v", la)
	}
	lu := must(e.IAM.ListAttachedUserPolicies(e.Root, &iamapi.ListAttachedUserPoliciesRequest{UserName: "alice"}))(t, "ListAttachedUserPolicies")
	lg := must(e.IAM.ListAttachedGroupPolicies(e.Root, &iamapi.ListAttachedGroupPoliciesRequest{GroupName: "g"}))(t, "ListAttachedGroupPolicies")
	if len(lu.AttachedPolicies) != 1 || len(lg.AttachedPolicies) != 1 || lu.AttachedPolicies[0].PolicyArn != p.Arn {
		t.Errorf("ListAttached user %+v group %+v", lu, lg)
	}

	_, err = e.IAM.AttachUserPolicy(e.Root, &iamapi.AttachUserPolicyRequest{UserName: "alice", PolicyArn: "arn:aws:iam::123456789012:policy/nope"})
	wantErr(t, "AttachUserPolicy(nope)", err, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/nope does not exist or is not attachable.")
	_, err = e.IAM.DetachGroupPolicy(e.Root, &iamapi.DetachGroupPolicyRequest{GroupName: "g", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, "DetachGroupPolicy(not attached)", err, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/AdministratorAccess was not found.")
	_, err = e.IAM.DeletePolicy(e.Root, &iamapi.DeletePolicyRequest{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"})
	wantErr(t, "DeletePolicy(AWS managed)", err, "AccessDenied", "")

	// ListPolicies by scope.
	must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "Unused", PolicyDocument: doc1}))(t, "CreatePolicy")
	names := func(in *iamapi.ListPoliciesRequest) string {
		out := must(e.IAM.ListPolicies(e.Root, in))(t, "ListPolicies")
		var n []string
		for _, p := range out.Policies {
			n = append(n, fmt.Sprintf("%s:%d", p.PolicyName, p.AttachmentCount))
		}
		return strings.Join(n, ",")
	}
	for _, c := range []struct {
		in   iamapi.ListPoliciesRequest
		want string
	}{
		// AdministratorAccess: the admin user's, and one attached above.
		{iamapi.ListPoliciesRequest{OnlyAttached: true}, "AdministratorAccess:2,KeyUse:3"},
		{iamapi.ListPoliciesRequest{Scope: "Local"}, "KeyUse:3,Unused:0"},
		{iamapi.ListPoliciesRequest{Scope: "AWS", OnlyAttached: true}, "AdministratorAccess:2"},
		{iamapi.ListPoliciesRequest{Scope: "Local", OnlyAttached: true}, "KeyUse:3"},
		{iamapi.ListPoliciesRequest{PathPrefix: "/app/"}, "KeyUse:3"},
	} {
		if got := names(&c.in); got != c.want {
			t.Errorf("ListPolicies(%+v) = %s, want %s", c.in, got, c.want)
		}
	}
	pg := must(e.IAM.ListPolicies(e.Root, &iamapi.ListPoliciesRequest{Scope: "Local", MaxItems: 1}))(t, "ListPolicies page 1")
	pg2 := must(e.IAM.ListPolicies(e.Root, &iamapi.ListPoliciesRequest{Scope: "Local", MaxItems: 1, Marker: pg.Marker}))(t, "ListPolicies page 2")
	if len(pg.Policies) != 1 || !pg.IsTruncated || len(pg2.Policies) != 1 || pg2.Policies[0].PolicyName != "Unused" {
		t.Errorf("ListPolicies pages = %+v / %+v", pg, pg2)
	}

	// DeletePolicy: attached, then extra versions, then it goes.
	_, err = e.IAM.DeletePolicy(e.Root, &iamapi.DeletePolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "DeletePolicy(attached)", err, "DeleteConflict", "Cannot delete a policy attached to entities.")
	must(e.IAM.DetachUserPolicy(e.Root, &iamapi.DetachUserPolicyRequest{UserName: "alice", PolicyArn: p.Arn}))(t, "DetachUserPolicy")
	must(e.IAM.DetachRolePolicy(e.Root, &iamapi.DetachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn}))(t, "DetachRolePolicy")
	must(e.IAM.DetachGroupPolicy(e.Root, &iamapi.DetachGroupPolicyRequest{GroupName: "g", PolicyArn: p.Arn}))(t, "DetachGroupPolicy")
	_, err = e.IAM.DeletePolicy(e.Root, &iamapi.DeletePolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "DeletePolicy(versions)", err, "DeleteConflict",
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, v := range []string{"v3", "v4", "v5", "v6"} {
		must(e.IAM.DeletePolicyVersion(e.Root, &iamapi.DeletePolicyVersionRequest{PolicyArn: p.Arn, VersionId: v}))(t, "DeletePolicyVersion")
	}
	must(e.IAM.DeletePolicy(e.Root, &iamapi.DeletePolicyRequest{PolicyArn: p.Arn}))(t, "DeletePolicy")
	_, err = e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: p.Arn})
	wantErr(t, "GetPolicy(deleted)", err, "NoSuchEntity", "")
}

func TestAttachQuota(t *testing.T) {
	e := newEnv(t)
	e.User("alice")
	e.Role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	for i := range 11 {
		p := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: fmt.Sprintf("p%d", i), PolicyDocument: allow("s3:*")}))(t, "CreatePolicy").Policy
		_, err := e.IAM.AttachRolePolicy(e.Root, &iamapi.AttachRolePolicyRequest{RoleName: "r", PolicyArn: p.Arn})
		if i < 10 && err != nil {
			t.Fatalf("AttachRolePolicy %d: %v", i, err)
		}
		if i == 10 {
			wantErr(t, "eleventh AttachRolePolicy", err, "LimitExceeded", "Cannot exceed quota for PoliciesPerRole: 10")
		}
	}
}
