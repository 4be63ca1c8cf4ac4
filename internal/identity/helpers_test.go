package identity_test

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
	"github.com/sealbox/sealbox/internal/primitive"
	"github.com/sealbox/sealbox/internal/sigv4"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

const account = "123456789012"

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// jsonChecker is a small real PolicyChecker: documents must be JSON
// objects with a Version and Statements; trust policies need a Principal in
// each statement, identity policies none. A trust policy allows a caller
// whose ARN its Principal.AWS lists, unless a Deny statement lists it too.
type jsonChecker struct{}

type stmt struct {
	Effect    string
	Action    any
	Principal map[string]any
}

type doc struct {
	Version   string
	Statement []stmt
}

func malformed(msg string) error {
	return &sealbox.Error{Code: "MalformedPolicyDocument", Message: msg}
}

func parseDoc(s string) (doc, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return doc{}, malformed("Syntax errors in policy.")
	}
	var d doc
	if err := json.Unmarshal(raw["Version"], &d.Version); err != nil || d.Version != "2012-10-17" {
		return doc{}, malformed("The policy failed legacy parsing")
	}
	st := raw["Statement"]
	if len(st) > 0 && st[0] == '{' {
		st = append(append([]byte{'['}, st...), ']')
	}
	if err := json.Unmarshal(st, &d.Statement); err != nil || len(d.Statement) == 0 {
		return doc{}, malformed("Syntax errors in policy.")
	}
	return d, nil
}

func (jsonChecker) Validate(s string, kind identity.PolicyKind) error {
	d, err := parseDoc(s)
	if err != nil {
		return err
	}
	for _, st := range d.Statement {
		if st.Effect != "Allow" && st.Effect != "Deny" {
			return malformed("Invalid effect: " + st.Effect)
		}
		if kind == identity.TrustPolicy && st.Principal == nil {
			return malformed("Missing required field Principal")
		}
		if kind == identity.IdentityPolicy && st.Principal != nil {
			return malformed("Policy document should not specify a principal.")
		}
	}
	return nil
}

func list(v any) []string {
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

func (jsonChecker) TrustAllows(ctx context.Context, trust string, caller sealbox.Principal, action string) (bool, error) {
	if _, ok := identity.AssumeRoleRequestFromContext(ctx); !ok {
		return false, errors.New("no AssumeRole request in the context")
	}
	d, err := parseDoc(trust)
	if err != nil {
		return false, err
	}
	allowed := false
	for _, st := range d.Statement {
		if !slices.Contains(list(st.Action), action) || !slices.Contains(list(st.Principal["AWS"]), caller.ARN) {
			continue
		}
		if st.Effect == "Deny" {
			return false, nil
		}
		allowed = true
	}
	return allowed, nil
}

// env is an identity store with its services over a real store.
type env struct {
	t     *testing.T
	st    store.Store
	ids   *identity.Store
	iam   *identity.IAM
	sts   *identity.STS
	clock *clock.Fake
	// root is signed by a root access key made by breaking glass
	// (rootID); admin by the administrator's key (the IAM user admin).
	root, admin context.Context
	rootID      string
	// adminID and adminSecret are the administrator's key pair.
	adminID, adminSecret string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvOver(t, store.WithFeed(memstore.New()), nil)
}

func newEnvOver(t *testing.T, fs *store.FeedStore, authz sealbox.Authorizer) *env {
	t.Helper()
	e := &env{t: t, st: fs, clock: clock.NewFake(t0)}
	e.ids = identity.New(fs, fs, account, e.clock)
	cfg := identity.Config{Checker: jsonChecker{}, Authorizer: authz}
	e.iam = identity.NewIAM(e.ids, cfg)
	e.sts = identity.NewSTS(e.ids, cfg)
	admin, err := e.ids.EnsureAdmin(context.Background(), "", primitive.Secret{})
	if err != nil {
		t.Fatalf("EnsureAdmin() err = %v", err)
	}
	e.adminID, e.adminSecret = admin.AccessKeyID, string(admin.SecretAccessKey.Bytes())
	e.admin = e.as(admin.AccessKeyID)
	keys, err := e.ids.RootAccessKeys(context.Background())
	if err != nil {
		t.Fatalf("RootAccessKeys() err = %v", err)
	}
	if len(keys) > 0 { // a store opened again
		e.rootID = keys[0]
	} else if e.rootID, _, err = e.ids.CreateRootAccessKey(context.Background()); err != nil {
		t.Fatalf("CreateRootAccessKey() err = %v", err)
	}
	e.root = e.as(e.rootID)
	return e
}

// as returns a request context signed by the access key id, with the
// principal the store's lookup gives it.
func (e *env) as(keyID string) context.Context {
	e.t.Helper()
	k, err := e.ids.LookupAccessKey(context.Background(), keyID)
	if err != nil {
		e.t.Fatalf("LookupAccessKey(%s) err = %v", keyID, err)
	}
	return withPrincipal(k.Principal)
}

func withPrincipal(p sealbox.Principal) context.Context {
	return sealbox.NewContext(context.Background(), &sealbox.Request{
		ID: "req", Time: t0, Region: "us-east-1", Partition: "aws", AccountID: account, Principal: p,
	})
}

// user creates a user with an access key and returns a context signed by it.
func (e *env) user(name string) (context.Context, *identity.AccessKey) {
	e.t.Helper()
	must(e.iam.CreateUser(e.root, &identity.CreateUserRequest{UserName: name}))(e.t, "CreateUser")
	out := must(e.iam.CreateAccessKey(e.root, &identity.CreateAccessKeyRequest{UserName: name}))(e.t, "CreateAccessKey")
	return e.as(out.AccessKey.AccessKeyId), out.AccessKey
}

func (e *env) role(name, trust string, maxSession int) *identity.Role {
	e.t.Helper()
	out := must(e.iam.CreateRole(e.root, &identity.CreateRoleRequest{
		RoleName: name, AssumeRolePolicyDocument: trust, MaxSessionDuration: int32(maxSession),
	}))(e.t, "CreateRole")
	return out.Role
}

func trustFor(arns ...string) string {
	b, _ := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"AWS": arns}, "Action": "sts:AssumeRole",
		}},
	})
	return string(b)
}

func allow(actions ...string) string {
	b, _ := json.Marshal(map[string]any{
		"Version":   "2012-10-17",
		"Statement": []any{map[string]any{"Effect": "Allow", "Action": actions, "Resource": "*"}},
	})
	return string(b)
}

// must returns v, or fails the test if err is set:
// must(svc.Op(ctx, in))(t, "Op").
func must[T any](v T, err error) func(t *testing.T, call string) T {
	return func(t *testing.T, call string) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: err = %v", call, err)
		}
		return v
	}
}

// wantErr fails unless err is an *sealbox.Error with code and, if msg is
// not empty, exactly that message.
func wantErr(t *testing.T, call string, err error, code, msg string) {
	t.Helper()
	e, ok := sealbox.AsError(err)
	if !ok {
		t.Fatalf("%s: err = %v, want %s", call, err, code)
	}
	if e.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("%s: err = %s: %q, want %s: %q", call, e.Code, e.Message, code, msg)
	}
}

func decode(t *testing.T, encoded string) string {
	t.Helper()
	s, err := url.QueryUnescape(encoded)
	if err != nil {
		t.Fatalf("QueryUnescape(%q) err = %v", encoded, err)
	}
	return s
}

func unknownKey(t *testing.T, ids *identity.Store, id string) {
	t.Helper()
	_, err := ids.LookupAccessKey(context.Background(), id)
	if !errors.Is(err, sigv4.ErrUnknownAccessKey) {
		t.Fatalf("LookupAccessKey(%s) err = %v, want ErrUnknownAccessKey", id, err)
	}
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
