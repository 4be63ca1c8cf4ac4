package iam

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sealbox/sealbox/internal/iam/condition"
	"github.com/sealbox/sealbox/internal/iam/internal/pattern"
)

// Kind is where a policy is attached, which decides its rules.
type Kind uint8

const (
	// KindIdentity is a policy attached to a user, group or role. It must
	// not name a Principal; every statement needs actions and resources.
	KindIdentity Kind = iota + 1
	// KindResource is a resource-based policy, such as a secret's resource
	// policy. Every statement names a Principal or NotPrincipal, actions and
	// resources. An Allow here grants access on its own (same account).
	KindResource
	// KindKey is a KMS key policy: every statement names a Principal or
	// NotPrincipal. The key policy must allow a request, directly or by
	// naming the account (which lets identity policies allow it). A
	// statement without Action or Resource is accepted and has no effect, as
	// in KMS.
	KindKey
	// KindTrust is a role's trust (assume-role) policy: every statement
	// names a Principal or NotPrincipal and STS actions, and no Resource.
	// Like a key policy, it must allow the request.
	KindTrust
)

func (k Kind) String() string {
	switch k {
	case KindIdentity:
		return "identity"
	case KindResource:
		return "resource"
	case KindKey:
		return "key"
	case KindTrust:
		return "trust"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// The policy language versions.
const (
	Version2012 = "2012-10-17" // the current version: policy variables
	Version2008 = "2008-10-17" // the first version, and the default when Version is absent
)

// Policy is a compiled policy document: statements with their action and
// resource patterns pre-split, condition values parsed and policy variables
// located, so that evaluation reads no JSON. A Policy is immutable and safe
// for concurrent use.
type Policy struct {
	kind       Kind
	version    string
	id         string
	statements []statement
}

// Kind returns the kind the policy was parsed as.
func (p *Policy) Kind() Kind { return p.kind }

// Version returns the policy language version: the Version element, or
// 2008-10-17 when the document has none.
func (p *Policy) Version() string { return p.version }

// ID returns the Id element.
func (p *Policy) ID() string { return p.id }

// statement is one compiled statement.
type statement struct {
	sid    string
	effect Effect

	principal    *principals // nil: the statement names no principal (identity policies)
	notPrincipal bool

	actions   []pattern.Pattern
	notAction bool
	hasAction bool // Action or NotAction given; a key policy statement without one never applies

	resources   []pattern.ARN
	notResource bool
	hasResource bool

	conditions []*condition.Condition

	span span // where the statement is written in the document
}

// Parse compiles a policy document of the given kind. The error is a
// *ParseError whose Message can be returned to the caller as a
// MalformedPolicyDocument message; a document over MaxPolicySize wraps
// ErrPolicyTooLarge.
func Parse(doc string, kind Kind) (*Policy, error) {
	return parseAs(doc, kind, false)
}

// ParseStored compiles a policy as sealbox keeps it for evaluation: as
// Parse, and a user or role ARN may be pinned to a unique id
// ("<arn>#<id>", the form identity.PinPrincipals saves). Only policies
// sealbox wrote itself are parsed so: a caller who writes that form is
// refused by Parse, as AWS refuses any principal it does not know.
func ParseStored(doc string, kind Kind) (*Policy, error) {
	return parseAs(doc, kind, true)
}

func parseAs(doc string, kind Kind, stored bool) (*Policy, error) {
	p, err := parse(doc, kind, stored)
	if err != nil {
		return nil, err // a non-nil *ParseError, never a typed nil
	}
	return p, nil
}

func parse(doc string, kind Kind, stored bool) (*Policy, *ParseError) {
	if kind < KindIdentity || kind > KindTrust {
		return nil, docError("Unknown policy kind %d", kind)
	}
	if len(doc) > MaxPolicySize {
		// IAM's LimitExceeded wording.
		return nil, &ParseError{Message: fmt.Sprintf("Cannot exceed quota for PolicySize: %d", MaxPolicySize), err: ErrPolicyTooLarge}
	}
	root, err := readJSON(doc)
	if err != nil {
		var dup *duplicateFieldError
		if errors.As(err, &dup) {
			return nil, docError("Duplicate field %s", dup.name)
		}
		return nil, docError(msgSyntax)
	}
	if root.kind != jsonObject {
		return nil, docError(msgSyntax)
	}
	p := &Policy{kind: kind, version: Version2008}
	var stmts *jsonValue
	for i := range root.fields {
		f := &root.fields[i]
		switch f.name {
		case "Version":
			if f.value.kind != jsonString {
				return nil, docError(msgSyntax)
			}
			if f.value.text != Version2012 && f.value.text != Version2008 {
				return nil, docError("Invalid Version %s: use %s or %s", f.value.text, Version2012, Version2008)
			}
			p.version = f.value.text
		case "Id":
			if f.value.kind != jsonString {
				return nil, docError(msgSyntax)
			}
			p.id = f.value.text
		case "Statement":
			stmts = &f.value
		default:
			return nil, docError("Unknown field %s", f.name)
		}
	}
	var list []jsonValue
	switch {
	case stmts == nil:
		return nil, docError("Missing required field Statement")
	case stmts.kind == jsonObject:
		list = []jsonValue{*stmts}
	case stmts.kind == jsonArray:
		list = stmts.items
	default:
		return nil, docError(msgSyntax)
	}
	if len(list) == 0 {
		return nil, docError("Missing required field Statement")
	}
	variables := p.version == Version2012
	sids := make(map[string]bool, len(list))
	p.statements = make([]statement, 0, len(list))
	for i := range list {
		s, perr := parseStatement(&list[i], i+1, kind, variables, stored)
		if perr != nil {
			return nil, perr
		}
		// IAM refuses repeated Sids; KMS and resource policies accept them.
		if s.sid != "" && (kind == KindIdentity || kind == KindTrust) {
			if sids[s.sid] {
				return nil, stmtVerbatim(i+1, msgDuplicateSid)
			}
			sids[s.sid] = true
		}
		p.statements = append(p.statements, s)
	}
	return p, nil
}

func parseStatement(v *jsonValue, n int, kind Kind, variables, stored bool) (statement, *ParseError) {
	s := statement{span: v.span}
	if v.kind != jsonObject {
		return s, stmtError(n, "Statement must be an object")
	}
	seen := map[string]bool{}
	for i := range v.fields {
		f := &v.fields[i]
		seen[f.name] = true
		switch f.name {
		case "Sid":
			if f.value.kind != jsonString {
				return s, stmtError(n, "Sid must be a string")
			}
			s.sid = f.value.text
		case "Effect":
			if f.value.kind != jsonString {
				return s, stmtError(n, "Effect must be a string")
			}
			switch f.value.text {
			case "Allow":
				s.effect = Allow
			case "Deny":
				s.effect = Deny
			default:
				return s, stmtError(n, "Invalid effect: %s", f.value.text)
			}
		case "Principal", "NotPrincipal":
			if kind == KindIdentity {
				return s, stmtVerbatim(n, msgNoPrincipalAllowed)
			}
			p, err := parsePrincipals(f.value, kind, n, stored)
			if err != nil {
				return s, err
			}
			s.principal, s.notPrincipal = p, f.name == "NotPrincipal"
		case "Action", "NotAction":
			values, ok := stringList(f.value)
			if !ok {
				return s, stmtError(n, "%s must be a string or a list of strings", f.name)
			}
			if len(values) == 0 {
				return s, stmtVerbatim(n, msgNoActions)
			}
			for _, a := range values {
				if err := checkAction(a, n); err != nil {
					return s, err
				}
				if kind == KindTrust && !trustAction(a) {
					return s, stmtVerbatim(n, msgTrustActions)
				}
				s.actions = append(s.actions, pattern.Compile(a, pattern.Options{Wildcards: true, Fold: true}))
			}
			s.notAction, s.hasAction = f.name == "NotAction", true
		case "Resource", "NotResource":
			if kind == KindTrust {
				return s, stmtVerbatim(n, msgTrustResource)
			}
			values, ok := stringList(f.value)
			if !ok {
				return s, stmtError(n, "%s must be a string or a list of strings", f.name)
			}
			if len(values) == 0 {
				return s, stmtVerbatim(n, msgNoResources)
			}
			for _, r := range values {
				if err := checkResource(r, n); err != nil {
					return s, err
				}
				s.resources = append(s.resources, pattern.CompileARN(r, pattern.Options{Wildcards: true, Variables: variables}))
			}
			s.notResource, s.hasResource = f.name == "NotResource", true
		case "Condition":
			conds, err := parseConditions(f.value, n, variables)
			if err != nil {
				return s, err
			}
			s.conditions = conds
		default:
			return s, stmtError(n, "Unknown field %s", f.name)
		}
	}
	switch {
	case !seen["Effect"]:
		return s, stmtError(n, "Missing required field Effect")
	case seen["Principal"] && seen["NotPrincipal"]:
		return s, stmtError(n, "Principal and NotPrincipal cannot both be specified")
	case seen["Action"] && seen["NotAction"]:
		return s, stmtError(n, "Action and NotAction cannot both be specified")
	case seen["Resource"] && seen["NotResource"]:
		return s, stmtError(n, "Resource and NotResource cannot both be specified")
	case kind != KindIdentity && s.principal == nil:
		return s, stmtError(n, "Missing required field Principal")
	case kind == KindTrust && seen["NotAction"]:
		return s, stmtVerbatim(n, msgTrustActions)
	case !s.hasAction && kind != KindKey:
		return s, stmtVerbatim(n, msgNoActions)
	case !s.hasResource && (kind == KindIdentity || kind == KindResource):
		return s, stmtVerbatim(n, msgNoResources)
	}
	if kind == KindTrust {
		s.hasResource = true // a trust policy's statements apply to the role they are attached to
		s.resources = []pattern.ARN{pattern.CompileARN("*", pattern.Options{Wildcards: true})}
	}
	return s, nil
}

// stringList reads a string or a list of strings.
func stringList(v jsonValue) ([]string, bool) {
	switch v.kind {
	case jsonString:
		return []string{v.text}, true
	case jsonArray:
		out := make([]string, len(v.items))
		for i, item := range v.items {
			if item.kind != jsonString {
				return nil, false
			}
			out[i] = item.text
		}
		return out, true
	}
	return nil, false
}

// checkAction applies IAM's rules for an action: "*" or vendor:action.
func checkAction(a string, n int) *ParseError {
	if a == "*" {
		return nil
	}
	vendor, name, ok := strings.Cut(a, ":")
	switch {
	case !ok || vendor == "":
		return stmtVerbatim(n, msgVendor)
	case strings.Contains(name, ":"):
		return stmtVerbatim(n, msgOneColon)
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return stmtVerbatim(n, "Vendor "+vendor+" is not valid") // IAM's wording
		}
	}
	return nil
}

// trustActions are the actions a trust policy may name.
var trustActions = map[string]bool{
	"sts:assumerole":                 true,
	"sts:assumerolewithsaml":         true,
	"sts:assumerolewithwebidentity":  true,
	"sts:tagsession":                 true,
	"sts:setsourceidentity":          true,
	"sts:setcontext":                 true,
	"sts:assumerolewithclientgrants": true,
}

func trustAction(a string) bool {
	l := strings.ToLower(a)
	if strings.ContainsAny(l, "*?") {
		return l == "*" || strings.HasPrefix(l, "sts:")
	}
	return trustActions[l]
}

// checkResource applies IAM's rules for a resource: "*" or an ARN with a
// known partition and a service without wildcards.
func checkResource(r string, n int) *ParseError {
	if r == "*" {
		return nil
	}
	rest, ok := strings.CutPrefix(r, "arn:")
	if !ok {
		return stmtVerbatim(n, fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)) // IAM's wording
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return stmtVerbatim(n, msgResourceVendor)
	}
	if !validPartition(partition) {
		parts := strings.SplitN(rest, ":", 4)
		for len(parts) < 4 {
			parts = append(parts, "*")
		}
		for i, p := range parts {
			if p == "" {
				parts[i] = "*"
			}
		}
		return stmtVerbatim(n, fmt.Sprintf("Partition %q is not valid for resource %q.", partition, "arn:"+partition+":"+strings.Join(parts, ":"))) // IAM's wording
	}
	service, _, _ := strings.Cut(rest, ":")
	if service == "" || strings.ContainsAny(service, "*?$") {
		return stmtVerbatim(n, msgResourceVendor)
	}
	return nil
}

// parseConditions compiles a Condition element: operator → key → values.
func parseConditions(v jsonValue, n int, variables bool) ([]*condition.Condition, *ParseError) {
	if v.kind != jsonObject {
		return nil, stmtError(n, "Condition must be an object")
	}
	var out []*condition.Condition
	for _, op := range v.fields {
		if op.value.kind != jsonObject {
			return nil, stmtError(n, "Condition operator %s must map keys to values", op.name)
		}
		for _, kv := range op.value.fields {
			if err := checkConditionKey(kv.name, n); err != nil {
				return nil, err
			}
			values, ok := conditionValues(kv.value)
			if !ok {
				return nil, stmtError(n, "Values of condition key %s must be strings, numbers or booleans", kv.name)
			}
			c, err := condition.Parse(op.name, kv.name, values, variables)
			if err != nil {
				return nil, stmtError(n, "%s", err) // a *condition.Error, worded for the caller
			}
			out = append(out, c)
		}
		if len(op.value.fields) == 0 {
			// Check the operator even with no keys, so a typo is caught.
			if _, err := condition.Parse(op.name, "x:x", nil, variables); err != nil {
				return nil, stmtError(n, "%s", err)
			}
		}
	}
	return out, nil
}

// checkConditionKey requires a vendor prefix (aws:, kms:, ...). The rest of
// the key may hold colons: tag keys such as aws:cloudformation:stack-name do.
func checkConditionKey(k string, n int) *ParseError {
	vendor, name, ok := strings.Cut(k, ":")
	if !ok || vendor == "" || name == "" {
		return stmtVerbatim(n, msgVendor)
	}
	return nil
}

// conditionValues reads a condition's value: a string, number or boolean,
// or a list of them. Numbers and booleans are read as written.
func conditionValues(v jsonValue) ([]string, bool) {
	scalar := func(v jsonValue) bool {
		return v.kind == jsonString || v.kind == jsonNumber || v.kind == jsonBool
	}
	if scalar(v) {
		return []string{v.text}, true
	}
	if v.kind != jsonArray {
		return nil, false
	}
	out := make([]string, len(v.items))
	for i, item := range v.items {
		if !scalar(item) {
			return nil, false
		}
		out[i] = item.text
	}
	return out, true
}
