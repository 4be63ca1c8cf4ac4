package iam

import (
	"strings"
	"testing"
)

// TestDecideSessionBound pins how session policies bound each source of an
// allow, with AWS's documented outcome in each cell ("Session policies" and
// "Policy evaluation logic" in the IAM User Guide): the effective
// permissions of a session are the intersection of its identity-based and
// session policies; a resource-based policy that names the role's (or the
// user's) ARN is limited by the session policy too; only one that names the
// session's own ARN is not. "*" and the account are bounded (the safe
// reading). A KMS grant to the role is bounded like a key policy naming the
// role (AWS documents nothing; the safe reading). A KMS grant to the
// account delegates to the account as a key policy naming the account
// does: a principal of the account other than its root user needs an
// identity-based policy too (the CreateGrant reference lists accounts among
// valid grantees and documents no more; the safe reading). An explicit
// deny in any policy wins in every cell.
func TestDecideSessionBound(t *testing.T) {
	const (
		roleARN    = "arn:aws:iam::123456789012:role/app"
		sessionARN = "arn:aws:sts::123456789012:assumed-role/app/i-0abc"
		targetRole = "arn:aws:iam::123456789012:role/wide"
	)
	allowing := stmt(`{"Effect":"Allow","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`)
	notAllowing := stmt(`{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"*"}`)
	identityAllows := stmt(`{"Sid":"Id","Effect":"Allow","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`)
	naming := func(principal string) string {
		return `{"Sid":"Named","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`
	}
	const anyone = `{"Sid":"Named","Effect":"Allow","Principal":"*","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`
	const nobody = `{"Sid":"Named","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/nobody"},"Action":"kms:*","Resource":"*"}`
	const resourceDeny = `{"Sid":"ResDeny","Effect":"Deny","Principal":"*","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`

	type row struct {
		name     string
		caller   Principal
		action   string
		identity string // "" for none
		resource string // a statement, "" for no resource policy
		kind     Kind
		grantee  string // the grantee of a grant whose operations and constraints allow the request; "" for none
		// want is the outcome with no session policy, a session policy
		// that allows the action, and one that does not.
		want [3]Reason
	}
	allowedBy := func(r Reason) [3]Reason { return [3]Reason{r, r, NoSessionAllow} }
	rows := []row{
		{"identity policy, no resource policy", app, "kms:Encrypt", identityAllows, "", 0, "", allowedBy(IdentityAllow)},
		{"identity policy, key policy names the account", app, "kms:Encrypt", identityAllows, naming("arn:aws:iam::123456789012:root"), KindKey, "", allowedBy(IdentityAllow)},
		{"identity policy, key policy names someone else", app, "kms:Encrypt", identityAllows, nobody, KindKey, "", [3]Reason{NoResourceAllow, NoResourceAllow, NoResourceAllow}},
		{"key policy names the account, no identity policy", app, "kms:Encrypt", "", naming("123456789012"), KindKey, "", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"resource policy names the user", alice, "kms:Encrypt", "", naming(alice.ARN), KindResource, "", allowedBy(ResourceAllow)},
		{"resource policy names the role", app, "kms:Encrypt", "", naming(roleARN), KindResource, "", allowedBy(ResourceAllow)},
		{"key policy names the role", app, "kms:Encrypt", "", naming(roleARN), KindKey, "", allowedBy(ResourceAllow)},
		{"key policy names the role's unique id", app, "kms:Encrypt", "", naming("AROAAPPEXAMPLE0000001"), KindKey, "", allowedBy(ResourceAllow)},
		{"resource policy names *", app, "kms:Encrypt", "", anyone, KindResource, "", allowedBy(ResourceAllow)},
		{"resource policy names the session", app, "kms:Encrypt", "", naming(sessionARN), KindResource, "", [3]Reason{ResourceAllow, ResourceAllow, ResourceAllow}},
		{"key policy names the session", app, "kms:Encrypt", "", naming(sessionARN), KindKey, "", [3]Reason{ResourceAllow, ResourceAllow, ResourceAllow}},
		{"grant to the role, key policy names someone else", app, "kms:Encrypt", "", nobody, KindKey, roleARN, allowedBy(ResourceAllow)},
		{"grant to the session, key policy names someone else", app, "kms:Encrypt", "", nobody, KindKey, sessionARN, allowedBy(ResourceAllow)},
		{"grant to the user, key policy names someone else", alice, "kms:Encrypt", "", nobody, KindKey, alice.ARN, allowedBy(ResourceAllow)},
		{"grant to another user, key policy names someone else", app, "kms:Encrypt", identityAllows, nobody, KindKey, alice.ARN, [3]Reason{NoResourceAllow, NoResourceAllow, NoResourceAllow}},
		{"grant to the account, no identity policy", app, "kms:Encrypt", "", nobody, KindKey, "arn:aws:iam::123456789012:root", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"grant to the account, no identity policy, a user", alice, "kms:Encrypt", "", nobody, KindKey, "arn:aws:iam::123456789012:root", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"grant to the account, no identity policy, no key policy statement", app, "kms:Encrypt", "", "", KindKey, "arn:aws:iam::123456789012:root", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"grant to the account, identity policy allows", app, "kms:Encrypt", identityAllows, nobody, KindKey, "arn:aws:iam::123456789012:root", allowedBy(IdentityAllow)},
		{"grant to the account, identity policy allows another action", app, "kms:Encrypt", stmt(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`), nobody, KindKey, "arn:aws:iam::123456789012:root", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"grant to the account, key policy names the account, no identity policy", app, "kms:Encrypt", "", naming("123456789012"), KindKey, "arn:aws:iam::123456789012:root", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
		{"grant to the account, the account's root user", root, "kms:Encrypt", "", nobody, KindKey, "arn:aws:iam::123456789012:root", allowedBy(ResourceAllow)},
		{"grant to another account", app, "kms:Encrypt", identityAllows, nobody, KindKey, "arn:aws:iam::444455556666:root", [3]Reason{NoResourceAllow, NoResourceAllow, NoResourceAllow}},
		{"grant to a look-alike of the account", app, "kms:Encrypt", "", nobody, KindKey, "arn:aws:sts::123456789012:root", [3]Reason{NoResourceAllow, NoResourceAllow, NoResourceAllow}},
		{"trust policy names the role", app, "sts:AssumeRole", "", naming(roleARN), KindTrust, "", allowedBy(ResourceAllow)},
		{"trust policy names the session", app, "sts:AssumeRole", "", naming(sessionARN), KindTrust, "", [3]Reason{ResourceAllow, ResourceAllow, ResourceAllow}},
		{"trust policy names the account, identity policy allows", app, "sts:AssumeRole", identityAllows, naming("arn:aws:iam::123456789012:root"), KindTrust, "", allowedBy(IdentityAllow)},
		{"trust policy names the account, no identity policy", app, "sts:AssumeRole", "", naming("123456789012"), KindTrust, "", [3]Reason{NoIdentityAllow, NoIdentityAllow, NoIdentityAllow}},
	}
	sessions := [3]string{"no session policy", "session policy allows", "session policy does not allow"}
	denies := []string{"", "identity", "session", "resource"}
	for _, tt := range rows {
		resourceFor := func(t *testing.T, deny bool) *Policy {
			var statements []string
			if tt.resource != "" {
				statements = append(statements, tt.resource)
			}
			if deny {
				statements = append(statements, resourceDeny)
			}
			if tt.kind == KindTrust { // trust policies name only sts: actions and no resource
				for i := range statements {
					statements[i] = strings.NewReplacer(`["kms:Encrypt","sts:AssumeRole"]`, `"sts:AssumeRole"`, `,"Resource":"*"`, "").Replace(statements[i])
				}
			}
			if len(statements) == 0 {
				return nil
			}
			kind := tt.kind
			if kind == 0 {
				kind = KindResource
			}
			return mustParse(t, stmt(statements...), kind)
		}
		for col, sess := range sessions {
			for _, deny := range denies {
				name := tt.name + "/" + sess
				if deny != "" {
					name += "/explicit deny in the " + deny + " policy"
				}
				t.Run(name, func(t *testing.T) {
					f := &Facts{Resource: resourceFor(t, deny == "resource"), Grant: MatchGrantee(tt.grantee, &tt.caller)}
					if tt.identity != "" {
						f.Identity = append(f.Identity, mustParse(t, tt.identity, KindIdentity))
					}
					switch col {
					case 1:
						f.Session = append(f.Session, mustParse(t, allowing, KindIdentity))
					case 2:
						f.Session = append(f.Session, mustParse(t, notAllowing, KindIdentity))
					}
					denyDoc := stmt(`{"Sid":"Deny","Effect":"Deny","Action":["kms:Encrypt","sts:AssumeRole"],"Resource":"*"}`)
					want := tt.want[col]
					switch deny {
					case "identity":
						f.Identity = append(f.Identity, mustParse(t, denyDoc, KindIdentity))
						want = IdentityDeny
					case "session":
						f.Session = append(f.Session, mustParse(t, denyDoc, KindIdentity))
						want = SessionDeny
					case "resource":
						want = ResourceDeny
					}
					resource := "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
					if strings.HasPrefix(tt.action, "sts:") {
						resource = targetRole
					}
					got := Decide(f, req(tt.caller, tt.action, resource))
					allowed := want == IdentityAllow || want == ResourceAllow || want == RootAllow
					if got.Reason != want || got.Allowed != allowed {
						t.Errorf("Decide(%s) = %v (%v), want %v (allowed %v)", name, got.Reason, got.Allowed, want, allowed)
					}
					// A policy that cannot be read denies in every cell.
					f.Unreadable = true
					if got := Decide(f, req(tt.caller, tt.action, resource)); got.Allowed || got.Reason != Unreadable {
						t.Errorf("Decide(%s, unreadable) = %+v, want denied, Unreadable", name, got)
					}
				})
			}
		}
	}
}
