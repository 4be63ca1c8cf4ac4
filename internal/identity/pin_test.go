package identity_test

import (
	"context"
	"errors"
	"testing"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

// TestPinPrincipals: the users and roles of the account an Allow's
// Principal or a Deny's NotPrincipal names are pinned to their unique ids;
// what is not a user or role of the
// account, a Deny's Principal, an Allow's NotPrincipal and a principal
// pinned already are left as written; a policy naming none has no pinned
// form.
func TestPinPrincipals(t *testing.T) {
	e := newEnv(t)
	e.User("alice")
	role := e.Role("app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`, 0)
	alice := must(e.IAM.GetUser(e.Root, &iamapi.GetUserRequest{UserName: "alice"}))(t, "GetUser").User
	ctx := context.Background()
	for _, c := range []struct{ name, doc, want string }{
		{"user and role",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:role/app"]},"Action":"*","Resource":"*"}]}`,
			`{"Statement":[{"Action":"*","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice#` + alice.UserId + `","arn:aws:iam::123456789012:role/app#` + role.RoleId + `"]},"Resource":"*"}]}`},
		{"other accounts, sessions, the root; a Deny's Principal, an Allow's NotPrincipal",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:user/alice","arn:aws:sts::123456789012:assumed-role/app/s","arn:aws:iam::123456789012:root"]},"Action":"*","Resource":"*"},
			{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"},
			{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*","Resource":"*"}]}`, ""},
		{"a Deny's NotPrincipal",
			`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:root"]},"Action":"*","Resource":"*"}]}`,
			`{"Statement":[{"Action":"*","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/alice#` + alice.UserId + `","arn:aws:iam::123456789012:root"]},"Resource":"*"}]}`},
		{"pinned already", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/alice#AIDAOLDALICEEXAMPLE01"},"Action":"*","Resource":"*"}]}`, ""},
		{"not JSON", `{"Statement":[`, ""},
	} {
		got, err := e.IDs.PinPrincipals(ctx, c.doc)
		if err != nil || got != c.want {
			t.Errorf("PinPrincipals(%s) = %s, %v; want %s", c.name, got, err, c.want)
		}
	}
	// A user or role of the account that does not exist, in any element
	// of any statement, is refused (AWS refuses such a policy when it is
	// saved), naming the first one.
	for _, c := range []struct{ name, doc, ghost string }{
		{"nobody, one statement",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ghost"},"Action":"*","Resource":"*"}}`,
			"arn:aws:iam::123456789012:user/ghost"},
		{"another path is nobody",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:role/team/app"]},"Action":"*","Resource":"*"}]}`,
			"arn:aws:iam::123456789012:role/team/app"},
		{"a Deny's Principal",
			`{"Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::123456789012:role/ghost"},"Action":"*","Resource":"*"}]}`,
			"arn:aws:iam::123456789012:role/ghost"},
		{"an Allow's NotPrincipal, second statement",
			`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Allow","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:user/ghost"]},"Action":"*","Resource":"*"}]}`,
			"arn:aws:iam::123456789012:user/ghost"},
	} {
		got, err := e.IDs.PinPrincipals(ctx, c.doc)
		var unknown *identity.UnknownPrincipalError
		if !errors.As(err, &unknown) || unknown.ARN != c.ghost {
			t.Errorf("PinPrincipals(%s) = %q, %v; want UnknownPrincipalError for %s", c.name, got, err, c.ghost)
		}
	}
}
