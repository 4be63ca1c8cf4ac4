package identity_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/primitive"
)

var (
	uniqueIDPattern = regexp.MustCompile(`^A[A-Z]{3}[A-Z2-7]{17}$`)
	keyIDPattern    = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
)

func TestCreateGetUser(t *testing.T) {
	e := newEnv(t)
	out := must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{
		UserName: "Alice", Path: "/engineering/", Tags: []identity.Tag{{Key: "team", Value: "core"}},
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

	got := must(e.iam.GetUser(e.root, &identity.GetUserRequest{UserName: "alice"}))(t, "GetUser")
	if got.User.UserName != "Alice" || got.User.UserId != u.UserId {
		t.Errorf("GetUser(alice) = %+v, want Alice (names are case-insensitive)", got.User)
	}

	_, err := e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice"})
	wantErr(t, "CreateUser(alice) again", err, "EntityAlreadyExists", "User with name alice already exists.")
	_, err = e.iam.GetUser(e.root, &identity.GetUserRequest{UserName: "bob"})
	wantErr(t, "GetUser(bob)", err, "NoSuchEntity", "The user with name bob cannot be found.")
	_, err = e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "t", Tags: []identity.Tag{{Key: "a", Value: "1"}, {Key: "A", Value: "2"}}})
	wantErr(t, "CreateUser(duplicate tags)", err, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
}

func TestGetUserWithoutName(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.user("alice")
	got := must(e.iam.GetUser(alice, &identity.GetUserRequest{}))(t, "GetUser as alice")
	if got.User.UserName != "alice" {
		t.Errorf("GetUser() as alice = %+v, want alice", got.User)
	}
	root := must(e.iam.GetUser(e.root, &identity.GetUserRequest{}))(t, "GetUser as root")
	if root.User.UserId != account || root.User.Arn != "arn:aws:iam::123456789012:root" || root.User.UserName != "" {
		t.Errorf("GetUser() as root = %+v", root.User)
	}
	e.role("r", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	creds := must(e.sts.AssumeRole(alice, &identity.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/r", RoleSessionName: "s1"}))(t, "AssumeRole")
	_, err := e.iam.GetUser(e.as(creds.Credentials.AccessKeyId), &identity.GetUserRequest{})
	wantErr(t, "GetUser() as a role", err, "ValidationError", "Must specify userName when calling with non-User credentials")
}

func TestListUsersPaging(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"dave", "Carol", "bob", "alice", "eve"} {
		path := "/"
		if n == "bob" || n == "eve" {
			path = "/ops/"
		}
		must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: n, Path: path}))(t, "CreateUser")
	}
	var names []string
	marker := ""
	pages := 0
	for {
		out := must(e.iam.ListUsers(e.root, &identity.ListUsersRequest{MaxItems: 2, Marker: marker}))(t, "ListUsers")
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
	ops := must(e.iam.ListUsers(e.root, &identity.ListUsersRequest{PathPrefix: "/ops/"}))(t, "ListUsers(/ops/)")
	if len(ops.Users) != 2 || ops.Users[0].UserName != "bob" || ops.IsTruncated {
		t.Errorf("ListUsers(/ops/) = %+v", ops)
	}
}

func TestAccessKeys(t *testing.T) {
	e := newEnv(t)
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice", Path: "/dev/"}))(t, "CreateUser")
	k1 := must(e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{UserName: "alice"}))(t, "CreateAccessKey").AccessKey
	if !keyIDPattern.MatchString(k1.AccessKeyId) || len(k1.SecretAccessKey) != 40 || k1.Status != "Active" || k1.UserName != "alice" {
		t.Fatalf("CreateAccessKey = %+v", k1)
	}
	key, err := e.ids.LookupAccessKey(context.Background(), k1.AccessKeyId)
	if err != nil || !key.Secret.EqualString(k1.SecretAccessKey) || key.SessionToken.Len() != 0 || !key.Expires.IsZero() {
		t.Fatalf("LookupAccessKey = %+v, %v", key, err)
	}
	p := key.Principal
	user := must(e.iam.GetUser(e.root, &identity.GetUserRequest{UserName: "alice"}))(t, "GetUser").User
	if p.Type != "IAMUser" || p.ARN != "arn:aws:iam::123456789012:user/dev/alice" || p.UserName != "alice" ||
		p.PrincipalID != user.UserId || p.AccountID != account || p.AccessKeyID != k1.AccessKeyId || p.Temporary {
		t.Errorf("LookupAccessKey principal = %+v", p)
	}

	// The caller's own key, without UserName.
	alice := e.as(k1.AccessKeyId)
	k2 := must(e.iam.CreateAccessKey(alice, &identity.CreateAccessKeyRequest{}))(t, "CreateAccessKey as alice").AccessKey
	if k2.UserName != "alice" {
		t.Errorf("CreateAccessKey() as alice = %+v", k2)
	}
	_, err = e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{UserName: "alice"})
	wantErr(t, "third CreateAccessKey", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	_, err = e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{UserName: "nobody"})
	wantErr(t, "CreateAccessKey(nobody)", err, "NoSuchEntity", "The user with name nobody cannot be found.")

	ls := must(e.iam.ListAccessKeys(alice, &identity.ListAccessKeysRequest{}))(t, "ListAccessKeys")
	if len(ls.AccessKeyMetadata) != 2 || ls.IsTruncated {
		t.Fatalf("ListAccessKeys = %+v", ls)
	}
	page1 := must(e.iam.ListAccessKeys(e.root, &identity.ListAccessKeysRequest{UserName: "alice", MaxItems: 1}))(t, "ListAccessKeys page 1")
	page2 := must(e.iam.ListAccessKeys(e.root, &identity.ListAccessKeysRequest{UserName: "alice", MaxItems: 1, Marker: page1.Marker}))(t, "ListAccessKeys page 2")
	if !page1.IsTruncated || page2.IsTruncated || len(page2.AccessKeyMetadata) != 1 ||
		page1.AccessKeyMetadata[0].AccessKeyId == page2.AccessKeyMetadata[0].AccessKeyId {
		t.Errorf("ListAccessKeys pages = %+v, %+v", page1, page2)
	}
	// No secret in what audit sees of the listing.
	b, _ := json.Marshal(ls)
	for _, k := range []*identity.AccessKey{k1, k2} {
		if strings.Contains(string(b), k.SecretAccessKey) {
			t.Errorf("ListAccessKeys output holds a secret: %s", b)
		}
	}

	// Inactive stops the key at once, although it was looked up (cached).
	must(e.iam.UpdateAccessKey(e.root, &identity.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: k1.AccessKeyId, Status: "Inactive"}))(t, "UpdateAccessKey Inactive")
	unknownKey(t, e.ids, k1.AccessKeyId)
	ls = must(e.iam.ListAccessKeys(e.root, &identity.ListAccessKeysRequest{UserName: "alice"}))(t, "ListAccessKeys")
	if ls.AccessKeyMetadata[0].Status == ls.AccessKeyMetadata[1].Status {
		t.Errorf("ListAccessKeys statuses = %+v, want one Inactive", ls.AccessKeyMetadata)
	}
	must(e.iam.UpdateAccessKey(e.root, &identity.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: k1.AccessKeyId, Status: "Active"}))(t, "UpdateAccessKey Active")
	if _, err := e.ids.LookupAccessKey(context.Background(), k1.AccessKeyId); err != nil {
		t.Errorf("LookupAccessKey after Active: %v", err)
	}

	// A key of another owner is not found.
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "bob"}))(t, "CreateUser bob")
	_, err = e.iam.DeleteAccessKey(e.root, &identity.DeleteAccessKeyRequest{UserName: "bob", AccessKeyId: k1.AccessKeyId})
	wantErr(t, "DeleteAccessKey(bob's)", err, "NoSuchEntity", fmt.Sprintf("The Access Key with id %s cannot be found.", k1.AccessKeyId))
	_, err = e.iam.UpdateAccessKey(e.root, &identity.UpdateAccessKeyRequest{AccessKeyId: k1.AccessKeyId, Status: "Inactive"})
	wantErr(t, "UpdateAccessKey(root's)", err, "NoSuchEntity", "")

	must(e.iam.DeleteAccessKey(alice, &identity.DeleteAccessKeyRequest{AccessKeyId: k1.AccessKeyId}))(t, "DeleteAccessKey")
	unknownKey(t, e.ids, k1.AccessKeyId)
}

func TestRootAccessKeys(t *testing.T) {
	e := newEnv(t)
	ls := must(e.iam.ListAccessKeys(e.root, &identity.ListAccessKeysRequest{}))(t, "ListAccessKeys as root")
	if len(ls.AccessKeyMetadata) != 1 || ls.AccessKeyMetadata[0].AccessKeyId != e.rootID {
		t.Fatalf("ListAccessKeys as root = %+v, want the break-glass key %s", ls, e.rootID)
	}
	k := must(e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{}))(t, "CreateAccessKey as root").AccessKey
	p := must(e.ids.LookupAccessKey(context.Background(), k.AccessKeyId))(t, "LookupAccessKey").Principal
	if p.Type != "Root" || p.ARN != "arn:aws:iam::123456789012:root" {
		t.Errorf("root key principal = %+v", p)
	}
	_, err := e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{})
	wantErr(t, "third root key", err, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	if _, _, err := e.ids.CreateRootAccessKey(context.Background()); err == nil {
		t.Errorf("CreateRootAccessKey() with two root keys err = nil, want the quota")
	}
	must(e.iam.DeleteAccessKey(e.root, &identity.DeleteAccessKeyRequest{AccessKeyId: k.AccessKeyId}))(t, "DeleteAccessKey(root's)")
	unknownKey(t, e.ids, k.AccessKeyId)
}

// TestAdminUser: the administrator is the IAM user admin with
// AdministratorAccess; the admin user's key is its own, not the root's.
func TestAdminUser(t *testing.T) {
	e := newEnv(t)
	p := must(e.ids.LookupAccessKey(context.Background(), e.adminID))(t, "LookupAccessKey(admin)").Principal
	if p.Type != "IAMUser" || p.ARN != "arn:aws:iam::123456789012:user/admin" || p.UserName != "admin" {
		t.Errorf("admin key principal = %+v, want the IAM user admin", p)
	}
	att := must(e.iam.ListAttachedUserPolicies(e.root, &identity.ListAttachedUserPoliciesRequest{UserName: "admin"}))(t, "ListAttachedUserPolicies(admin)")
	if len(att.AttachedPolicies) != 1 || att.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Errorf("admin's attached policies = %+v, want AdministratorAccess", att.AttachedPolicies)
	}
	pol := must(e.iam.GetPolicy(e.root, &identity.GetPolicyRequest{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "GetPolicy")
	if pol.Policy.AttachmentCount != 1 {
		t.Errorf("AdministratorAccess AttachmentCount = %d, want 1", pol.Policy.AttachmentCount)
	}
	keys := must(e.iam.ListAccessKeys(e.admin, &identity.ListAccessKeysRequest{}))(t, "ListAccessKeys as admin")
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].AccessKeyId != e.adminID || keys.AccessKeyMetadata[0].UserName != "admin" {
		t.Errorf("ListAccessKeys as admin = %+v, want its own key", keys.AccessKeyMetadata)
	}

	// Deleting the administrator's key is a lock-down: the next start
	// makes no new one.
	must(e.iam.DeleteAccessKey(e.root, &identity.DeleteAccessKeyRequest{UserName: "admin", AccessKeyId: e.adminID}))(t, "DeleteAccessKey(admin)")
	unknownKey(t, e.ids, e.adminID)
	a, err := e.ids.EnsureAdmin(context.Background(), "", primitive.Secret{})
	if err != nil || a.Changed || a.AccessKeyID != "" || a.Absent == "" || a.Root() {
		t.Fatalf("EnsureAdmin() after its key was deleted = %+v, %v; want nothing made, Absent said", a, err)
	}
	if keys := must(e.iam.ListAccessKeys(e.root, &identity.ListAccessKeysRequest{UserName: "admin"}))(t, "ListAccessKeys(admin)"); len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("admin's keys after EnsureAdmin = %+v, want none", keys.AccessKeyMetadata)
	}
	// A preset, the operator's explicit say, gives the admin user its key.
	b, err := e.ids.EnsureAdmin(context.Background(), "AKIAIOSFODNN7EXAMPLE", primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")))
	if err != nil || !b.Changed || b.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || b.UserName != "admin" {
		t.Fatalf("EnsureAdmin(preset) = %+v, %v", b, err)
	}
	again, err := e.ids.EnsureAdmin(context.Background(), "AKIAIOSFODNN7EXAMPLE", primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")))
	if err != nil || again.Changed || again.AccessKeyID != b.AccessKeyID {
		t.Fatalf("EnsureAdmin(preset) again = %+v, %v; want %s kept", again, err, b.AccessKeyID)
	}
	if att := must(e.iam.ListAttachedUserPolicies(e.root, &identity.ListAttachedUserPoliciesRequest{UserName: "admin"}))(t, "ListAttachedUserPolicies(admin)"); len(att.AttachedPolicies) != 1 {
		t.Errorf("admin's attached policies after EnsureAdmin again = %+v, want one", att.AttachedPolicies)
	}
	if keys, err := e.ids.RootAccessKeys(context.Background()); err != nil || len(keys) != 1 {
		t.Errorf("RootAccessKeys() = %v, %v; want only the break-glass key", keys, err)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	e := newEnv(t)
	alice, key := e.user("alice")
	sess := must(e.sts.GetSessionToken(alice, &identity.GetSessionTokenRequest{}))(t, "GetSessionToken").Credentials
	must(e.iam.PutUserPolicy(e.root, &identity.PutUserPolicyRequest{UserName: "alice", PolicyName: "p", PolicyDocument: allow("s3:GetObject")}))(t, "PutUserPolicy")
	pol := must(e.iam.CreatePolicy(e.root, &identity.CreatePolicyRequest{PolicyName: "m", PolicyDocument: allow("kms:Decrypt")}))(t, "CreatePolicy").Policy
	must(e.iam.AttachUserPolicy(e.root, &identity.AttachUserPolicyRequest{UserName: "alice", PolicyArn: pol.Arn}))(t, "AttachUserPolicy")
	must(e.iam.CreateGroup(e.root, &identity.CreateGroupRequest{GroupName: "g"}))(t, "CreateGroup")
	must(e.iam.AddUserToGroup(e.root, &identity.AddUserToGroupRequest{GroupName: "g", UserName: "alice"}))(t, "AddUserToGroup")

	steps := []struct {
		msg  string
		undo func()
	}{
		{"Cannot delete entity, must delete access keys first.", func() {
			must(e.iam.DeleteAccessKey(e.root, &identity.DeleteAccessKeyRequest{UserName: "alice", AccessKeyId: key.AccessKeyId}))(t, "DeleteAccessKey")
		}},
		{"Cannot delete entity, must delete policies first.", func() {
			must(e.iam.DeleteUserPolicy(e.root, &identity.DeleteUserPolicyRequest{UserName: "alice", PolicyName: "p"}))(t, "DeleteUserPolicy")
		}},
		{"Cannot delete entity, must detach all policies first.", func() {
			must(e.iam.DetachUserPolicy(e.root, &identity.DetachUserPolicyRequest{UserName: "alice", PolicyArn: pol.Arn}))(t, "DetachUserPolicy")
		}},
		{"Cannot delete entity, must remove users from group first.", func() {
			must(e.iam.RemoveUserFromGroup(e.root, &identity.RemoveUserFromGroupRequest{GroupName: "g", UserName: "alice"}))(t, "RemoveUserFromGroup")
		}},
	}
	for _, s := range steps {
		_, err := e.iam.DeleteUser(e.root, &identity.DeleteUserRequest{UserName: "alice"})
		wantErr(t, "DeleteUser(alice)", err, "DeleteConflict", s.msg)
		s.undo()
	}
	if _, err := e.ids.LookupAccessKey(context.Background(), sess.AccessKeyId); err != nil {
		t.Fatalf("session lookup before DeleteUser: %v", err)
	}
	must(e.iam.DeleteUser(e.root, &identity.DeleteUserRequest{UserName: "alice"}))(t, "DeleteUser")
	unknownKey(t, e.ids, sess.AccessKeyId)
	_, err := e.iam.DeleteUser(e.root, &identity.DeleteUserRequest{UserName: "alice"})
	wantErr(t, "DeleteUser(alice) again", err, "NoSuchEntity", "The user with name alice cannot be found.")

	// A user made again under the same name is someone else.
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: "alice"}))(t, "CreateUser")
	unknownKey(t, e.ids, sess.AccessKeyId)
}

// TestInactiveUnderConcurrentLookups toggles a key while other goroutines
// look it up (and fill the cache): once UpdateAccessKey(Inactive) returns,
// no lookup may find the key, whatever raced with it.
func TestInactiveUnderConcurrentLookups(t *testing.T) {
	e := newEnv(t)
	_, key := e.user("alice")
	stop := make(chan struct{})
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-stop:
					return
				default:
					e.ids.LookupAccessKey(context.Background(), key.AccessKeyId)
				}
			}
		}()
	}
	for i := range 50 {
		status := "Inactive"
		if i%2 == 1 {
			status = "Active"
		}
		must(e.iam.UpdateAccessKey(e.root, &identity.UpdateAccessKeyRequest{UserName: "alice", AccessKeyId: key.AccessKeyId, Status: status}))(t, "UpdateAccessKey")
		if status == "Inactive" {
			unknownKey(t, e.ids, key.AccessKeyId)
		}
	}
	close(stop)
	for range 4 {
		<-done
	}
}
