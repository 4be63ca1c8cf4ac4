package sealbox

import (
	"context"
	"encoding/json"
)

// Record is an event a call records beside its own one: the GetSecretValue
// of each secret a BatchGetSecretValue reads, each reference a function's
// cold start resolves. It is recorded as the caller of the Request in ctx,
// and never holds a value.
type Record struct {
	EventSource       string // "secretsmanager.amazonaws.com"
	EventName         string // "GetSecretValue"
	ReadOnly          bool
	RequestParameters map[string]any
	// Params, when RequestParameters is nil, are the requestParameters as
	// a list: a record made on every read (a batch's, a KMS call on the
	// caller's behalf) then makes no map.
	Params         Params
	Resources      []Resource
	ErrorCode      string
	ErrorMessage   string
	AdditionalData map[string]any
}

// Recorder takes Records to the audit trail, where the call's own event
// goes. An error means the record was not kept, and the call must fail
// (the audit trail fails closed).
type Recorder interface {
	Record(ctx context.Context, r *Record) error
}

// Params are an event's requestParameters as a short list of members,
// each name once, recorded as the JSON object of them (names in
// encoding/json's order for a map's keys, whatever the list's order). A
// string value held by pointer (*string) is recorded as the string: it
// boxes without an allocation.
type Params []AuditParameter

// MarshalJSON is the object a map of the same members makes.
func (p Params) MarshalJSON() ([]byte, error) {
	if p == nil {
		return []byte("null"), nil
	}
	m := make(map[string]any, len(p))
	for _, a := range p {
		m[a.Name] = a.Value
	}
	return json.Marshal(m)
}
