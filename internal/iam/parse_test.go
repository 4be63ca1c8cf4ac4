package iam

import (
	"errors"
	"strings"
	"testing"
)

// stmt wraps statement JSON into a 2012-10-17 document.
func stmt(statements ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(statements, ",") + `]}`
}

const (
	allowAll    = `{"Effect":"Allow","Action":"*","Resource":"*"}`
	allowAllFor = `{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}`
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		kind Kind
		want string
		stmt int
	}{
		{"empty document", ``, KindIdentity, "Syntax errors in policy.", 0},
		{"not JSON", `Version: 2012-10-17`, KindIdentity, "Syntax errors in policy.", 0},
		{"trailing comma", `{"Version":"2012-10-17","Statement":[` + allowAll + `,]}`, KindIdentity, "Syntax errors in policy.", 0},
		{"a list, not an object", `[` + allowAll + `]`, KindIdentity, "Syntax errors in policy.", 0},
		{"data after the document", stmt(allowAll) + `{}`, KindIdentity, "Syntax errors in policy.", 0},
		{"nesting too deep", `{"Version":"2012-10-17","Statement":[[[[[[[[[[[[[]]]]]]]]]]]]]}`, KindIdentity, "Syntax errors in policy.", 0},
		{"deep nesting in a condition", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"a:b":[[[[[[[["x"]]]]]]]]}}}`), KindIdentity, "Syntax errors in policy.", 0},
		{"duplicate top-level field", `{"Version":"2012-10-17","Statement":[` + allowAll + `],"Statement":[]}`, KindIdentity, "Duplicate field Statement", 0},
		{"duplicate statement field", stmt(`{"Effect":"Allow","Effect":"Deny","Action":"*","Resource":"*"}`), KindIdentity, "Duplicate field Effect", 0},
		{"unknown top-level field", `{"Version":"2012-10-17","Statements":[` + allowAll + `]}`, KindIdentity, "Unknown field Statements", 0},
		{"unknown version", `{"Version":"2010-01-01","Statement":[` + allowAll + `]}`, KindIdentity, "Invalid Version 2010-01-01: use 2012-10-17 or 2008-10-17", 0},
		{"version not a string", `{"Version":2012,"Statement":[` + allowAll + `]}`, KindIdentity, "Syntax errors in policy.", 0},
		{"id not a string", `{"Version":"2012-10-17","Id":1,"Statement":[` + allowAll + `]}`, KindIdentity, "Syntax errors in policy.", 0},
		{"no statement", `{"Version":"2012-10-17"}`, KindIdentity, "Missing required field Statement", 0},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, KindIdentity, "Missing required field Statement", 0},
		{"statement a string", `{"Version":"2012-10-17","Statement":"allow all"}`, KindIdentity, "Syntax errors in policy.", 0},
		{"statement not an object", stmt(allowAll, `"x"`), KindIdentity, "Statement must be an object in statement 2", 2},
		{"missing effect", stmt(`{"Action":"*","Resource":"*"}`), KindIdentity, "Missing required field Effect in statement 1", 1},
		{"effect in lower case", stmt(`{"Effect":"allow","Action":"*","Resource":"*"}`), KindIdentity, "Invalid effect: allow in statement 1", 1},
		{"effect not a string", stmt(`{"Effect":true,"Action":"*","Resource":"*"}`), KindIdentity, "Effect must be a string in statement 1", 1},
		{"unknown statement field", stmt(allowAll, `{"Effect":"Allow","Actions":"*","Resource":"*"}`), KindIdentity, "Unknown field Actions in statement 2", 2},
		{"field names are case-sensitive", stmt(`{"effect":"Allow","Action":"*","Resource":"*"}`), KindIdentity, "Unknown field effect in statement 1", 1},
		{"sid not a string", stmt(`{"Sid":1,"Effect":"Allow","Action":"*","Resource":"*"}`), KindIdentity, "Sid must be a string in statement 1", 1},
		{"Action and NotAction", stmt(`{"Effect":"Allow","Action":"*","NotAction":"iam:*","Resource":"*"}`), KindIdentity, "Action and NotAction cannot both be specified in statement 1", 1},
		{"Resource and NotResource", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}`), KindIdentity, "Resource and NotResource cannot both be specified in statement 1", 1},
		{"Principal and NotPrincipal", stmt(`{"Effect":"Deny","Principal":"*","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}`), KindResource, "Principal and NotPrincipal cannot both be specified in statement 1", 1},
		{"principal in an identity policy", stmt(allowAllFor), KindIdentity, "Policy document should not specify a principal.", 1},
		{"not-principal in an identity policy", stmt(`{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}`), KindIdentity, "Policy document should not specify a principal.", 1},
		{"resource policy without principal", stmt(allowAll), KindResource, "Missing required field Principal in statement 1", 1},
		{"key policy without principal", stmt(allowAllFor, allowAll), KindKey, "Missing required field Principal in statement 2", 2},
		{"trust policy without principal", stmt(`{"Effect":"Allow","Action":"sts:AssumeRole"}`), KindTrust, "Missing required field Principal in statement 1", 1},
		{"no action", stmt(`{"Effect":"Allow","Resource":"*"}`), KindIdentity, "Policy statement must contain actions.", 1},
		{"empty action list", stmt(`{"Effect":"Allow","Action":[],"Resource":"*"}`), KindIdentity, "Policy statement must contain actions.", 1},
		{"action not a string", stmt(allowAll, `{"Effect":"Allow","Action":7,"Resource":"*"}`), KindIdentity, "Action must be a string or a list of strings in statement 2", 2},
		{"action list with a number", stmt(`{"Effect":"Allow","Action":["kms:Decrypt",7],"Resource":"*"}`), KindIdentity, "Action must be a string or a list of strings in statement 1", 1},
		{"no resource", stmt(`{"Effect":"Allow","Action":"*"}`), KindIdentity, "Policy statement must contain resources.", 1},
		{"no resource in a resource policy", stmt(`{"Effect":"Allow","Principal":"*","Action":"*"}`), KindResource, "Policy statement must contain resources.", 1},
		{"empty resource list", stmt(`{"Effect":"Allow","Action":"*","Resource":[]}`), KindIdentity, "Policy statement must contain resources.", 1},
		{"resource not a string", stmt(`{"Effect":"Allow","Action":"*","Resource":{"arn":"x"}}`), KindIdentity, "Resource must be a string or a list of strings in statement 1", 1},
		{"action without vendor", stmt(`{"Effect":"Allow","Action":"Decrypt","Resource":"*"}`), KindIdentity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", 1},
		{"action with empty vendor", stmt(`{"Effect":"Allow","Action":":Decrypt","Resource":"*"}`), KindIdentity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", 1},
		{"action with two colons", stmt(`{"Effect":"Allow","Action":"kms:Decrypt:x","Resource":"*"}`), KindIdentity, "Actions/Condition can contain only one colon.", 1},
		{"action with a bad vendor", stmt(`{"Effect":"Allow","Action":"k ms:Decrypt","Resource":"*"}`), KindIdentity, "Vendor k ms is not valid", 1},
		{"action with a wildcard vendor", stmt(`{"Effect":"Allow","Action":"*:Decrypt","Resource":"*"}`), KindIdentity, "Vendor * is not valid", 1},
		{"resource not an ARN", stmt(`{"Effect":"Allow","Action":"*","Resource":"key/1234"}`), KindIdentity, `Resource key/1234 must be in ARN format or "*".`, 1},
		{"resource without vendor", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws"}`), KindIdentity, "Resource vendor must be fully qualified and cannot contain regexes.", 1},
		{"resource with a wildcard vendor", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:aws:*:::x"}`), KindIdentity, "Resource vendor must be fully qualified and cannot contain regexes.", 1},
		{"resource with an unknown partition", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:foo:s3:::bucket"}`), KindIdentity, `Partition "foo" is not valid for resource "arn:foo:s3:*:*:bucket".`, 1},
		{"resource with a wildcard partition", stmt(`{"Effect":"Allow","Action":"*","Resource":"arn:*:kms"}`), KindIdentity, `Partition "*" is not valid for resource "arn:*:kms:*:*:*".`, 1},
		{"condition not an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":["StringEquals"]}`), KindIdentity, "Condition must be an object in statement 1", 1},
		{"condition operator not an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":"x"}}`), KindIdentity, "Condition operator StringEquals must map keys to values in statement 1", 1},
		{"unknown condition operator", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{"aws:username":"a"}}}`), KindIdentity, "Invalid Condition operator StringEqualz in statement 1", 1},
		{"unknown condition operator with no keys", stmt(allowAll, `{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualz":{}}}`), KindIdentity, "Invalid Condition operator StringEqualz in statement 2", 2},
		{"NullIfExists", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NullIfExists":{"aws:TokenIssueTime":"true"}}}`), KindIdentity, "Invalid Condition operator NullIfExists in statement 1", 1},
		{"condition key without vendor", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"SourceIp":"10.0.0.0/8"}}}`), KindIdentity, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.", 1},
		{"condition value an object", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":{"a":"b"}}}}`), KindIdentity, "Values of condition key aws:username must be strings, numbers or booleans in statement 1", 1},
		{"condition value null", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:username":null}}}`), KindIdentity, "Values of condition key aws:username must be strings, numbers or booleans in statement 1", 1},
		{"bad number", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}`), KindIdentity, `Invalid Condition value "ten" for operator NumericLessThan: it must be a number in statement 1`, 1},
		{"bad date", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}}`), KindIdentity, `Invalid Condition value "tomorrow" for operator DateLessThan: it must be an ISO 8601 date or epoch seconds in statement 1`, 1},
		{"bad CIDR", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/40"}}}`), KindIdentity, `Invalid Condition value "10.0.0.0/40" for operator IpAddress: it must be an IP address or a CIDR range in statement 1`, 1},
		{"principal a string other than *", stmt(`{"Effect":"Allow","Principal":"123456789012","Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "123456789012" in statement 1`, 1},
		{"principal with a wildcard ARN", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/*"`, 1},
		{"principal with a short account", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::12345678910:role/Orchestration_Role"},"Action":"sts:AssumeRole"}`), KindTrust, `Invalid principal in policy: "AWS":"arn:aws:iam::12345678910:role/Orchestration_Role"`, 1},
		{"principal of an unknown type", stmt(`{"Effect":"Allow","Principal":{"Human":"alice"},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "Human":"alice"`, 1},
		{"pinned principal with no unique id", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob#bob"},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/bob#bob"`, 1},
		{"pinned session ARN", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/r/s#AROAAPPEXAMPLE0000001"},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "AWS":"arn:aws:sts::123456789012:assumed-role/r/s#AROAAPPEXAMPLE0000001"`, 1},
		{"pinned user ARN", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob#AIDABOBEXAMPLE0000001"},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/bob#AIDABOBEXAMPLE0000001"`, 1},
		{"pinned role ARN in a key policy", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001"},"Action":"kms:*","Resource":"*"}`), KindKey, "Policy contains a statement with one or more invalid principals.", 1},
		{"pinned role ARN in a trust policy", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001"},"Action":"sts:AssumeRole"}`), KindTrust, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001"`, 1},
		{"principal an empty object", stmt(`{"Effect":"Allow","Principal":{},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "" in statement 1`, 1},
		{"principal with an empty list", stmt(`{"Effect":"Allow","Principal":{"AWS":[]},"Action":"*","Resource":"*"}`), KindResource, `Invalid principal in policy: "AWS":""`, 1},
		{"key policy principal not an ARN", stmt(`{"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"kms:*","Resource":"*"}`), KindKey, "Policy contains a statement with one or more invalid principals.", 1},
		{"key policy principal in S3's IAM", stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::bucket"},"Action":"kms:*","Resource":"*"}`), KindKey, "Policy contains a statement with one or more invalid principals.", 1},
		{"trust policy with a resource", stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}`), KindTrust, "Has prohibited field Resource.", 1},
		{"trust policy with another service's action", stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"kms:Decrypt"}`), KindTrust, "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity", 1},
		{"trust policy with an unknown sts action", stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:BadAssumeRole"}`), KindTrust, "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity", 1},
		{"trust policy with NotAction", stmt(`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"NotAction":"sts:TagSession"}`), KindTrust, "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity", 1},
		{"repeated Sid in an identity policy", stmt(`{"Sid":"A","Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"A","Effect":"Deny","Action":"iam:*","Resource":"*"}`), KindIdentity, "Statement IDs (SID) in a single policy must be unique.", 2},
		{"document over the size limit", `{"Version":"2012-10-17","Id":"` + strings.Repeat("x", MaxPolicySize) + `","Statement":[` + allowAll + `]}`, KindIdentity, "Cannot exceed quota for PolicySize: 131072", 0},
		{"unknown kind", stmt(allowAll), Kind(0), "Unknown policy kind 0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc, tt.kind)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%.80q, %v) = %v, %v, want *ParseError %q", tt.doc, tt.kind, p, err, tt.want)
			}
			if pe.Message != tt.want || pe.Statement != tt.stmt {
				t.Errorf("Parse(%.80q, %v) error = %q (statement %d), want %q (statement %d)", tt.doc, tt.kind, pe.Message, pe.Statement, tt.want, tt.stmt)
			}
			if p != nil {
				t.Errorf("Parse(%.80q, %v) returned a policy with its error", tt.doc, tt.kind)
			}
		})
	}
}

// The pinned form "<arn>#<id>" is sealbox's own storage form: a caller
// who writes it is refused (above), and the copy sealbox saved is read.
func TestParseStoredReadsPinnedPrincipals(t *testing.T) {
	for _, tt := range []struct {
		doc  string
		kind Kind
	}{
		{stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob#AIDABOBEXAMPLE0000001"},"Action":"*","Resource":"*"}`), KindResource},
		{stmt(`{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001","arn:aws:iam::123456789012:root"]},"Action":"kms:*","Resource":"*"}`), KindKey},
		{stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app#AROAAPPEXAMPLE0000001"},"Action":"sts:AssumeRole"}`), KindTrust},
	} {
		if _, err := ParseStored(tt.doc, tt.kind); err != nil {
			t.Errorf("ParseStored(%s, %v) error: %v", tt.doc, tt.kind, err)
		}
		if _, err := Parse(tt.doc, tt.kind); err == nil {
			t.Errorf("Parse(%s, %v) accepted the pinned form a caller may not write", tt.doc, tt.kind)
		}
	}
	// What is malformed stays malformed in the stored form.
	for _, doc := range []string{
		stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/bob#bob"},"Action":"*","Resource":"*"}`),
		stmt(`{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::123456789012:assumed-role/r/s#AROAAPPEXAMPLE0000001"},"Action":"*","Resource":"*"}`),
	} {
		if _, err := ParseStored(doc, KindResource); err == nil {
			t.Errorf("ParseStored(%s) accepted a malformed pinned principal", doc)
		}
	}
}

func TestParseTooLargeIsErrPolicyTooLarge(t *testing.T) {
	doc := strings.Repeat(" ", MaxPolicySize+1)
	if _, err := Parse(doc, KindIdentity); !errors.Is(err, ErrPolicyTooLarge) {
		t.Errorf("Parse(%d bytes) error = %v, want errors.Is ErrPolicyTooLarge", len(doc), err)
	}
	if _, err := Parse("{", KindIdentity); errors.Is(err, ErrPolicyTooLarge) {
		t.Errorf("Parse(%q) error = %v, is ErrPolicyTooLarge", "{", err)
	}
}

// The key policy KMS gives a key created without one.
const defaultKeyPolicy = `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::123456789012:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`

func TestParseValid(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		kind    Kind
		version string
		id      string
	}{
		{"default key policy", defaultKeyPolicy, KindKey, Version2012, "key-default-1"},
		{"statement as an object", `{"Version":"2012-10-17","Statement":` + allowAll + `}`, KindIdentity, Version2012, ""},
		{"no version is 2008-10-17", `{"Statement":` + allowAll + `}`, KindIdentity, Version2008, ""},
		{"version 2008-10-17", `{"Version":"2008-10-17","Statement":` + allowAll + `}`, KindIdentity, Version2008, ""},
		{"key policy statement without resource or action has no effect but parses", stmt(`{"Effect":"Allow","Principal":"*"}`), KindKey, Version2012, ""},
		{"key policy with a repeated Sid", stmt(`{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}`, `{"Sid":"A","Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}`), KindKey, Version2012, ""},
		{"trust policy for a service", stmt(`{"Effect":"Allow","Principal":{"Service":["lambda.amazonaws.com","ec2.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession"]}`), KindTrust, Version2012, ""},
		{"trust policy with sts:*", stmt(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:*"}`), KindTrust, Version2012, ""},
		{"trust policy for a federated provider", stmt(`{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"ForAnyValue:StringLike":{"token.actions.githubusercontent.com:sub":["repo:org/*"]}}}`), KindTrust, Version2012, ""},
		{"every principal form", stmt(`{"Effect":"Allow","Principal":{"AWS":["*","123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:user/path/alice","arn:aws:iam::123456789012:role/r","arn:aws:sts::123456789012:assumed-role/r/s","arn:aws:sts::123456789012:federated-user/f","AIDAJQABLZS4A3QDU576Q"],"Service":"secretsmanager.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}`), KindResource, Version2012, ""},
		{"conditions with JSON booleans and numbers", stmt(`{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThanEquals":{"s3:max-keys":10}}}`), KindIdentity, Version2012, ""},
		{"every operator", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
			"StringEquals":{"a:a":"x"},"StringNotEquals":{"a:a":"x"},"StringEqualsIgnoreCase":{"a:a":"x"},"StringNotEqualsIgnoreCase":{"a:a":"x"},"StringLike":{"a:a":"x*"},"StringNotLike":{"a:a":"x*"},
			"NumericEquals":{"a:n":"1"},"NumericNotEquals":{"a:n":"1"},"NumericLessThan":{"a:n":"1"},"NumericLessThanEquals":{"a:n":"1"},"NumericGreaterThan":{"a:n":"1"},"NumericGreaterThanEquals":{"a:n":"1.5"},
			"DateEquals":{"a:d":"2020-01-01"},"DateNotEquals":{"a:d":"2020-01-01"},"DateLessThan":{"a:d":"2020-01-01T00:00:00Z"},"DateLessThanEquals":{"a:d":"1577836800"},"DateGreaterThan":{"a:d":"2020-01-01"},"DateGreaterThanEquals":{"a:d":"2020-01-01"},
			"Bool":{"a:b":"true"},"BinaryEquals":{"a:b":"QmluYXJ5"},"IpAddress":{"a:i":["10.0.0.0/8","::1"]},"NotIpAddress":{"a:i":"10.0.0.1"},
			"ArnEquals":{"a:r":"arn:aws:s3:::b"},"ArnLike":{"a:r":"arn:aws:s3:::*"},"ArnNotEquals":{"a:r":"arn:aws:s3:::b"},"ArnNotLike":{"a:r":"arn:aws:s3:::*"},"Null":{"a:a":"true"},
			"StringEqualsIfExists":{"a:a":"x"},"ForAnyValue:StringLike":{"a:a":"x"},"ForAllValues:ArnLikeIfExists":{"a:r":"*"}}}`), KindIdentity, Version2012, ""},
		{"tag keys with colons", stmt(`{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/aws:cloudformation:stack-name":"s"}}}`), KindIdentity, Version2012, ""},
		{"resource forms", stmt(`{"Effect":"Allow","Action":"*","Resource":["arn:aws:kms:us-east-1:123456789012:key/*","arn:aws-cn:s3:::b/${aws:username}/*","arn:aws:kms:*"]}`), KindIdentity, Version2012, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.doc, tt.kind)
			if err != nil {
				t.Fatalf("Parse(%.80q, %v) error: %v", tt.doc, tt.kind, err)
			}
			if p.Kind() != tt.kind || p.Version() != tt.version || p.ID() != tt.id {
				t.Errorf("Parse(%.80q, %v) = kind %v, version %q, id %q; want %v, %q, %q", tt.doc, tt.kind, p.Kind(), p.Version(), p.ID(), tt.kind, tt.version, tt.id)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[Kind]string{KindIdentity: "identity", KindResource: "resource", KindKey: "key", KindTrust: "trust", Kind(9): "Kind(9)"} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", uint8(k), got, want)
		}
	}
}
