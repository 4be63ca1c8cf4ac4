package sealbox

import (
	"errors"
	"fmt"
)

// Error is the one error type that crosses the wire: an AWS error code, the
// message the client sees, and whether the fault is the server's. Anything a
// service returns that is not an *Error is logged with the request id and
// answered as the service's internal error, so internal details never leak.
type Error struct {
	// Code is the AWS error code, sent as __type (JSON) or <Code> (Query).
	Code string
	// Message is shown to the client. It must never contain secret material.
	Message string
	// Status overrides the HTTP status the protocol would pick for Code; 0
	// lets the protocol decide (400 for client errors, 500 for server faults).
	Status int
	// Server marks a fault of the server rather than of the request.
	Server bool
	// Reason fills the Reason member of an error shape that has one
	// (Lambda's TooManyRequestsException: why the call was throttled);
	// "" leaves the protocol's default.
	Reason string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns a client *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// AsError reports whether err is or wraps an *Error, and returns it.
func AsError(err error) (*Error, bool) {
	// The common cases without errors.As, whose target escapes: no error
	// (a batch read asks for each secret), or an *Error itself.
	if err == nil {
		return nil, false
	}
	if e, ok := err.(*Error); ok {
		return e, true
	}
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
