package iamapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
)

var (
	uniqueIDPattern = regexp.MustCompile(`^A[A-Z]{3}[A-Z2-7]{17}$`)
	keyIDPattern    = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
)

func TestCreateGetUser(t *testing.T) {
	e := newEnv(t)
	out := must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{
		UserName: "Alice", Path: "/engineering/", Tags: []iamapi.Tag{{Key: "team", Value: "core"}},
	}))(t, "CreateUser")
	u := out.User
	if !uniqueIDPattern.MatchString(u.UserId) || !hasPrefix(u.UserId, "AIDA") {
		t.Errorf("CreateUser UserId = %q, want AIDA and 17 characters", u.UserId)
	}
	if want := "arn:aws:iam::123456789012:user/engineering/Alice"; u.Arn != want {
		t.Errorf("CreateUser Arn = %q, want %q", u.Arn, want)
	}
	if u.Path != "/engineering/" || u.CreateDate == nil || !u.CreateDate.Equal(t0) || len(u.Tags) != 1 {
		t.Errorf("CreateUser User = %+v", u)
	}

	got := must(e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "alice"}))(t, "GetUser")
	if got.User.UserName != "Alice" || got.User.UserId != u.UserId {
		t.Errorf("GetUser(alice) = %+v, want Alice (names are case-insensitive)", got.User)
	}

	_, err := e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice"})
	wantErr(t, "CreateUser(alice) again", err, "EntityAlreadyExists", "User with name alice already exists.")
	_, err = e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "bob"})
	wantErr(t, "GetUser(bob)", err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "t", Tags: []iamapi.Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}})
	wantErr(t, "CreateUser(duplicate tags)", err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
}

func TestGetUserWithoutName(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	got := must(e.IAM.GetUser(alice, &iamapi.GetUserRequest{}))(t, "GetUser as alice")
	if got.User.UserName != "alice" {
		t.Errorf("GetUser() as alice = %+v, want alice", got.User)
	}
	root := must(e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{}))(t, "GetUser as root")
	if root.User.UserId != account || root.User.Arn != "arn:aws:iam::123456789012:root" || root.User.UserName != "" {
		t.Errorf("GetUser() as root = %+v", root.User)
	}
	e.Role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	creds := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/r", RoleSessionName: "s1"}))(t, "AssumeRole")
	_, err := e.IAM.GetUser(e.As(creds.Credentials.AccessKeyId), &iamapi.GetUserRequest{})
	wantErr(t, "GetUser() as a role", err, "ValidationError", "Must specify userName when calling with non-User credentials")
}

func TestListUsersPaging(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"dave", "Carol", "bob", "alice", "eve"} {
		path := "/"
		if n == "bob" || n == "eve" {
			path = "/ops/"
		}
		must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: n, Path: path}))(t, "CreateUser")
	}
	var names []string
	marker := ""
	pages := 0
	for {
		out := must(e.IAM.ListUsers(e.Root, &iamapi.ListUsersRequest{MaxItems: 2, Marker: marker}))(t, "ListUsers")
		pages++
		for _, u := range out.Users {
			names = append(names, u.UserName)
			if u.Tags != nil {
				t.Errorf("ListUsers shows tags; AWS leaves them out")
			}
		}
		if !out.IsTruncated {
			if out.Marker != "" {
				t.Errorf("last page Marker = %q, want none", out.Marker)
			}
			break
		}
		marker = out.Marker
	}
	if got := strings.Join(names, ","); got != "admin,alice,bob,Carol,dave,eve" || pages != 3 {
		t.Errorf("ListUsers pages = %d, names = %s", pages, got)
	}
	ops := must(e.IAM.ListUsers(e.Root, &iamapi.ListUsersRequest{PathPrefix: "/ops/"}))(t, "ListUsers(/ops/)")
	if len(ops.Users) != 2 || ops.Users[0].UserName != "bob" || ops.IsTruncated {
		t.Errorf("ListUsers(/ops/) = %+v", ops)
	}
}

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice", Path: "/dev/"}))(t, "CreateUser")
	k1 := must(e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{UserName: "alice"}))(t, "CreateAccessKey").AccessKey
	if !keyIDPattern.MatchString(k1.AccessKeyId) || len(k1.SecretAccessKey) != 40 || k1.Status != "Active" || k1.UserName != "alice" {
		t.Fatalf("CreateAccessKey = %+v", k1)
	}
	key, err := e.IDs.LookupAccessKey(context.Background(), k1.AccessKeyId)
	if err != nil || !key.Secret.EqualString(k1.SecretAccessKey) || key.SessionToken.Len() != 0 || !key.Expires.IsZero() {
		t.Fatalf("LookupAccessKey = %+v, %v", key, err)
	}
	p := key.Principal
	user := must(e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "alice"}))(t, "GetUser").User
	if p.Type != "IAMUser" || p.ARN != "arn:aws:iam::123456789012:user/dev/alice" || p.UserName != "alice" ||
		p.PrincipalID != user.UserId || p.AccountID != account || p.AccessKeyID != k1.AccessKeyId || p.Temporary {
		t.Errorf("LookupAccessKey principal = %+v", p)
	}

	// The caller's own key, without UserName.
	alice := e.As(k1.AccessKeyId)
	k2 := must(e.IAM.CreateAccessKey(alice, &iamapi.CreateAccessKeyRequest{}))(t, "CreateAccessKey as alice").AccessKey
	if k2.UserName != "alice" {
		t.Errorf("CreateAccessKey() as alice = %+v", k2)
	}
	_, err = e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{UserName: "alice"})
	wantErr(t, "third CreateAccessKey", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{UserName: "nobody"})
	wantErr(t, "CreateAccessKey(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")

	ls := must(e.IAM.ListAccessKeys(alice, &iamapi.ListAccessKeysRequest{}))(t, "ListAccessKeys")
	if len(ls.AccessKeyMetadata) != 2 || ls.IsTruncated {
		t.Fatalf("ListAccessKeys = %+v", ls)
	}
	page1 := must(e.IAM.ListAccessKeys(e.Root, &iamapi.ListAccessKeysRequest{UserName: "alice", MaxItems: 1}))(t, "ListAccessKeys page 1")
	page2 := must(e.IAM.ListAccessKeys(e.Root, &iamapi.ListAccessKeysRequest{UserName: "alice", MaxItems: 1, Marker: page1.Marker}))(t, "ListAccessKeys page 2")
	if !page1.IsTruncated || page2.IsTruncated || len(page2.AccessKeyMetadata) != 1 ||
		page1.AccessKeyMetadata[0].AccessKeyId == page2.AccessKeyMetadata[0].AccessKeyId {
		t.Errorf("ListAccessKeys pages = %+v, %+v", page1, page2)
	}
	// No secret in what audit sees of the listing.
	b, _ := json.Marshal(ls)
	for _, k := range []*iamapi.AccessKey{k1, k2} {
		if strings.Contains(string(b), k.SecretAccessKey) {
			t.Errorf("ListAccessKeys output holds a secret: %s", b)
		}
	}

	// Inactive stops the key at once, although it was looked up (cached).
	must(e.IAM.UpdateAccessKey(e.Root, &iamapi.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: k1.AccessKeyId, Status: "Inactive"}))(t, "UpdateAccessKey Inactive")
	unknownKey(t, e.IDs, k1.AccessKeyId)
	ls = must(e.IAM.ListAccessKeys(e.Root, &iamapi.ListAccessKeysRequest{UserName: "alice"}))(t, "ListAccessKeys")
	if ls.AccessKeyMetadata[0].Status == ls.AccessKeyMetadata[1].Status {
		t.Errorf("ListAccessKeys statuses = %+v, want one Inactive", ls.AccessKeyMetadata)
	}
	must(e.IAM.UpdateAccessKey(e.Root, &iamapi.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: k1.AccessKeyId, Status: "Active"}))(t, "UpdateAccessKey Active")
	if _, err := e.IDs.LookupAccessKey(context.Background(), k1.AccessKeyId); err != nil {
		t.Errorf("LookupAccessKey after Active: %v", err)
	}

	// A key of another owner is not found.
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "bob"}))(t, "CreateUser bob")
	_, err = e.IAM.DeleteAccessKey(e.Root, &iamapi.DeleteAccessKeyRequest{UserName: "bob", AccessKeyId: k1.AccessKeyId})
	wantErr(t, "DeleteAccessKey(bob's)", err, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", k1.AccessKeyId))
	_, err = e.IAM.UpdateAccessKey(e.Root, &iamapi.UpdateAccessKeyRequest{AccessKeyId: k1.AccessKeyId, Status: "Inactive"})
	wantErr(t, "UpdateAccessKey(root's)", err, "NoSuchEntity", "")

	must(e.IAM.DeleteAccessKey(alice, &iamapi.DeleteAccessKeyRequest{AccessKeyId: k1.AccessKeyId}))(t, "DeleteAccessKey")
	unknownKey(t, e.IDs, k1.AccessKeyId)
}

func TestRootAccessKeys(t *testing.T) {
	e := newEnv(t)
	ls := must(e.IAM.ListAccessKeys(e.Root, &iamapi.ListAccessKeysRequest{}))(t, "ListAccessKeys as root")
	if len(ls.AccessKeyMetadata) != 1 || ls.AccessKeyMetadata[0].AccessKeyId != e.RootID {
		t.Fatalf("ListAccessKeys as root = %+v, want the break-glass key %s", ls, e.RootID)
	}
	k := must(e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{}))(t, "CreateAccessKey as root").AccessKey
	p := must(e.IDs.LookupAccessKey(context.Background(), k.AccessKeyId))(t, "LookupAccessKey").Principal
	if p.Type != "Root" || p.ARN != "arn:aws:iam::123456789012:root" {
		t.Errorf("root key principal = %+v", p)
	}
	_, err := e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{})
	wantErr(t, "third root key", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	if _, _, err := e.IDs.CreateRootAccessKey(context.Background()); err == nil {
		t.Errorf("CreateRootAccessKey() with two root keys err = nil, want the quota")
	}
	must(e.IAM.DeleteAccessKey(e.Root, &iamapi.DeleteAccessKeyRequest{AccessKeyId: k.AccessKeyId}))(t, "DeleteAccessKey(root's)")
	unknownKey(t, e.IDs, k.AccessKeyId)
}

func TestDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	alice, key := e.User("alice")
	sess := must(e.STS.GetSessionToken(alice, &stsapi.GetSessionTokenRequest{}))(t, "GetSessionToken").Credentials
	must(e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "alice", PolicyName: "p", PolicyDocument: allow("s3:GetObject")}))(t, "PutUserPolicy")
	pol := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "m", PolicyDocument: allow("kms:Decrypt")}))(t, "CreatePolicy").Policy
	must(e.IAM.AttachUserPolicy(e.Root, &iamapi.AttachUserPolicyRequest{UserName: "alice", PolicyArn: pol.Arn}))(t, "AttachUserPolicy")
	must(e.IAM.CreateGroup(e.Root, &iamapi.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	must(e.IAM.AddUserToGroup(e.Root, &iamapi.AddUserToGroupRequest{GroupName: "g", UserName: "alice"}))(t, "AddUserToGroup")

	steps := []struct {
		msg  string
		undo func()
	}{
		{"Cannot delete entity, must delete access keys first.", func() {
			must(e.IAM.DeleteAccessKey(e.Root, &iamapi.DeleteAccessKeyRequest{UserName: "alice", AccessKeyId: key.AccessKeyId}))(t, "DeleteAccessKey")
		}},
		{"Cannot delete entity, must delete policies first.", func() {
			must(e.IAM.DeleteUserPolicy(e.Root, &iamapi.DeleteUserPolicyRequest{UserName: "alice", PolicyName: "p"}))(t, "DeleteUserPolicy")
		}},
		{"Cannot delete entity, must detach all policies first.", func() {
			must(e.IAM.DetachUserPolicy(e.Root, &iamapi.DetachUserPolicyRequest{UserName: "alice", PolicyArn: pol.Arn}))(t, "DetachUserPolicy")
		}},
		{"Cannot delete entity, must remove users from group first.", func() {
			must(e.IAM.RemoveUserFromGroup(e.Root, &iamapi.RemoveUserFromGroupRequest{GroupName: "g", UserName: "alice"}))(t, "RemoveUserFromGroup")
		}},
	}
	for _, s := range steps {
		_, err := e.IAM.DeleteUser(e.Root, &iamapi.DeleteUserRequest{UserName: "alice"})
		wantErr(t, "DeleteUser(alice)", err, "DeleteConflict", s.msg)
		s.undo()
	}
	if _, err := e.IDs.LookupAccessKey(context.Background(), sess.AccessKeyId); err != nil {
		t.Fatalf("session lookup before DeleteUser: %v", err)
	}
	must(e.IAM.DeleteUser(e.Root, &iamapi.DeleteUserRequest{UserName: "alice"}))(t, "DeleteUser")
	unknownKey(t, e.IDs, sess.AccessKeyId)
	_, err := e.IAM.DeleteUser(e.Root, &iamapi.DeleteUserRequest{UserName: "alice"})
	wantErr(t, "DeleteUser(alice) again", err, "NoSuchEntity", "The user with name alice cannot be found.")

	// A user made again under the same name is someone else.
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	unknownKey(t, e.IDs, sess.AccessKeyId)
}
