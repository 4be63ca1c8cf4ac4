package condition

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// ctx is a request context for tests: keys lower-case, as the iam package
// stores them.
type ctx map[string][]string

func (c ctx) Values(key string) (Values, bool) {
	v, ok := c[key]
	return List(v), ok
}

func (c ctx) Var(key string) (string, bool) {
	v, ok := c[key]
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

type evalCase struct {
	name   string
	op     string
	key    string
	values []string
	ctx    ctx
	want   bool
}

func runEval(t *testing.T, tests []evalCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse(tt.op, tt.key, tt.values, true)
			if err != nil {
				t.Fatalf("Parse(%q, %q, %q) error: %v", tt.op, tt.key, tt.values, err)
			}
			if got := c.Eval(tt.ctx); got != tt.want {
				t.Errorf("Parse(%q, %q, %q).Eval(%v) = %v, want %v", tt.op, tt.key, tt.values, tt.ctx, got, tt.want)
			}
		})
	}
}

// The examples of the IAM User Guide's "Condition operators" page.
func TestOperatorsFromTheUserGuide(t *testing.T) {
	s3prefix := []string{"", "home/", "home/${aws:username}/"}
	instanceTypes := []string{"t1.*", "t2.*", "m3.*"}
	topic := "arn:aws:sns:us-east-1:123456789012:TOPIC-ID"
	runEval(t, []evalCase{
		{"StringEquals job-category tagged", "StringEquals", "aws:PrincipalTag/job-category", []string{"iamuser-admin"}, ctx{"aws:principaltag/job-category": {"iamuser-admin"}}, true},
		{"StringEquals job-category other value", "StringEquals", "aws:PrincipalTag/job-category", []string{"iamuser-admin"}, ctx{"aws:principaltag/job-category": {"dev"}}, false},
		{"StringEquals job-category untagged user", "StringEquals", "aws:PrincipalTag/job-category", []string{"iamuser-admin"}, ctx{}, false},
		{"StringEquals is case-sensitive", "StringEquals", "aws:PrincipalTag/job-category", []string{"iamuser-admin"}, ctx{"aws:principaltag/job-category": {"IAMUser-Admin"}}, false},
		{"StringLike s3:prefix root", "StringLike", "s3:prefix", s3prefix, ctx{"s3:prefix": {""}, "aws:username": {"alice"}}, true},
		{"StringLike s3:prefix own home", "StringLike", "s3:prefix", s3prefix, ctx{"s3:prefix": {"home/alice/"}, "aws:username": {"alice"}}, true},
		{"StringLike s3:prefix other home", "StringLike", "s3:prefix", s3prefix, ctx{"s3:prefix": {"home/bob/"}, "aws:username": {"alice"}}, false},
		{"NumericLessThanEquals max-keys 10", "NumericLessThanEquals", "s3:max-keys", []string{"10"}, ctx{"s3:max-keys": {"10"}}, true},
		{"NumericLessThanEquals max-keys 5", "NumericLessThanEquals", "s3:max-keys", []string{"10"}, ctx{"s3:max-keys": {"5"}}, true},
		{"NumericLessThanEquals max-keys 11", "NumericLessThanEquals", "s3:max-keys", []string{"10"}, ctx{"s3:max-keys": {"11"}}, false},
		{"DateGreaterThan token issued in 2020", "DateGreaterThan", "aws:TokenIssueTime", []string{"2020-01-01T00:00:01Z"}, ctx{"aws:tokenissuetime": {"2020-06-01T00:00:00Z"}}, true},
		{"DateGreaterThan token issued before", "DateGreaterThan", "aws:TokenIssueTime", []string{"2020-01-01T00:00:01Z"}, ctx{"aws:tokenissuetime": {"2019-12-31T23:59:59Z"}}, false},
		{"DateGreaterThan long-term credentials (no key)", "DateGreaterThan", "aws:TokenIssueTime", []string{"2020-01-01T00:00:01Z"}, ctx{}, false},
		{"Bool SecureTransport false over http", "Bool", "aws:SecureTransport", []string{"false"}, ctx{"aws:securetransport": {"false"}}, true},
		{"Bool SecureTransport false over https", "Bool", "aws:SecureTransport", []string{"false"}, ctx{"aws:securetransport": {"true"}}, false},
		{"BinaryEquals", "BinaryEquals", "key:binary", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctx{"key:binary": {"BinaryValueInBase64"}}, true},
		{"BinaryEquals other bytes", "BinaryEquals", "key:binary", []string{"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}, ctx{"key:binary": {"BinaryValueInBase65"}}, false},
		{"IpAddress in range", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctx{"aws:sourceip": {"203.0.113.77"}}, true},
		{"IpAddress out of range", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctx{"aws:sourceip": {"198.51.100.1"}}, false},
		{"IpAddress through a VPC endpoint (no key)", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24"}, ctx{}, false},
		{"IpAddress mixed v4 and v6: v6", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24", "2001:DB8:1234:5678::/64"}, ctx{"aws:sourceip": {"2001:db8:1234:5678::42"}}, true},
		{"IpAddress mixed v4 and v6: v6 outside", "IpAddress", "aws:SourceIp", []string{"203.0.113.0/24", "2001:DB8:1234:5678::/64"}, ctx{"aws:sourceip": {"2001:db8:1234:9999::1"}}, false},
		{"IpAddress address without prefix is /32", "IpAddress", "aws:SourceIp", []string{"203.0.113.5"}, ctx{"aws:sourceip": {"203.0.113.6"}}, false},
		{"ArnEquals SNS topic", "ArnEquals", "aws:SourceArn", []string{topic}, ctx{"aws:sourcearn": {topic}}, true},
		{"ArnEquals called directly (no key)", "ArnEquals", "aws:SourceArn", []string{topic}, ctx{}, false},
		{"StringLike crosses ARN parts", "StringLike", "aws:SourceArn", []string{"arn:aws:someservice:*:111122223333:finance/*"}, ctx{"aws:sourcearn": {"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}}, true},
		{"ArnLike does not cross ARN parts", "ArnLike", "aws:SourceArn", []string{"arn:aws:someservice:*:111122223333:finance/*"}, ctx{"aws:sourcearn": {"arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"}}, false},
		{"StringLikeIfExists instance type present", "StringLikeIfExists", "ec2:InstanceType", instanceTypes, ctx{"ec2:instancetype": {"t2.micro"}}, true},
		{"StringLikeIfExists instance type other", "StringLikeIfExists", "ec2:InstanceType", instanceTypes, ctx{"ec2:instancetype": {"m5.large"}}, false},
		{"StringLikeIfExists resource without the key", "StringLikeIfExists", "ec2:InstanceType", instanceTypes, ctx{}, true},
		{"StringLike without IfExists, no key", "StringLike", "ec2:InstanceType", instanceTypes, ctx{}, false},
		{"Null true, long-term credentials", "Null", "aws:TokenIssueTime", []string{"true"}, ctx{}, true},
		{"Null true, temporary credentials", "Null", "aws:TokenIssueTime", []string{"true"}, ctx{"aws:tokenissuetime": {"2024-01-01T00:00:00Z"}}, false},
		{"Null false, key present", "Null", "aws:TokenIssueTime", []string{"false"}, ctx{"aws:tokenissuetime": {"2024-01-01T00:00:00Z"}}, true},
		{"Null false, key absent", "Null", "aws:TokenIssueTime", []string{"false"}, ctx{}, false},
		{"Null true, key present with no values", "Null", "aws:TagKeys", []string{"true"}, ctx{"aws:tagkeys": {}}, true},
	})
}

// Negated operators on missing keys and several values, as the User Guide's
// "Conditions with multiple context keys or values" page documents.
func TestNegatedOperators(t *testing.T) {
	roles := []string{"audit", "security"}
	runEval(t, []evalCase{
		{"negated, several values: NOR, matching one", "StringNotEquals", "aws:PrincipalTag/role", roles, ctx{"aws:principaltag/role": {"audit"}}, false},
		{"negated, several values: NOR, matching none", "StringNotEquals", "aws:PrincipalTag/role", roles, ctx{"aws:principaltag/role": {"dev"}}, true},
		{"negated, key absent: true", "StringNotEquals", "aws:PrincipalTag/role", roles, ctx{}, true},
		{"negated IfExists, key absent: true", "StringNotEqualsIfExists", "aws:PrincipalTag/role", roles, ctx{}, true},
		{"negated IfExists, key present and listed", "StringNotEqualsIfExists", "aws:PrincipalTag/role", roles, ctx{"aws:principaltag/role": {"security"}}, false},
		{"StringNotLike absent", "StringNotLike", "s3:prefix", []string{"private/*"}, ctx{}, true},
		{"StringNotLike matching", "StringNotLike", "s3:prefix", []string{"private/*"}, ctx{"s3:prefix": {"private/x"}}, false},
		{"ArnNotLike absent", "ArnNotLike", "aws:SourceArn", []string{"arn:aws:sns:*:*:t"}, ctx{}, true},
		{"ArnNotEquals other arn", "ArnNotEquals", "aws:SourceArn", []string{"arn:aws:sns:*:*:t"}, ctx{"aws:sourcearn": {"arn:aws:sns:us-east-1:123456789012:u"}}, true},
		{"NotIpAddress absent", "NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8"}, ctx{}, true},
		{"NotIpAddress inside", "NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8", "192.168.0.0/16"}, ctx{"aws:sourceip": {"192.168.1.1"}}, false},
		{"NotIpAddress outside", "NotIpAddress", "aws:SourceIp", []string{"10.0.0.0/8", "192.168.0.0/16"}, ctx{"aws:sourceip": {"8.8.8.8"}}, true},
		{"NumericNotEquals absent", "NumericNotEquals", "s3:max-keys", []string{"10"}, ctx{}, true},
		{"NumericNotEquals equal", "NumericNotEquals", "s3:max-keys", []string{"10"}, ctx{"s3:max-keys": {"10.0"}}, false},
		{"DateNotEquals absent", "DateNotEquals", "aws:CurrentTime", []string{"2020-01-01"}, ctx{}, true},
		{"positive operator absent: false", "StringEquals", "aws:PrincipalTag/role", roles, ctx{}, false},
		{"key present with no values, positive", "StringEquals", "aws:TagKeys", []string{"a"}, ctx{"aws:tagkeys": {}}, false},
		{"key present with no values, negated", "StringNotEquals", "aws:TagKeys", []string{"a"}, ctx{"aws:tagkeys": {}}, true},
		{"single operator, multivalued key: any value matches", "StringEquals", "aws:TagKeys", []string{"b"}, ctx{"aws:tagkeys": {"a", "b"}}, true},
		{"single negated operator, multivalued key: no value may match", "StringNotEquals", "aws:TagKeys", []string{"b"}, ctx{"aws:tagkeys": {"a", "b"}}, false},
	})
}

// ForAllValues and ForAnyValue, with the User Guide's examples.
func TestSetOperators(t *testing.T) {
	allowed := []string{"PostDateTime", "Message", "Tags"}
	forbidden := []string{"ID", "PostDateTime"}
	runEval(t, []evalCase{
		{"ForAllValues: every requested attribute allowed", "ForAllValues:StringLike", "dynamodb:requestedAttributes", allowed, ctx{"dynamodb:requestedattributes": {"PostDateTime", "Message"}}, true},
		{"ForAllValues: UserName is not allowed", "ForAllValues:StringLike", "dynamodb:requestedAttributes", allowed, ctx{"dynamodb:requestedattributes": {"PostDateTime", "UserName"}}, false},
		{"ForAllValues: ID is not allowed", "ForAllValues:StringLike", "dynamodb:requestedAttributes", allowed, ctx{"dynamodb:requestedattributes": {"ID"}}, false},
		{"ForAllValues: no key in the request is true", "ForAllValues:StringLike", "dynamodb:requestedAttributes", allowed, ctx{}, true},
		{"ForAllValues: empty data set is true", "ForAllValues:StringLike", "dynamodb:requestedAttributes", allowed, ctx{"dynamodb:requestedattributes": {}}, true},
		{"ForAnyValue: PostDateTime is forbidden", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", forbidden, ctx{"dynamodb:requestedattributes": {"UserName", "Message", "PostDateTime"}}, true},
		{"ForAnyValue: UserName alone is not", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", forbidden, ctx{"dynamodb:requestedattributes": {"UserName"}}, false},
		{"ForAnyValue: no key in the request is false", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", forbidden, ctx{}, false},
		{"ForAnyValue: empty data set is false", "ForAnyValue:StringLike", "dynamodb:requestedAttributes", forbidden, ctx{"dynamodb:requestedattributes": {}}, false},
		// "Multivalued context key examples": Deny ForAllValues:StringNotLike aws:TagKeys key1*.
		{"ForAllValues:StringNotLike key1:legal", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, ctx{"aws:tagkeys": {"key1:legal"}}, false},
		{"ForAllValues:StringNotLike key1:hr key1:personnel", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, ctx{"aws:tagkeys": {"key1:hr", "key1:personnel"}}, false},
		{"ForAllValues:StringNotLike key2:audit", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, ctx{"aws:tagkeys": {"key2:audit"}}, true},
		{"ForAllValues:StringNotLike no aws:TagKeys", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, ctx{}, true},
		{"ForAllValues:StringNotLike mixed", "ForAllValues:StringNotLike", "aws:TagKeys", []string{"key1*"}, ctx{"aws:tagkeys": {"key1:a", "key2:b"}}, false},
		{"ForAnyValue:StringNotEquals one value outside the list", "ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"key1", "key2"}, ctx{"aws:tagkeys": {"key1", "key3"}}, true},
		{"ForAnyValue:StringNotEquals every value listed", "ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"key1", "key2"}, ctx{"aws:tagkeys": {"key1", "key2"}}, false},
		{"ForAnyValue:StringNotEquals absent", "ForAnyValue:StringNotEquals", "aws:TagKeys", []string{"key1"}, ctx{}, false},
		{"ForAnyValue IfExists absent", "ForAnyValue:StringEqualsIfExists", "aws:TagKeys", []string{"key1"}, ctx{}, true},
		{"ForAllValues:StringEquals is case-sensitive", "ForAllValues:StringEquals", "aws:TagKeys", []string{"Env"}, ctx{"aws:tagkeys": {"env"}}, false},
		{"ForAllValues:StringEqualsIgnoreCase", "ForAllValues:StringEqualsIgnoreCase", "aws:TagKeys", []string{"Env", "Team"}, ctx{"aws:tagkeys": {"env", "TEAM"}}, true},
		{"ForAnyValue:ArnLike", "ForAnyValue:ArnLike", "aws:PrincipalServiceNamesList", []string{"arn:aws:iam::*:role/admin"}, ctx{"aws:principalservicenameslist": {"x", "arn:aws:iam::123456789012:role/admin"}}, true},
		{"set prefix on Null changes nothing", "ForAllValues:Null", "aws:TagKeys", []string{"false"}, ctx{}, false},
	})
}

func TestFamilies(t *testing.T) {
	runEval(t, []evalCase{
		{"the empty string is a value", "StringEquals", "s3:prefix", []string{""}, ctx{"s3:prefix": {""}}, true},
		{"Null false holds for the empty string", "Null", "s3:prefix", []string{"false"}, ctx{"s3:prefix": {""}}, true},
		{"StringEqualsIgnoreCase", "StringEqualsIgnoreCase", "aws:PrincipalTag/team", []string{"Blue"}, ctx{"aws:principaltag/team": {"BLUE"}}, true},
		{"StringNotEqualsIgnoreCase equal", "StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", []string{"Blue"}, ctx{"aws:principaltag/team": {"blue"}}, false},
		{"StringEquals star is literal", "StringEquals", "s3:prefix", []string{"a*"}, ctx{"s3:prefix": {"abc"}}, false},
		{"StringLike question mark", "StringLike", "s3:prefix", []string{"v?"}, ctx{"s3:prefix": {"v1"}}, true},
		{"StringEquals variable", "StringEquals", "aws:PrincipalTag/owner", []string{"${aws:username}"}, ctx{"aws:principaltag/owner": {"alice"}, "aws:username": {"alice"}}, true},
		{"StringEquals unresolved variable matches nothing", "StringEquals", "aws:PrincipalTag/owner", []string{"${aws:username}"}, ctx{"aws:principaltag/owner": {""}}, false},
		{"StringNotEquals unresolved variable: the value drops out", "StringNotEquals", "aws:PrincipalTag/owner", []string{"${aws:username}"}, ctx{"aws:principaltag/owner": {"bob"}}, true},
		{"StringEquals variable default", "StringEquals", "s3:prefix", []string{"${aws:userid, 'anonymous'}"}, ctx{"s3:prefix": {"anonymous"}}, true},
		{"StringEquals multivalued key is no variable", "StringEquals", "s3:prefix", []string{"${aws:tagkeys}"}, ctx{"s3:prefix": {"a"}, "aws:tagkeys": {"a", "b"}}, false},
		{"NumericEquals decimal", "NumericEquals", "k:n", []string{"1.5"}, ctx{"k:n": {"1.50"}}, true},
		{"NumericLessThan", "NumericLessThan", "k:n", []string{"10"}, ctx{"k:n": {"9.99"}}, true},
		{"NumericLessThan equal", "NumericLessThan", "k:n", []string{"10"}, ctx{"k:n": {"10"}}, false},
		{"NumericGreaterThan", "NumericGreaterThan", "k:n", []string{"10"}, ctx{"k:n": {"11"}}, true},
		{"NumericGreaterThanEquals equal", "NumericGreaterThanEquals", "k:n", []string{"10"}, ctx{"k:n": {"10"}}, true},
		{"NumericGreaterThanEquals less", "NumericGreaterThanEquals", "k:n", []string{"10"}, ctx{"k:n": {"-3"}}, false},
		{"Numeric request value not a number", "NumericEquals", "k:n", []string{"10"}, ctx{"k:n": {"ten"}}, false},
		{"NumericNotEquals request value not a number", "NumericNotEquals", "k:n", []string{"10"}, ctx{"k:n": {"ten"}}, true},
		{"DateLessThan epoch policy, ISO request", "DateLessThan", "aws:CurrentTime", []string{"1700000000"}, ctx{"aws:currenttime": {"2023-11-14T22:13:19Z"}}, true},
		{"DateLessThan epoch request", "DateLessThan", "aws:EpochTime", []string{"2023-11-14T22:13:20Z"}, ctx{"aws:epochtime": {"1700000000"}}, false},
		{"DateLessThanEquals same instant", "DateLessThanEquals", "aws:EpochTime", []string{"2023-11-14T22:13:20Z"}, ctx{"aws:epochtime": {"1700000000"}}, true},
		{"DateEquals across zones", "DateEquals", "aws:CurrentTime", []string{"2020-01-01T02:00:00+02:00"}, ctx{"aws:currenttime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateEquals date only is midnight UTC", "DateEquals", "aws:CurrentTime", []string{"2020-01-01"}, ctx{"aws:currenttime": {"2020-01-01T00:00:00Z"}}, true},
		{"DateGreaterThanEquals fractional seconds", "DateGreaterThanEquals", "aws:CurrentTime", []string{"2020-01-01T00:00:00.5Z"}, ctx{"aws:currenttime": {"2020-01-01T00:00:00.4Z"}}, false},
		{"DateNotEquals", "DateNotEquals", "aws:CurrentTime", []string{"2020-01-01"}, ctx{"aws:currenttime": {"2020-01-02"}}, true},
		{"Date request value not a date", "DateGreaterThan", "aws:CurrentTime", []string{"2020-01-01"}, ctx{"aws:currenttime": {"soon"}}, false},
		{"Bool ignores case", "Bool", "aws:MultiFactorAuthPresent", []string{"TRUE"}, ctx{"aws:multifactorauthpresent": {"true"}}, true},
		{"BoolIfExists MFA absent", "BoolIfExists", "aws:MultiFactorAuthPresent", []string{"false"}, ctx{}, true},
		{"BoolIfExists MFA true", "BoolIfExists", "aws:MultiFactorAuthPresent", []string{"false"}, ctx{"aws:multifactorauthpresent": {"true"}}, false},
		{"Bool variable", "Bool", "aws:SecureTransport", []string{"${k:flag}"}, ctx{"aws:securetransport": {"true"}, "k:flag": {"true"}}, true},
		{"IpAddress v4-mapped v6 request", "IpAddress", "aws:SourceIp", []string{"10.1.0.0/16"}, ctx{"aws:sourceip": {"::ffff:10.1.2.3"}}, true},
		{"IpAddress host bits in policy masked", "IpAddress", "aws:SourceIp", []string{"10.1.2.3/16"}, ctx{"aws:sourceip": {"10.1.9.9"}}, true},
		{"IpAddress request not an address", "IpAddress", "aws:SourceIp", []string{"0.0.0.0/0"}, ctx{"aws:sourceip": {"localhost"}}, false},
		{"IpAddress v6 request, v4 range", "IpAddress", "aws:SourceIp", []string{"0.0.0.0/0"}, ctx{"aws:sourceip": {"2001:db8::1"}}, false},
		{"ArnLike variable", "ArnLike", "aws:PrincipalArn", []string{"arn:aws:iam::*:user/${aws:username}"}, ctx{"aws:principalarn": {"arn:aws:iam::123456789012:user/alice"}, "aws:username": {"alice"}}, true},
		{"ArnLike request not an ARN", "ArnLike", "aws:PrincipalArn", []string{"*"}, ctx{"aws:principalarn": {"anything"}}, true},
		{"ArnLike request not an ARN, pattern an ARN", "ArnLike", "aws:PrincipalArn", []string{"arn:*:*:*:*:*"}, ctx{"aws:principalarn": {"anything"}}, false},
		{"ArnEquals takes wildcards too", "ArnEquals", "aws:SourceArn", []string{"arn:aws:sns:*:123456789012:*"}, ctx{"aws:sourcearn": {"arn:aws:sns:us-east-1:123456789012:t"}}, true},
	})
}

func TestVariablesOnlyIn2012(t *testing.T) {
	c, err := Parse("StringEquals", "aws:PrincipalTag/owner", []string{"${aws:username}"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if c.Eval(ctx{"aws:principaltag/owner": {"alice"}, "aws:username": {"alice"}}) {
		t.Errorf("Eval with variables off substituted ${aws:username}, want it literal")
	}
	if !c.Eval(ctx{"aws:principaltag/owner": {"${aws:username}"}}) {
		t.Errorf("Eval with variables off did not match the literal text")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		op     string
		values []string
		want   string
	}{
		{"StringEqualz", []string{"a"}, "Invalid Condition operator StringEqualz"},
		{"stringequals", []string{"a"}, "Invalid Condition operator stringequals"},
		{"NullIfExists", []string{"true"}, "Invalid Condition operator NullIfExists"},
		{"ForAnyValue:ForAllValues:StringEquals", []string{"a"}, "Invalid Condition operator ForAnyValue:ForAllValues:StringEquals"},
		{"ForSomeValues:StringEquals", []string{"a"}, "Invalid Condition operator ForSomeValues:StringEquals"},
		{"StringEqualsIfExistsIfExists", []string{"a"}, "Invalid Condition operator StringEqualsIfExistsIfExists"},
		{"NumericEquals", []string{"ten"}, `Invalid Condition value "ten" for operator NumericEquals: it must be a number`},
		{"NumericLessThanIfExists", []string{"NaN"}, `Invalid Condition value "NaN" for operator NumericLessThanIfExists: it must be a number`},
		{"DateGreaterThan", []string{"2020-13-01"}, `Invalid Condition value "2020-13-01" for operator DateGreaterThan: it must be an ISO 8601 date or epoch seconds`},
		{"DateEquals", []string{"${aws:CurrentTime}"}, `Invalid Condition value "${aws:CurrentTime}" for operator DateEquals: it must be an ISO 8601 date or epoch seconds`},
		{"IpAddress", []string{"10.0.0.0/33"}, `Invalid Condition value "10.0.0.0/33" for operator IpAddress: it must be an IP address or a CIDR range`},
		{"NotIpAddress", []string{"example.com"}, `Invalid Condition value "example.com" for operator NotIpAddress: it must be an IP address or a CIDR range`},
		{"BinaryEquals", []string{"not base64!"}, `Invalid Condition value "not base64!" for operator BinaryEquals: it must be base64`},
		{"Bool", []string{"yes"}, `Invalid Condition value "yes" for operator Bool: use true or false`},
		{"Null", []string{"1"}, `Invalid Condition value "1" for operator Null: use true or false`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.op, "aws:Key", tt.values, true)
		var ce *Error
		if !errors.As(err, &ce) || ce.Message != tt.want {
			t.Errorf("Parse(%q, %q) error = %v, want %q", tt.op, tt.values, err, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	utc := func(y, mo, d, h, mi, s, ns int) time.Time {
		return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2020-01-01T00:00:01Z", utc(2020, 1, 1, 0, 0, 1, 0), true},
		{"2020-01-01t00:00:01z", utc(2020, 1, 1, 0, 0, 1, 0), true},
		{"2020-01-01", utc(2020, 1, 1, 0, 0, 0, 0), true},
		{"2020-06", utc(2020, 6, 1, 0, 0, 0, 0), true},
		{"2020-01-01T10:30Z", utc(2020, 1, 1, 10, 30, 0, 0), true},
		{"2020-01-01T10:30:00", utc(2020, 1, 1, 10, 30, 0, 0), true},
		{"2020-01-01T10:30:00.123456789123Z", utc(2020, 1, 1, 10, 30, 0, 123456789), true},
		{"2020-01-01T10:30:00+01:30", utc(2020, 1, 1, 9, 0, 0, 0), true},
		{"2020-01-01T10:30:00-0100", utc(2020, 1, 1, 11, 30, 0, 0), true},
		{"1577836801", utc(2020, 1, 1, 0, 0, 1, 0), true},
		{" 0 ", utc(1970, 1, 1, 0, 0, 0, 0), true},
		{"2020", utc(1970, 1, 1, 0, 33, 40, 0), true}, // no T, no -: epoch seconds, as AWS
		{"", time.Time{}, false},
		{"2020-02-30", time.Time{}, false},
		{"2020-1-01", time.Time{}, false},
		{"2020-01-01T24:00:00Z", time.Time{}, false},
		{"2020-01-01T10", time.Time{}, false},
		{"2020-01-01T10:30:00.Z", time.Time{}, false},
		{"2020-01-01T10:30:00Zjunk", time.Time{}, false},
		{"12345678901234567890", time.Time{}, false},
		{"-5", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := ParseTime(tt.in)
		if ok != tt.ok || (ok && !got.Equal(tt.want)) {
			t.Errorf("ParseTime(%q) = %v, %v, want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	var conds []*Condition
	for _, c := range []struct {
		op     string
		values []string
	}{
		{"StringLike", []string{"home/${aws:username}/*"}},
		{"ForAllValues:StringEquals", []string{"a", "b"}},
		{"NumericLessThan", []string{"10"}},
		{"DateGreaterThan", []string{"2020-01-01T00:00:00Z"}},
		{"IpAddress", []string{"10.0.0.0/8", "2001:db8::/32"}},
		{"ArnLike", []string{"arn:aws:iam::*:user/*"}},
		{"Bool", []string{"true"}},
		{"Null", []string{"false"}},
	} {
		cond, err := Parse(c.op, "k:v", c.values, true)
		if err != nil {
			t.Fatal(err)
		}
		conds = append(conds, cond)
	}
	var cx Context = ctx{"k:v": {"home/alice/x", "2021-05-05T10:00:00+02:00", "10.1.2.3"}, "aws:username": {"alice"}}
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range conds {
			c.Eval(cx)
		}
	})
	if allocs != 0 {
		t.Errorf("Eval allocates %v times per run, want 0", allocs)
	}
}

func TestOperatorAccessors(t *testing.T) {
	c, err := Parse("ForAnyValue:StringLikeIfExists", "AWS:TagKeys", []string{"a"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Operator() != "ForAnyValue:StringLikeIfExists" || c.Key() != "aws:tagkeys" {
		t.Errorf("Operator(), Key() = %q, %q, want %q, %q", c.Operator(), c.Key(), "ForAnyValue:StringLikeIfExists", "aws:tagkeys")
	}
	if !strings.Contains((&Error{Message: "m"}).Error(), "m") {
		t.Errorf("Error() lost its message")
	}
}
