package authz_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// trustTagged lets the account's principals assume the role, and tag the
// session only with their own team: the AWS ABAC pattern.
const trustTagged = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"},
 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:TagSession",
  "Condition":{"StringEquals":{"aws:RequestTag/team":"${aws:PrincipalTag/team}"}}}]}`

// readOwnTeam lets a principal read exactly the secrets and parameters
// tagged with its own team.
const readOwnTeam = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*",
  "Condition":{"StringEquals":{"secretsmanager:ResourceTag/team":"${aws:PrincipalTag/team}"}}},
 {"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*",
  "Condition":{"StringEquals":{"ssm:resourceTag/team":"${aws:PrincipalTag/team}"}}}]}`

const assumeAndTag = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:AssumeRole","sts:TagSession"],"Resource":"*"}]}`

type abac struct {
	t *testing.T
	s *sealtest.Server
}

func (a abac) user(name, team string) aws.Config {
	c := a.s.IAM()
	must[*iam.CreateUserOutput](a.t, "CreateUser "+name)(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name),
		Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))
	must[*iam.PutUserPolicyOutput](a.t, "PutUserPolicy "+name)(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name),
		PolicyName: aws.String("assume"), PolicyDocument: aws.String(assumeAndTag)}))
	k := must[*iam.CreateAccessKeyOutput](a.t, "CreateAccessKey "+name)(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})).AccessKey
	return a.s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey})
}

func (a abac) role(name, trust, policy string, tags ...iamtypes.Tag) string {
	c := a.s.IAM()
	out := must[*iam.CreateRoleOutput](a.t, "CreateRole "+name)(c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
		AssumeRolePolicyDocument: aws.String(trust), Tags: tags}))
	if policy != "" {
		must[*iam.PutRolePolicyOutput](a.t, "PutRolePolicy "+name)(c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name),
			PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	}
	return *out.Role.Arn
}

func (a abac) assume(cfg aws.Config, roleARN string, transitive []string, tags ...string) (aws.Config, error) {
	in := &sts.AssumeRoleInput{RoleArn: aws.String(roleARN), RoleSessionName: aws.String("s1"), TransitiveTagKeys: transitive}
	for i := 0; i+1 < len(tags); i += 2 {
		in.Tags = append(in.Tags, ststypes.Tag{Key: aws.String(tags[i]), Value: aws.String(tags[i+1])})
	}
	out, err := sts.NewFromConfig(cfg).AssumeRole(ctx, in)
	if err != nil {
		return aws.Config{}, err
	}
	cr := out.Credentials
	return a.s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *cr.AccessKeyId, SecretAccessKey: *cr.SecretAccessKey, SessionToken: *cr.SessionToken}), nil
}

// reads reports which of the team secrets the session can read.
func (a abac) reads(cfg aws.Config) map[string]bool {
	got := map[string]bool{}
	for _, team := range []string{"red", "blue", "green"} {
		_, err := secretsmanager.NewFromConfig(cfg).GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(team + "/db")})
		got[team] = err == nil
	}
	return got
}

func only(team string) map[string]bool {
	return map[string]bool{"red": team == "red", "blue": team == "blue", "green": team == "green"}
}

func same(a, b map[string]bool) bool {
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return len(a) == len(b)
}

// TestABACSessionTags walks attribute-based access control as AWS has it:
// one role and one policy, and each caller reads exactly the secrets (and
// parameters) tagged with its own team, by its session tag; passing tags
// needs sts:TagSession in the trust policy, which here lets callers claim
// only their own team; a session tag overrides the role's tag of the same
// key, keys regardless of case; a transitive tag carries down a role chain
// and cannot be changed there.
func TestABACSessionTags(t *testing.T) {
	s := sealtest.Start(t)
	a := abac{t, s}
	sm := s.SecretsManager()
	for _, team := range []string{"red", "blue", "green"} {
		must[*secretsmanager.CreateSecretOutput](t, "CreateSecret "+team)(sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(team + "/db"), SecretString: aws.String(team), Tags: []smtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))
		must[*ssm.PutParameterOutput](t, "PutParameter "+team)(s.SSM().PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String("/" + team + "/url"), Value: aws.String(team), Type: "String", Tags: []ssmtypes.Tag{{Key: aws.String("team"), Value: aws.String(team)}}}))
	}
	alice, bob := a.user("alice", "red"), a.user("bob", "blue")
	reader := a.role("reader", trustTagged, readOwnTeam, iamtypes.Tag{Key: aws.String("team"), Value: aws.String("green")})

	// Without session tags the role's own tag applies.
	plain := must[aws.Config](t, "AssumeRole(no tags)")(a.assume(alice, reader, nil))
	if got := a.reads(plain); !same(got, only("green")) {
		t.Errorf("a session without tags reads %v, want the role's team (green) only", got)
	}
	// A session tag overrides the role's tag; the key's case does not matter.
	red := must[aws.Config](t, "AssumeRole(alice, Team=red)")(a.assume(alice, reader, nil, "Team", "red"))
	if got := a.reads(red); !same(got, only("red")) {
		t.Errorf("alice's session tagged Team=red reads %v, want red only", got)
	}
	if _, err := ssm.NewFromConfig(red).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/red/url")}); err != nil {
		t.Errorf("GetParameter(/red/url) as red: %v", err)
	}
	_, err := ssm.NewFromConfig(red).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/blue/url")})
	sealtest.APIError(t, "GetParameter(/blue/url) as red", err, "AccessDeniedException", 400)
	blue := must[aws.Config](t, "AssumeRole(bob, team=blue)")(a.assume(bob, reader, nil, "team", "blue"))
	if got := a.reads(blue); !same(got, only("blue")) {
		t.Errorf("bob's session tagged team=blue reads %v, want blue only", got)
	}

	// The security check: alice may not claim bob's team.
	_, err = a.assume(alice, reader, nil, "team", "blue")
	sealtest.APIErrorContaining(t, "AssumeRole(alice, team=blue)", err, "AccessDenied", 403, "sts:TagSession")
	// A trust policy that does not allow sts:TagSession refuses every tag.
	noTag := a.role("notag", trustAccount, readOwnTeam)
	_, err = a.assume(alice, noTag, nil, "team", "red")
	sealtest.APIErrorContaining(t, "AssumeRole(trust without sts:TagSession, team=red)", err, "AccessDenied", 403, "sts:TagSession")
	if _, err := a.assume(alice, noTag, nil); err != nil {
		t.Errorf("AssumeRole(trust without sts:TagSession, no tags): %v", err)
	}

	// Role chaining: a transitive tag carries down the chain, where it
	// cannot be passed again; the next role's trust policy must allow
	// sts:TagSession for it.
	hop := a.role("hop", trustTagged, assumeAndTag)
	first := must[aws.Config](t, "AssumeRole(hop, team=red transitive)")(a.assume(alice, hop, []string{"team"}, "team", "red"))
	chained := must[aws.Config](t, "AssumeRole(hop -> reader)")(a.assume(first, reader, nil))
	if got := a.reads(chained); !same(got, only("red")) {
		t.Errorf("the chained session reads %v, want red only (the transitive tag)", got)
	}
	_, err = a.assume(first, reader, nil, "TEAM", "blue")
	sealtest.APIError(t, "AssumeRole(chain, passing the transitive key again)", err, "InvalidParameterValue", 400)
	_, err = a.assume(first, noTag, nil)
	sealtest.APIErrorContaining(t, "AssumeRole(chain with a transitive tag, trust without sts:TagSession)", err, "AccessDenied", 403, "sts:TagSession")
	// Not transitive: nothing carries.
	nt := must[aws.Config](t, "AssumeRole(hop, team=red)")(a.assume(alice, hop, nil, "team", "red"))
	if got := a.reads(must[aws.Config](t, "AssumeRole(hop -> reader, no transitive)")(a.assume(nt, reader, nil))); !same(got, only("green")) {
		t.Errorf("a chained session without transitive tags reads %v, want the role's team (green) only", got)
	}
	_, err = a.assume(alice, hop, []string{"other"}, "team", "red")
	sealtest.APIError(t, "AssumeRole(TransitiveTagKeys naming no tag passed)", err, "InvalidParameterValue", 400)

	// Tags on users and roles: TagRole changes what the role's sessions read.
	c := s.IAM()
	must[*iam.TagRoleOutput](t, "TagRole")(c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String("reader"), Tags: []iamtypes.Tag{{Key: aws.String("TEAM"), Value: aws.String("blue")}}}))
	if got := a.reads(plain); !same(got, only("blue")) {
		t.Errorf("after TagRole TEAM=blue the untagged session reads %v, want blue only", got)
	}
	lt := must[*iam.ListRoleTagsOutput](t, "ListRoleTags")(c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String("reader")}))
	if len(lt.Tags) != 1 || *lt.Tags[0].Key != "TEAM" || *lt.Tags[0].Value != "blue" {
		t.Errorf("ListRoleTags = %+v, want TEAM=blue (the key replaced regardless of case)", lt.Tags)
	}
	must[*iam.UntagRoleOutput](t, "UntagRole")(c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String("reader"), TagKeys: []string{"team"}}))
	if got := a.reads(plain); !same(got, only("")) {
		t.Errorf("after UntagRole the untagged session reads %v, want nothing", got)
	}
	must[*iam.TagUserOutput](t, "TagUser")(c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("alice"), Tags: []iamtypes.Tag{{Key: aws.String("dept"), Value: aws.String("ops")}}}))
	ut := must[*iam.ListUserTagsOutput](t, "ListUserTags")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))
	if len(ut.Tags) != 2 || *ut.Tags[0].Key != "dept" || *ut.Tags[1].Key != "team" {
		t.Errorf("ListUserTags = %+v, want dept and team", ut.Tags)
	}
	must[*iam.UntagUserOutput](t, "UntagUser")(c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String("alice"), TagKeys: []string{"DEPT"}}))
	ut = must[*iam.ListUserTagsOutput](t, "ListUserTags")(c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String("alice")}))
	if len(ut.Tags) != 1 {
		t.Errorf("ListUserTags after UntagUser = %+v, want team only", ut.Tags)
	}
	_, err = c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("nobody"), Tags: []iamtypes.Tag{{Key: aws.String("a"), Value: aws.String("b")}}})
	sealtest.APIError(t, "TagUser(nobody)", err, "NoSuchEntity", 404)
}

// TestCreateWithTagsNeedsTagPermission: CreateUser and CreateRole with Tags
// also need iam:TagUser / iam:TagRole, as in AWS, with the tags as
// aws:RequestTag.
func TestCreateWithTagsNeedsTagPermission(t *testing.T) {
	s := sealtest.Start(t)
	c := s.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser maker")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("maker")}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy maker")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("maker"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateUser","Resource":"*"},
		 {"Effect":"Allow","Action":"iam:TagUser","Resource":"*","Condition":{"StringEquals":{"aws:RequestTag/team":"red"}}}]}`)}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("maker")})).AccessKey
	mc := iam.NewFromConfig(s.AWSConfigAs("us-east-1", aws.Credentials{AccessKeyID: *k.AccessKeyId, SecretAccessKey: *k.SecretAccessKey}))
	must[*iam.CreateUserOutput](t, "CreateUser(no tags)")(mc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u1")}))
	must[*iam.CreateUserOutput](t, "CreateUser(team=red)")(mc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u2"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("red")}}}))
	_, err := mc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u3"), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
	sealtest.APIErrorContaining(t, "CreateUser(team=blue)", err, "AccessDenied", 403, "iam:TagUser")
}
