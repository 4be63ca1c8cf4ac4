package iamapi_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// denyAction is a small Authorizer: it denies one action, allows the rest,
// and notes what it was asked.
type denyAction struct {
	action string
	asked  []string
}

func (d *denyAction) Authorize(_ context.Context, q *sealbox.AccessQuery) error {
	d.asked = append(d.asked, q.Action+" "+q.Resource)
	if q.Action == d.action {
		return sealbox.Errorf("AccessDenied", "User: x is not authorized to perform: %s on resource: %s", q.Action, q.Resource)
	}
	return nil
}

func TestAuthorizerIsAsked(t *testing.T) {
	d := &denyAction{action: "iam:DeleteUser"}
	e := newEnvOver(t, store.WithFeed(memstore.New()), d)
	must(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: "alice", Path: "/p/"}))(t, "CreateUser")
	_, err := e.IAM.DeleteUser(e.Root, &iamapi.DeleteUserRequest{UserName: "alice"})
	wantErr(t, "DeleteUser(alice)", err, "AccessDenied", "User: x is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/p/alice")
	// A user that does not exist is denied the same way, under the
	// default path: no NoSuchEntity tells the caller what exists.
	_, err = e.IAM.DeleteUser(e.Root, &iamapi.DeleteUserRequest{UserName: "ghost"})
	wantErr(t, "DeleteUser(ghost)", err, "AccessDenied", "User: x is not authorized to perform: iam:DeleteUser on resource: arn:aws:iam::123456789012:user/ghost")
	if _, err := e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "alice"}); err != nil {
		t.Fatalf("GetUser(alice): %v", err)
	}
	want := []string{
		"iam:CreateUser arn:aws:iam::123456789012:user/p/alice",
		"iam:DeleteUser arn:aws:iam::123456789012:user/p/alice",
		"iam:DeleteUser arn:aws:iam::123456789012:user/ghost",
		"iam:GetUser arn:aws:iam::123456789012:user/p/alice",
	}
	if len(d.asked) != len(want) {
		t.Fatalf("authorizer asked %q, want %q", d.asked, want)
	}
	for i := range want {
		if d.asked[i] != want[i] {
			t.Errorf("authorizer asked %q, want %q", d.asked[i], want[i])
		}
	}
}
