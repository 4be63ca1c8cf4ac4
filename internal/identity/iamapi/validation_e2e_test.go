package iamapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/sealbox/sealbox/internal/sealtest"
)

// The model's patterns as AWS spells them in its messages.
const (
	namePat       = `[\w+=,.@-]+`
	pathPat       = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`
	pathPrefixPat = `\u002F[\u0021-\u007F]*`
	policyPathPat = `((/[A-Za-z0-9\.,\+@=_-]+)*)/`
	documentPat   = `[\u0009\u000A\u000D\u0020-\u00FF]+`
	versionIDPat  = `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`
	tagKeyPat     = `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`
	tagValuePat   = `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`
	roleDescPat   = `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`
	markerPat     = `[\u0020-\u00FF]+`
	accessKeyPat  = `[\w]+`
	sessionPat    = `[\w+=,.@-]*`
	externalIDPat = `[\w+=,.@:\/-]*`
	serialPat     = `[\w+=/:,.@-]*`
	stsARNPat     = `[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+`
)

// problem is one constraint violation in AWS's words; a nil value is
// "null", hiddenValue leaves the value out (lists).
func problem(value *string, member, constraint string) string {
	switch {
	case value == nil:
		return "Value null at '" + member + "' failed to satisfy constraint: " + constraint
	case *value == hiddenValue:
		return "Value at '" + member + "' failed to satisfy constraint: " + constraint
	}
	return "Value '" + *value + "' at '" + member + "' failed to satisfy constraint: " + constraint
}

const hiddenValue = "\x00hidden"

func hidden() *string { return aws.String(hiddenValue) }

// validation is the message of a ValidationError listing problems.
func validation(problems ...string) string {
	noun := "errors"
	if len(problems) == 1 {
		noun = "error"
	}
	return strconv.Itoa(len(problems)) + " validation " + noun + " detected: " + strings.Join(problems, "; ")
}

func tooLong(v string, member string, max int) string {
	return problem(&v, member, "Member must have length less than or equal to "+strconv.Itoa(max))
}

func tooShort(v string, member string, min int) string {
	return problem(&v, member, "Member must have length greater than or equal to "+strconv.Itoa(min))
}

func badPattern(v string, member, pat string) string {
	return problem(&v, member, "Member must satisfy regular expression pattern: "+pat)
}

func null(member string) string { return problem(nil, member, "Member must not be null") }

func notIn(v, member, set string) string {
	return problem(&v, member, "Member must satisfy enum value set: ["+set+"]")
}

func below(v int, member string, min int) string {
	s := strconv.Itoa(v)
	return problem(&s, member, "Member must have value greater than or equal to "+strconv.Itoa(min))
}

func above(v int, member string, max int) string {
	s := strconv.Itoa(v)
	return problem(&s, member, "Member must have value less than or equal to "+strconv.Itoa(max))
}

// noInputValidation makes a client send what it is given, required members
// left out included, as a client other than aws-sdk-go-v2 may.
func noInputValidation(stack *middleware.Stack) error {
	if _, ok := stack.Initialize.Get("OperationInputValidation"); !ok {
		return nil // an operation without required members
	}
	_, err := stack.Initialize.Remove("OperationInputValidation")
	return err
}

// TestInvalidInputRefused sends invalid input to every IAM and STS
// operation through a real server with aws-sdk-go-v2, and checks the exact
// code, status and message a client sees: the checks of the request path
// against the model, and the limits the model cannot express (a session
// policy's 2,048 characters, ten session policy ARNs, an empty tag list,
// tag keys that differ only in case).
func TestInvalidInputRefused(t *testing.T) {
	srv := sealtest.Start(t)
	ctx := context.Background()
	cfg := srv.AWSConfig("us-east-1")
	ic := iam.NewFromConfig(cfg, func(o *iam.Options) { o.APIOptions = append(o.APIOptions, noInputValidation) })
	sc := sts.NewFromConfig(cfg, func(o *sts.Options) { o.APIOptions = append(o.APIOptions, noInputValidation) })
	sealtest.Must[*iam.CreateUserOutput](t, "CreateUser")(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("u")}))
	sealtest.Must[*iam.CreateGroupOutput](t, "CreateGroup")(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")}))
	role := sealtest.Must[*iam.CreateRoleOutput](t, "CreateRole")(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"),
		AssumeRolePolicyDocument: aws.String(trustFor("arn:aws:iam::123456789012:user/admin"))})).Role
	pol := sealtest.Must[*iam.CreatePolicyOutput](t, "CreatePolicy")(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("p"),
		PolicyDocument: aws.String(allow("kms:Decrypt"))})).Policy

	s := aws.String
	i32 := aws.Int32
	arn := pol.Arn
	shortARN := "arn:aws:iam::1:p" // 16 characters
	doc := allow("kms:Decrypt")
	wide := "{\"a\":\"\u0100\"}" // a character beyond U+00FF
	name65, name129 := strings.Repeat("n", 65), strings.Repeat("n", 129)
	key129, value257 := strings.Repeat("k", 129), strings.Repeat("v", 257)
	tags51 := make([]iamtypes.Tag, 51)
	keys51 := make([]string, 51)
	stsTags51 := make([]ststypes.Tag, 51)
	for i := range tags51 {
		k := "k" + strconv.Itoa(i)
		tags51[i] = iamtypes.Tag{Key: s(k), Value: s("v")}
		stsTags51[i] = ststypes.Tag{Key: s(k), Value: s("v")}
		keys51[i] = k
	}
	arns11 := make([]ststypes.PolicyDescriptorType, 11)
	for i := range arns11 {
		arns11[i] = ststypes.PolicyDescriptorType{Arn: s("arn:aws:iam::aws:policy/ReadOnlyAccess")}
	}
	policy2049 := strings.Repeat("a", 2049)
	doc131073 := strings.Repeat("a", 131073)
	marker321 := strings.Repeat("m", 321)
	desc1001 := strings.Repeat("d", 1001)
	const (
		statuses   = "Active, Inactive, Expired"
		scopes     = "All, AWS, Local"
		usages     = "PermissionsPolicy, PermissionsBoundary"
		entityKind = "User, Role, Group, LocalManagedPolicy, AWSManagedPolicy"
	)

	type tc struct {
		name string
		call func() error
		code string // "" is ValidationError
		msg  string
	}
	iamErr := func(_ any, err error) error { return err }
	cases := []tc{
		// Users.
		{"CreateUser(a b)", func() error { return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("a b")})) }, "",
			validation(badPattern("a b", "userName", namePat))},
		{"CreateUser(65)", func() error { return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s(name65)})) }, "",
			validation(tooLong(name65, "userName", 64))},
		{"CreateUser(empty)", func() error { return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("")})) }, "",
			validation(tooShort("", "userName", 1), badPattern("", "userName", namePat))},
		{"CreateUser(no name)", func() error { return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{})) }, "",
			validation(null("userName"))},
		{"CreateUser(path)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Path: s("noslash")}))
		}, "", validation(badPattern("noslash", "path", pathPat))},
		{"CreateUser(tag key)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s("a!"), Value: s("v")}}}))
		}, "", validation(badPattern("a!", "tags.1.member.key", tagKeyPat))},
		{"CreateUser(tag key 129)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s(key129), Value: s("v")}}}))
		}, "", validation(tooLong(key129, "tags.1.member.key", 128))},
		{"CreateUser(tag value 257)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s("k"), Value: s(value257)}}}))
		}, "", validation(tooLong(value257, "tags.1.member.value", 256))},
		{"CreateUser(tag value)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s("k"), Value: s("a!")}}}))
		}, "", validation(badPattern("a!", "tags.1.member.value", tagValuePat))},
		{"CreateUser(tag without value)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s("k")}}}))
		}, "", validation(null("tags.1.member.value"))},
		{"CreateUser(51 tags)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: tags51}))
		}, "", validation(problem(hidden(), "tags", "Member must have length less than or equal to 50"))},
		{"CreateUser(duplicate tags)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), Tags: []iamtypes.Tag{{Key: s("a"), Value: s("1")}, {Key: s("A"), Value: s("2")}}}))
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"GetUser(129)", func() error { return iamErr(ic.GetUser(ctx, &iam.GetUserInput{UserName: s(name129)})) }, "",
			validation(tooLong(name129, "userName", 128))},
		{"DeleteUser(a b)", func() error { return iamErr(ic.DeleteUser(ctx, &iam.DeleteUserInput{UserName: s("a b")})) }, "",
			validation(badPattern("a b", "userName", namePat))},
		{"UpdateUser(no name)", func() error { return iamErr(ic.UpdateUser(ctx, &iam.UpdateUserInput{NewUserName: s("v")})) }, "",
			validation(null("userName"))},
		{"UpdateUser(new name 65)", func() error {
			return iamErr(ic.UpdateUser(ctx, &iam.UpdateUserInput{UserName: s("u"), NewUserName: s(name65)}))
		}, "", validation(tooLong(name65, "newUserName", 64))},
		{"UpdateUser(new path)", func() error {
			return iamErr(ic.UpdateUser(ctx, &iam.UpdateUserInput{UserName: s("u"), NewPath: s("/a")}))
		}, "", validation(badPattern("/a", "newPath", pathPat))},
		{"ListUsers(path prefix)", func() error { return iamErr(ic.ListUsers(ctx, &iam.ListUsersInput{PathPrefix: s("x")})) }, "",
			validation(badPattern("x", "pathPrefix", pathPrefixPat))},
		{"ListUsers(MaxItems 1001)", func() error { return iamErr(ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: i32(1001)})) }, "",
			validation(above(1001, "maxItems", 1000))},
		{"ListUsers(MaxItems 0)", func() error { return iamErr(ic.ListUsers(ctx, &iam.ListUsersInput{MaxItems: i32(0)})) }, "",
			validation(below(0, "maxItems", 1))},
		{"ListUsers(marker 321)", func() error { return iamErr(ic.ListUsers(ctx, &iam.ListUsersInput{Marker: s(marker321)})) }, "",
			validation(tooLong(marker321, "marker", 320))},

		// Access keys.
		{"CreateAccessKey(a b)", func() error { return iamErr(ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: s("a b")})) }, "",
			validation(badPattern("a b", "userName", namePat))},
		{"ListAccessKeys(marker empty)", func() error { return iamErr(ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{Marker: s("")})) }, "",
			validation(tooShort("", "marker", 1), badPattern("", "marker", markerPat))},
		{"ListAccessKeys(user 129)", func() error { return iamErr(ic.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: s(name129)})) }, "",
			validation(tooLong(name129, "userName", 128))},
		{"UpdateAccessKey(short id)", func() error {
			return iamErr(ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: s("AKIA"), Status: iamtypes.StatusTypeActive}))
		}, "", validation(tooShort("AKIA", "accessKeyId", 16))},
		{"UpdateAccessKey(Sleeping)", func() error {
			return iamErr(ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: s("AKIA0123456789ABCDEF"), Status: "Sleeping"}))
		}, "", validation(notIn("Sleeping", "status", statuses))},
		{"UpdateAccessKey(no status)", func() error {
			return iamErr(ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: s("AKIA0123456789ABCDEF")}))
		}, "", validation(null("status"))},
		{"UpdateAccessKey(user a b)", func() error {
			return iamErr(ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: s("a b"), AccessKeyId: s("AKIA0123456789ABCDEF"), Status: iamtypes.StatusTypeActive}))
		}, "", validation(badPattern("a b", "userName", namePat))},
		{"UpdateAccessKey(Expired)", func() error {
			return iamErr(ic.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{AccessKeyId: s("AKIA0123456789ABCDEF"), Status: iamtypes.StatusTypeExpired}))
		}, "InvalidInput", "Access key status Expired is not valid: use Active or Inactive."},
		{"DeleteAccessKey(id pattern)", func() error {
			return iamErr(ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: s("AKIA-0123456789ABC")}))
		}, "", validation(badPattern("AKIA-0123456789ABC", "accessKeyId", accessKeyPat))},
		{"DeleteAccessKey(user 129)", func() error {
			return iamErr(ic.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: s(name129), AccessKeyId: s("AKIA0123456789ABCDEF")}))
		}, "", validation(tooLong(name129, "userName", 128))},
		{"GetAccessKeyLastUsed(129)", func() error {
			return iamErr(ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: s(name129)}))
		}, "", validation(tooLong(name129, "accessKeyId", 128))},
		{"GetAccessKeyLastUsed(none)", func() error {
			return iamErr(ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{}))
		}, "", validation(null("accessKeyId"))},

		// Groups.
		{"CreateGroup(129)", func() error { return iamErr(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: s(name129)})) }, "",
			validation(tooLong(name129, "groupName", 128))},
		{"CreateGroup(path)", func() error {
			return iamErr(ic.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: s("x"), Path: s("x/")}))
		}, "", validation(badPattern("x/", "path", pathPat))},
		{"GetGroup(a b)", func() error { return iamErr(ic.GetGroup(ctx, &iam.GetGroupInput{GroupName: s("a b")})) }, "",
			validation(badPattern("a b", "groupName", namePat))},
		{"GetGroup(MaxItems 1001)", func() error {
			return iamErr(ic.GetGroup(ctx, &iam.GetGroupInput{GroupName: s("g"), MaxItems: i32(1001)}))
		}, "", validation(above(1001, "maxItems", 1000))},
		{"ListGroups(path prefix)", func() error { return iamErr(ic.ListGroups(ctx, &iam.ListGroupsInput{PathPrefix: s("noslash")})) }, "",
			validation(badPattern("noslash", "pathPrefix", pathPrefixPat))},
		{"DeleteGroup(empty)", func() error { return iamErr(ic.DeleteGroup(ctx, &iam.DeleteGroupInput{GroupName: s("")})) }, "",
			validation(tooShort("", "groupName", 1), badPattern("", "groupName", namePat))},
		{"AddUserToGroup(a b)", func() error {
			return iamErr(ic.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: s("g"), UserName: s("a b")}))
		}, "", validation(badPattern("a b", "userName", namePat))},
		{"RemoveUserFromGroup(a b)", func() error {
			return iamErr(ic.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: s("a b"), UserName: s("u")}))
		}, "", validation(badPattern("a b", "groupName", namePat))},
		{"ListGroupsForUser(129)", func() error {
			return iamErr(ic.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: s(name129)}))
		}, "", validation(tooLong(name129, "userName", 128))},
		{"ListGroupsForUser(MaxItems 0)", func() error {
			return iamErr(ic.ListGroupsForUser(ctx, &iam.ListGroupsForUserInput{UserName: s("u"), MaxItems: i32(0)}))
		}, "", validation(below(0, "maxItems", 1))},

		// Roles.
		{"CreateRole(65)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s(name65), AssumeRolePolicyDocument: s(doc)}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"CreateRole(wide document)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(wide)}))
		}, "", validation(badPattern(wide, "assumeRolePolicyDocument", documentPat))},
		{"CreateRole(131073)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc131073)}))
		}, "", validation(tooLong(doc131073, "assumeRolePolicyDocument", 131072))},
		{"CreateRole(no document)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x")}))
		}, "", validation(null("assumeRolePolicyDocument"))},
		{"CreateRole(description)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), Description: s("a\x7fb")}))
		}, "", validation(badPattern("a\x7fb", "description", roleDescPat))},
		{"CreateRole(description 1001)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), Description: s(desc1001)}))
		}, "", validation(tooLong(desc1001, "description", 1000))},
		{"CreateRole(MaxSessionDuration 3599)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), MaxSessionDuration: i32(3599)}))
		}, "", validation(below(3599, "maxSessionDuration", 3600))},
		{"CreateRole(MaxSessionDuration 43201)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), MaxSessionDuration: i32(43201)}))
		}, "", validation(above(43201, "maxSessionDuration", 43200))},
		{"CreateRole(path)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), Path: s("/a b/")}))
		}, "", validation(badPattern("/a b/", "path", pathPat))},
		{"CreateRole(tag key)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc), Tags: []iamtypes.Tag{{Key: s(""), Value: s("v")}}}))
		}, "", validation(tooShort("", "tags.1.member.key", 1), badPattern("", "tags.1.member.key", tagKeyPat))},
		{"CreateRole(duplicate tags)", func() error {
			return iamErr(ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: s("x"), AssumeRolePolicyDocument: s(doc),
				Tags: []iamtypes.Tag{{Key: s("team"), Value: s("1")}, {Key: s("TEAM"), Value: s("2")}}}))
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"GetRole(65)", func() error { return iamErr(ic.GetRole(ctx, &iam.GetRoleInput{RoleName: s(name65)})) }, "",
			validation(tooLong(name65, "roleName", 64))},
		{"DeleteRole(a b)", func() error { return iamErr(ic.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: s("a b")})) }, "",
			validation(badPattern("a b", "roleName", namePat))},
		{"ListRoles(path prefix)", func() error { return iamErr(ic.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: s("a/")})) }, "",
			validation(badPattern("a/", "pathPrefix", pathPrefixPat))},
		{"UpdateAssumeRolePolicy(empty)", func() error {
			return iamErr(ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: s("r"), PolicyDocument: s("")}))
		}, "", validation(tooShort("", "policyDocument", 1), badPattern("", "policyDocument", documentPat))},
		{"UpdateAssumeRolePolicy(65)", func() error {
			return iamErr(ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: s(name65), PolicyDocument: s(doc)}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"UpdateRole(MaxSessionDuration 0)", func() error {
			return iamErr(ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: s("r"), MaxSessionDuration: i32(0)}))
		}, "", validation(below(0, "maxSessionDuration", 3600))},
		{"UpdateRole(MaxSessionDuration 43201)", func() error {
			return iamErr(ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: s("r"), MaxSessionDuration: i32(43201)}))
		}, "", validation(above(43201, "maxSessionDuration", 43200))},
		{"UpdateRole(description)", func() error {
			return iamErr(ic.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: s("r"), Description: s("\u0100")}))
		}, "", validation(badPattern("\u0100", "description", roleDescPat))},
		{"UpdateRole(no name)", func() error { return iamErr(ic.UpdateRole(ctx, &iam.UpdateRoleInput{})) }, "",
			validation(null("roleName"))},

		// Inline policies.
		{"PutUserPolicy(129)", func() error {
			return iamErr(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: s(name129), PolicyName: s("p"), PolicyDocument: s(doc)}))
		}, "", validation(tooLong(name129, "userName", 128))},
		{"PutUserPolicy(policy name)", func() error {
			return iamErr(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: s("u"), PolicyName: s(name129), PolicyDocument: s(doc)}))
		}, "", validation(tooLong(name129, "policyName", 128))},
		{"PutUserPolicy(wide document)", func() error {
			return iamErr(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: s("u"), PolicyName: s("p"), PolicyDocument: s(wide)}))
		}, "", validation(badPattern(wide, "policyDocument", documentPat))},
		{"PutUserPolicy(no document)", func() error {
			return iamErr(ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: s("u"), PolicyName: s("p")}))
		}, "", validation(null("policyDocument"))},
		{"PutRolePolicy(65)", func() error {
			return iamErr(ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: s(name65), PolicyName: s("p"), PolicyDocument: s(doc)}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"PutGroupPolicy(a b)", func() error {
			return iamErr(ic.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: s("a b"), PolicyName: s("p"), PolicyDocument: s(doc)}))
		}, "", validation(badPattern("a b", "groupName", namePat))},
		{"GetUserPolicy(policy a b)", func() error {
			return iamErr(ic.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: s("u"), PolicyName: s("a b")}))
		}, "", validation(badPattern("a b", "policyName", namePat))},
		{"GetRolePolicy(65)", func() error {
			return iamErr(ic.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: s(name65), PolicyName: s("p")}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"GetGroupPolicy(no policy)", func() error {
			return iamErr(ic.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: s("g")}))
		}, "", validation(null("policyName"))},
		{"ListUserPolicies(MaxItems 0)", func() error {
			return iamErr(ic.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: s("u"), MaxItems: i32(0)}))
		}, "", validation(below(0, "maxItems", 1))},
		{"ListRolePolicies(65)", func() error {
			return iamErr(ic.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: s(name65)}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"ListGroupPolicies(marker empty)", func() error {
			return iamErr(ic.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: s("g"), Marker: s("")}))
		}, "", validation(tooShort("", "marker", 1), badPattern("", "marker", markerPat))},
		{"DeleteUserPolicy(policy 129)", func() error {
			return iamErr(ic.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: s("u"), PolicyName: s(name129)}))
		}, "", validation(tooLong(name129, "policyName", 128))},
		{"DeleteRolePolicy(a b)", func() error {
			return iamErr(ic.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: s("a b"), PolicyName: s("p")}))
		}, "", validation(badPattern("a b", "roleName", namePat))},
		{"DeleteGroupPolicy(129)", func() error {
			return iamErr(ic.DeleteGroupPolicy(ctx, &iam.DeleteGroupPolicyInput{GroupName: s(name129), PolicyName: s("p")}))
		}, "", validation(tooLong(name129, "groupName", 128))},

		// Managed policies.
		{"CreatePolicy(a b)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("a b"), PolicyDocument: s(doc)}))
		}, "", validation(badPattern("a b", "policyName", namePat))},
		{"CreatePolicy(path)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("x"), PolicyDocument: s(doc), Path: s("/a")}))
		}, "", validation(badPattern("/a", "path", policyPathPat))},
		{"CreatePolicy(wide document)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("x"), PolicyDocument: s(wide)}))
		}, "", validation(badPattern(wide, "policyDocument", documentPat))},
		{"CreatePolicy(description 1001)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("x"), PolicyDocument: s(doc), Description: s(desc1001)}))
		}, "", validation(tooLong(desc1001, "description", 1000))},
		{"CreatePolicy(tag value)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("x"), PolicyDocument: s(doc), Tags: []iamtypes.Tag{{Key: s("k"), Value: s("a;b")}}}))
		}, "", validation(badPattern("a;b", "tags.1.member.value", tagValuePat))},
		{"CreatePolicy(duplicate tags)", func() error {
			return iamErr(ic.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: s("x"), PolicyDocument: s(doc),
				Tags: []iamtypes.Tag{{Key: s("k"), Value: s("1")}, {Key: s("K"), Value: s("2")}}}))
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"GetPolicy(short ARN)", func() error { return iamErr(ic.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: s(shortARN)})) }, "",
			validation(tooShort(shortARN, "policyArn", 20))},
		{"GetPolicy(no ARN)", func() error { return iamErr(ic.GetPolicy(ctx, &iam.GetPolicyInput{})) }, "",
			validation(null("policyArn"))},
		{"DeletePolicy(short ARN)", func() error { return iamErr(ic.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: s(shortARN)})) }, "",
			validation(tooShort(shortARN, "policyArn", 20))},
		{"GetPolicyVersion(1)", func() error {
			return iamErr(ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: s("1")}))
		}, "", validation(badPattern("1", "versionId", versionIDPat))},
		{"GetPolicyVersion(no version)", func() error {
			return iamErr(ic.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn}))
		}, "", validation(null("versionId"))},
		{"CreatePolicyVersion(empty)", func() error {
			return iamErr(ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, PolicyDocument: s("")}))
		}, "", validation(tooShort("", "policyDocument", 1), badPattern("", "policyDocument", documentPat))},
		{"CreatePolicyVersion(short ARN)", func() error {
			return iamErr(ic.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: s(shortARN), PolicyDocument: s(doc)}))
		}, "", validation(tooShort(shortARN, "policyArn", 20))},
		{"DeletePolicyVersion(v0)", func() error {
			return iamErr(ic.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: arn, VersionId: s("v0")}))
		}, "", validation(badPattern("v0", "versionId", versionIDPat))},
		{"SetDefaultPolicyVersion(x)", func() error {
			return iamErr(ic.SetDefaultPolicyVersion(ctx, &iam.SetDefaultPolicyVersionInput{PolicyArn: arn, VersionId: s("x")}))
		}, "", validation(badPattern("x", "versionId", versionIDPat))},
		{"ListPolicyVersions(MaxItems 1001)", func() error {
			return iamErr(ic.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn, MaxItems: i32(1001)}))
		}, "", validation(above(1001, "maxItems", 1000))},
		{"ListPolicies(scope)", func() error { return iamErr(ic.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Bogus"})) }, "",
			validation(notIn("Bogus", "scope", scopes))},
		{"ListPolicies(usage)", func() error {
			return iamErr(ic.ListPolicies(ctx, &iam.ListPoliciesInput{PolicyUsageFilter: "Bogus"}))
		}, "", validation(notIn("Bogus", "policyUsageFilter", usages))},
		{"ListPolicies(path prefix)", func() error { return iamErr(ic.ListPolicies(ctx, &iam.ListPoliciesInput{PathPrefix: s("x")})) }, "",
			validation(badPattern("x", "pathPrefix", policyPathPat))},
		{"ListPolicies(marker 321)", func() error { return iamErr(ic.ListPolicies(ctx, &iam.ListPoliciesInput{Marker: s(marker321)})) }, "",
			validation(tooLong(marker321, "marker", 320))},
		{"ListEntitiesForPolicy(filter)", func() error {
			return iamErr(ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, EntityFilter: "Bogus"}))
		}, "", validation(notIn("Bogus", "entityFilter", entityKind))},
		{"ListEntitiesForPolicy(path prefix)", func() error {
			return iamErr(ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, PathPrefix: s("/a")}))
		}, "", validation(badPattern("/a", "pathPrefix", pathPat))},
		{"ListEntitiesForPolicy(usage)", func() error {
			return iamErr(ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, PolicyUsageFilter: "Bogus"}))
		}, "", validation(notIn("Bogus", "policyUsageFilter", usages))},
		{"ListEntitiesForPolicy(short ARN)", func() error {
			return iamErr(ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: s(shortARN)}))
		}, "", validation(tooShort(shortARN, "policyArn", 20))},
		{"ListEntitiesForPolicy(MaxItems 0)", func() error {
			return iamErr(ic.ListEntitiesForPolicy(ctx, &iam.ListEntitiesForPolicyInput{PolicyArn: arn, MaxItems: i32(0)}))
		}, "", validation(below(0, "maxItems", 1))},
		{"AttachUserPolicy(65)", func() error {
			return iamErr(ic.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: s(name65), PolicyArn: arn}))
		}, "", validation(tooLong(name65, "userName", 64))},
		{"AttachRolePolicy(short ARN)", func() error {
			return iamErr(ic.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: s("r"), PolicyArn: s(shortARN)}))
		}, "", validation(tooShort(shortARN, "policyArn", 20))},
		{"AttachGroupPolicy(129)", func() error {
			return iamErr(ic.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: s(name129), PolicyArn: arn}))
		}, "", validation(tooLong(name129, "groupName", 128))},
		{"DetachUserPolicy(65)", func() error {
			return iamErr(ic.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: s(name65), PolicyArn: arn}))
		}, "", validation(tooLong(name65, "userName", 64))},
		{"DetachRolePolicy(a b)", func() error {
			return iamErr(ic.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: s("a b"), PolicyArn: arn}))
		}, "", validation(badPattern("a b", "roleName", namePat))},
		{"DetachGroupPolicy(no ARN)", func() error {
			return iamErr(ic.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{GroupName: s("g")}))
		}, "", validation(null("policyArn"))},
		{"ListAttachedUserPolicies(65)", func() error {
			return iamErr(ic.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: s(name65)}))
		}, "", validation(tooLong(name65, "userName", 64))},
		{"ListAttachedRolePolicies(path prefix)", func() error {
			return iamErr(ic.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: s("r"), PathPrefix: s("/a")}))
		}, "", validation(badPattern("/a", "pathPrefix", policyPathPat))},
		{"ListAttachedGroupPolicies(MaxItems 1001)", func() error {
			return iamErr(ic.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: s("g"), MaxItems: i32(1001)}))
		}, "", validation(above(1001, "maxItems", 1000))},

		// Tags.
		{"TagUser(129)", func() error {
			return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s(name129), Tags: []iamtypes.Tag{{Key: s("k"), Value: s("v")}}}))
		}, "", validation(tooLong(name129, "userName", 128))},
		{"TagUser(no tags)", func() error { return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s("u")})) }, "",
			validation(null("tags"))},
		{"TagUser(empty tags)", func() error {
			return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s("u"), Tags: []iamtypes.Tag{}}))
		}, "", validation(null("tags"))},
		{"TagUser(tag key)", func() error {
			return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s("u"), Tags: []iamtypes.Tag{{Key: s("a,b"), Value: s("v")}}}))
		}, "", validation(badPattern("a,b", "tags.1.member.key", tagKeyPat))},
		{"TagUser(51 tags)", func() error { return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s("u"), Tags: tags51})) }, "",
			validation(problem(hidden(), "tags", "Member must have length less than or equal to 50"))},
		{"TagUser(duplicate tags)", func() error {
			return iamErr(ic.TagUser(ctx, &iam.TagUserInput{UserName: s("u"), Tags: []iamtypes.Tag{{Key: s("k"), Value: s("1")}, {Key: s("K"), Value: s("2")}}}))
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"UntagUser(tag key)", func() error {
			return iamErr(ic.UntagUser(ctx, &iam.UntagUserInput{UserName: s("u"), TagKeys: []string{"ok", "a*b"}}))
		}, "", validation(badPattern("a*b", "tagKeys.2.member", tagKeyPat))},
		{"UntagUser(51 keys)", func() error { return iamErr(ic.UntagUser(ctx, &iam.UntagUserInput{UserName: s("u"), TagKeys: keys51})) }, "",
			validation(problem(hidden(), "tagKeys", "Member must have length less than or equal to 50"))},
		{"UntagUser(no keys)", func() error { return iamErr(ic.UntagUser(ctx, &iam.UntagUserInput{UserName: s("u")})) }, "",
			validation(null("tagKeys"))},
		{"ListUserTags(MaxItems 0)", func() error {
			return iamErr(ic.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: s("u"), MaxItems: i32(0)}))
		}, "", validation(below(0, "maxItems", 1))},
		{"TagRole(65)", func() error {
			return iamErr(ic.TagRole(ctx, &iam.TagRoleInput{RoleName: s(name65), Tags: []iamtypes.Tag{{Key: s("k"), Value: s("v")}}}))
		}, "", validation(tooLong(name65, "roleName", 64))},
		{"TagRole(empty tags)", func() error {
			return iamErr(ic.TagRole(ctx, &iam.TagRoleInput{RoleName: s("r"), Tags: []iamtypes.Tag{}}))
		}, "", validation(null("tags"))},
		{"TagRole(tag value 257)", func() error {
			return iamErr(ic.TagRole(ctx, &iam.TagRoleInput{RoleName: s("r"), Tags: []iamtypes.Tag{{Key: s("k"), Value: s(value257)}}}))
		}, "", validation(tooLong(value257, "tags.1.member.value", 256))},
		{"UntagRole(key 129)", func() error {
			return iamErr(ic.UntagRole(ctx, &iam.UntagRoleInput{RoleName: s("r"), TagKeys: []string{key129}}))
		}, "", validation(tooLong(key129, "tagKeys.1.member", 128))},
		{"ListRoleTags(a b)", func() error { return iamErr(ic.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: s("a b")})) }, "",
			validation(badPattern("a b", "roleName", namePat))},

		// Permissions boundaries.
		{"PutUserPermissionsBoundary(65)", func() error {
			return iamErr(ic.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: s(name65), PermissionsBoundary: arn}))
		}, "", validation(tooLong(name65, "userName", 64))},
		{"PutUserPermissionsBoundary(short ARN)", func() error {
			return iamErr(ic.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: s("u"), PermissionsBoundary: s(shortARN)}))
		}, "", validation(tooShort(shortARN, "permissionsBoundary", 20))},
		{"PutRolePermissionsBoundary(a b)", func() error {
			return iamErr(ic.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: s("a b"), PermissionsBoundary: arn}))
		}, "", validation(badPattern("a b", "roleName", namePat))},
		{"DeleteUserPermissionsBoundary(65)", func() error {
			return iamErr(ic.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: s(name65)}))
		}, "", validation(tooLong(name65, "userName", 64))},
		{"DeleteRolePermissionsBoundary(empty)", func() error {
			return iamErr(ic.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: s("")}))
		}, "", validation(tooShort("", "roleName", 1), badPattern("", "roleName", namePat))},
		{"CreateUser(boundary short ARN)", func() error {
			return iamErr(ic.CreateUser(ctx, &iam.CreateUserInput{UserName: s("x"), PermissionsBoundary: s(shortARN)}))
		}, "", validation(tooShort(shortARN, "permissionsBoundary", 20))},

		// STS.
		{"AssumeRole(short ARN)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: s("arn:aws:iam::1:role/r"[:19]), RoleSessionName: s("s1")}))
		}, "", validation(tooShort("arn:aws:iam::1:role", "roleArn", 20))},
		{"AssumeRole(ARN control character)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: s("arn:aws:iam::123456789012:role/\u0080"), RoleSessionName: s("s1")}))
		}, "", validation(badPattern("arn:aws:iam::123456789012:role/\u0080", "roleArn", stsARNPat))},
		{"AssumeRole(no session name)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn}))
		}, "", validation(null("roleSessionName"))},
		{"AssumeRole(session name a)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("a")}))
		}, "", validation(tooShort("a", "roleSessionName", 2))},
		{"AssumeRole(session name a b)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("a b")}))
		}, "", validation(badPattern("a b", "roleSessionName", sessionPat))},
		{"AssumeRole(899)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), DurationSeconds: i32(899)}))
		}, "", validation(below(899, "durationSeconds", 900))},
		{"AssumeRole(43201)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), DurationSeconds: i32(43201)}))
		}, "", validation(above(43201, "durationSeconds", 43200))},
		{"AssumeRole(wide policy)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), Policy: s(wide)}))
		}, "", validation(badPattern(wide, "policy", documentPat))},
		{"AssumeRole(empty policy)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), Policy: s("")}))
		}, "", validation(tooShort("", "policy", 1), badPattern("", "policy", documentPat))},
		{"AssumeRole(policy 2049)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), Policy: s(policy2049)}))
		}, "", validation(tooLong(policy2049, "policy", 2048))},
		{"AssumeRole(11 policy ARNs)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), PolicyArns: arns11}))
		}, "", validation(problem(nil, "policyArns", "Member must have length less than or equal to 10"))},
		{"AssumeRole(policy 2049, 11 policy ARNs)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), Policy: s(policy2049), PolicyArns: arns11}))
		}, "", validation(tooLong(policy2049, "policy", 2048), problem(nil, "policyArns", "Member must have length less than or equal to 10"))},
		{"AssumeRole(policy ARN short)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"),
				PolicyArns: []ststypes.PolicyDescriptorType{{Arn: s(shortARN)}}}))
		}, "", validation(tooShort(shortARN, "policyArns.1.member.arn", 20))},
		{"AssumeRole(tag key)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"),
				Tags: []ststypes.Tag{{Key: s("a!"), Value: s("v")}}}))
		}, "", validation(badPattern("a!", "tags.1.member.key", tagKeyPat))},
		{"AssumeRole(51 tags)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), Tags: stsTags51}))
		}, "", validation(problem(hidden(), "tags", "Member must have length less than or equal to 50"))},
		{"AssumeRole(duplicate tags)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"),
				Tags: []ststypes.Tag{{Key: s("k"), Value: s("1")}, {Key: s("K"), Value: s("2")}}}))
		}, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive."},
		{"AssumeRole(51 transitive keys)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), TransitiveTagKeys: keys51}))
		}, "", validation(problem(hidden(), "transitiveTagKeys", "Member must have length less than or equal to 50"))},
		{"AssumeRole(external id a)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), ExternalId: s("a")}))
		}, "", validation(tooShort("a", "externalId", 2))},
		{"AssumeRole(external id a b)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), ExternalId: s("a b")}))
		}, "", validation(badPattern("a b", "externalId", externalIDPat))},
		{"AssumeRole(source identity)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), SourceIdentity: s("a b")}))
		}, "", validation(badPattern("a b", "sourceIdentity", sessionPat))},
		{"AssumeRole(serial number)", func() error {
			return iamErr(sc.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role.Arn, RoleSessionName: s("s1"), SerialNumber: s("short")}))
		}, "", validation(tooShort("short", "serialNumber", 9))},
		{"GetSessionToken(899)", func() error {
			return iamErr(sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: i32(899)}))
		}, "", validation(below(899, "durationSeconds", 900))},
		{"GetSessionToken(129601)", func() error {
			return iamErr(sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: i32(129601)}))
		}, "", validation(above(129601, "durationSeconds", 129600))},
		{"GetSessionToken(serial number)", func() error {
			return iamErr(sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: s("short")}))
		}, "", validation(tooShort("short", "serialNumber", 9))},
		{"GetSessionToken(serial number pattern)", func() error {
			return iamErr(sc.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: s("arn:aws:iam::123456789012:mfa/a b")}))
		}, "", validation(badPattern("arn:aws:iam::123456789012:mfa/a b", "serialNumber", serialPat))},
	}
	for _, c := range cases {
		code := c.code
		if code == "" {
			code = "ValidationError"
		}
		err := c.call()
		if msg := sealtest.APIError(t, c.name, err, code, 400); msg != c.msg {
			t.Errorf("%s: message = %.400q\nwant %.400q", c.name, msg, c.msg)
		}
	}

	// Nothing refused was done.
	users := sealtest.Must[*iam.ListUsersOutput](t, "ListUsers")(ic.ListUsers(ctx, &iam.ListUsersInput{}))
	roles := sealtest.Must[*iam.ListRolesOutput](t, "ListRoles")(ic.ListRoles(ctx, &iam.ListRolesInput{}))
	tags := sealtest.Must[*iam.ListUserTagsOutput](t, "ListUserTags")(ic.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: s("u")}))
	if len(users.Users) != 2 || len(roles.Roles) != 1 || len(tags.Tags) != 0 {
		t.Errorf("after the refusals: %d users, %d roles, %d tags of u; want 2, 1, 0", len(users.Users), len(roles.Roles), len(tags.Tags))
	}
}
