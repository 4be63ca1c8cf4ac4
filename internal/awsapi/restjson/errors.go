package restjson

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// commonStatus is the status of the errors every REST-JSON service can
// answer although its model does not list them: the request path's own
// errors, with the statuses the REST-JSON front ends send (a refused
// signature is 403 there, where the AWS JSON services send 400).
var commonStatus = map[string]int{
	"AccessDeniedException":               403,
	"ExpiredTokenException":               403,
	"IncompleteSignatureException":        403,
	"InternalFailure":                     500,
	"InvalidSignatureException":           403,
	"MissingAuthenticationTokenException": 403,
	"RequestEntityTooLargeException":      413,
	"SerializationException":              400,
	"ServiceUnavailable":                  503,
	"ServiceUnavailableException":         503,
	"ThrottlingException":                 429,
	"UnknownOperationException":           404,
	"UnrecognizedClientException":         403,
	"ValidationException":                 400,
}

// exceptions maps each model's wire error codes to their exception shapes:
// a shape's name, and the code its error trait names if any.
var exceptions sync.Map // *model.Service → map[string]*model.Shape

// exception returns the model's exception shape for a wire code, or nil.
func exception(m *model.Service, code string) *model.Shape {
	if m == nil || code == "" {
		return nil
	}
	v, ok := exceptions.Load(m)
	if !ok {
		codes := map[string]*model.Shape{}
		for _, sh := range m.Shapes {
			if sh != nil && sh.Exception && sh.Error != nil && sh.Error.Code != "" {
				codes[sh.Error.Code] = sh
			}
		}
		for name, sh := range m.Shapes {
			if sh != nil && sh.Exception {
				codes[name] = sh
			}
		}
		v, _ = exceptions.LoadOrStore(m, codes)
	}
	return v.(map[string]*model.Shape)[code]
}

// Status returns the HTTP status of the error code as m's REST-JSON
// answers carry it: the model's error.httpStatusCode (Lambda:
// ResourceNotFoundException 404, ResourceConflictException 409,
// PreconditionFailedException 412, TooManyRequestsException 429,
// ServiceException 500), 400 or 500 for a modelled error without one, else
// the status of the errors every REST-JSON service shares (403 for refused
// signatures, 400 ValidationException, 404 UnknownOperationException …).
// ok is false for a code neither knows.
func Status(m *model.Service, code string) (status int, ok bool) {
	if sh := exception(m, code); sh != nil {
		if sh.Error != nil && sh.Error.HTTPStatusCode != 0 {
			return sh.Error.HTTPStatusCode, true
		}
		if sh.Fault {
			return http.StatusInternalServerError, true
		}
		return http.StatusBadRequest, true
	}
	st, ok := commonStatus[code]
	return st, ok
}

// paramCode is the code of a label, query parameter or header that cannot
// be read as its type: Lambda's InvalidParameterValueException ("One of
// the parameters in the request is not valid", 400), else Smithy's
// SerializationException.
func paramCode(m *model.Service) string {
	if exception(m, "InvalidParameterValueException") != nil {
		return "InvalidParameterValueException"
	}
	return "SerializationException"
}

// bodyCode is the code of a body that is not JSON or not of the model's
// types: Lambda's InvalidRequestContentException ("The request body could
// not be parsed as JSON", 400), else Smithy's SerializationException.
func bodyCode(m *model.Service) string {
	if exception(m, "InvalidRequestContentException") != nil {
		return "InvalidRequestContentException"
	}
	return "SerializationException"
}

// EncodeError answers the REST-JSON error shape as Lambda sends it:
//
//	HTTP/1.1 404 Not Found
//	X-Amzn-Errortype: ResourceNotFoundException
//	X-Amzn-Requestid: …
//	Content-Type: application/json
//
//	{"Type":"User","Message":"Function not found: arn:aws:lambda:…"}
//
// The code travels in x-amzn-ErrorType, where aws-sdk-go-v2 and botocore
// look first. For an error of m's model the body is the exception's
// members: Type ("User" for the caller's fault, "Service" for a fault) and
// the message under the member's own spelling (Lambda's exceptions have
// Message or message, and the SDKs' typed errors read only their own). For
// another code (the request path's common errors) it is
// {"message":"…"}. A status of 0 is Status(m, code), else 400.
//
// An exception whose model has a Reason member carries the reason sealbox
// always means by that code (reasons): Lambda's TooManyRequestsException
// says "Reason":"CallerRateLimitExceeded". Members the model binds to
// headers are the caller's to set on w before the call (the router sets
// Retry-After, Lambda's retryAfterSeconds, on every 429 it sends);
// EncodeError keeps the headers it finds.
func EncodeError(w http.ResponseWriter, m *model.Service, status int, code, message, requestID string) {
	EncodeErrorReason(w, m, status, code, message, "", requestID)
}

// EncodeErrorReason is EncodeError with the Reason member's value given
// (one the model's enum lists), for a code that has several (Lambda's
// TooManyRequestsException: ConcurrentInvocationLimitExceeded when an
// Invoke finds no execution environment free).
func EncodeErrorReason(w http.ResponseWriter, m *model.Service, status int, code, message, why, requestID string) {
	if status == 0 {
		var ok bool
		if status, ok = Status(m, code); !ok {
			status = http.StatusBadRequest
		}
	}
	var body map[string]any
	if sh := exception(m, code); sh != nil {
		typ := "User"
		if sh.Fault {
			typ = "Service"
		}
		body = map[string]any{}
		if _, ok := sh.Members["Type"]; ok {
			body["Type"] = typ
		}
		body[messageMember(sh)] = message
		if r := reason(m, sh, code, why); r != "" {
			body["Reason"] = r
		}
	} else {
		body = map[string]any{"message": message}
	}
	b := marshal(body)
	h := w.Header()
	h.Set("x-amzn-ErrorType", code)
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	if requestID != "" {
		h.Set("x-amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	w.Write(b)
}

// reasons is the Reason of each exception code whose model gives it one,
// as sealbox means the code: every TooManyRequestsException it sends
// refuses a caller over a request budget (the spool's budget of large
// bodies); Invoke's throttles give their own (sealbox.Error.Reason).
var reasons = map[string]string{
	"TooManyRequestsException": "CallerRateLimitExceeded",
}

// reason returns the Reason member's value for an exception of code, or ""
// when the shape has no Reason member or its enum does not list the value.
func reason(m *model.Service, sh *model.Shape, code, given string) string {
	r, ok := reasons[code]
	if given != "" {
		r, ok = given, true
	}
	ref := sh.Members["Reason"]
	if !ok || ref == nil || ref.Location != "" {
		return ""
	}
	if enum := m.Shapes[ref.Shape]; enum == nil || !slices.Contains(enum.Enum, r) {
		return ""
	}
	return r
}

// messageMember is the member of an exception that carries its message:
// message or Message as the model spells it.
func messageMember(sh *model.Shape) string {
	for name := range sh.Members {
		if strings.EqualFold(name, "message") {
			return name
		}
	}
	return "message"
}

// marshal writes v as compact JSON with <, > and & as they are, as AWS
// does.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
