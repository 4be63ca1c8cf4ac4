package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// Principals pins the IAM users and roles a function policy names to their
// unique ids, and refuses one naming a user or role of the account that
// does not exist (identity.Store.PinPrincipals), as key and secret
// policies are.
type Principals interface {
	PinPrincipals(ctx context.Context, doc string) (string, error)
}

// maxPolicy is the largest a function's policy may grow, in bytes of its
// JSON: Lambda's 20 KB.
const maxPolicy = 20480

// policyRecord is the resource-based policy of a function, a version or an
// alias (functionRecord.Policies, by qualifier): its statements as
// AddPermission made them, in order.
type policyRecord struct {
	Statements []policyStatement `json:"statements"`
	// Pinned holds, beside each statement, the statement as it is
	// evaluated (Principals) when its principal is a user or role of the
	// account; "" when the statement is evaluated as written. Each is
	// pinned when it is added: a later statement pins only its own.
	Pinned     []string `json:"pinned,omitempty"`
	RevisionID string   `json:"revisionId"`
}

// policyStatement is one statement, in the members and order Lambda
// writes them.
type policyStatement struct {
	Sid       string                       `json:"Sid"`
	Effect    string                       `json:"Effect"`
	Principal any                          `json:"Principal"` // "*", or {"AWS": arn} or {"Service": name}
	Action    string                       `json:"Action"`
	Resource  string                       `json:"Resource"`
	Condition map[string]map[string]string `json:"Condition,omitempty"`
}

// policyDocument is a policy as GetPolicy answers it.
type policyDocument struct {
	Version   string            `json:"Version"`
	ID        string            `json:"Id"`
	Statement []policyStatement `json:"Statement"`
}

// marshal is v's JSON as Lambda writes it: compact, '<', '>' and '&' as
// themselves.
func marshal(v any) string {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		panic(err) // only strings and maps of strings: cannot fail
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// document is p's text.
func (p *policyRecord) document() string {
	return marshal(policyDocument{Version: "2012-10-17", ID: "default", Statement: p.Statements})
}

// evaluated is the text the authorizer evaluates: each statement in its
// pinned form when it has one.
func (p *policyRecord) evaluated() string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Id":"default","Statement":[`)
	for i, st := range p.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		if i < len(p.Pinned) && p.Pinned[i] != "" {
			b.WriteString(p.Pinned[i])
		} else {
			b.WriteString(marshal(st))
		}
	}
	b.WriteString("]}")
	return b.String()
}

// pin is st as it is evaluated: its principal, a user or role of the
// account, pinned to that entity's unique id; "" when st names none. A
// user or role that does not exist is refused as Lambda refuses a
// principal it cannot find.
func (s *Service) pin(ctx context.Context, st policyStatement) (string, error) {
	if s.principals == nil {
		return "", nil
	}
	pinned, err := s.principals.PinPrincipals(ctx, marshal(policyDocument{Version: "2012-10-17", ID: "default", Statement: []policyStatement{st}}))
	var unknown *identity.UnknownPrincipalError
	if errors.As(err, &unknown) {
		return "", errPrincipal()
	}
	if err != nil || pinned == "" {
		return "", err
	}
	var d struct{ Statement []json.RawMessage }
	if err := json.Unmarshal([]byte(pinned), &d); err != nil || len(d.Statement) != 1 {
		return "", fmt.Errorf("failed to read a pinned statement: %v", err)
	}
	return string(d.Statement[0]), nil
}

var (
	accountID        = regexp.MustCompile(`^[0-9]{12}$`)
	iamPrincipalARN  = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:(root|user/[\w+=,.@/-]+|role/[\w+=,.@/-]+)$`)
	servicePrincipal = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)*\.(amazonaws\.com|amazonaws\.com\.cn|amazon\.com)$`)
)

func errPrincipal() error {
	return errInvalid("The provided principal was invalid. Please check the principal and try again.")
}

// statementPrincipal is the Principal element Lambda writes for
// AddPermission's Principal: "*"; an account id as its root ARN; an IAM
// ARN as itself; a service by name.
func statementPrincipal(p, partition string) (any, error) {
	switch {
	case p == "*":
		return "*", nil
	case accountID.MatchString(p):
		return map[string]string{"AWS": "arn:" + partition + ":iam::" + p + ":root"}, nil
	case iamPrincipalARN.MatchString(p):
		return map[string]string{"AWS": p}, nil
	case servicePrincipal.MatchString(p):
		return map[string]string{"Service": p}, nil
	}
	return nil, errPrincipal()
}

// statementConditions are the conditions Lambda writes for AddPermission's
// members, under the keys and operators it uses.
func statementConditions(in *AddPermissionRequest) map[string]map[string]string {
	cond := map[string]map[string]string{}
	add := func(op, key, value string) {
		if cond[op] == nil {
			cond[op] = map[string]string{}
		}
		cond[op][key] = value
	}
	if in.SourceArn != "" {
		add("ArnLike", "AWS:SourceArn", in.SourceArn)
	}
	if in.SourceAccount != "" {
		add("StringEquals", "AWS:SourceAccount", in.SourceAccount)
	}
	if in.EventSourceToken != "" {
		add("StringEquals", "lambda:EventSourceToken", in.EventSourceToken)
	}
	if in.PrincipalOrgID != "" {
		add("StringEquals", "aws:PrincipalOrgID", in.PrincipalOrgID)
	}
	if in.FunctionUrlAuthType != "" {
		add("StringEquals", "lambda:FunctionUrlAuthType", in.FunctionUrlAuthType)
	}
	if in.InvokedViaFunctionUrl != nil && *in.InvokedViaFunctionUrl {
		add("Bool", "lambda:InvokedViaFunctionUrl", "true")
	}
	if len(cond) == 0 {
		return nil
	}
	return cond
}

// AddPermission adds a statement to the resource-based policy of a
// function, or of the version or alias its Qualifier names, as Lambda
// builds it from the members; it allows (besides the caller's account's
// own IAM policies) the principal to perform the action on that ARN
// alone. Principals naming a user or role of the account are pinned to
// its unique id, and one that does not exist is refused.
func (s *Service) AddPermission(ctx context.Context, in *AddPermissionRequest) (*AddPermissionResponse, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := parseFunction(r, in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:AddPermission", ref, nil)
	if err != nil {
		return nil, err
	}
	principal, err := statementPrincipal(in.Principal, t.fn.Partition)
	if err != nil {
		return nil, err
	}
	action := in.Action
	if !strings.HasPrefix(action, "lambda:") && action != "*" {
		return nil, errInvalid("The provided action is invalid: %s", action)
	}
	st := policyStatement{Sid: in.StatementId, Effect: "Allow", Principal: principal, Action: action,
		Resource: ref.resource(), Condition: statementConditions(in)}
	key := ref.qualifier
	// Pinned outside the write: the identity store is not read inside
	// the function's transaction.
	pinned, err := s.pin(ctx, st)
	if err != nil {
		return nil, err
	}
	// Checked against what was seen; the write then insists the policy
	// is still the one seen.
	seen := t.fn.Policies[key]
	if in.RevisionId != "" && in.RevisionId != revision(seen) {
		return nil, errRevision()
	}
	want := &policyRecord{RevisionID: ids.UUID()}
	if seen != nil {
		for _, old := range seen.Statements {
			if old.Sid == in.StatementId {
				return nil, sealbox.Errorf("ResourceConflictException", "The statement id (%s) provided already exists. Please provide a new statement id, or remove the existing statement.", in.StatementId)
			}
		}
		want.Statements = append(want.Statements, seen.Statements...)
		want.Pinned = append(want.Pinned, seen.Pinned...)
	}
	for len(want.Pinned) < len(want.Statements) {
		want.Pinned = append(want.Pinned, "")
	}
	want.Statements, want.Pinned = append(want.Statements, st), append(want.Pinned, pinned)
	if n := len(want.document()); n > maxPolicy {
		return nil, sealbox.Errorf("PolicyLengthExceededException", "The final policy size (%d) is bigger than the limit (%d).", n, maxPolicy)
	}
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		if revision(f.Policies[key]) != revision(seen) {
			return errInProgress(ref.resource())
		}
		if ref.qualifier != "" && ref.qualifier != latest && !versionNumber.MatchString(ref.qualifier) && f.Aliases[ref.qualifier] == nil {
			return errFunctionNotFound(ref.resource())
		}
		if f.Policies == nil {
			f.Policies = map[string]*policyRecord{}
		}
		f.Policies[key] = want
		return nil
	}); err != nil {
		return nil, err
	}
	return &AddPermissionResponse{Statement: marshal(st)}, nil
}

// revision is p's RevisionID, "" for none.
func revision(p *policyRecord) string {
	if p == nil {
		return ""
	}
	return p.RevisionID
}

// RemovePermission removes a statement from the policy of a function,
// version or alias.
func (s *Service) RemovePermission(ctx context.Context, in *RemovePermissionRequest) (*Empty, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := parseFunction(r, in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:RemovePermission", ref, nil)
	if err != nil {
		return nil, err
	}
	key := ref.qualifier
	if t.fn.Policies[key] == nil {
		return nil, sealbox.Errorf("ResourceNotFoundException", "No policy is associated with the given resource.")
	}
	if _, err := s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		cur := f.Policies[key]
		if cur == nil {
			return sealbox.Errorf("ResourceNotFoundException", "No policy is associated with the given resource.")
		}
		if in.RevisionId != "" && in.RevisionId != cur.RevisionID {
			return errRevision()
		}
		out := &policyRecord{RevisionID: ids.UUID()}
		for i, st := range cur.Statements {
			if st.Sid == in.StatementId {
				continue
			}
			out.Statements = append(out.Statements, st)
			if i < len(cur.Pinned) {
				out.Pinned = append(out.Pinned, cur.Pinned[i])
			} else {
				out.Pinned = append(out.Pinned, "")
			}
		}
		switch len(out.Statements) {
		case len(cur.Statements):
			return sealbox.Errorf("ResourceNotFoundException", "Statement %s is not found in resource policy.", in.StatementId)
		case 0:
			delete(f.Policies, key)
		default:
			f.Policies[key] = out
		}
		return nil
	}); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// GetPolicy answers the resource-based policy of a function, version or
// alias, as Lambda writes it, and its revision.
func (s *Service) GetPolicy(ctx context.Context, in *GetPolicyRequest) (*GetPolicyResponse, error) {
	r := sealbox.MustRequest(ctx)
	ref, err := parseFunction(r, in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetPolicy", ref, nil)
	if err != nil {
		return nil, err
	}
	p := t.fn.Policies[ref.qualifier]
	if p == nil {
		return nil, sealbox.Errorf("ResourceNotFoundException", "The resource you requested does not exist.")
	}
	return &GetPolicyResponse{Policy: p.document(), RevisionId: p.RevisionID}, nil
}
