package iam

import "testing"

// TestDecideBoundary pins how a permissions boundary bounds each source of
// an allow, with AWS's documented outcome ("Permissions boundaries for IAM
// entities" and "Policy evaluation logic", IAM User Guide): the effective
// permissions are the intersection of the identity-based policies and the
// boundary; a same-account resource-based policy that names the IAM user's
// ARN (or unique id) is not limited by the user's boundary, one that names a
// role's ARN is; "*", the account and KMS grants are bounded (the safe
// reading); one naming a role session's own ARN is bounded too (the safe
// reading; AWS may not). An explicit deny in the boundary denies.
func TestDecideBoundary(t *testing.T) {
	const roleARN = "arn:aws:iam::123456789012:role/app"
	const sessionARN = "arn:aws:sts::123456789012:assumed-role/app/i-0abc"
	const key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	identityAllows := stmt(`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`)
	naming := func(principal string) string {
		return stmt(`{"Sid":"Named","Effect":"Allow","Principal":{"AWS":"` + principal + `"},"Action":"kms:Encrypt","Resource":"*"}`)
	}
	boundaryAllows := stmt(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`)
	boundaryOther := stmt(`{"Effect":"Allow","Action":"ssm:*","Resource":"*"}`)
	boundaryDenies := stmt(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"No","Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}`)
	rows := []struct {
		name     string
		caller   Principal
		identity string
		resource string
		kind     Kind
		grant    GrantMatch
		// want with a boundary that allows, one that does not, one that denies.
		want [3]Reason
	}{
		{"identity policy (user)", alice, identityAllows, "", 0, NoGrant, [3]Reason{IdentityAllow, NoBoundaryAllow, BoundaryDeny}},
		{"identity policy (role)", app, identityAllows, "", 0, NoGrant, [3]Reason{IdentityAllow, NoBoundaryAllow, BoundaryDeny}},
		{"resource policy names the user's ARN", alice, "", naming(alice.ARN), KindResource, NoGrant, [3]Reason{ResourceAllow, ResourceAllow, BoundaryDeny}},
		{"resource policy names the user's unique id", alice, "", naming(alice.UserID), KindResource, NoGrant, [3]Reason{ResourceAllow, ResourceAllow, BoundaryDeny}},
		{"key policy names the user's ARN", alice, "", naming(alice.ARN), KindKey, NoGrant, [3]Reason{ResourceAllow, ResourceAllow, BoundaryDeny}},
		{"resource policy names the role's ARN", app, "", naming(roleARN), KindResource, NoGrant, [3]Reason{ResourceAllow, NoBoundaryAllow, BoundaryDeny}},
		{"key policy names the role's ARN", app, "", naming(roleARN), KindKey, NoGrant, [3]Reason{ResourceAllow, NoBoundaryAllow, BoundaryDeny}},
		{"resource policy names the session's ARN", app, "", naming(sessionARN), KindResource, NoGrant, [3]Reason{ResourceAllow, NoBoundaryAllow, BoundaryDeny}},
		{"resource policy names * (user)", alice, "", stmt(`{"Effect":"Allow","Principal":"*","Action":"kms:Encrypt","Resource":"*"}`), KindResource, NoGrant, [3]Reason{ResourceAllow, NoBoundaryAllow, BoundaryDeny}},
		{"key policy names the account, identity allows (user)", alice, identityAllows, naming("arn:aws:iam::123456789012:root"), KindKey, NoGrant, [3]Reason{IdentityAllow, NoBoundaryAllow, BoundaryDeny}},
		{"grant (user)", alice, "", naming("arn:aws:iam::123456789012:user/nobody"), KindKey, GrantDirect, [3]Reason{ResourceAllow, NoBoundaryAllow, BoundaryDeny}},
	}
	boundaries := [3]string{boundaryAllows, boundaryOther, boundaryDenies}
	for _, tt := range rows {
		for col, b := range boundaries {
			t.Run(tt.name+"/"+[3]string{"boundary allows", "boundary does not allow", "boundary denies"}[col], func(t *testing.T) {
				f := &Facts{Grant: tt.grant, Boundary: mustParse(t, b, KindIdentity)}
				if tt.identity != "" {
					f.Identity = []*Policy{mustParse(t, tt.identity, KindIdentity)}
				}
				if tt.resource != "" {
					f.Resource = mustParse(t, tt.resource, tt.kind)
				}
				got := Decide(f, req(tt.caller, "kms:Encrypt", key))
				want := tt.want[col]
				allowed := want == IdentityAllow || want == ResourceAllow
				if got.Reason != want || got.Allowed != allowed {
					t.Errorf("Decide = %v (%v), want %v", got.Reason, got.Allowed, want)
				}
				// Without a boundary the same facts allow.
				f.Boundary = nil
				if got := Decide(f, req(tt.caller, "kms:Encrypt", key)); !got.Allowed {
					t.Errorf("Decide without a boundary = %v, want allowed", got.Reason)
				}
			})
		}
	}
	if got := (Decision{Reason: NoBoundaryAllow}).Explain("kms:Encrypt"); got != "because no permissions boundary allows the kms:Encrypt action" {
		t.Errorf("Explain(NoBoundaryAllow) = %q", got)
	}
}
