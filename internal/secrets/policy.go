package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// GetResourcePolicy answers a secret's resource policy; ResourcePolicy is
// left out when it has none, as in AWS.
func (s *Service) GetResourcePolicy(ctx context.Context, in *GetResourcePolicyRequest) (*GetResourcePolicyResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "GetResourcePolicy", nil, false)
	if err != nil {
		return nil, err
	}
	return &GetResourcePolicyResponse{ARN: sec.ARN, Name: sec.Name, ResourcePolicy: sec.Policy}, nil
}

// PutResourcePolicy attaches a resource policy to a secret. With
// BlockPublicPolicy a policy that grants broad access is refused.
func (s *Service) PutResourcePolicy(ctx context.Context, in *PutResourcePolicyRequest) (*PutResourcePolicyResponse, error) {
	block := in.BlockPublicPolicy != nil && *in.BlockPublicPolicy
	sec, err := s.access(ctx, in.SecretId, "PutResourcePolicy", map[string][]string{"secretsmanager:blockpublicpolicy": {strconv.FormatBool(block)}}, false)
	if err != nil {
		return nil, err
	}
	if err := checkPolicy(in.ResourcePolicy); err != nil {
		return nil, err
	}
	if block && isPublic(in.ResourcePolicy) {
		return nil, sealbox.Errorf("PublicPolicyException", "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
	}
	var pinned string
	if s.principals != nil {
		pinned, err = s.principals.PinPrincipals(ctx, in.ResourcePolicy)
		var unknown *identity.UnknownPrincipalError
		if errors.As(err, &unknown) {
			// AWS's answer to a user or role of the account that does not exist.
			return nil, sealbox.Errorf("MalformedPolicyDocumentException", "This resource policy contains an unsupported principal.")
		}
		if err != nil {
			return nil, err
		}
	}
	out, err := s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		cur.Policy, cur.PolicyPinned = in.ResourcePolicy, pinned
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &PutResourcePolicyResponse{ARN: out.ARN, Name: out.Name}, nil
}

// DeleteResourcePolicy removes a secret's resource policy.
func (s *Service) DeleteResourcePolicy(ctx context.Context, in *DeleteResourcePolicyRequest) (*DeleteResourcePolicyResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "DeleteResourcePolicy", nil, false)
	if err != nil {
		return nil, err
	}
	out, err := s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		cur.Policy, cur.PolicyPinned = "", ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &DeleteResourcePolicyResponse{ARN: out.ARN, Name: out.Name}, nil
}

// ValidateResourcePolicy checks a resource policy's grammar (a syntax error
// is MalformedPolicyDocumentException, as PutResourcePolicy answers it) and
// whether it grants broad access, which fails validation.
func (s *Service) ValidateResourcePolicy(ctx context.Context, in *ValidateResourcePolicyRequest) (*ValidateResourcePolicyResponse, error) {
	if in.SecretId != "" {
		if _, err := s.access(ctx, in.SecretId, "ValidateResourcePolicy", nil, false); err != nil {
			return nil, err
		}
	} else if err := s.authorize(ctx, "ValidateResourcePolicy", "*", nil, nil); err != nil {
		return nil, err
	}
	if err := checkPolicy(in.ResourcePolicy); err != nil {
		return nil, err
	}
	out := &ValidateResourcePolicyResponse{PolicyValidationPassed: true, ValidationErrors: []ValidationErrorsEntry{}}
	if isPublic(in.ResourcePolicy) {
		out.PolicyValidationPassed = false
		out.ValidationErrors = append(out.ValidationErrors, ValidationErrorsEntry{CheckName: "PUBLIC_POLICY",
			ErrorMessage: "The resource policy grants broad access to the secret: a statement allows a wildcard principal without a condition that restricts it to an account, organization, source or caller."})
	}
	return out, nil
}

// checkPolicy parses a resource policy with the policy engine.
func checkPolicy(doc string) error {
	if _, err := iam.Parse(doc, iam.KindResource); err != nil {
		return sealbox.Errorf("MalformedPolicyDocumentException", "%s", err.Error())
	}
	return nil
}

// restricting are the condition keys that keep a wildcard principal from
// being public: they pin the caller to an account, organization, source or
// identity.
var restricting = map[string]bool{
	"aws:principalaccount": true, "aws:principalarn": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceowner": true, "aws:sourcevpc": true, "aws:sourcevpce": true,
	"aws:sourceip": true, "aws:userid": true, "aws:username": true, "aws:principalservicename": true, "kms:calleraccount": true,
}

// fixedARNPrefix is an ARN pattern fixed up to its account: a wildcard
// after it stays within one account.
var fixedARNPrefix = regexp.MustCompile(`^arn:[^:*?]+:[^:*?]*:[^:*?]*:[0-9]{12}:`)

// restricts reports whether one condition (operator op, key, values) pins
// the caller: an equality, or a pattern fixed up to the account, on a
// restricting key, or an address range narrower than every address. A
// negation, Null, IfExists (the key may be absent), ForAllValues (an
// empty set passes), a policy variable (it may equal itself) or a pattern
// open before the account does not.
func restricts(op, key string, raw json.RawMessage) bool {
	if !restricting[strings.ToLower(key)] {
		return false
	}
	op = strings.ToLower(op)
	if strings.HasPrefix(op, "forallvalues:") || strings.HasSuffix(op, "ifexists") {
		return false
	}
	op = strings.TrimPrefix(op, "foranyvalue:")
	var values []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		values = []string{one}
	} else if json.Unmarshal(raw, &values) != nil || len(values) == 0 {
		return false
	}
	for _, v := range values {
		if strings.Contains(v, "${") {
			return false
		}
		switch op {
		case "stringequals", "stringequalsignorecase", "arnequals":
		case "stringlike", "arnlike":
			if strings.ContainsAny(v, "*?") && !fixedARNPrefix.MatchString(v) {
				return false
			}
		case "ipaddress":
			if strings.HasSuffix(v, "/0") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isPublic reports whether a (parsed) resource policy grants broad access:
// an Allow statement for Principal "*" (or {"AWS": "*"}, or a NotPrincipal)
// without a condition on one of the restricting keys.
func isPublic(doc string) bool {
	var p struct {
		Statement json.RawMessage
	}
	if json.Unmarshal([]byte(doc), &p) != nil {
		return false
	}
	type statement struct {
		Effect       string
		Principal    json.RawMessage
		NotPrincipal json.RawMessage
		Condition    map[string]map[string]json.RawMessage
	}
	var stmts []statement
	if json.Unmarshal(p.Statement, &stmts) != nil {
		var one statement
		if json.Unmarshal(p.Statement, &one) != nil {
			return false
		}
		stmts = []statement{one}
	}
	for _, st := range stmts {
		if st.Effect != "Allow" {
			continue
		}
		if len(st.NotPrincipal) == 0 && !wildcard(st.Principal) {
			continue
		}
		restricted := false
		for op, keys := range st.Condition {
			for k, values := range keys {
				restricted = restricted || restricts(op, k, values)
			}
		}
		if !restricted {
			return true
		}
	}
	return false
}

// wildcard reports whether a Principal element names everyone.
func wildcard(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	aws, ok := m["AWS"]
	if !ok {
		return false
	}
	if json.Unmarshal(aws, &s) == nil {
		return s == "*"
	}
	var list []string
	if json.Unmarshal(aws, &list) == nil {
		for _, v := range list {
			if v == "*" {
				return true
			}
		}
	}
	return false
}
