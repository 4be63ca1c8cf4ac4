package identity_test

import (
	"context"
	"testing"

	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

// TestPinPrincipals: the users and roles of the account an Allow's
// Principal or a Deny's NotPrincipal names are pinned to their unique ids;
// a name nobody has to an id nobody has; what is not a user or role of the
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
		{"nobody, one statement",
			`{"Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ghost"},"Action":"*","Resource":"*","Condition":{"NumericLessThan":{"a:b":10.50}}}}`,
			`{"Statement":{"Action":"*","Condition":{"NumericLessThan":{"a:b":10.50}},"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ghost#AIDA00000000000000000"},"Resource":"*"}}`},
		{"another path is nobody",
			`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/team/app"},"Action":"*","Resource":"*"}]}`,
			`{"Statement":[{"Action":"*","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/team/app#AROA00000000000000000"},"Resource":"*"}]}`},
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
}
