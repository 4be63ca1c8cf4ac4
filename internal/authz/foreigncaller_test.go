package authz_test

import (
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/authz"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// TestForeignCallerNeedsBothPolicies: a caller of another account than
// the one served is allowed only what the resource's policy and its own
// identity policies both allow: a function policy naming it is not
// enough alone, as across accounts in AWS; a caller of the account named
// the same way is allowed by the policy alone. (No request can carry such
// a caller: sealbox serves one account. The authorizer is asked
// directly.)
func TestForeignCallerNeedsBothPolicies(t *testing.T) {
	fs := store.WithFeed(memstore.New())
	e := sealtest.NewIdentityOver(t, fs, nil)
	az := authz.New(e.IDs, fs, e.Clock, nil)
	const fnARN = "arn:aws:lambda:us-east-1:" + sealtest.IdentityAccount + ":function:orders"
	policy := func(principal string) string {
		return `{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"s","Effect":"Allow","Principal":{"AWS":"` + principal +
			`"},"Action":"lambda:InvokeFunction","Resource":"` + fnARN + `"}]}`
	}
	eve := sealbox.Principal{ARN: "arn:aws:iam::444455556666:user/Eve", AccountID: "444455556666", Type: "IAMUser", UserName: "Eve", PrincipalID: "AIDAEVE0000000000001"}
	for _, named := range []string{eve.ARN, "arn:aws:iam::444455556666:root", "*"} {
		err := az.Authorize(sealtest.WithPrincipal(eve), &sealbox.AccessQuery{Action: "lambda:InvokeFunction", Resource: fnARN, ResourcePolicy: policy(named)})
		if e, ok := sealbox.AsError(err); !ok || e.Code != "AccessDeniedException" {
			t.Errorf("Authorize(another account's user, a policy naming %s) = %v, want AccessDeniedException", named, err)
		}
	}
	ctx, _ := e.User("alice")
	alice := sealbox.MustRequest(ctx).Principal
	if err := az.Authorize(ctx, &sealbox.AccessQuery{Action: "lambda:InvokeFunction", Resource: fnARN, ResourcePolicy: policy(alice.ARN)}); err != nil {
		t.Errorf("Authorize(the account's user, a policy naming her) = %v, want allowed", err)
	}
}
