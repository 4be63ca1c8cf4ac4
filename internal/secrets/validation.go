package secrets

import (
	"context"
	"errors"

	"github.com/sealbox/sealbox/internal/secrets/schema"
	"github.com/sealbox/sealbox/internal/store"
)

// A validation rule: a secret tagged sealbox:validation-schema holds, in
// the tag's value, a JSON Schema (the subset package schema serves) its
// SecretString must satisfy before any version becomes AWSCURRENT
// (PutSecretValue, UpdateSecret, CreateSecret, UpdateSecretVersionStage,
// and so rotation). A malformed secret is refused, never served.
//
// The rule is a tag because a tag is what AWS lets a secret carry besides
// its value, every SDK and IaC tool can set one, and tag policies
// (aws:RequestTag, aws:TagKeys) already govern who may set or remove it.
// A tag value holds at most 256 characters: enough for the rules that
// matter for credentials. A schema outside the subset is refused when the
// tag is set.
const validationTag = "sealbox:validation-schema"

// parseSchema reads the schema text of the tag.
func parseSchema(text string) (*schema.Schema, error) {
	sc, err := schema.Parse(text)
	var syntax *schema.SyntaxError
	switch {
	case errors.As(err, &syntax):
		return nil, errInvalidParameter("The %s tag must hold a JSON Schema: %v", validationTag, syntax.Err)
	case err != nil:
		return nil, errInvalidParameter("The %s tag holds an unsupported schema: %v", validationTag, err)
	}
	return sc, nil
}

// schemaOf returns the secret's validation schema, or nil.
func (s *secretRecord) schemaOf() (*schema.Schema, error) {
	for _, t := range s.Tags {
		if t.Key == validationTag {
			return parseSchema(t.Value)
		}
	}
	return nil, nil
}

// checkValue refuses value as sec's AWSCURRENT when sec has a validation
// schema that value (a SecretString, or binary) does not satisfy.
func checkValue(sec *secretRecord, value []byte, binary bool) error {
	sc, err := sec.schemaOf()
	if err != nil || sc == nil {
		return err
	}
	if binary {
		return errValidation("the secret has a validation schema, so its value must be a SecretString")
	}
	switch err := sc.Validate(value); {
	case errors.Is(err, schema.ErrNotJSON):
		return errValidation("SecretString is not a JSON document")
	case err != nil:
		return errValidation(err.Error())
	}
	return nil
}

func errValidation(msg string) error {
	return errInvalidRequest("The secret value does not satisfy the secret's validation schema (tag %s): %s.", validationTag, msg)
}

// checkVersion opens version v of sec and checks it against the secret's
// validation schema, if it has one.
func (s *Service) checkVersion(ctx context.Context, sec *secretRecord, v *versionMeta) error {
	if sc, err := sec.schemaOf(); err != nil || sc == nil {
		return err
	}
	var rec valueRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		return store.GetJSON(tx, valueKey(sec.Region, sec.Name, v.ID), &rec)
	})
	if err != nil {
		return err
	}
	pt, err := s.open(ctx, sec.ARN, v.ID, &rec)
	if err != nil {
		return err
	}
	defer clear(pt)
	return checkValue(sec, pt, v.Binary)
}
