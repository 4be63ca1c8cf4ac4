package iam

import "testing"

func TestMatchGrantee(t *testing.T) {
	tests := []struct {
		principal string
		caller    Principal
		want      GrantMatch
	}{
		{"", alice, NoGrant},
		{alice.ARN, alice, GrantDirect},
		{app.RoleARN, app, GrantDirect},
		{app.ARN, app, GrantDirect},
		{"arn:aws:iam::123456789012:role/other", app, NoGrant},
		{"arn:aws:iam::123456789012:root", alice, GrantByAccount},
		{"arn:aws:iam::123456789012:root", app, GrantByAccount},
		{"arn:aws-cn:iam::123456789012:root", alice, GrantByAccount},
		{"arn:aws:iam::123456789012:root", root, GrantDirect},
		{"arn:aws:iam::444455556666:root", alice, NoGrant},
		{"arn:aws:iam::444455556666:root", root, NoGrant},
		{"arn:aws:sts::123456789012:root", alice, NoGrant},
		{"arn:evil:iam::123456789012:root", alice, NoGrant},
		{"arn:aws:iam:us-east-1:123456789012:root", alice, NoGrant},
		{"arn:aws:iam::123456789012:root/", alice, NoGrant},
		{"arn:aws:iam::1123456789012:root", alice, NoGrant},
		{"arn:aws:iam::444455556666:user/x:123456789012:root", alice, NoGrant},
		{"123456789012", alice, NoGrant},
		{"lambda.amazonaws.com", lamb, GrantDirect},
		{"arn:aws:iam::123456789012:root", lamb, NoGrant},
		{"lambda.amazonaws.com", alice, NoGrant},
		// A role's grant does not reach a user or the role's own ARN used as a
		// user's; a user's ARN is not a role session's.
		{app.RoleARN, Principal{ARN: "arn:aws:iam::123456789012:user/x", AccountID: acct, Type: TypeIAMUser, RoleARN: app.RoleARN}, NoGrant},
		// Pinned to the unique id the grantee had when the grant was made.
		{alice.ARN + "#AIDAALICEEXAMPLE00001", alice, GrantDirect},
		{alice.ARN + "#AIDAOLDALICEEXAMPLE01", alice, NoGrant},
		{app.RoleARN + "#AROAAPPEXAMPLE0000001", app, GrantDirect},
		{app.RoleARN + "#AROAOLDAPPEXAMPLE0001", app, NoGrant},
		{"lambda.amazonaws.com#AROAAPPEXAMPLE0000001", lamb, NoGrant},
	}
	for _, tt := range tests {
		if got := MatchGrantee(tt.principal, &tt.caller); got != tt.want {
			t.Errorf("MatchGrantee(%q, %s) = %v, want %v", tt.principal, tt.caller.ARN+tt.caller.Service, got, tt.want)
		}
	}
}
