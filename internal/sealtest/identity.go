package sealtest

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// The identity harness: the identity store with its IAM and STS services
// over a store in memory (or one given), called directly, without a
// server, as the unit tests of internal/identity, iamapi and stsapi drive
// them.

// IdentityAccount is the account of the identity harness.
const IdentityAccount = "123456789012"

// IdentityT0 is the time on the identity harness's clock when it starts,
// and of the requests its contexts carry.
var IdentityT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// JSONChecker is a small real PolicyChecker: documents must be JSON
// objects with a Version and Statements; trust policies need a Principal in
// each statement, identity policies none. A trust policy allows a caller
// whose ARN its Principal.AWS lists, unless a Deny statement lists it too.
type JSONChecker struct{}

type stmt struct {
	Effect    string
	Action    any
	Principal map[string]any
}

type doc struct {
	Version   string
	Statement []stmt
}

// Malformed is the error JSONChecker answers for a malformed document.
func Malformed(msg string) error {
	return &sealbox.Error{Code: "MalformedPolicyDocument", Message: msg}
}

func parseDoc(s string) (doc, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return doc{}, Malformed("Syntax errors in policy.")
	}
	var d doc
	if err := json.Unmarshal(raw["Version"], &d.Version); err != nil || d.Version != "2012-10-17" {
		return doc{}, Malformed("The policy failed legacy parsing")
	}
	st := raw["Statement"]
	if len(st) > 0 && st[0] == '{' {
		st = append(append([]byte{'['}, st...), ']')
	}
	if err := json.Unmarshal(st, &d.Statement); err != nil || len(d.Statement) == 0 {
		return doc{}, Malformed("Syntax errors in policy.")
	}
	return d, nil
}

// Validate implements identity.PolicyChecker.
func (JSONChecker) Validate(s string, kind identity.PolicyKind) error {
	d, err := parseDoc(s)
	if err != nil {
		return err
	}
	for _, st := range d.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return Malformed("Invalid effect: " + st.Effect)
		}
		if kind == identity.TrustPolicy && st.Principal == nil {
			return Malformed("Missing required field Principal")
		}
		if kind == identity.IdentityPolicy && st.Principal != nil {
			return Malformed("Policy document should not specify a principal.")
		}
	}
	return nil
}

// List is a policy element that is a string or a list of them, as a list.
func List(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// TrustAllows implements identity.PolicyChecker.
func (JSONChecker) TrustAllows(ctx context.Context, trust string, caller sealbox.Principal, action string) (bool, error) {
	if _, ok := identity.AssumeRoleRequestFromContext(ctx); !ok {
		return false, errors.New("no AssumeRole request in the context")
	}
	d, err := parseDoc(trust)
	if err != nil {
		return false, err
	}
	allowed := false
	for _, st := range d.Statement {
		principals := List(st.Principal["AWS"])
		// A pinned principal (identity.PinPrincipals) is "<arn>#<unique id>".
		id, _, _ := strings.Cut(caller.PrincipalID, ":")
		if !slices.Contains(List(st.Action), action) || !slices.Contains(principals, caller.ARN) && !slices.Contains(principals, caller.ARN+"#"+id) {
			continue
		}
		if st.Effect == "Deny" {
			return false, nil
		}
		allowed = true
	}
	return allowed, nil
}

// Identity is the identity store with its IAM and STS services over a
// real store, with the administrator made and a root access key made by
// breaking glass.
type Identity struct {
	T     testing.TB
	Store store.Store
	IDs   *identity.Store
	IAM   *iamapi.Service
	STS   *stsapi.Service
	Clock *clock.Fake
	// Root is signed by a root access key made by breaking glass
	// (RootID); Admin by the administrator's key (the IAM user admin).
	Root, Admin context.Context
	RootID      string
	// AdminID and AdminSecret are the administrator's key pair.
	AdminID, AdminSecret string
}

// NewIdentity is the identity harness over a memory store, without an
// authorizer.
func NewIdentity(t testing.TB) *Identity {
	t.Helper()
	return NewIdentityOver(t, store.WithFeed(memstore.New()), nil)
}

// NewIdentityOver is the identity harness over fs, asking authz (if not
// nil) before every IAM operation. Over a store used before, it finds the
// root key made then.
func NewIdentityOver(t testing.TB, fs *store.FeedStore, authz sealbox.Authorizer) *Identity {
	t.Helper()
	e := &Identity{T: t, Store: fs, Clock: clock.NewFake(IdentityT0)}
	e.IDs = identity.New(fs, fs, IdentityAccount, e.Clock)
	e.IAM = iamapi.New(e.IDs, iamapi.Config{Checker: JSONChecker{}, Authorizer: authz})
	e.STS = stsapi.New(e.IDs, stsapi.Config{Checker: JSONChecker{}})
	admin, err := e.IDs.EnsureAdmin(context.Background(), "", primitive.Secret{})
	if err != nil {
		t.Fatalf("EnsureAdmin() err = %v", err)
	}
	e.AdminID, e.AdminSecret = admin.AccessKeyID, string(admin.SecretAccessKey.Bytes())
	e.Admin = e.As(admin.AccessKeyID)
	keys, err := e.IDs.RootAccessKeys(context.Background())
	if err != nil {
		t.Fatalf("RootAccessKeys() err = %v", err)
	}
	if len(keys) > 0 { // a store opened again
		e.RootID = keys[0]
	} else if e.RootID, _, err = e.IDs.CreateRootAccessKey(context.Background()); err != nil {
		t.Fatalf("CreateRootAccessKey() err = %v", err)
	}
	e.Root = e.As(e.RootID)
	return e
}

// As returns a request context signed by the access key id, with the
// principal the store's lookup gives it.
func (e *Identity) As(keyID string) context.Context {
	e.T.Helper()
	k, err := e.IDs.LookupAccessKey(context.Background(), keyID)
	if err != nil {
		e.T.Fatalf("LookupAccessKey(%s) err = %v", keyID, err)
	}
	return WithPrincipal(k.Principal)
}

// WithPrincipal is a request context of the identity harness's account,
// signed by p.
func WithPrincipal(p sealbox.Principal) context.Context {
	return sealbox.NewContext(context.Background(), &sealbox.Request{
		ID: "req", Time: IdentityT0, Region: "us-east-1", Partition: "aws", AccountID: IdentityAccount, Principal: p,
	})
}

// User creates a user with an access key and returns a context signed by it.
func (e *Identity) User(name string) (context.Context, *iamapi.AccessKey) {
	e.T.Helper()
	OK(e.IAM.CreateUser(e.Root, &iamapi.CreateUserRequest{UserName: name}))(e.T, "CreateUser")
	out := OK(e.IAM.CreateAccessKey(e.Root, &iamapi.CreateAccessKeyRequest{UserName: name}))(e.T, "CreateAccessKey")
	return e.As(out.AccessKey.AccessKeyId), out.AccessKey
}

// Role creates a role with the trust policy and MaxSessionDuration (0: the
// default).
func (e *Identity) Role(name, trust string, maxSession int) *iamapi.Role {
	e.T.Helper()
	out := OK(e.IAM.CreateRole(e.Root, &iamapi.CreateRoleRequest{
		RoleName: name, AssumeRolePolicyDocument: trust, MaxSessionDuration: int32(maxSession),
	}))(e.T, "CreateRole")
	return out.Role
}

// TrustFor is a trust policy that lets the principals arns assume the role.
func TrustFor(arns ...string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": arns}, "Action": "sts:AssumeRole",
		}},
	})
	return string(b)
}

// Allow is an identity policy that allows actions on every resource.
func Allow(actions ...string) string {
	b, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}},
	})
	return string(b)
}

// OK returns v, or fails the test if err is set: OK(svc.Op(ctx, in))(t,
// "Op"). (Must is the same with the test and call first.)
func OK[T any](v T, err error) func(t testing.TB, call string) T {
	return func(t testing.TB, call string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: err = %v", call, err)
		}
		return v
	}
}

// WantErr fails unless err is an *sealbox.Error with code and, if msg is
// not empty, exactly that message.
func WantErr(t testing.TB, call string, err error, code, msg string) {
	t.Helper()
	e, ok := sealbox.AsError(err)
	if !ok {
		t.Fatalf("%s: err = %v, want %s", call, err, code)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("%s: err = %s: %q, want %s: %q", call, e.Code, e.Message, code, msg)
	}
}

// Decode is a percent-encoded policy document as it was written.
func Decode(t testing.TB, encoded string) string {
	t.Helper()
	s, err := url.QueryUnescape(encoded)
	if err != nil {
		t.Fatalf("QueryUnescape(%q) err = %v", encoded, err)
	}
	return s
}

// UnknownKey fails unless the identity store does not know the access key id.
func UnknownKey(t testing.TB, ids *identity.Store, id string) {
	t.Helper()
	_, err := ids.LookupAccessKey(context.Background(), id)
	if !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Fatalf("LookupAccessKey(%s) err = %v, want ErrUnknownAccessKey", id, err)
	}
}
