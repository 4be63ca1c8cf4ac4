package iamapi_test

import (
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
)

func TestRoles(t *testing.T) {
	e := newEnv(t)
	e.User("alice") // the trust policies name alice and bob: AWS refuses one naming nobody
	e.User("bob")
	trust := trustFor("arn:aws:iam::123456789012:user/alice")
	out := must(e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{
		RoleName: "deploy", Path: "/ci/", AssumeRolePolicyDocument: trust, Description: "CI deploys",
	}))(t, "CreateRole")
	r := out.Role
	if !uniqueIDPattern.MatchString(r.RoleId) || !hasPrefix(r.RoleId, "AROA") {
		t.Errorf("CreateRole RoleId = %q", r.RoleId)
	}
	if r.Arn != "arn:aws:iam::123456789012:role/ci/deploy" || r.MaxSessionDuration != 3600 || r.Description != "CI deploys" {
		t.Errorf("CreateRole Role = %+v", r)
	}
	if strings.Contains(r.AssumeRolePolicyDocument, `"`) || decode(t, r.AssumeRolePolicyDocument) != trust {
		t.Errorf("CreateRole AssumeRolePolicyDocument = %q, want %q percent-encoded", r.AssumeRolePolicyDocument, trust)
	}

	got := must(e.IAM.GetRole(e.Root, &iamapi.GetRoleRequest{RoleName: "Deploy"}))(t, "GetRole").Role
	if got.RoleId != r.RoleId || got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("GetRole = %+v", got)
	}
	_, err := e.IAM.GetRole(e.Root, &iamapi.GetRoleRequest{RoleName: "nope"})
	wantErr(t, "GetRole(nope)", err, "NoSuchEntity", "The role with name nope cannot be found.")
	_, err = e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{RoleName: "DEPLOY", AssumeRolePolicyDocument: trust})
	wantErr(t, "CreateRole(DEPLOY)", err, "EntityAlreadyExists", "Role with name DEPLOY already exists.")
	_, err = e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{RoleName: "bad", AssumeRolePolicyDocument: "not json"})
	wantErr(t, "CreateRole(bad trust)", err, "MalformedPolicyDocument", "Syntax errors in policy.")
	_, err = e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{RoleName: "bad", AssumeRolePolicyDocument: allow("s3:*")})
	wantErr(t, "CreateRole(trust without principal)", err, "MalformedPolicyDocument", "Missing required field Principal")
	long := must(e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{RoleName: "long", AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200}))(t, "CreateRole(43200)")
	if long.Role.MaxSessionDuration != 43200 || long.Role.Path != "/" {
		t.Errorf("CreateRole(43200) = %+v", long.Role)
	}

	ls := must(e.IAM.ListRoles(e.Root, &iamapi.ListRolesRequest{MaxItems: 1}))(t, "ListRoles")
	ls2 := must(e.IAM.ListRoles(e.Root, &iamapi.ListRolesRequest{MaxItems: 1, Marker: ls.Marker}))(t, "ListRoles page 2")
	if len(ls.Roles) != 1 || !ls.IsTruncated || ls.Roles[0].RoleName != "deploy" || ls2.Roles[0].RoleName != "long" || ls2.IsTruncated {
		t.Errorf("ListRoles pages = %+v, %+v", ls, ls2)
	}
	ci := must(e.IAM.ListRoles(e.Root, &iamapi.ListRolesRequest{PathPrefix: "/ci"}))(t, "ListRoles(/ci)")
	if len(ci.Roles) != 1 || ci.Roles[0].Tags != nil || ci.Roles[0].RoleLastUsed != nil {
		t.Errorf("ListRoles(/ci) = %+v", ci.Roles)
	}

	newTrust := trustFor("arn:aws:iam::123456789012:user/bob")
	must(e.IAM.UpdateAssumeRolePolicy(e.Root, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: "deploy", PolicyDocument: newTrust}))(t, "UpdateAssumeRolePolicy")
	got = must(e.IAM.GetRole(e.Root, &iamapi.GetRoleRequest{RoleName: "deploy"}))(t, "GetRole").Role
	if decode(t, got.AssumeRolePolicyDocument) != newTrust {
		t.Errorf("trust after UpdateAssumeRolePolicy = %s", decode(t, got.AssumeRolePolicyDocument))
	}
	_, err = e.IAM.UpdateAssumeRolePolicy(e.Root, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: "deploy", PolicyDocument: "{"})
	wantErr(t, "UpdateAssumeRolePolicy(malformed)", err, "MalformedPolicyDocument", "")
	_, err = e.IAM.UpdateAssumeRolePolicy(e.Root, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: "nope", PolicyDocument: newTrust})
	wantErr(t, "UpdateAssumeRolePolicy(nope)", err, "NoSuchEntity", "The role with name nope cannot be found.")
}

func TestDeleteRoleConflictsAndSessions(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	must(e.IAM.PutRolePolicy(e.Root, &iamapi.PutRolePolicyRequest{RoleName: "app", PolicyName: "read", PolicyDocument: allow("ssm:GetParameter")}))(t, "PutRolePolicy")
	pol := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "dec", PolicyDocument: allow("kms:Decrypt")}))(t, "CreatePolicy").Policy
	must(e.IAM.AttachRolePolicy(e.Root, &iamapi.AttachRolePolicyRequest{RoleName: "app", PolicyArn: pol.Arn}))(t, "AttachRolePolicy")

	creds := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/app", RoleSessionName: "run-1"}))(t, "AssumeRole").Credentials
	if _, err := e.IDs.LookupAccessKey(alice, creds.AccessKeyId); err != nil {
		t.Fatalf("session lookup: %v", err)
	}

	_, err := e.IAM.DeleteRole(e.Root, &iamapi.DeleteRoleRequest{RoleName: "app"})
	wantErr(t, "DeleteRole(inline)", err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(e.IAM.DeleteRolePolicy(e.Root, &iamapi.DeleteRolePolicyRequest{RoleName: "app", PolicyName: "read"}))(t, "DeleteRolePolicy")
	_, err = e.IAM.DeleteRole(e.Root, &iamapi.DeleteRoleRequest{RoleName: "app"})
	wantErr(t, "DeleteRole(attached)", err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(e.IAM.DetachRolePolicy(e.Root, &iamapi.DetachRolePolicyRequest{RoleName: "app", PolicyArn: pol.Arn}))(t, "DetachRolePolicy")

	must(e.IAM.DeleteRole(e.Root, &iamapi.DeleteRoleRequest{RoleName: "app"}))(t, "DeleteRole")
	unknownKey(t, e.IDs, creds.AccessKeyId)
	_, err = e.IAM.DeleteRole(e.Root, &iamapi.DeleteRoleRequest{RoleName: "app"})
	wantErr(t, "DeleteRole again", err, "NoSuchEntity", "The role with name app cannot be found.")

	// A role made again under the same name does not revive old sessions.
	e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	unknownKey(t, e.IDs, creds.AccessKeyId)
}
