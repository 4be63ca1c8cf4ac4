package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// Placeholders pin a user or role ARN that named no entity when the policy
// was saved. They look like unique ids (so the policy still compiles) but
// hold '0', which UniqueID never makes: they match nobody.
const (
	unknownUserID = "AIDA00000000000000000"
	unknownRoleID = "AROA00000000000000000"
)

// PinPrincipals returns the form of a resource policy (a secret's, a key's,
// a role's trust policy) that is evaluated, as AWS keeps it: each ARN of an
// IAM user or role of this account in an Allow's Principal (or a Deny's
// NotPrincipal: see pinStatement) is pinned to
// the unique id that user or role has now ("<arn>#<id>", which the policy
// language reads as: this ARN, and this id), so that one deleted and made
// again under the same name is not the principal the policy names (AWS:
// "When you save the policy, AWS transforms the ARN to a unique principal
// ID"). An ARN that names no user or role now is pinned to an id that
// matches nobody. A user renamed since no longer matches either (AWS would
// follow the id: the safe side). The text the caller wrote is what is kept and shown; the
// pinned form is kept beside it. pinned is "" when doc names no user or
// role of the account, or is not a JSON object (its own validation answers
// that): evaluate doc itself then.
func (s *Store) PinPrincipals(ctx context.Context, doc string) (pinned string, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		pinned, err = PinPrincipals(tx, s.account, doc)
		return err
	})
	return pinned, err
}

// PinPrincipals is Store.PinPrincipals in the transaction tx, for the
// policies IAM itself keeps (trust policies).
func PinPrincipals(tx store.Tx, account, doc string) (string, error) {
	if !strings.Contains(doc, ":user/") && !strings.Contains(doc, ":role/") {
		return "", nil
	}
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	var v map[string]any
	if err := d.Decode(&v); err != nil {
		return "", nil
	}
	changed := false
	var pinErr error
	pin := func(arn string) string {
		id, ok, err := pinnedID(tx, account, arn)
		if err != nil {
			pinErr = err
		}
		if ok {
			changed = true
			return arn + "#" + id
		}
		return arn
	}
	switch st := v["Statement"].(type) {
	case map[string]any:
		pinStatement(st, pin)
	case []any:
		for _, one := range st {
			if m, ok := one.(map[string]any); ok {
				pinStatement(m, pin)
			}
		}
	}
	if pinErr != nil {
		return "", pinErr
	}
	if !changed {
		return "", nil
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// pinStatement pins the AWS principals of one statement where pinning can
// only take away: the Principal of an Allow (a new entity under the name
// is not allowed) and the NotPrincipal of a Deny (a new entity under the
// name is not spared). A Deny's Principal and an Allow's NotPrincipal are
// left as written, matched by ARN: a new entity under the name is denied,
// or not allowed, as the old one was (AWS would pin them too and let it
// through: the safe side).
func pinStatement(st map[string]any, pin func(string) string) {
	element := ""
	switch st["Effect"] {
	case "Allow":
		element = "Principal"
	case "Deny":
		element = "NotPrincipal"
	}
	p, ok := st[element].(map[string]any)
	if !ok {
		return
	}
	switch aws := p["AWS"].(type) {
	case string:
		p["AWS"] = pin(aws)
	case []any:
		for i, one := range aws {
			if s, ok := one.(string); ok {
				aws[i] = pin(s)
			}
		}
	}
}

// pinnedID is the unique id that stands for arn in a pinned policy: the
// id of the user or role it names now, or a placeholder that matches
// nobody; ok is false for what is not a user or role ARN of account.
func pinnedID(tx store.Tx, account, arn string) (id string, ok bool, err error) {
	if strings.Contains(arn, "#") { // pinned already, as written
		return "", false, nil
	}
	a, perr := sealbox.ParseARN(arn)
	if perr != nil || a.Service != "iam" || a.Region != "" || a.AccountID != account {
		return "", false, nil
	}
	var kind EntityKind
	unknown := unknownUserID
	switch {
	case strings.HasPrefix(a.Resource, string(KindUser)+"/"):
		kind = KindUser
	case strings.HasPrefix(a.Resource, string(KindRole)+"/"):
		kind, unknown = KindRole, unknownRoleID
	default:
		return "", false, nil
	}
	e, found, err := entityByARN(tx, kind, a)
	if err != nil {
		return "", false, err
	}
	if !found {
		return unknown, true, nil
	}
	return e.ID, true, nil
}

// PinPrincipal is the unique id a KMS grant's grantee or retiring
// principal is bound to when the grant is made, as a policy's principals
// are (PinPrincipals): the id of the user or role arn names now, or an id
// that matches nobody when it names none; "" when arn is not a user or
// role ARN of this account (an account, a role session, a service).
func (s *Store) PinPrincipal(ctx context.Context, arn string) (id string, err error) {
	err = s.store.View(ctx, func(tx store.Tx) error {
		id, _, err = pinnedID(tx, s.account, arn)
		return err
	})
	return id, err
}
