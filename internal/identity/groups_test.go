package identity_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity"
)

func TestGroups(t *testing.T) {
	e := newEnv(t)
	g := must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "Devs", Path: "/eng/"}))(t, "CreateGroup").Group
	if !uniqueIDPattern.MatchString(g.GroupId) || !hasPrefix(g.GroupId, "AGPA") || g.Arn != "arn:aws:iam::123456789012:group/eng/Devs" {
		t.Errorf("CreateGroup = %+v", g)
	}
	_, err := e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "devs"})
	wantErr(t, "CreateGroup(devs)", err, "EntityAlreadyExists", "Group with name devs already exists.")
	must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "ops"}))(t, "CreateGroup(ops)")

	for _, u := range []string{"carol", "alice", "bob"} {
		must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: u}))(t, "CreateUser")
		must(e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "devs", UserName: u}))(t, "AddUserToGroup")
	}
	must(e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "devs", UserName: "alice"}))(t, "AddUserToGroup again")
	must(e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "AddUserToGroup(ops)")
	_, err = e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "nogroup", UserName: "alice"})
	wantErr(t, "AddUserToGroup(nogroup)", err, "NoSuchEntity", "The group with name nogroup cannot be found.")
	_, err = e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "ops", UserName: "nobody"})
	wantErr(t, "AddUserToGroup(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")

	p1 := must(e.iam.GetGroup(e.root, &identity.GetGroupRequest{GroupName: "devs", MaxItems: 2}))(t, "GetGroup")
	p2 := must(e.iam.GetGroup(e.root, &identity.GetGroupRequest{GroupName: "devs", MaxItems: 2, Marker: p1.Marker}))(t, "GetGroup page 2")
	var users []string
	for _, u := range append(p1.Users, p2.Users...) {
		users = append(users, u.UserName)
	}
	if p1.Group.GroupName != "Devs" || !p1.IsTruncated || p2.IsTruncated || strings.Join(users, ",") != "alice,bob,carol" {
		t.Errorf("GetGroup pages = %+v, %+v", p1, p2)
	}

	lg := must(e.iam.ListGroupsForUser(e.root, &identity.ListGroupsForUserRequest{UserName: "alice"}))(t, "ListGroupsForUser")
	if len(lg.Groups) != 2 || lg.Groups[0].GroupName != "Devs" || lg.Groups[1].GroupName != "ops" {
		t.Errorf("ListGroupsForUser(alice) = %+v", lg)
	}
	all := must(e.iam.ListGroups(e.root, &identity.ListGroupsRequest{PathPrefix: "/eng/"}))(t, "ListGroups")
	if len(all.Groups) != 1 || all.Groups[0].GroupName != "Devs" {
		t.Errorf("ListGroups(/eng/) = %+v", all)
	}

	_, err = e.iam.DeleteGroup(e.root, &identity.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(ops)", err, "DeleteConflict", "Cannot delete entity, must remove users from group first.")
	must(e.iam.RemoveUserFromGroup(e.root, &identity.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"}))(t, "RemoveUserFromGroup")
	_, err = e.iam.RemoveUserFromGroup(e.root, &identity.RemoveUserFromGroupRequest{GroupName: "ops", UserName: "alice"})
	wantErr(t, "RemoveUserFromGroup again", err, "NoSuchEntity", "The user with name alice cannot be found.")
	must(e.iam.PutGroupPolicy(e.root, &identity.PutGroupPolicyRequest{GroupName: "ops", PolicyName: "p", PolicyDocument: allow("s3:*")}))(t, "PutGroupPolicy")
	_, err = e.iam.DeleteGroup(e.root, &identity.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(inline)", err, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	must(e.iam.DeleteGroupPolicy(e.root, &identity.DeleteGroupPolicyRequest{GroupName: "ops", PolicyName: "p"}))(t, "DeleteGroupPolicy")
	must(e.iam.AttachGroupPolicy(e.root, &identity.AttachGroupPolicyRequest{GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "AttachGroupPolicy")
	_, err = e.iam.DeleteGroup(e.root, &identity.DeleteGroupRequest{GroupName: "ops"})
	wantErr(t, "DeleteGroup(attached)", err, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	must(e.iam.DetachGroupPolicy(e.root, &identity.DetachGroupPolicyRequest{GroupName: "ops", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "DetachGroupPolicy")
	must(e.iam.DeleteGroup(e.root, &identity.DeleteGroupRequest{GroupName: "ops"}))(t, "DeleteGroup")
	_, err = e.iam.GetGroup(e.root, &identity.GetGroupRequest{GroupName: "ops"})
	wantErr(t, "GetGroup(deleted)", err, "NoSuchEntity", "The group with name ops cannot be found.")
}

func TestGroupsPerUserQuota(t *testing.T) {
	e := newEnv(t)
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	for i := range 11 {
		name := fmt.Sprintf("g%02d", i)
		must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: name}))(t, "CreateGroup")
		_, err := e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: name, UserName: "alice"})
		if i < 10 && err != nil {
			t.Fatalf("AddUserToGroup(%s): %v", name, err)
		}
		if i == 10 {
			wantErr(t, "eleventh group", err, "LimitExceeded", "Cannot exceed quota for GroupsPerUser: 10")
		}
	}
}
