package stsapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
	"github.com/sealbox/sealbox/internal/identity/stsapi"
	"github.com/sealbox/sealbox/internal/sigv4"
)

var sessionKeyPattern = regexp.MustCompile(`^ASIA[A-Z2-7]{16}$`)

func TestAssumeRole(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	bob, _ := e.User("bob")
	role := e.Role("deploy", trustFor("arn:aws:iam::123456789012:user/alice"), 7200)

	out := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "build-42"}))(t, "AssumeRole")
	c := out.Credentials
	if !sessionKeyPattern.MatchString(c.AccessKeyId) || len(c.SecretAccessKey) != 40 || len(c.SessionToken) < 100 {
		t.Errorf("AssumeRole Credentials = %+v", c)
	}
	if !c.Expiration.Equal(t0.Add(time.Hour)) {
		t.Errorf("Expiration = %v, want %v (default one hour)", c.Expiration, t0.Add(time.Hour))
	}
	if out.AssumedRoleUser.AssumedRoleId != role.RoleId+":build-42" ||
		out.AssumedRoleUser.Arn != "arn:aws:sts::123456789012:assumed-role/deploy/build-42" || out.PackedPolicySize != 0 {
		t.Errorf("AssumeRole = %+v", out)
	}

	k := must(e.IDs.LookupAccessKey(context.Background(), c.AccessKeyId))(t, "LookupAccessKey(session)")
	p := k.Principal
	if !k.Secret.EqualString(c.SecretAccessKey) || !k.SessionToken.EqualString(c.SessionToken) || !k.Expires.Equal(c.Expiration.Time) {
		t.Errorf("session key = %+v", k)
	}
	if p.Type != "AssumedRole" || p.ARN != out.AssumedRoleUser.Arn || p.PrincipalID != out.AssumedRoleUser.AssumedRoleId ||
		p.RoleARN != role.Arn || p.SessionName != "build-42" || !p.Temporary || p.AccountID != account {
		t.Errorf("session principal = %+v", p)
	}
	who := must(e.STS.GetCallerIdentity(withPrincipal(p), &stsapi.GetCallerIdentityRequest{}))(t, "GetCallerIdentity")
	if who.Arn != p.ARN || who.UserId != p.PrincipalID || who.Account != account {
		t.Errorf("GetCallerIdentity(session) = %+v", who)
	}
	got := must(e.IAM.GetRole(e.Root, &iamapi.GetRoleRequest{RoleName: "deploy"}))(t, "GetRole").Role
	if got.RoleLastUsed.LastUsedDate == nil || got.RoleLastUsed.Region != "us-east-1" {
		t.Errorf("RoleLastUsed = %+v", got.RoleLastUsed)
	}

	// Refusals.
	_, err := e.STS.AssumeRole(bob, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1"})
	wantErr(t, "AssumeRole as bob", err, "AccessDenied",
		"User: arn:aws:iam::123456789012:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/deploy")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/missing", RoleSessionName: "s1"})
	wantErr(t, "AssumeRole(missing)", err, "AccessDenied",
		"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::123456789012:role/missing")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:role/other/deploy", RoleSessionName: "s1"})
	wantErr(t, "AssumeRole(wrong path)", err, "AccessDenied", "")
	_, err = e.STS.AssumeRole(e.Root, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1"})
	wantErr(t, "AssumeRole as root", err, "AccessDenied", "Roles may not be assumed by root accounts.")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: "arn:aws:iam::123456789012:user/alice", RoleSessionName: "s1"})
	wantErr(t, "AssumeRole(user ARN)", err, "ValidationError", "Request ARN is invalid")

	// Session tags need sts:TagSession, a source identity
	// sts:SetSourceIdentity, in the trust policy.
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1", Tags: []stsapi.Tag{{Key: "team", Value: "core"}}})
	wantErr(t, "AssumeRole(tags)", err, "AccessDenied",
		"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: sts:TagSession on resource: arn:aws:iam::123456789012:role/deploy")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1", SourceIdentity: "alice"})
	wantErr(t, "AssumeRole(source identity)", err, "AccessDenied", "")
	// Limits are told only to callers the role trusts.
	_, err = e.STS.AssumeRole(bob, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1", DurationSeconds: 43200})
	wantErr(t, "AssumeRole as bob (43200)", err, "AccessDenied", "")

	// A Deny in the trust policy wins.
	deny := `{"Version":"2012-10-17","Statement":[` +
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"sts:AssumeRole"},` +
		`{"Effect":"Deny","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice"]},"Action":"sts:AssumeRole"}]}`
	must(e.IAM.UpdateAssumeRolePolicy(e.Root, &iamapi.UpdateAssumeRolePolicyRequest{RoleName: "deploy", PolicyDocument: deny}))(t, "UpdateAssumeRolePolicy")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s2"})
	wantErr(t, "AssumeRole(denied by trust)", err, "AccessDenied", "")
	// The session made before keeps working until it expires, as in AWS.
	if _, err := e.IDs.LookupAccessKey(context.Background(), c.AccessKeyId); err != nil {
		t.Errorf("session after a trust change: %v", err)
	}
}

func TestAssumeRoleDuration(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	short := e.Role("short", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	long := e.Role("long", trustFor("arn:aws:iam::123456789012:user/alice", "arn:aws:sts::123456789012:assumed-role/short/s1"), 43200)
	for _, c := range []struct {
		role     string
		duration int
		code     string
		msg      string
	}{
		{short.Arn, 900, "", ""},
		{short.Arn, 3600, "", ""},
		{short.Arn, 3601, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{long.Arn, 43200, "", ""},
	} {
		out, err := e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: c.role, RoleSessionName: "s1", DurationSeconds: int32(c.duration)})
		if c.code != "" {
			wantErr(t, "AssumeRole(duration)", err, c.code, c.msg)
			continue
		}
		if err != nil {
			t.Errorf("AssumeRole(%s, %d): %v", c.role, c.duration, err)
			continue
		}
		if want := t0.Add(time.Duration(c.duration) * time.Second); !out.Credentials.Expiration.Equal(want) {
			t.Errorf("AssumeRole(%d) Expiration = %v, want %v", c.duration, out.Credentials.Expiration, want)
		}
	}

	// Role chaining: at most one hour, whatever the role allows.
	first := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: short.Arn, RoleSessionName: "s1"}))(t, "AssumeRole(short)").Credentials
	chained := e.As(first.AccessKeyId)
	_, err := e.STS.AssumeRole(chained, &stsapi.AssumeRoleRequest{RoleArn: long.Arn, RoleSessionName: "s2", DurationSeconds: 3601})
	wantErr(t, "chained AssumeRole(3601)", err, "ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	must(e.STS.AssumeRole(chained, &stsapi.AssumeRoleRequest{RoleArn: long.Arn, RoleSessionName: "s2"}))(t, "chained AssumeRole")
}

func TestSessionPolicies(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	role := e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	narrow := must(e.IAM.CreatePolicy(e.Root, &iamapi.CreatePolicyRequest{PolicyName: "Narrow", PolicyDocument: allow("kms:Decrypt")}))(t, "CreatePolicy").Policy
	inline := allow("ssm:GetParameter")

	out := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{
		RoleArn: role.Arn, RoleSessionName: "narrowed", Policy: inline,
		PolicyArns: []stsapi.PolicyDescriptorType{{Arn: narrow.Arn}},
	}))(t, "AssumeRole with session policies")
	if out.PackedPolicySize <= 0 || out.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize = %d", out.PackedPolicySize)
	}
	docs := must(e.IDs.SessionPolicies(context.Background(), out.Credentials.AccessKeyId))(t, "SessionPolicies")
	if len(docs) != 2 || docs[0].Document != inline || !strings.HasPrefix(docs[0].Source, "arn:aws:sts::123456789012:assumed-role/app/narrowed#session@") ||
		docs[1].Document != allow("kms:Decrypt") || !strings.HasPrefix(docs[1].Source, narrow.Arn+"?v1@") {
		t.Fatalf("SessionPolicies = %+v", docs)
	}

	// A managed session policy deleted since stays as one that allows
	// nothing, so that the session stays narrowed.
	must(e.IAM.DeletePolicy(e.Root, &iamapi.DeletePolicyRequest{PolicyArn: narrow.Arn}))(t, "DeletePolicy")
	docs = must(e.IDs.SessionPolicies(context.Background(), out.Credentials.AccessKeyId))(t, "SessionPolicies after DeletePolicy")
	if len(docs) != 2 || !strings.Contains(docs[1].Document, `"NotAction":"*"`) {
		t.Errorf("SessionPolicies after DeletePolicy = %+v", docs)
	}

	_, err := e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "bad", Policy: `{"Version":"2012-10-17"}`})
	wantErr(t, "AssumeRole(malformed session policy)", err, "MalformedPolicyDocument", "")
	_, err = e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "bad", Policy: allow(strings.Repeat("s", 2100))})
	wantErr(t, "AssumeRole(long session policy)", err, "ValidationError", "")
}

func TestGetSessionToken(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	c := must(e.STS.GetSessionToken(alice, &stsapi.GetSessionTokenRequest{}))(t, "GetSessionToken").Credentials
	if !c.Expiration.Equal(t0.Add(12*time.Hour)) || !sessionKeyPattern.MatchString(c.AccessKeyId) {
		t.Errorf("GetSessionToken = %+v, want 12 hours", c)
	}
	p := must(e.IDs.LookupAccessKey(context.Background(), c.AccessKeyId))(t, "LookupAccessKey").Principal
	if p.Type != "IAMUser" || p.UserName != "alice" || p.ARN != "arn:aws:iam::123456789012:user/alice" || !p.Temporary {
		t.Errorf("GetSessionToken principal = %+v", p)
	}
	_, err := e.STS.GetSessionToken(withPrincipal(p), &stsapi.GetSessionTokenRequest{})
	wantErr(t, "GetSessionToken with session credentials", err, "AccessDenied", "Cannot call GetSessionToken with session credentials")

	long := must(e.STS.GetSessionToken(alice, &stsapi.GetSessionTokenRequest{DurationSeconds: 129600}))(t, "GetSessionToken(36h)").Credentials
	if !long.Expiration.Equal(t0.Add(36 * time.Hour)) {
		t.Errorf("GetSessionToken(129600) Expiration = %v", long.Expiration)
	}

	root := must(e.STS.GetSessionToken(e.Root, &stsapi.GetSessionTokenRequest{DurationSeconds: 7200}))(t, "GetSessionToken as root").Credentials
	if !root.Expiration.Equal(t0.Add(time.Hour)) {
		t.Errorf("root GetSessionToken(7200) Expiration = %v, want one hour", root.Expiration)
	}
	rp := must(e.IDs.LookupAccessKey(context.Background(), root.AccessKeyId))(t, "LookupAccessKey(root session)").Principal
	if rp.Type != "Root" || !rp.Temporary {
		t.Errorf("root session principal = %+v", rp)
	}
}

// TestSessionExpiry drives the SigV4 verifier with requests signed by
// session credentials: accepted before expiry, ExpiredToken after it (a
// sweep meanwhile changes nothing), and an unknown key once swept a day
// later.
func TestSessionExpiry(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	role := e.Role("app", trustFor("arn:aws:iam::123456789012:user/alice"), 0)
	c := must(e.STS.AssumeRole(alice, &stsapi.AssumeRoleRequest{RoleArn: role.Arn, RoleSessionName: "s1", DurationSeconds: 900}))(t, "AssumeRole").Credentials
	v := &sigv4.Verifier{Credentials: e.IDs, Clock: e.Clock}
	verify := func() (*sigv4.Result, error) {
		body := "Action=GetCallerIdentity&Version=2011-06-15"
		req, _ := http.NewRequest("POST", "https://sts.amazonaws.com/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: c.AccessKeyId, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "sts", "us-east-1", e.Clock.Now()); err != nil {
			t.Fatalf("SignHTTP: %v", err)
		}
		return v.Verify(context.Background(), req, []byte(body), "sts")
	}
	res, err := verify()
	if err != nil || res.Principal.Type != "AssumedRole" || res.Principal.AccessKeyID != c.AccessKeyId {
		t.Fatalf("Verify before expiry = %+v, %v", res, err)
	}

	if n := must(e.STS.SweepExpired(context.Background(), e.Clock.Now()))(t, "SweepExpired"); n != 0 {
		t.Errorf("SweepExpired before expiry removed %d", n)
	}
	e.Clock.Advance(15 * time.Minute)
	_, err = verify()
	var ae *sigv4.AuthError
	if !errors.As(err, &ae) || ae.Kind != sigv4.KindExpiredToken {
		t.Fatalf("Verify after expiry err = %v, want ExpiredToken", err)
	}
	// Swept at expiry, the session still answers ExpiredToken: AWS's
	// expired credentials never become unknown.
	if n := must(e.STS.SweepExpired(context.Background(), e.Clock.Now()))(t, "SweepExpired"); n != 0 {
		t.Errorf("SweepExpired at expiry removed %d, want 0", n)
	}
	_, err = verify()
	if !errors.As(err, &ae) || ae.Kind != sigv4.KindExpiredToken {
		t.Fatalf("Verify after expiry and a sweep err = %v, want ExpiredToken", err)
	}
	e.Clock.Advance(stsapi.ExpiredSessionKept)
	if n := must(e.STS.SweepExpired(context.Background(), e.Clock.Now()))(t, "SweepExpired"); n != 1 {
		t.Errorf("SweepExpired a day after expiry removed %d, want 1", n)
	}
	_, err = verify()
	if !errors.As(err, &ae) || ae.Kind != sigv4.KindUnknownKey {
		t.Fatalf("Verify after the sweep err = %v, want an unknown key", err)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	e := newEnv(t)
	alice, _ := e.User("alice")
	who := must(e.STS.GetCallerIdentity(alice, &stsapi.GetCallerIdentityRequest{}))(t, "GetCallerIdentity(alice)")
	u := must(e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "alice"}))(t, "GetUser").User
	if who.Arn != u.Arn || who.UserId != u.UserId || who.Account != account {
		t.Errorf("GetCallerIdentity(alice) = %+v", who)
	}
	root := must(e.STS.GetCallerIdentity(e.Root, &stsapi.GetCallerIdentityRequest{}))(t, "GetCallerIdentity(root)")
	if root.Arn != "arn:aws:iam::123456789012:root" || root.UserId != account {
		t.Errorf("GetCallerIdentity(root) = %+v", root)
	}
}
