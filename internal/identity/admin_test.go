package identity_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// TestLegacyRootAdmin: a store whose administrator key is the root's (the
// layout before the admin user) keeps it, a different preset replaces it
// as before, and MoveAdminToUser moves the administrator to the IAM user
// admin; the root's keys go only when asked, never the administrator's.
func TestLegacyRootAdmin(t *testing.T) {
	ctx := context.Background()
	fs := store.WithFeed(memstore.New())
	const id, secret = "AKIAOLDROOTKEY000001", "oldrootsecretoldrootsecretoldrootsecret0"
	err := fs.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put("iam/accesskey/"+id, []byte(`{"id":"`+id+`","secret":"`+secret+`","status":"Active","owner":"root","created":"2026-01-01T00:00:00Z"}`)); err != nil {
			return err
		}
		return tx.Put("iam/admin-access-key", []byte(id))
	})
	if err != nil {
		t.Fatal(err)
	}
	ids := identity.New(fs, fs, account, clock.NewFake(t0))

	a, err := ids.EnsureAdmin(ctx, "", primitive.Secret{})
	if err != nil || !a.Root() || a.AccessKeyID != id || !a.SecretAccessKey.EqualString(secret) || a.Changed {
		t.Fatalf("EnsureAdmin() on a legacy store = %+v, %v; want the root's key kept", a, err)
	}
	if p := must(ids.LookupAccessKey(ctx, id))(t, "LookupAccessKey").Principal; p.Type != "Root" {
		t.Fatalf("the legacy key's principal = %+v, want the root", p)
	}
	if err := ids.DeleteRootAccessKeys(ctx, []string{id}); err == nil {
		t.Fatalf("DeleteRootAccessKeys(the administrator's key) err = nil, want a refusal")
	}

	moved, rootKeys, err := ids.MoveAdminToUser(ctx)
	if err != nil || !moved.Changed || moved.UserName != "admin" || moved.AccessKeyID == id || len(rootKeys) != 1 || rootKeys[0] != id {
		t.Fatalf("MoveAdminToUser() = %+v, %v, %v", moved, rootKeys, err)
	}
	if p := must(ids.LookupAccessKey(ctx, moved.AccessKeyID))(t, "LookupAccessKey(new)").Principal; p.ARN != "arn:aws:iam::123456789012:user/admin" {
		t.Fatalf("the new key's principal = %+v", p)
	}
	again, err := ids.EnsureAdmin(ctx, "", primitive.Secret{})
	if err != nil || again.Root() || again.AccessKeyID != moved.AccessKeyID || again.Changed {
		t.Fatalf("EnsureAdmin() after the move = %+v, %v; want the user's key kept", again, err)
	}
	if _, _, err := ids.MoveAdminToUser(ctx); err != nil {
		t.Fatalf("MoveAdminToUser() again: %v", err)
	}
	if err := ids.DeleteRootAccessKeys(ctx, rootKeys); err != nil {
		t.Fatalf("DeleteRootAccessKeys: %v", err)
	}
	unknownKey(t, ids, id)
	if keys := must(ids.RootAccessKeys(ctx))(t, "RootAccessKeys"); len(keys) != 0 {
		t.Fatalf("RootAccessKeys() after the deletion = %v", keys)
	}
}

// TestLegacyRootAdminPreset: a different preset on a legacy store replaces
// the root's key, as it always did.
func TestLegacyRootAdminPreset(t *testing.T) {
	ctx := context.Background()
	fs := store.WithFeed(memstore.New())
	ids := identity.New(fs, fs, account, clock.NewFake(t0))
	err := fs.Update(ctx, func(tx store.Tx) error {
		if err := tx.Put("iam/accesskey/AKIAOLDROOTKEY000001", []byte(`{"id":"AKIAOLDROOTKEY000001","secret":"s","status":"Active","owner":"root","created":"2026-01-01T00:00:00Z"}`)); err != nil {
			return err
		}
		return tx.Put("iam/admin-access-key", []byte("AKIAOLDROOTKEY000001"))
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := ids.EnsureAdmin(ctx, "AKIAIOSFODNN7EXAMPLE", primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")))
	if err != nil || !a.Root() || !a.Changed || a.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("EnsureAdmin(preset) on a legacy store = %+v, %v", a, err)
	}
	unknownKey(t, ids, "AKIAOLDROOTKEY000001")
}

// TestAdminUser: the administrator is the IAM user admin with
// AdministratorAccess; the admin user's key is its own, not the root's.
func TestAdminUser(t *testing.T) {
	e := newEnv(t)
	p := must(e.IDs.LookupAccessKey(context.Background(), e.AdminID))(t, "LookupAccessKey(admin)").Principal
	if p.Type != "IAMUser" || p.ARN != "arn:aws:iam::123456789012:user/admin" || p.UserName != "admin" {
		t.Errorf("admin key principal = %+v, want the IAM user admin", p)
	}
	att := must(e.IAM.ListAttachedUserPolicies(e.Root, &iamapi.ListAttachedUserPoliciesRequest{UserName: "admin"}))(t, "ListAttachedUserPolicies(admin)")
	if len(att.AttachedPolicies) != 1 || att.AttachedPolicies[0].PolicyArn != "arn:aws:iam::aws:policy/AdministratorAccess" {
		t.Errorf("admin's attached policies = %+v, want AdministratorAccess", att.AttachedPolicies)
	}
	pol := must(e.IAM.GetPolicy(e.Root, &iamapi.GetPolicyRequest{PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess"}))(t, "GetPolicy")
	if pol.Policy.AttachmentCount != 1 {
		t.Errorf("AdministratorAccess AttachmentCount = %d, want 1", pol.Policy.AttachmentCount)
	}
	keys := must(e.IAM.ListAccessKeys(e.Admin, &iamapi.ListAccessKeysRequest{}))(t, "ListAccessKeys as admin")
	if len(keys.AccessKeyMetadata) != 1 || keys.AccessKeyMetadata[0].AccessKeyId != e.AdminID || keys.AccessKeyMetadata[0].UserName != "admin" {
		t.Errorf("ListAccessKeys as admin = %+v, want its own key", keys.AccessKeyMetadata)
	}

	// Deleting the administrator's key is a lock-down: the next start
	// makes no new one.
	must(e.IAM.DeleteAccessKey(e.Root, &iamapi.DeleteAccessKeyRequest{UserName: "admin", AccessKeyId: e.AdminID}))(t, "DeleteAccessKey(admin)")
	unknownKey(t, e.IDs, e.AdminID)
	a, err := e.IDs.EnsureAdmin(context.Background(), "", primitive.Secret{})
	if err != nil || a.Changed || a.AccessKeyID != "" || a.Absent == "" || a.Root() {
		t.Fatalf("EnsureAdmin() after its key was deleted = %+v, %v; want nothing made, Absent said", a, err)
	}
	if keys := must(e.IAM.ListAccessKeys(e.Root, &iamapi.ListAccessKeysRequest{UserName: "admin"}))(t, "ListAccessKeys(admin)"); len(keys.AccessKeyMetadata) != 0 {
		t.Fatalf("admin's keys after EnsureAdmin = %+v, want none", keys.AccessKeyMetadata)
	}
	// A preset, the operator's explicit say, gives the admin user its key.
	b, err := e.IDs.EnsureAdmin(context.Background(), "AKIAIOSFODNN7EXAMPLE", primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")))
	if err != nil || !b.Changed || b.AccessKeyID != "AKIAIOSFODNN7EXAMPLE" || b.UserName != "admin" {
		t.Fatalf("EnsureAdmin(preset) = %+v, %v", b, err)
	}
	again, err := e.IDs.EnsureAdmin(context.Background(), "AKIAIOSFODNN7EXAMPLE", primitive.NewSecret([]byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")))
	if err != nil || again.Changed || again.AccessKeyID != b.AccessKeyID {
		t.Fatalf("EnsureAdmin(preset) again = %+v, %v; want %s kept", again, err, b.AccessKeyID)
	}
	if att := must(e.IAM.ListAttachedUserPolicies(e.Root, &iamapi.ListAttachedUserPoliciesRequest{UserName: "admin"}))(t, "ListAttachedUserPolicies(admin)"); len(att.AttachedPolicies) != 1 {
		t.Errorf("admin's attached policies after EnsureAdmin again = %+v, want one", att.AttachedPolicies)
	}
	if keys, err := e.IDs.RootAccessKeys(context.Background()); err != nil || len(keys) != 1 {
		t.Errorf("RootAccessKeys() = %v, %v; want only the break-glass key", keys, err)
	}
}
