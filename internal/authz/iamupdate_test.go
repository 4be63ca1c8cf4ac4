package authz_test

import (
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// TestUpdateUserRename: a renamed user keeps its id, keys, sessions, groups
// and policies under its new ARN; its old name names nothing, so neither
// the old name nor a resource policy naming the old ARN lets anyone in
// (no false allow). Renaming needs iam:UpdateUser on both ARNs, and a name
// another user has is refused.
func TestUpdateUserRename(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	old := must[*iam.CreateUserOutput](t, "CreateUser bob")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")})).User
	must[*iam.CreateUserOutput](t, "CreateUser carol")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("carol")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("listers")}))
	must[*iam.PutGroupPolicyOutput](t, "PutGroupPolicy")(c.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("listers"), PolicyName: aws.String("list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ListKeys","Resource":"*"}]}`)}))
	must[*iam.AddUserToGroupOutput](t, "AddUserToGroup")(c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("listers"), UserName: aws.String("bob")}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("bob")})).AccessKey
	bob := s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey})
	sess := must[*sts.GetSessionTokenOutput](t, "GetSessionToken")(sts.NewFromConfig(bob).GetSessionToken(ctx, &sts.GetSessionTokenInput{})).Credentials
	bobSession := s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *sess.AccessKeyId, SecretAccessKey: *sess.SecretAccessKey, SessionToken: *sess.SessionToken})

	// A secret whose resource policy names bob's ARN: bob reads it.
	sm := s.SecretsManager()
	must[*secretsmanager.CreateSecretOutput](t, "CreateSecret")(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("for-bob"), SecretString: aws.String("v")}))
	must[*secretsmanager.PutResourcePolicyOutput](t, "PutResourcePolicy")(sm.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("for-bob"),
		ResourcePolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + *old.Arn + `"},"Action":["secretsmanager:GetSecretValue","kms:Decrypt"],"Resource":"*"}]}`)}))
	must[*secretsmanager.GetSecretValueOutput](t, "GetSecretValue as bob (the policy names bob)")(secretsmanager.NewFromConfig(bob).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("for-bob")}))

	// A name another user has, regardless of case.
	_, err := c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("Carol")})
	sealtest.APIErrorContaining(t, "UpdateUser(bob -> Carol)", err, "EntityAlreadyExists", 409, "User with name Carol already exists.")
	_, err = c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("nobody"), NewUserName: aws.String("somebody")})
	sealtest.APIError(t, "UpdateUser(nobody)", err, "NoSuchEntity", 404)

	// iam:UpdateUser on the source only is not enough; on both it is.
	renamer := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey renamer")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("carol")})).AccessKey
	carol := iam.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *renamer.AccessKeyId, SecretAccessKey: *renamer.SecretAccessKey}))
	putCarol := func(resources string) {
		t.Helper()
		must[*iam.PutUserPolicyOutput](t, "PutUserPolicy carol")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carol"), PolicyName: aws.String("rename"),
			PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:UpdateUser","Resource":[` + resources + `]}]}`)}))
	}
	putCarol(`"arn:aws:iam::123456789012:user/bob"`)
	_, err = carol.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/eng/")})
	sealtest.APIErrorContaining(t, "UpdateUser(allowed on the source only)", err, "AccessDenied", 403, "iam:UpdateUser on resource: arn:aws:iam::123456789012:user/eng/robert")
	putCarol(`"arn:aws:iam::123456789012:user/eng/robert"`)
	_, err = carol.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/eng/")})
	sealtest.APIErrorContaining(t, "UpdateUser(allowed on the target only)", err, "AccessDenied", 403, "iam:UpdateUser on resource: arn:aws:iam::123456789012:user/bob")
	putCarol(`"arn:aws:iam::123456789012:user/bob","arn:aws:iam::123456789012:user/eng/robert"`)
	must[*iam.UpdateUserOutput](t, "UpdateUser(bob -> /eng/robert)")(carol.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("bob"), NewUserName: aws.String("robert"), NewPath: aws.String("/eng/")}))

	const newARN = "arn:aws:iam::123456789012:user/eng/robert"
	_, err = c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("bob")})
	sealtest.APIError(t, "GetUser(bob) after the rename", err, "NoSuchEntity", 404)
	u := must[*iam.GetUserOutput](t, "GetUser robert")(c.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("robert")})).User
	if *u.Arn != newARN || *u.UserId != *old.UserId || *u.Path != "/eng/" {
		t.Fatalf("GetUser(robert) = %s %s %s, want %s, id %s, path /eng/", *u.Arn, *u.UserId, *u.Path, newARN, *old.UserId)
	}
	// The key and the session stand for the new ARN.
	for name, cfg := range map[string]aws.Config{"key": bob, "session": bobSession} {
		id := must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity ("+name+")")(sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
		if *id.Arn != newARN || *id.UserId != *old.UserId {
			t.Errorf("GetCallerIdentity (%s) = %s %s, want %s %s", name, *id.Arn, *id.UserId, newARN, *old.UserId)
		}
		// The group's policy still applies: the membership moved.
		must[*kms.ListKeysOutput](t, "ListKeys ("+name+", through the group)")(kms.NewFromConfig(cfg).ListKeys(ctx, &kms.ListKeysInput{}))
		// The resource policy names the old ARN: it no longer applies.
		_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("for-bob")})
		wantDenied(t, "GetSecretValue ("+name+", the policy names the old ARN)", err, newARN, "secretsmanager:GetSecretValue", "because no identity-based policy allows")
	}
	keys := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys robert")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("robert")})).AccessKeyMetadata
	if len(keys) != 1 || *keys[0].AccessKeyId != *k.AccessKeyId || *keys[0].UserName != "robert" {
		t.Errorf("ListAccessKeys(robert) = %+v, want %s of robert", keys, *k.AccessKeyId)
	}
	_, err = c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})
	sealtest.APIError(t, "ListAccessKeys(bob) after the rename", err, "NoSuchEntity", 404)
	g := must[*iam.GetGroupOutput](t, "GetGroup")(c.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String("listers")}))
	if len(g.Users) != 1 || *g.Users[0].UserName != "robert" || *g.Users[0].Arn != newARN {
		t.Errorf("GetGroup(listers).Users = %+v, want robert", g.Users)
	}
	gs := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser robert")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("robert")})).Groups
	if len(gs) != 1 || *gs[0].GroupName != "listers" {
		t.Errorf("ListGroupsForUser(robert) = %+v, want listers", gs)
	}

	// A new user named bob is someone else: no key, session, group or
	// policy of robert's is its.
	must[*iam.CreateUserOutput](t, "CreateUser bob again")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("bob")}))
	if ks := must[*iam.ListAccessKeysOutput](t, "ListAccessKeys bob (new)")(c.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("bob")})).AccessKeyMetadata; len(ks) != 0 {
		t.Errorf("ListAccessKeys(new bob) = %+v, want none", ks)
	}
	if gs := must[*iam.ListGroupsForUserOutput](t, "ListGroupsForUser bob (new)")(c.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: aws.String("bob")})).Groups; len(gs) != 0 {
		t.Errorf("ListGroupsForUser(new bob) = %+v, want none", gs)
	}
	id := must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity (key, bob made again)")(sts.NewFromConfig(bob).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if *id.Arn != newARN {
		t.Errorf("GetCallerIdentity (key) after bob was made again = %s, want %s", *id.Arn, newARN)
	}

	// Renaming in case only, and a path change alone.
	must[*iam.UpdateUserOutput](t, "UpdateUser(robert -> Robert)")(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robert"), NewUserName: aws.String("Robert")}))
	must[*iam.UpdateUserOutput](t, "UpdateUser(NewPath /)")(c.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String("robert"), NewPath: aws.String("/")}))
	id = must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity (session, renamed twice)")(sts.NewFromConfig(bobSession).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	if want := "arn:aws:iam::123456789012:user/Robert"; *id.Arn != want {
		t.Errorf("GetCallerIdentity (session) = %s, want %s", *id.Arn, want)
	}
}

// TestUpdateRole: Description and MaxSessionDuration change; a member left
// out is left as it is; the new maximum governs AssumeRole.
func TestUpdateRole(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	arn := role(t, s, "app", "")
	_, err := sts.NewFromConfig(s.AWSConfig("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	sealtest.APIError(t, "AssumeRole(7200 s, before)", err, "ValidationError", 400)

	must[*iam.UpdateRoleOutput](t, "UpdateRole")(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), Description: aws.String("the app"), MaxSessionDuration: aws.Int32(7200)}))
	must[*iam.UpdateRoleOutput](t, "UpdateRole(MaxSessionDuration only)")(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(10800)}))
	r := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).Role
	if aws.ToString(r.Description) != "the app" || aws.ToInt32(r.MaxSessionDuration) != 10800 {
		t.Fatalf("GetRole = Description %q, MaxSessionDuration %d; want %q, 10800", aws.ToString(r.Description), aws.ToInt32(r.MaxSessionDuration), "the app")
	}
	must[*sts.AssumeRoleOutput](t, "AssumeRole(7200 s, after)")(sts.NewFromConfig(s.AWSConfig("us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(arn), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)}))

	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), MaxSessionDuration: aws.Int32(600)})
	sealtest.APIError(t, "UpdateRole(MaxSessionDuration 600)", err, "ValidationError", 400)
	_, err = c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("nope"), Description: aws.String("x")})
	sealtest.APIError(t, "UpdateRole(no such role)", err, "NoSuchEntity", 404)
	must[*iam.UpdateRoleOutput](t, "UpdateRole(Description empty)")(c.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: aws.String("app"), Description: aws.String("")}))
	if r := must[*iam.GetRoleOutput](t, "GetRole")(c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})).Role; r.Description != nil || aws.ToInt32(r.MaxSessionDuration) != 10800 {
		t.Fatalf("GetRole after clearing the description = %q, %d", aws.ToString(r.Description), aws.ToInt32(r.MaxSessionDuration))
	}
}

// TestGetAccessKeyLastUsed: a key's last use (date, service, region) is
// recorded at most once a minute per key; a key never used answers N/A,
// one that does not exist AccessDenied.
func TestGetAccessKeyLastUsed(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("u")})).AccessKey
	creds := aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey}
	lastUsed := func(call string) *iam.GetAccessKeyLastUsedOutput {
		t.Helper()
		return must[*iam.GetAccessKeyLastUsedOutput](t, call)(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId}))
	}
	want := func(call string, service, region string, date time.Time) {
		t.Helper()
		out := lastUsed(call)
		got := out.AccessKeyLastUsed
		if aws.ToString(out.UserName) != "u" || aws.ToString(got.ServiceName) != service || aws.ToString(got.Region) != region ||
			(date.IsZero() != (got.LastUsedDate == nil)) || (got.LastUsedDate != nil && !got.LastUsedDate.Equal(date)) {
			t.Fatalf("%s = %s %s %v (user %s), want %s %s %v (user u)", call, aws.ToString(got.ServiceName), aws.ToString(got.Region), got.LastUsedDate, aws.ToString(out.UserName), service, region, date)
		}
	}
	want("GetAccessKeyLastUsed (never used)", "N/A", "N/A", time.Time{})

	t0 := s.Clock.Now().UTC().Truncate(time.Second)
	must[*sts.GetCallerIdentityOutput](t, "GetCallerIdentity in us-west-2")(sts.NewFromConfig(s.AWSConfigAs("us-west-2", creds)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}))
	want("GetAccessKeyLastUsed (after STS)", "sts", "us-west-2", t0)

	// Within the minute another use is not recorded (one write a minute).
	s.Clock.Advance(30 * time.Second)
	_, err := kms.NewFromConfig(s.AWSConfigAs("eu-west-1", creds)).ListKeys(ctx, &kms.ListKeysInput{})
	sealtest.APIError(t, "ListKeys (denied, but the key is used)", err, "AccessDeniedException", 400)
	want("GetAccessKeyLastUsed (30 s later)", "sts", "us-west-2", t0)

	s.Clock.Advance(31 * time.Second)
	t1 := s.Clock.Now().UTC().Truncate(time.Second)
	_, err = kms.NewFromConfig(s.AWSConfigAs("eu-west-1", creds)).ListKeys(ctx, &kms.ListKeysInput{})
	sealtest.APIError(t, "ListKeys (denied, but the key is used)", err, "AccessDeniedException", 400)
	want("GetAccessKeyLastUsed (61 s later)", "kms", "eu-west-1", t1)

	_, err = c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String("AKIAAAAAAAAAAAAAAAAA")})
	sealtest.APIError(t, "GetAccessKeyLastUsed(no such key)", err, "AccessDenied", 403)
	// The user may not read its own key's last use without a policy.
	_, err = iam.NewFromConfig(s.AWSConfigAs("us-east-1", creds)).GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: k.AccessKeyId})
	sealtest.APIErrorContaining(t, "GetAccessKeyLastUsed as u", err, "AccessDenied", 403, "iam:GetAccessKeyLastUsed on resource: arn:aws:iam::123456789012:user/u")

	// The administrator's key: this very call is its use.
	admin := must[*iam.GetAccessKeyLastUsedOutput](t, "GetAccessKeyLastUsed(admin)")(c.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(sealtest.AccessKeyID)}))
	if aws.ToString(admin.UserName) != "admin" || aws.ToString(admin.AccessKeyLastUsed.ServiceName) != "iam" {
		t.Errorf("GetAccessKeyLastUsed(admin) = %s %s, want admin iam", aws.ToString(admin.UserName), aws.ToString(admin.AccessKeyLastUsed.ServiceName))
	}
}

// TestListEntitiesForPolicy: the groups, users and roles a managed policy
// is attached to or bounds, with each filter, a path prefix and paging.
func TestListEntitiesForPolicy(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	p := *must[*iam.CreatePolicyOutput](t, "CreatePolicy")(c.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}]}`)})).Policy.Arn
	must[*iam.CreateUserOutput](t, "CreateUser u1")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1"), Path: aws.String("/a/")}))
	must[*iam.CreateUserOutput](t, "CreateUser u2")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u2"), PermissionsBoundary: aws.String(p)}))
	must[*iam.CreateUserOutput](t, "CreateUser u3")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u3")}))
	must[*iam.CreateGroupOutput](t, "CreateGroup")(c.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g1")}))
	role(t, s, "r1", "")
	role(t, s, "r2", "")
	must[*iam.AttachUserPolicyOutput](t, "AttachUserPolicy")(c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("u1"), PolicyArn: aws.String(p)}))
	must[*iam.AttachGroupPolicyOutput](t, "AttachGroupPolicy")(c.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("g1"), PolicyArn: aws.String(p)}))
	must[*iam.AttachRolePolicyOutput](t, "AttachRolePolicy")(c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("r1"), PolicyArn: aws.String(p)}))
	must[*iam.PutRolePermissionsBoundaryOutput](t, "PutRolePermissionsBoundary")(c.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String("r2"), PermissionsBoundary: aws.String(p)}))

	names := func(out *iam.ListEntitiesForPolicyOutput) (gs, us, rs []string) {
		for _, g := range out.PolicyGroups {
			gs = append(gs, *g.GroupName)
		}
		for _, u := range out.PolicyUsers {
			us = append(us, *u.UserName)
		}
		for _, r := range out.PolicyRoles {
			rs = append(rs, *r.RoleName)
		}
		return gs, us, rs
	}
	for _, tc := range []struct {
		name       string
		in         iam.ListEntitiesForPolicyInput
		gs, us, rs []string
	}{
		{"all", iam.ListEntitiesForPolicyInput{}, []string{"g1"}, []string{"u1", "u2"}, []string{"r1", "r2"}},
		{"PermissionsPolicy", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsPolicy}, []string{"g1"}, []string{"u1"}, []string{"r1"}},
		{"PermissionsBoundary", iam.ListEntitiesForPolicyInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}, nil, []string{"u2"}, []string{"r2"}},
		{"User", iam.ListEntitiesForPolicyInput{EntityFilter: iamtypes.EntityTypeUser}, nil, []string{"u1", "u2"}, nil},
		{"Role", iam.ListEntitiesForPolicyInput{EntityFilter: iamtypes.EntityTypeRole}, nil, nil, []string{"r1", "r2"}},
		{"Group", iam.ListEntitiesForPolicyInput{EntityFilter: iamtypes.EntityTypeGroup}, []string{"g1"}, nil, nil},
		{"PathPrefix /a/", iam.ListEntitiesForPolicyInput{PathPrefix: aws.String("/a/")}, nil, []string{"u1"}, nil},
	} {
		in := tc.in
		in.PolicyArn = aws.String(p)
		out := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy "+tc.name)(c.ListEntitiesForPolicy(ctx, &in))
		gs, us, rs := names(out)
		if !slices.Equal(gs, tc.gs) || !slices.Equal(us, tc.us) || !slices.Equal(rs, tc.rs) || out.IsTruncated {
			t.Errorf("ListEntitiesForPolicy(%s) = groups %v users %v roles %v (truncated %v), want %v %v %v", tc.name, gs, us, rs, out.IsTruncated, tc.gs, tc.us, tc.rs)
		}
	}

	// Pages of two: five entities in three pages, each once.
	var all []string
	var marker *string
	for pages := 0; ; pages++ {
		if pages == 3 {
			t.Fatalf("ListEntitiesForPolicy(MaxItems 2) did not end after 3 pages: %v", all)
		}
		out := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy(MaxItems 2)")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String(p), MaxItems: aws.Int32(2), Marker: marker}))
		gs, us, rs := names(out)
		if n := len(gs) + len(us) + len(rs); n > 2 || (out.IsTruncated && n != 2) {
			t.Fatalf("page %d has %d entities", pages, n)
		}
		all = append(append(append(all, gs...), rs...), us...)
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	if want := []string{"g1", "r1", "r2", "u1", "u2"}; !slices.Equal(all, want) {
		t.Errorf("ListEntitiesForPolicy pages = %v, want %v", all, want)
	}

	// AWS managed policies: the first start's admin user.
	out := must[*iam.ListEntitiesForPolicyOutput](t, "ListEntitiesForPolicy(AdministratorAccess)")(c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")}))
	if _, us, _ := names(out); !slices.Equal(us, []string{"admin"}) {
		t.Errorf("ListEntitiesForPolicy(AdministratorAccess).PolicyUsers = %v, want [admin]", us)
	}
	_, err := c.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: aws.String("arn:aws:iam::123456789012:policy/nope")})
	sealtest.APIError(t, "ListEntitiesForPolicy(no such policy)", err, "NoSuchEntity", 404)
}
