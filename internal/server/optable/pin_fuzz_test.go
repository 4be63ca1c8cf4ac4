package optable_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/server/optable/optabletest"
)

// FuzzPinPrincipals gives the identity store's PinPrincipals (the saved
// form of a key policy, a secret's resource policy, a role's trust policy)
// arbitrary documents. It lives here because the trusting router's
// identity store holds a user and a role to pin. Whatever the document,
// PinPrincipals does not panic; it fails only with an
// *identity.UnknownPrincipalError (for an ARN the document names); and the
// pinned form is the document with nothing changed but ARNs of the
// store's user and role in an Allow's Principal or a Deny's NotPrincipal,
// each pinned to its entity's own id: it can only narrow whom an Allow
// allows and widen whom a Deny denies, never add a principal. A document
// the policy language reads, it still reads once pinned.
func FuzzPinPrincipals(f *testing.F) {
	r := optabletest.TrustingRouter()
	ctx := context.Background()
	ids := map[string]string{}
	for _, arn := range []string{userARN, roleARN} {
		p, ok, err := r.Identities.Principal(ctx, arn)
		if err != nil || !ok || p.PrincipalID == "" {
			f.Fatalf("Principal(%s) = %+v, %v, %v", arn, p, ok, err)
		}
		ids[arn] = p.PrincipalID
	}
	for _, seed := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["` + userARN + `","` + roleARN + `"]},"Action":"*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":"kms:Decrypt","Resource":"*"}}`,
		`{"Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["` + userARN + `","arn:aws:iam::123456789012:root"]},"Action":"*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"` + userARN + `"},"Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"` + roleARN + `"},"Action":"*"},{"Effect":"Allow","Principal":"*","Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + userARN + `#AIDAOLDALICEEXAMPLE01"},"Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/ghost"},"Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999999999999:role/r","arn:aws:sts::123456789012:assumed-role/r/s",1,null,{"a":"` + roleARN + `"}]},"Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Effect":"Deny","Principal":{"AWS":"` + roleARN + `"},"Principal":{"AWS":"*"},"Action":"*"}]}`,
		`{"Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `","Service":"lambda.amazonaws.com","Federated":"` + userARN + `"},"Action":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"` + roleARN + `"}},"Resource":1e999}]}`,
		`{"Statement":[`, `[]`, `null`, `":user/ :role/"`, `{"Statement":"` + roleARN + `"}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		pinned, err := r.Identities.PinPrincipals(ctx, doc)
		if err != nil {
			var unknown *identity.UnknownPrincipalError
			var v any
			if !errors.As(err, &unknown) || decodeNumbers(doc, &v) != nil || !holdsString(v, unknown.ARN) || pinned != "" {
				t.Fatalf("PinPrincipals(%q) = %q, %v; want an UnknownPrincipalError for an ARN it names", doc, pinned, err)
			}
			return
		}
		if pinned == "" {
			return // nothing to pin: the document is evaluated as written
		}
		var before, after any
		if err := decodeNumbers(doc, &before); err != nil {
			t.Fatalf("PinPrincipals(%q) pinned a document that is no JSON (%v): %q", doc, err, pinned)
		}
		if err := decodeNumbers(pinned, &after); err != nil {
			t.Fatalf("PinPrincipals(%q) = %q, not JSON: %v", doc, pinned, err)
		}
		if err := onlyPinned(before, after, ids); err != nil {
			t.Fatalf("PinPrincipals(%q) = %q: %v", doc, pinned, err)
		}
		for _, kind := range []iam.Kind{iam.KindResource, iam.KindKey, iam.KindTrust} {
			if _, err := iam.Parse(doc, kind); err == nil {
				if _, err := iam.ParseStored(pinned, kind); err != nil {
					t.Fatalf("PinPrincipals(%q) = %q, which the policy language refuses as stored (kind %d): %v", doc, pinned, kind, err)
				}
			}
		}
	})
}

// holdsString says whether s is one of the strings of the JSON value v.
func holdsString(v any, s string) bool {
	switch v := v.(type) {
	case string:
		return v == s
	case []any:
		for _, e := range v {
			if holdsString(e, s) {
				return true
			}
		}
	case map[string]any:
		for _, e := range v {
			if holdsString(e, s) {
				return true
			}
		}
	}
	return false
}

func decodeNumbers(s string, v any) error {
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	return d.Decode(v)
}

// onlyPinned says how after differs from before beyond the pins
// PinPrincipals may make: in the top-level Statement (one, or each of a
// list), an ARN of ids in the AWS list of an Allow's Principal or a
// Deny's NotPrincipal becomes "<arn>#<its id>"; nothing else changes.
func onlyPinned(before, after any, ids map[string]string) error {
	b, ok1 := before.(map[string]any)
	a, ok2 := after.(map[string]any)
	if !ok1 || !ok2 {
		return fmt.Errorf("pinned a document that is no object: %T", before)
	}
	if err := sameKeys(b, a); err != nil {
		return err
	}
	for k, bv := range b {
		if k != "Statement" {
			if !reflect.DeepEqual(bv, a[k]) {
				return fmt.Errorf("%s changed", k)
			}
			continue
		}
		switch bs := bv.(type) {
		case map[string]any:
			if err := statementPinned(bs, a[k], ids); err != nil {
				return err
			}
		case []any:
			as, ok := a[k].([]any)
			if !ok || len(as) != len(bs) {
				return fmt.Errorf("the statements changed")
			}
			for i := range bs {
				bst, ok := bs[i].(map[string]any)
				if !ok {
					if !reflect.DeepEqual(bs[i], as[i]) {
						return fmt.Errorf("statement %d changed", i)
					}
					continue
				}
				if err := statementPinned(bst, as[i], ids); err != nil {
					return fmt.Errorf("statement %d: %w", i, err)
				}
			}
		default:
			if !reflect.DeepEqual(bv, a[k]) {
				return fmt.Errorf("Statement changed")
			}
		}
	}
	return nil
}

func sameKeys(b, a map[string]any) error {
	if len(b) != len(a) {
		return fmt.Errorf("members added or removed: %d, then %d", len(b), len(a))
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return fmt.Errorf("%s removed", k)
		}
	}
	return nil
}

func statementPinned(b map[string]any, after any, ids map[string]string) error {
	a, ok := after.(map[string]any)
	if !ok {
		return fmt.Errorf("a statement became %T", after)
	}
	if err := sameKeys(b, a); err != nil {
		return err
	}
	pinnable := ""
	switch b["Effect"] {
	case "Allow":
		pinnable = "Principal"
	case "Deny":
		pinnable = "NotPrincipal"
	}
	for k, bv := range b {
		if k != pinnable {
			if !reflect.DeepEqual(bv, a[k]) {
				return fmt.Errorf("%s changed", k)
			}
			continue
		}
		bp, ok1 := bv.(map[string]any)
		ap, ok2 := a[k].(map[string]any)
		if !ok1 || !ok2 {
			if !reflect.DeepEqual(bv, a[k]) {
				return fmt.Errorf("%s changed", k)
			}
			continue
		}
		if err := sameKeys(bp, ap); err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		for pk, bpv := range bp {
			if pk != "AWS" {
				if !reflect.DeepEqual(bpv, ap[pk]) {
					return fmt.Errorf("%s.%s changed", k, pk)
				}
				continue
			}
			if err := awsPinned(bpv, ap[pk], ids); err != nil {
				return fmt.Errorf("%s.AWS: %w", k, err)
			}
		}
	}
	return nil
}

func awsPinned(before, after any, ids map[string]string) error {
	one := func(b, a any) error {
		bs, ok1 := b.(string)
		as, ok2 := a.(string)
		if !ok1 || !ok2 || as == bs {
			if !reflect.DeepEqual(b, a) {
				return fmt.Errorf("%v became %v", b, a)
			}
			return nil
		}
		if id, ok := ids[bs]; !ok || as != bs+"#"+id {
			return fmt.Errorf("%q became %q, not its own pin", bs, as)
		}
		return nil
	}
	bl, ok1 := before.([]any)
	al, ok2 := after.([]any)
	if !ok1 || !ok2 {
		return one(before, after)
	}
	if len(bl) != len(al) {
		return fmt.Errorf("principals added or removed: %d, then %d", len(bl), len(al))
	}
	for i := range bl {
		if err := one(bl[i], al[i]); err != nil {
			return err
		}
	}
	return nil
}
