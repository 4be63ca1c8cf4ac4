package iam

import "testing"

// Policies for the Decide tests.
const (
	allowDecrypt     = `{"Version":"2012-10-17","Statement":[{"Sid":"UseKey","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}`
	denyDecrypt      = `{"Version":"2012-10-17","Statement":[{"Sid":"NoDecrypt","Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`
	allowAssume      = `{"Version":"2012-10-17","Statement":[{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::123456789012:role/deploy"}]}`
	allowGetSecret   = `{"Version":"2012-10-17","Statement":[{"Sid":"Read","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	keyPolicyAppOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"App","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/app"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}]}`
	keyPolicyDenyAll = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},
		{"Sid":"DenyOutsideVPC","Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}]}`
	secretPolicyAlice    = `{"Version":"2012-10-17","Statement":[{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	secretPolicyAccount  = `{"Version":"2012-10-17","Statement":[{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"secretsmanager:*","Resource":"*"}]}`
	secretPolicyLambda   = `{"Version":"2012-10-17","Statement":[{"Sid":"Lambda","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}`
	secretPolicyDeny     = `{"Version":"2012-10-17","Statement":[{"Sid":"NotFromOutside","Effect":"Deny","Principal":"*","Action":"secretsmanager:*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}`
	fnPolicyEve          = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"eve","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:user/Eve"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`
	fnPolicyEveAccount   = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"acct","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`
	fnPolicyAlice        = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`
	fnPolicyAuditSession = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"audit","Effect":"Allow","Principal":{"AWS":"arn:aws:sts::444455556666:assumed-role/cross-account-read-only-role/cross-account-audit-app"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`
	fnPolicyAnyone       = `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"all","Effect":"Allow","Principal":"*","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:123456789012:function:orders"}]}`
	allowInvoke          = `{"Version":"2012-10-17","Statement":[{"Sid":"Invoke","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"*"}]}`
	trustDeploy          = `{"Version":"2012-10-17","Statement":[
		{"Sid":"Lambda","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"},
		{"Sid":"Alice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":["sts:AssumeRole","sts:TagSession"]},
		{"Sid":"Account","Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`
)

func TestDecide(t *testing.T) {
	const secretARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
	const roleARN = "arn:aws:iam::123456789012:role/deploy"
	const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
	tests := []struct {
		name     string
		identity []string // KindIdentity documents
		resource string   // document, parsed as kind
		kind     Kind
		req      *Request
		want     Decision
		message  string // Decision.Message for denials
	}{
		// KMS: the default key policy delegates to the account's IAM policies.
		{"default key policy, identity allows", []string{allowDecrypt}, defaultKeyPolicy, KindKey, req(alice, "kms:Decrypt", keyARN),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "UseKey"}, ""},
		{"default key policy, no identity policy", nil, defaultKeyPolicy, KindKey, req(alice, "kms:Decrypt", keyARN),
			Decision{Reason: NoIdentityAllow},
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: kms:Decrypt on resource: " + keyARN + " because no identity-based policy allows the kms:Decrypt action"},
		{"default key policy, identity allows another action", []string{allowGetSecret}, defaultKeyPolicy, KindKey, req(alice, "kms:Decrypt", keyARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"default key policy, root user needs no identity policy", nil, defaultKeyPolicy, KindKey, req(root, "kms:ScheduleKeyDeletion", keyARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "Enable IAM User Permissions"}, ""},
		{"default key policy, another account", []string{allowDecrypt}, defaultKeyPolicy, KindKey, req(other, "kms:Decrypt", keyARN),
			Decision{Reason: NoResourceAllow},
			"User: arn:aws:iam::444455556666:user/Eve is not authorized to perform: kms:Decrypt on resource: " + keyARN + " because no resource-based policy allows the kms:Decrypt action"},
		// KMS: a key policy that does not name the account ignores IAM policies.
		{"key policy without the account, identity allows", []string{allowDecrypt}, keyPolicyAppOnly, KindKey, req(alice, "kms:Decrypt", keyARN),
			Decision{Reason: NoResourceAllow}, ""},
		{"key policy names the role, its session needs no identity policy", nil, keyPolicyAppOnly, KindKey, req(app, "kms:Decrypt", keyARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "App"}, ""},
		{"key policy names the role, not for this action", []string{stmt(allowAll)}, keyPolicyAppOnly, KindKey, req(app, "kms:ScheduleKeyDeletion", keyARN),
			Decision{Reason: NoResourceAllow}, ""},
		{"key policy without the account locks the root user out", nil, keyPolicyAppOnly, KindKey, req(root, "kms:PutKeyPolicy", keyARN),
			Decision{Reason: NoResourceAllow}, ""},
		{"explicit deny in the key policy", []string{allowDecrypt}, keyPolicyDenyAll, KindKey, req(alice, "kms:Decrypt", keyARN, "aws:SourceVpc", "vpc-2"),
			Decision{Reason: ResourceDeny, Sid: "DenyOutsideVPC"},
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: kms:Decrypt on resource: " + keyARN + " with an explicit deny in a resource-based policy"},
		{"key policy deny does not apply", []string{allowDecrypt}, keyPolicyDenyAll, KindKey, req(alice, "kms:Decrypt", keyARN, "aws:SourceVpc", "vpc-1"),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "UseKey"}, ""},
		{"key policy deny binds the root user too", nil, keyPolicyDenyAll, KindKey, req(root, "kms:Decrypt", keyARN, "aws:SourceVpc", "vpc-2"),
			Decision{Reason: ResourceDeny, Sid: "DenyOutsideVPC"}, ""},
		{"explicit deny in an identity policy wins over the key policy", []string{allowDecrypt, denyDecrypt}, keyPolicyAppOnly, KindKey, req(app, "kms:Decrypt", keyARN),
			Decision{Reason: IdentityDeny, Sid: "NoDecrypt"},
			"User: arn:aws:sts::123456789012:assumed-role/app/i-0abc is not authorized to perform: kms:Decrypt on resource: " + keyARN + " with an explicit deny in an identity-based policy"},

		// Secrets: a resource policy grants on its own, or leaves it to IAM.
		{"no resource policy, identity allows", []string{allowGetSecret}, "", 0, req(alice, "secretsmanager:GetSecretValue", secretARN),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Read"}, ""},
		{"no resource policy, no identity policy", nil, "", 0, req(alice, "secretsmanager:GetSecretValue", secretARN),
			Decision{Reason: NoIdentityAllow},
			"User: arn:aws:iam::123456789012:user/alice is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN + " because no identity-based policy allows the secretsmanager:GetSecretValue action"},
		{"resource policy names the user", nil, secretPolicyAlice, KindResource, req(alice, "secretsmanager:GetSecretValue", secretARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "Alice"}, ""},
		{"resource policy names another user, identity allows", []string{allowGetSecret}, secretPolicyAlice, KindResource, req(carol, "secretsmanager:GetSecretValue", secretARN),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Read"}, ""},
		{"resource policy names another user, no identity policy", nil, secretPolicyAlice, KindResource, req(carol, "secretsmanager:GetSecretValue", secretARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"resource policy names the account: delegates", nil, secretPolicyAccount, KindResource, req(alice, "secretsmanager:GetSecretValue", secretARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"resource policy names the account, identity allows", []string{allowGetSecret}, secretPolicyAccount, KindResource, req(alice, "secretsmanager:GetSecretValue", secretARN),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Read"}, ""},
		{"resource policy names a service", nil, secretPolicyLambda, KindResource, req(lamb, "secretsmanager:GetSecretValue", secretARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "Lambda"}, ""},
		{"a service not named", nil, secretPolicyAlice, KindResource, req(lamb, "secretsmanager:GetSecretValue", secretARN),
			Decision{Reason: NoIdentityAllow},
			"User: lambda.amazonaws.com is not authorized to perform: secretsmanager:GetSecretValue on resource: " + secretARN + " because no identity-based policy allows the secretsmanager:GetSecretValue action"},
		{"resource policy deny wins over identity allow", []string{allowGetSecret}, secretPolicyDeny, KindResource, req(alice, "secretsmanager:GetSecretValue", secretARN, "aws:SourceIp", "203.0.113.9"),
			Decision{Reason: ResourceDeny, Sid: "NotFromOutside"}, ""},
		{"resource policy deny does not apply", []string{allowGetSecret}, secretPolicyDeny, KindResource, req(alice, "secretsmanager:GetSecretValue", secretARN, "aws:SourceIp", "10.9.9.9"),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Read"}, ""},
		{"root user, no policies", nil, "", 0, req(root, "secretsmanager:DeleteSecret", secretARN),
			Decision{Allowed: true, Reason: RootAllow}, ""},
		{"root user, resource policy deny", nil, secretPolicyDeny, KindResource, req(root, "secretsmanager:DeleteSecret", secretARN, "aws:SourceIp", "203.0.113.9"),
			Decision{Reason: ResourceDeny, Sid: "NotFromOutside"}, ""},

		// Roles: the trust policy must allow.
		{"trust policy names the service", nil, trustDeploy, KindTrust, req(lamb, "sts:AssumeRole", roleARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "Lambda"}, ""},
		{"trust policy names the user", nil, trustDeploy, KindTrust, req(alice, "sts:TagSession", roleARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "Alice"}, ""},
		{"trust policy names the account, identity allows, with MFA", []string{allowAssume}, trustDeploy, KindTrust, req(carol, "sts:AssumeRole", roleARN, "aws:MultiFactorAuthPresent", "true"),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Assume"}, ""},
		{"trust policy names the account, identity allows, no MFA", []string{allowAssume}, trustDeploy, KindTrust, req(carol, "sts:AssumeRole", roleARN),
			Decision{Reason: NoResourceAllow},
			"User: arn:aws:iam::123456789012:user/engineering/carol is not authorized to perform: sts:AssumeRole on resource: " + roleARN + " because no resource-based policy allows the sts:AssumeRole action"},
		{"trust policy names the account, no identity policy", nil, trustDeploy, KindTrust, req(carol, "sts:AssumeRole", roleARN, "aws:MultiFactorAuthPresent", "true"),
			Decision{Reason: NoIdentityAllow}, ""},
		{"trust policy, another account", []string{allowAssume}, trustDeploy, KindTrust, req(other, "sts:AssumeRole", roleARN),
			Decision{Reason: NoResourceAllow}, ""},

		// Across accounts: the function's policy and the caller's own
		// identity policies must both allow; within the account the
		// function's policy naming the caller is enough.
		{"function policy names a user of another account, no identity policy", nil, fnPolicyEve, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"function policy names a user of another account, identity allows", []string{allowInvoke}, fnPolicyEve, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "eve"}, ""},
		{"function policy names another account, identity allows", []string{allowInvoke}, fnPolicyEveAccount, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Allowed: true, Reason: IdentityAllow, Sid: "Invoke"}, ""},
		{"function policy names another account, no identity policy", nil, fnPolicyEveAccount, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"function policy names someone else, another account's identity allows", []string{allowInvoke}, fnPolicyAlice, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoResourceAllow}, ""},
		{"no function policy, another account's identity allows", []string{allowInvoke}, "", 0, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoResourceAllow}, ""},
		{"function policy names anyone, another account without identity policy", nil, fnPolicyAnyone, KindResource, req(other, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"function policy names a session of another account by its own ARN, no identity policy", nil, fnPolicyAuditSession, KindResource, req(audit, "lambda:InvokeFunction", fnARN),
			Decision{Reason: NoIdentityAllow}, ""},
		{"function policy names a session of another account by its own ARN, identity allows", []string{allowInvoke}, fnPolicyAuditSession, KindResource, req(audit, "lambda:InvokeFunction", fnARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "audit"}, ""},
		{"function policy names a user of the account, no identity policy", nil, fnPolicyAlice, KindResource, req(alice, "lambda:InvokeFunction", fnARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "alice"}, ""},
		{"function policy names anyone, a user of the account", nil, fnPolicyAnyone, KindResource, req(alice, "lambda:InvokeFunction", fnARN),
			Decision{Allowed: true, Reason: ResourceAllow, Sid: "all"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var identity []*Policy
			for _, doc := range tt.identity {
				identity = append(identity, mustParse(t, doc, KindIdentity))
			}
			var resource *Policy
			if tt.resource != "" {
				resource = mustParse(t, tt.resource, tt.kind)
			}
			// The resources here are account 123456789012's.
			foreign := tt.req.Principal.AccountID != "" && tt.req.Principal.AccountID != "123456789012"
			got := Decide(&Facts{Identity: identity, Resource: resource, Foreign: foreign}, tt.req)
			if got != tt.want {
				t.Errorf("Decide(%d identity policies, %v policy, %s %s) = %+v, want %+v", len(identity), tt.kind, tt.req.Principal.ARN+tt.req.Principal.Service, tt.req.Action, got, tt.want)
			}
			if tt.message != "" {
				if msg := got.Message(tt.req); msg != tt.message {
					t.Errorf("Decide(...).Message() = %q, want %q", msg, tt.message)
				}
			}
		})
	}
}

func TestDecisionExplain(t *testing.T) {
	tests := []struct {
		d    Decision
		want string
	}{
		{Decision{Allowed: true, Reason: IdentityAllow}, ""},
		{Decision{Reason: NoIdentityAllow}, "because no identity-based policy allows the kms:Decrypt action"},
		{Decision{Reason: NoResourceAllow}, "because no resource-based policy allows the kms:Decrypt action"},
		{Decision{Reason: IdentityDeny}, "with an explicit deny in an identity-based policy"},
		{Decision{Reason: ResourceDeny}, "with an explicit deny in a resource-based policy"},
	}
	for _, tt := range tests {
		if got := tt.d.Explain("kms:Decrypt"); got != tt.want {
			t.Errorf("%+v.Explain(kms:Decrypt) = %q, want %q", tt.d, got, tt.want)
		}
	}
	r := req(alice, "kms:ListKeys", "*")
	if got, want := (Decision{Reason: NoIdentityAllow}).Message(r), "User: arn:aws:iam::123456789012:user/alice is not authorized to perform: kms:ListKeys because no identity-based policy allows the kms:ListKeys action"; got != want {
		t.Errorf("Message(kms:ListKeys on *) = %q, want %q", got, want)
	}
	for r := NoIdentityAllow; r <= RootAllow; r++ {
		if r.String() == "Reason(?)" {
			t.Errorf("Reason(%d).String() has no name", r)
		}
	}
}
