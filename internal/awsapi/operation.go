// Package awsapi is the protocol core of the request path: it finds the
// service and operation a request names, authenticates it, checks its input
// against the service model, calls the service, records the audit event and
// encodes the answer or the AWS error shape. It knows nothing of keys,
// secrets or the store; services know nothing of HTTP.
package awsapi

import (
	"context"
	"reflect"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// Service is one AWS surface the router serves.
type Service struct {
	// Name is the model's name and the SigV4 signing name ("kms").
	Name string
	// EventSource is the CloudTrail eventSource ("kms.amazonaws.com").
	EventSource string
	// InternalError is the code answered for an unexpected failure
	// ("KMSInternalException").
	InternalError string
	// Operations are the operations served; others are unknown.
	Operations []Operation
	// MaxBody bounds a request body when the router's bound is not
	// enough (Lambda takes code uploads); 0 keeps the router's.
	MaxBody int64
	// TooLarge is the code for a body over MaxBody (Lambda's
	// RequestTooLargeException); "" answers RequestEntityTooLargeException.
	TooLarge string

	model *model.Service
	query bool // served over the AWS Query protocol
	// internalModelled: the model has InternalError, so a store that
	// cannot be reached answers it (else ServiceUnavailable).
	internalModelled bool
	// errorCodes are the codes its calls' errors are counted by, sorted.
	errorCodes []string
}

// Operation binds an operation name to the service method that serves it.
// Make one with Read or Write.
type Operation struct {
	Name     string
	ReadOnly bool
	// NoResponseElements records the call without its answer's members,
	// as CloudTrail records a data event (Lambda's Invoke: its answer is
	// the function's, its log may hold anything the function printed).
	NoResponseElements bool
	// Unsigned serves the operation without a SigV4 signature, as the
	// model's authtype "none" says AWS does (STS's
	// AssumeRoleWithWebIdentity: its token is the credential). Its caller
	// is no principal: the operation must authenticate the request
	// itself. Set it with WithoutSignature; Register refuses it where the
	// model does not say authtype "none". Every other operation's
	// signature is checked.
	Unsigned bool
	// call binds the request's generic value (validated against the model)
	// into a new input with bind and calls the service method.
	call func(ctx context.Context, bind binder, in map[string]any) (any, error)
	// in and out are the Go types of the input and output, checked against
	// the model once at Register, where bind is made for in.
	in, out reflect.Type
	bind    binder
}

// valueBinder is an input type with the binder wiregen writes for the
// wire types: the rules and errors of the reflective binder (bind.go),
// without reflection (held to it by wirecodec_test.go).
type valueBinder interface {
	BindValue(v map[string]any) error
}

// jsonAppender is an output type with the JSON encoder wiregen writes for
// the wire types: encoding/json's bytes, without reflection.
type jsonAppender interface {
	AppendJSON(b []byte) ([]byte, error)
}

// Read binds a read-only operation (CloudTrail's readOnly: true).
func Read[I, O any](name string, fn func(context.Context, *I) (*O, error)) Operation {
	return Operation{Name: name, ReadOnly: true, call: bind(fn), in: reflect.TypeFor[I](), out: reflect.TypeFor[O]()}
}

// WithoutResponseElements returns op recorded without its answer's
// members (NoResponseElements).
func (op Operation) WithoutResponseElements() Operation {
	op.NoResponseElements = true
	return op
}

// WithoutSignature returns op served without a signature (Operation.Unsigned).
func (op Operation) WithoutSignature() Operation {
	op.Unsigned = true
	return op
}

// Write binds an operation that changes state.
func Write[I, O any](name string, fn func(context.Context, *I) (*O, error)) Operation {
	return Operation{Name: name, call: bind(fn), in: reflect.TypeFor[I](), out: reflect.TypeFor[O]()}
}

func bind[I, O any](fn func(context.Context, *I) (*O, error)) func(context.Context, binder, map[string]any) (any, error) {
	return func(ctx context.Context, b binder, v map[string]any) (any, error) {
		in := new(I)
		var err error
		if vb, ok := any(in).(valueBinder); ok {
			err = vb.BindValue(v)
		} else {
			err = b(v, reflect.ValueOf(in).Elem(), "")
		}
		if err != nil {
			return nil, errSerialization(err)
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		if out == nil {
			return struct{}{}, nil
		}
		return out, nil
	}
}
