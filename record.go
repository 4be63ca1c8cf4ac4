package sealbox

import "context"

// Record is an event a call records beside its own one: the GetSecretValue
// of each secret a BatchGetSecretValue reads, each reference a function's
// cold start resolves. It is recorded as the caller of the Request in ctx,
// and never holds a value.
type Record struct {
	EventSource       string // "secretsmanager.amazonaws.com"
	EventName         string // "GetSecretValue"
	ReadOnly          bool
	RequestParameters map[string]any
	Resources         []Resource
	ErrorCode         string
	ErrorMessage      string
	AdditionalData    map[string]any
}

// Recorder takes Records to the audit trail, where the call's own event
// goes. An error means the record was not kept, and the call must fail
// (the audit trail fails closed).
type Recorder interface {
	Record(ctx context.Context, r *Record) error
}
