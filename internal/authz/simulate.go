package authz

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/iam"
	"github.com/sealbox/sealbox/internal/identity/iamapi"
)

// Principals resolves ARNs to principals and their policies, for the
// simulator.
type Principals interface {
	Identities
	Principal(ctx context.Context, arn string) (sealbox.Principal, bool, error)
}

// Simulator serves IAM's SimulatePrincipalPolicy and SimulateCustomPolicy
// with the server's own decision logic (iam.Decide, as the authorizer), so
// that `aws iam simulate-principal-policy` answers what the server would
// decide. As AWS's simulator, it evaluates identity policies and, when
// given, a resource policy; it does not fetch KMS key policies, and a user
// or role has no session policies. The principal's permissions boundary
// (or the one PermissionsBoundaryPolicyInputList gives instead) bounds the
// allows, and aws:PrincipalTag/<key> are the principal's own tags, not
// context entries, exactly as in every call's decision: the simulator never
// answers allowed where the call would be denied. A stored policy that no
// longer compiles denies every action (explicitDeny), as it does in the
// authorizer. Safe for concurrent use.
type Simulator struct {
	A  *Authorizer
	ID Principals
}

// SimulatePrincipalPolicy simulates the policies of a user, group member or
// role, plus any extra policies given, for each action and resource.
func (s *Simulator) SimulatePrincipalPolicy(ctx context.Context, in *iamapi.SimulatePrincipalPolicyRequest) (*iamapi.SimulatePolicyResponse, error) {
	if err := s.A.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:SimulatePrincipalPolicy", Resource: in.PolicySourceArn}); err != nil {
		return nil, accessDenied(err)
	}
	p, ok, err := s.ID.Principal(ctx, in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sealbox.Errorf("NoSuchEntity", "Entity %s does not exist.", in.PolicySourceArn)
	}
	docs, err := s.ID.PoliciesFor(ctx, p)
	if err != nil {
		return nil, err
	}
	var named []namedPolicy
	unreadable := false
	for _, d := range docs {
		pol, ok := s.A.compileFor(p, d, "identity")
		if !ok {
			unreadable = true // as the authorizer: the principal is denied
			continue
		}
		named = append(named, namedPolicy{d.Source, d.Document, pol})
	}
	extra, err := s.parseInputs(in.PolicyInputList)
	if err != nil {
		return nil, err
	}
	boundary, err := parseBoundary(in.PermissionsBoundaryPolicyInputList)
	if err != nil {
		return nil, err
	}
	if boundary == nil {
		bd, err := s.ID.BoundaryFor(ctx, p)
		if err != nil {
			return nil, err
		}
		if bd != nil {
			if boundary, ok = s.A.compileFor(p, *bd, "boundary"); !ok {
				unreadable = true
			}
		}
	}
	tags, err := s.ID.PrincipalTags(ctx, p)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = map[string]string{}
	}
	f := iam.Facts{Boundary: boundary, Unreadable: unreadable}
	return s.simulate(ctx, p, append(named, extra...), &f, tags, in.ActionNames, in.ResourceArns, in.ResourcePolicy, in.ContextEntries, int(in.MaxItems), in.Marker)
}

// parseBoundary reads PermissionsBoundaryPolicyInputList: at most one
// policy, as AWS allows.
func parseBoundary(docs []string) (*iam.Policy, error) {
	switch len(docs) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, sealbox.Errorf("InvalidInput", "Only one permissions boundary policy may be given; %d were.", len(docs))
	}
	pol, err := iam.Parse(docs[0], iam.KindIdentity)
	if err != nil {
		return nil, sealbox.Errorf("InvalidInput", "The permissions boundary policy is not valid: %v", err)
	}
	return pol, nil
}

// SimulateCustomPolicy simulates the given policies alone.
func (s *Simulator) SimulateCustomPolicy(ctx context.Context, in *iamapi.SimulateCustomPolicyRequest) (*iamapi.SimulatePolicyResponse, error) {
	if err := s.A.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:SimulateCustomPolicy", Resource: "*"}); err != nil {
		return nil, accessDenied(err)
	}
	named, err := s.parseInputs(in.PolicyInputList)
	if err != nil {
		return nil, err
	}
	boundary, err := parseBoundary(in.PermissionsBoundaryPolicyInputList)
	if err != nil {
		return nil, err
	}
	r := sealbox.RequestFromContext(ctx)
	p := sealbox.Principal{Type: "IAMUser", AccountID: r.AccountID, ARN: in.CallerArn}
	if p.ARN == "" {
		p.ARN = "arn:" + r.Partition + ":iam::" + r.AccountID + ":user/simulated"
	}
	// A CallerArn naming a user of the account: aws:PrincipalTag/<key>
	// are that user's tags, as in its calls; otherwise the context
	// entries say what they are.
	var tags map[string]string
	if in.CallerArn != "" {
		if u, ok, err := s.ID.Principal(ctx, in.CallerArn); err != nil {
			return nil, err
		} else if ok && u.Type == "IAMUser" {
			if tags, err = s.ID.PrincipalTags(ctx, u); err != nil {
				return nil, err
			}
			if tags == nil {
				tags = map[string]string{}
			}
		}
	}
	return s.simulate(ctx, p, named, &iam.Facts{Boundary: boundary}, tags, in.ActionNames, in.ResourceArns, in.ResourcePolicy, in.ContextEntries, int(in.MaxItems), in.Marker)
}

type namedPolicy struct {
	source string
	doc    string // the document as written, where the statements are
	policy *iam.Policy
}

func (s *Simulator) parseInputs(docs []string) ([]namedPolicy, error) {
	var out []namedPolicy
	for i, d := range docs {
		pol, err := iam.Parse(d, iam.KindIdentity)
		if err != nil {
			return nil, sealbox.Errorf("InvalidInput", "Policy document %d is not valid: %v", i+1, err)
		}
		out = append(out, namedPolicy{"PolicyInputList." + strconv.Itoa(i+1), d, pol})
	}
	return out, nil
}

// simulate decides each action on each resource with iam.Decide, over the
// named identity policies and the facts given (boundary, unreadable). tags,
// when not nil, are the principal's tags: they alone are
// aws:PrincipalTag/<key>, as in the authorizer.
func (s *Simulator) simulate(ctx context.Context, p sealbox.Principal, named []namedPolicy, facts *iam.Facts, tags map[string]string, actions, resources []string, resourcePolicy string,
	entries []iamapi.ContextEntry, maxItems int, marker string) (*iamapi.SimulatePolicyResponse, error) {
	r := sealbox.RequestFromContext(ctx)
	var resource *iam.Policy
	if resourcePolicy != "" {
		pol, err := iam.Parse(resourcePolicy, iam.KindResource)
		if err != nil {
			return nil, sealbox.Errorf("InvalidInput", "The resource policy is not valid: %v", err)
		}
		resource = pol
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	policies := make([]*iam.Policy, len(named))
	for i, n := range named {
		policies[i] = n.policy
	}
	as := *r
	as.Principal = p
	var results []iamapi.EvaluationResult
	var spans []iam.Span
	for _, action := range actions {
		for _, res := range resources {
			cond := map[string][]string{}
			for _, e := range entries {
				cond[strings.ToLower(e.ContextKeyName)] = e.ContextKeyValues
			}
			req := &iam.Request{Principal: iamPrincipal(p), Action: action, Resource: res, Context: cond}
			s.A.callerKeys(&as, &req.Caller)
			if tags != nil {
				setPrincipalTags(&req.Caller, tags)
			}
			f := *facts
			f.Identity, f.Resource = policies, resource
			d := iam.Decide(&f, req)
			er := iamapi.EvaluationResult{EvalActionName: action, EvalResourceName: res, EvalDecision: decision(d)}
			for _, n := range named {
				// The statements that decided: every allow that applies when
				// allowed, only the denies when denied, as AWS lists them.
				eff, _ := n.policy.Evaluate(req)
				if (eff == iam.Allow && d.Allowed) || (eff == iam.Deny && !d.Allowed) {
					id, typ := policySource(n.source)
					spans = n.policy.Matches(spans[:0], req, eff)
					for _, sp := range spans {
						st := iamapi.Statement{SourcePolicyId: id, SourcePolicyType: typ}
						st.StartPosition, st.EndPosition = statementPositions(n.doc, sp)
						er.MatchedStatements = append(er.MatchedStatements, st)
					}
					if len(spans) == 0 { // never: Matches agrees with Evaluate
						er.MatchedStatements = append(er.MatchedStatements, iamapi.Statement{SourcePolicyId: id, SourcePolicyType: typ})
					}
				}
				er.MissingContextValues = appendNew(er.MissingContextValues, n.policy.MissingContext(req)...)
			}
			results = append(results, er)
		}
	}
	start := 0
	if marker != "" {
		n, err := strconv.Atoi(marker)
		if err != nil || n < 0 || n > len(results) {
			return nil, sealbox.Errorf("InvalidInput", "Invalid Marker.")
		}
		start = n
	}
	if maxItems <= 0 {
		maxItems = 100
	}
	out := &iamapi.SimulatePolicyResponse{EvaluationResults: results[start:]}
	if len(out.EvaluationResults) > maxItems {
		out.EvaluationResults = out.EvaluationResults[:maxItems]
		out.IsTruncated, out.Marker = true, strconv.Itoa(start+maxItems)
	}
	if out.EvaluationResults == nil {
		out.EvaluationResults = []iamapi.EvaluationResult{}
	}
	return out, nil
}

// statementPositions are a matched statement's StartPosition and
// EndPosition in doc, the policy document as the caller wrote it (after the
// query protocol's URL decoding), from its span (the offsets of its opening
// brace and just past its closing brace), as AWS computes them.
//
// What AWS documents and shows (no source says more):
//   - The Statement and Position shapes (botocore iam model; IAM API
//     reference, API_Statement and API_Position): "the row and column of
//     the beginning/end of a Statement"; Line and Column are integers.
//   - aws-cli's example of simulate-custom-policy
//     (awscli/examples/iam/simulate-custom-policy.rst), a one-line policy
//     whose Statement is a single object,
//     {"Version":"2012-10-17","Statement":{"Effect":"Allow",...}}}}: the
//     statement's { is the 37th character and its } the 166th; AWS answers
//     StartPosition {Line 1, Column 38}, EndPosition {Line 1, Column 167}.
//     Lines and columns are 1-based, and both positions are just past the
//     brace, not at it.
//   - aws-cli's example of simulate-principal-policy
//     (awscli/examples/iam/simulate-principal-policy.rst): StartPosition
//     {3, 19}, EndPosition {9, 10}, the document not shown. Written as IAM
//     writes policies (4-space indent, "Statement": [ on line 3, the
//     statement's { on line 4 and its } on line 9, both indented 8), the
//     end is again just past the }, but the start is just past the [ at
//     column 18 of line 3, not past the statement's {.
//
// Both are what a streaming JSON parser's current location gives when read
// before the statement and after it (Jackson's, whose lines and columns are
// 1-based, which reads a field's value's first character along with the
// field name, and a list's separating comma only with the next item): so
// StartPosition is just past the last token before the statement's { (past
// the { itself when the statement is the Statement object; past the [ for
// a list's first statement; past the previous statement's } for the
// others), and EndPosition just past the statement's }. This reading fits
// both examples (starting past the statement's own { would answer line 4
// in the second). The sources say nothing of line ends or of characters
// beyond ASCII; the same reading is followed there. A line ends at LF, CRLF
// or a lone CR (as Jackson counts). A column counts characters, as Java
// does, not bytes: IAM's policyDocumentType admits tab, LF, CR and U+0020
// to U+00FF only, so a character beyond ASCII is Latin-1, one column and
// two bytes of UTF-8 (beyond, never accepted, UTF-16 code units are
// counted, as Java's).
func statementPositions(doc string, sp iam.Span) (start, end *iamapi.Position) {
	if sp.Start < 0 || sp.End > len(doc) || sp.Start >= sp.End {
		return nil, nil // never: the span is the parser's, of this document
	}
	from := sp.Start + 1 // the Statement object: just past its {
	i := sp.Start
	for i > 0 && jsonSpace(doc[i-1]) {
		i--
	}
	if i > 0 && (doc[i-1] == '[' || doc[i-1] == ',') {
		// An item of the Statement list: just past the token before it,
		// the [ or the previous statement's }.
		if doc[i-1] == ',' {
			i--
			for i > 0 && jsonSpace(doc[i-1]) {
				i--
			}
		}
		from = i
	}
	return position(doc, from), position(doc, sp.End)
}

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// position is the 1-based line and column of byte offset off in doc, as
// statementPositions counts them.
func position(doc string, off int) *iamapi.Position {
	line, col := 1, 1
	for i := 0; i < off; {
		switch c := doc[i]; {
		case c == '\r' && i+1 < len(doc) && doc[i+1] == '\n':
			i++ // CRLF: one line end, counted at the LF
		case c == '\n' || c == '\r':
			line, col = line+1, 1
			i++
		case c < utf8.RuneSelf:
			col++
			i++
		default:
			r, n := utf8.DecodeRuneInString(doc[i:])
			col += utf16.RuneLen(r) // an invalid byte: U+FFFD, one
			i += n
		}
	}
	return &iamapi.Position{Line: int32(line), Column: int32(col)}
}

// decision is IAM's PolicyEvaluationDecisionType for d.
func decision(d iam.Decision) string {
	switch {
	case d.Allowed:
		return "allowed"
	case d.Reason == iam.IdentityDeny || d.Reason == iam.ResourceDeny || d.Reason == iam.SessionDeny || d.Reason == iam.BoundaryDeny || d.Reason == iam.Unreadable:
		// A policy that cannot be read denies whatever else allows, as an
		// explicit deny does.
		return "explicitDeny"
	default:
		return "implicitDeny"
	}
}

// accessDenied gives an authorization failure IAM's code.
func accessDenied(err error) error {
	if e, ok := sealbox.AsError(err); ok && e.Code == "AccessDeniedException" {
		return &sealbox.Error{Code: "AccessDenied", Message: e.Message, Status: 403}
	}
	return err
}

// policySource turns a policy's cache source into what the simulator shows
// (PolicySourceType): an inline policy's name with its entity type ("user",
// "role", "group"), a managed policy's name as "user-managed" or
// "aws-managed", and simulation input as "none".
func policySource(source string) (id, typ string) {
	source = policyLocator(source) // without the hash: a name may hold an @
	if strings.HasPrefix(source, "PolicyInputList.") {
		return source, "none"
	}
	if owner, name, ok := strings.Cut(source, "#"); ok {
		typ = "none"
		if a, err := sealbox.ParseARN(owner); err == nil {
			typ, _, _ = strings.Cut(a.Resource, "/")
		}
		return name, typ
	}
	source, _, _ = strings.Cut(source, "?") // a managed policy's version
	typ = "user-managed"
	if a, err := sealbox.ParseARN(source); err == nil && a.AccountID == "aws" {
		typ = "aws-managed"
	}
	if i := strings.LastIndexByte(source, '/'); i >= 0 {
		source = source[i+1:]
	}
	return source, typ
}

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		found := false
		for _, l := range list {
			found = found || l == a
		}
		if !found {
			list = append(list, a)
		}
	}
	return list
}
