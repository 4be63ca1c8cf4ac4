package identity_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/boltstore"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// TestRestart makes users, keys, a role and a session on a bolt store,
// closes it, opens it again with a fresh identity store (empty caches),
// and finds everything working: keys and sessions survive restarts.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sealbox.db")
	open := func() *store.FeedStore {
		b, err := boltstore.Open(path, boltstore.Options{})
		if err != nil {
			t.Fatalf("boltstore.Open: %v", err)
		}
		return store.WithFeed(b)
	}
	fs := open()
	e := newEnvOver(t, fs, nil)
	alice, key := e.User("alice")
	must(e.IAM.PutUserPolicy(e.Root, &iamapi.PutUserPolicyRequest{UserName: "alice", PolicyName: "p", PolicyDocument: allow("s3:GetObject")}))(t, "PutUserPolicy")
	role := e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	sess := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1", Policy: allow("s3:GetObject")}))(t, "AssumeRole").Credentials
	adminID := e.AdminID
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}

	fs = open()
	defer fs.Close()
	e2 := newEnvOver(t, fs, nil)
	admin, err := e2.IDs.EnsureAdmin(context.Background(), "", primitive.Secret{})
	if err != nil || admin.Changed || admin.AccessKeyID != adminID || admin.UserName != "admin" {
		t.Fatalf("EnsureAdmin after restart = %+v, %v; want %s of user admin kept", admin, err, adminID)
	}
	k := must(e2.IDs.LookupAccessKey(context.Background(), key.AccessKeyId))(t, "LookupAccessKey(user key)")
	if !k.Secret.EqualString(key.SecretAccessKey) || k.Principal.UserName != "alice" {
		t.Errorf("user key after restart = %+v", k)
	}
	s := must(e2.IDs.LookupAccessKey(context.Background(), sess.AccessKeyId))(t, "LookupAccessKey(session)")
	if !s.SessionToken.EqualString(sess.SessionToken) || s.Principal.RoleARN != role.Arn {
		t.Errorf("session after restart = %+v", s)
	}
	if d := must(e2.IDs.PoliciesFor(context.Background(), k.Principal))(t, "PoliciesFor"); len(d) != 1 {
		t.Errorf("PoliciesFor(alice) after restart = %v", d)
	}
	if d := must(e2.IDs.SessionPolicies(context.Background(), sess.AccessKeyId))(t, "SessionPolicies"); len(d) != 1 {
		t.Errorf("SessionPolicies after restart = %v", d)
	}
}

// TestSecretsSealedAtRest runs the services over the barrier and looks for
// secrets and session tokens in the raw store underneath: there are none.
func TestSecretsSealedAtRest(t *testing.T) {
	raw := memstore.New()
	b, err := barrier.Open(context.Background(), raw, rootkey.NewFile(filepath.Join(t.TempDir(), "root.key")))
	if err != nil {
		t.Fatalf("barrier.Open: %v", err)
	}
	e := newEnvOver(t, store.WithFeed(b), nil)
	alice, key := e.User("alice")
	role := e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	sess := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1"}))(t, "AssumeRole").Credentials
	secrets := [][]byte{[]byte(key.SecretAccessKey), []byte(sess.SecretAccessKey), []byte(sess.SessionToken)}
	n := 0
	err = raw.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("", "", func(k string, v []byte) error {
			n++
			for _, s := range secrets {
				if bytes.Contains(v, s) || bytes.Contains([]byte(k), s) {
					t.Errorf("raw store key %q holds a secret in the clear", k)
				}
			}
			return nil
		})
	})
	if err != nil || n == 0 {
		t.Fatalf("scan of the raw store: %d keys, %v", n, err)
	}
}
