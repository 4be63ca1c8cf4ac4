package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// Placeholders pin a grantee or retiring principal ARN that named no
// entity when the grant was made (a policy naming one is refused). They look like unique ids (so the policy still compiles) but
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
// ID"). A policy naming (in any statement) a user or role of the account
// that does not exist is refused with *UnknownPrincipalError, as AWS
// refuses it. A user renamed since no longer matches either (AWS would
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
	var statements []map[string]any
	switch st := v["Statement"].(type) {
	case map[string]any:
		statements = append(statements, st)
	case []any:
		for _, one := range st {
			if m, ok := one.(map[string]any); ok {
				statements = append(statements, m)
			}
		}
	}
	// Every principal first, whatever the statement does with it: AWS
	// refuses a policy naming a user or role that does not exist.
	for _, st := range statements {
		for _, element := range []string{"Principal", "NotPrincipal"} {
			for _, arn := range awsPrincipals(st[element]) {
				id, ok, err := entityID(tx, account, arn)
				if err != nil {
					return "", err
				}
				if ok && id == "" {
					return "", &UnknownPrincipalError{ARN: arn}
				}
			}
		}
	}
	changed := false
	var pinErr error
	pin := func(arn string) string {
		id, ok, err := entityID(tx, account, arn)
		if err != nil {
			pinErr = err
		}
		if ok && id != "" {
			changed = true
			return arn + "#" + id
		}
		return arn
	}
	for _, st := range statements {
		pinStatement(st, pin)
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

// UnknownPrincipalError is a policy naming a user or role of the account
// that does not exist. AWS refuses such a policy when it is saved, each
// service in its own words (KMS and Secrets Manager:
// MalformedPolicyDocumentException; IAM: MalformedPolicyDocument), so the
// caller maps it.
type UnknownPrincipalError struct{ ARN string }

func (e *UnknownPrincipalError) Error() string {
	return "policy names " + e.ARN + ", which is no user or role"
}

// awsPrincipals are the values of the "AWS" key of a Principal or
// NotPrincipal element.
func awsPrincipals(element any) []string {
	p, ok := element.(map[string]any)
	if !ok {
		return nil
	}
	switch aws := p["AWS"].(type) {
	case string:
		return []string{aws}
	case []any:
		var out []string
		for _, one := range aws {
			if s, ok := one.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// entityID is the unique id of the user or role arn names now: "" with ok
// when arn is a user or role ARN of account that names none; ok is false
// for what is not a user or role ARN of account.
func entityID(tx store.Tx, account, arn string) (id string, ok bool, err error) {
	if strings.Contains(arn, "#") { // pinned already, as written
		return "", false, nil
	}
	a, perr := sealbox.ParseARN(arn)
	if perr != nil || a.Service != "iam" || a.Region != "" || a.AccountID != account {
		return "", false, nil
	}
	var kind EntityKind
	switch {
	case strings.HasPrefix(a.Resource, string(KindUser)+"/"):
		kind = KindUser
	case strings.HasPrefix(a.Resource, string(KindRole)+"/"):
		kind = KindRole
	default:
		return "", false, nil
	}
	e, found, err := entityByARN(tx, kind, a)
	if err != nil {
		return "", false, err
	}
	if !found {
		return "", true, nil
	}
	return e.ID, true, nil
}

// pinnedID is the unique id that stands for arn in a pinned grant: the
// id of the user or role it names now, or a placeholder that matches
// nobody; ok is false for what is not a user or role ARN of account.
func pinnedID(tx store.Tx, account, arn string) (id string, ok bool, err error) {
	id, ok, err = entityID(tx, account, arn)
	if err != nil || !ok || id != "" {
		return id, ok, err
	}
	if a, _ := sealbox.ParseARN(arn); strings.HasPrefix(a.Resource, string(KindRole)+"/") {
		return unknownRoleID, true, nil
	}
	return unknownUserID, true, nil
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
