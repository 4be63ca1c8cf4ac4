package iamapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

func TestGroups(t *testing.T) {
	e := newEnv(t)
	g := must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "Devs", Path: "/eng/"}))(t, "CreateGroup").Group
	if !uniqueIDPattern.MatchString(g.GroupId) || !hasPrefix(g.GroupId, "AGPA") || g.Arn != "arn:aws:iam::123456789012:group/eng/Devs" {
		t.Errorf("CreateGroup = %+v", g)
	}
	_, err := e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "devs"})
	wantErr(t, "CreateGroup(devs)", err, "EntityAlreadyExists", "Group with name devs already exists.")
	must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "ops"}))(t, "CreateGroup(ops)")

	for _, u := range []string{"carol", "alice", "bob"} {
		must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: u}))(t, "CreateUser")
		must(e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "devs", UserName: u}))(t, "AddUserToGroup")
	}
	must(e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "devs", UserName: "alice"}))(t, "AddUserToGroup again")
	must(e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "AddUserToGroup(ops)")
	_, err = e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "nogroup", UserName: "alice"})
	wantErr(t, "AddUserToGroup(nogroup)", err, "NoSuchEntity", "The group with name nogroup cannot be found.")
	_, err = e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "ops", UserName: "nobody"})
	wantErr(t, "AddUserToGroup(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")

	p1 := must(e.IAM.GetGroup(e.Root, &iamapi.GetGroupRequest{GroupName: "devs", MaxItems: 2}))(t, "GetGroup")
	p2 := must(e.IAM.GetGroup(e.Root, &iamapi.GetGroupRequest{GroupName: "devs", MaxItems: 2, Marker: p1.Marker}))(t, "GetGroup page 2")
	var users []string
	for _, u := range append(p1.Users, p2.Users...) {
		users = append(users, u.UserName)
	}
	if p1.Group.GroupName != "Devs" || !p1.IsTruncated || p2.IsTruncated || strings.Join(users, ",") != "alice,bob,carol" {
		t.Errorf("GetGroup pages = %+v, %+v", p1, p2)
	}

	lg := must(e.IAM.ListGroupsForUser(e.Root, &iamapi.ListGroupsForUserRequest{UserName: "alice"}))(t, "ListGroupsForUser")
	if len(lg.Groups) != 2 || lg.Groups[0].GroupName != "Devs" || lg.Groups[1].GroupName != "ops" {
		t.Errorf("ListGroupsForUser(alice) = %+v", lg)
	}
	all := must(e.IAM.ListGroups(e.Root, &iamapi.ListGroupsRequest{PathPrefix: "/eng/"}))(t, "ListGroups")
	if len(all.Groups) != 1 || all.Groups[0].GroupName != "Devs" {
		t.Errorf("ListGroups(/eng/) = %+v", all)
	}

	_, err = e.IAM.DeleteGroup(e.Root, &iamapi.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(ops)", err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(e.IAM.RemoveUserFromGroup(e.Root, &iamapi.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "RemoveUserFromGroup")
	_, err = e.IAM.RemoveUserFromGroup(e.Root, &iamapi.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"})
	wantErr(t, "RemoveUserFromGroup again", err, "NoSuchEntity", "The user with name alice cannot be found.")
	must(e.IAM.PutGroupPolicy(e.Root, &iamapi.PutGroupPolicyRequest{GroupName: "ops", PolicyName: "p", PolicyDocument: allow("s3:*")}))(t, "PutGroupPolicy")
	_, err = e.IAM.DeleteGroup(e.Root, &iamapi.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(inline)", err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(e.IAM.DeleteGroupPolicy(e.Root, &iamapi.DeleteGroupPolicyRequest{GroupName: "ops", PolicyName: "p"}))(t, "DeleteGroupPolicy")
	must(e.IAM.AttachGroupPolicy(e.Root, &iamapi.AttachGroupPolicyRequest{GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "AttachGroupPolicy")
	_, err = e.IAM.DeleteGroup(e.Root, &iamapi.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(attached)", err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(e.IAM.DetachGroupPolicy(e.Root, &iamapi.DetachGroupPolicyRequest{GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "DetachGroupPolicy")
	must(e.IAM.DeleteGroup(e.Root, &iamapi.DeleteGroupRequest{GroupName: "ops"}))(t, "DeleteGroup")
	_, err = e.IAM.GetGroup(e.Root, &iamapi.GetGroupRequest{GroupName: "ops"})
	wantErr(t, "GetGroup(deleted)", err, "NoSuchEntity", "The group with name ops cannot be found.")
}

func TestGroupsPerUserQuota(t *testing.T) {
	e := newEnv(t)
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	for i := range 11 {
		name := fmt.Sprintf("g%02d", i)
		must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: name}))(t, "CreateGroup")
		_, err := e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: name, UserName: "alice"})
		if i < 10 && err != nil {
			t.Fatalf("AddUserToGroup(%s): %v", name, err)
		}
		if i == 10 {
			wantErr(t, "eleventh group", err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
}
