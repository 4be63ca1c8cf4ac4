package iam

import (
	"strings"

	"github.com/sealbox/sealbox/internal/iam/condition"
)

// Request is what a policy is asked about: who, what, on which resource, and
// the request context the conditions read.
//
// A Request is read, never written, by Evaluate and Decide; it may be shared
// by concurrent evaluations once built.
type Request struct {
	Principal Principal
	// Action is the action, e.g. "kms:Decrypt". It matches case-insensitively.
	Action string
	// Resource is the resource's ARN, or "*" for actions on no resource.
	// It matches case-sensitively.
	Resource string
	// Context holds the condition keys of the request (aws:SourceIp,
	// kms:EncryptionContext:purpose, aws:TagKeys ...) with their values.
	// Keys must be lower-case (Set lower-cases them): condition keys are
	// case-insensitive, values are not. A key holding the empty string is
	// present (StringEquals "" matches it, Null "false" holds); a key with
	// no values at all is an empty data set, which every operator treats as
	// absent, as AWS does (Null "true", ForAllValues true, ForAnyValue false).
	//
	// The keys aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType,
	// aws:username, aws:userid, aws:PrincipalServiceName and
	// aws:PrincipalIsAWSService are derived from Principal when Context does
	// not hold them. Time keys (aws:CurrentTime, aws:EpochTime) are the
	// caller's to set: this package reads no clock.
	Context map[string][]string
	// Caller holds the keys the caller's side of the request fixes, which
	// Context cannot override: read from here, the authorizer's keys need
	// no map built for each decision, and a service's map is not written.
	Caller CallerKeys
}

// CallerKeys are condition keys fixed by who calls and how, answered
// before Context: the global keys when Set (aws:SourceIp and
// aws:CalledVia when not ""), and aws:PrincipalTag/<key> from Tags alone
// when TagsSet, whatever Context holds (only the identity store says what
// a caller's tags are).
type CallerKeys struct {
	Set                    bool
	SourceIP               string
	CurrentTime, EpochTime string
	SecureTransport        bool
	RequestedRegion        string
	ViaAWSService          bool
	CalledVia              string // when not ""
	TagsSet                bool
	Tags                   map[string]string
}

const principalTagPrefix = "aws:principaltag/"

// value answers key if the caller's side fixes it: its value, whether it
// is present, and whether it is fixed here (else Context answers).
func (k *CallerKeys) value(key string) (string, bool, bool) {
	if k.TagsSet && strings.HasPrefix(key, principalTagPrefix) {
		v, ok := k.Tags[key[len(principalTagPrefix):]]
		return v, ok, true
	}
	if !k.Set {
		return "", false, false
	}
	switch key {
	case "aws:sourceip":
		if k.SourceIP != "" {
			return k.SourceIP, true, true
		}
	case "aws:currenttime":
		return k.CurrentTime, true, true
	case "aws:epochtime":
		return k.EpochTime, true, true
	case "aws:securetransport":
		return boolString(k.SecureTransport), true, true
	case "aws:requestedregion":
		return k.RequestedRegion, true, true
	case "aws:viaawsservice":
		return boolString(k.ViaAWSService), true, true
	case "aws:calledvia":
		if k.CalledVia != "" {
			return k.CalledVia, true, true
		}
	}
	return "", false, false
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Set stores a condition key's values, lower-casing the key.
func (r *Request) Set(key string, values ...string) {
	if r.Context == nil {
		r.Context = make(map[string][]string)
	}
	r.Context[strings.ToLower(key)] = values
}

// requestContext is how conditions and policy variables read a Request.
// It is the Request itself, so that passing it as an interface does not
// allocate.
type requestContext Request

var _ condition.Context = (*requestContext)(nil)

// Values implements condition.Context.
func (c *requestContext) Values(key string) (condition.Values, bool) {
	if v, ok, fixed := c.Caller.value(key); fixed {
		if !ok {
			return condition.Values{}, false
		}
		return condition.One(v), true
	}
	if v, ok := c.Context[key]; ok {
		return condition.List(v), true
	}
	if s, ok := c.derived(key); ok {
		return condition.One(s), true
	}
	return condition.Values{}, false
}

// Var implements condition.Context: a policy variable resolves to a key
// with exactly one value (multivalued keys cannot be policy variables).
func (c *requestContext) Var(key string) (string, bool) {
	if v, ok, fixed := c.Caller.value(key); fixed {
		return v, ok
	}
	if v, ok := c.Context[key]; ok {
		if len(v) == 1 {
			return v[0], true
		}
		return "", false
	}
	return c.derived(key)
}

// derived answers the global condition keys that follow from the principal.
func (c *requestContext) derived(key string) (string, bool) {
	p := &c.Principal
	service := p.Type == TypeService
	switch key {
	case "aws:principalarn":
		switch {
		case service:
		case p.Type == TypeAssumedRole && p.RoleARN != "":
			return p.RoleARN, true
		case p.ARN != "":
			return p.ARN, true
		}
	case "aws:principalaccount":
		if !service && p.AccountID != "" {
			return p.AccountID, true
		}
	case "aws:principaltype":
		switch p.Type {
		case TypeRoot:
			return "Account", true
		case TypeIAMUser:
			return "User", true
		case TypeAssumedRole:
			return "AssumedRole", true
		}
	case "aws:username":
		if p.Type == TypeIAMUser && p.UserName != "" {
			return p.UserName, true
		}
	case "aws:userid":
		switch {
		case p.UserID != "":
			return p.UserID, true
		case p.Type == TypeRoot && p.AccountID != "":
			return p.AccountID, true
		}
	case "aws:principalservicename":
		if service && p.Service != "" {
			return p.Service, true
		}
	case "aws:principalisawsservice":
		if service {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
