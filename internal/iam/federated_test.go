package iam

import "testing"

// TestFederatedPrincipal: a web identity caller is named only by a
// Federated principal with its provider's ARN, exactly; never by "*", an
// account, or another provider; and NotPrincipal leaves it out only when
// it lists the provider.
func TestFederatedPrincipal(t *testing.T) {
	const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	const roleARN = "arn:aws:iam::123456789012:role/ci"
	web := Principal{Type: TypeWebIdentity, Federated: provider, UserID: provider + ":sts.amazonaws.com:repo:acme/app"}
	trust := func(principal, action, cond string) string {
		if cond != "" {
			cond = `,"Condition":` + cond
		}
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"` + action + `"` + cond + `}]}`
	}
	subIs := func(sub string) string {
		return `{"StringEquals":{"token.actions.githubusercontent.com:sub":"` + sub + `"}}`
	}
	tests := []struct {
		name  string
		doc   string
		ctx   []string
		allow bool
	}{
		{"names the provider", trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, true},
		{"names the provider, sub matches", trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRoleWithWebIdentity", subIs("repo:acme/app")),
			[]string{"token.actions.githubusercontent.com:sub", "repo:acme/app"}, true},
		{"names the provider, sub differs", trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRoleWithWebIdentity", subIs("repo:acme/app")),
			[]string{"token.actions.githubusercontent.com:sub", "repo:evil/app"}, false},
		{"names the provider, no sub given", trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRoleWithWebIdentity", subIs("repo:acme/app")), nil, false},
		{"names another provider", trust(`{"Federated":"arn:aws:iam::123456789012:oidc-provider/gitlab.com"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"names the provider in another account", trust(`{"Federated":"arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"names a prefix of the provider", trust(`{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"wildcard Federated", trust(`{"Federated":"*"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"principal *", trust(`"*"`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"AWS *", trust(`{"AWS":"*"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"the account", trust(`{"AWS":"123456789012"}`, "sts:AssumeRoleWithWebIdentity", ""), nil, false},
		{"names the provider for sts:AssumeRole only", trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRole", ""), nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := req(Principal{}, "sts:AssumeRoleWithWebIdentity", roleARN, tt.ctx...)
			r.Principal = web
			got := Decide(&Facts{Resource: mustParse(t, tt.doc, KindTrust)}, r)
			if got.Allowed != tt.allow {
				t.Errorf("Decide(%s) = %+v, want allowed %v", tt.doc, got, tt.allow)
			}
		})
	}

	// A deny with NotPrincipal naming the provider leaves it out; naming
	// another provider, it applies.
	allowAndDenyOthers := func(notPrincipal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + provider + `"},"Action":"sts:AssumeRoleWithWebIdentity"},` +
			`{"Effect":"Deny","NotPrincipal":{"Federated":"` + notPrincipal + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	}
	r := req(Principal{}, "sts:AssumeRoleWithWebIdentity", roleARN)
	r.Principal = web
	if got := Decide(&Facts{Resource: mustParse(t, allowAndDenyOthers(provider), KindTrust)}, r); !got.Allowed {
		t.Errorf("NotPrincipal naming the provider: %+v, want allowed", got)
	}
	if got := Decide(&Facts{Resource: mustParse(t, allowAndDenyOthers("arn:aws:iam::123456789012:oidc-provider/gitlab.com"), KindTrust)}, r); got.Allowed {
		t.Errorf("NotPrincipal naming another provider: %+v, want denied", got)
	}
	// An IAM user is not named by a Federated principal.
	r = req(alice, "sts:AssumeRoleWithWebIdentity", roleARN)
	if got := Decide(&Facts{Resource: mustParse(t, trust(`{"Federated":"`+provider+`"}`, "sts:AssumeRoleWithWebIdentity", ""), KindTrust)}, r); got.Allowed {
		t.Errorf("IAM user against a Federated trust: %+v, want denied", got)
	}
}
