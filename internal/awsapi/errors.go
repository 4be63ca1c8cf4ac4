package awsapi

import (
	"net/http"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/sigv4"
)

// commonStatus is the status of the errors every AWS JSON service can answer
// although its model does not list them.
var commonStatus = map[string]int{
	"ValidationException":                 400,
	"SerializationException":              400,
	"UnknownOperationException":           400,
	"AccessDeniedException":               400,
	"MissingAuthenticationTokenException": 400,
	"IncompleteSignatureException":        400,
	"InvalidSignatureException":           400,
	"UnrecognizedClientException":         400,
	"ExpiredTokenException":               403, // AWS's common errors: expired temporary credentials
	"ThrottlingException":                 400,
	"RequestEntityTooLargeException":      413,
	"InternalFailure":                     500,
	"ServiceUnavailable":                  503,
	"InvalidClientTokenId":                403,
	"SignatureDoesNotMatch":               403,
	"MissingAuthenticationToken":          403,
	"IncompleteSignature":                 400,
	"ExpiredToken":                        400,
}

// status picks the HTTP status for err: the Error's own, else the model's,
// else the common table, else 500 for server faults and 400 for the rest.
func status(m *model.Service, e *sealbox.Error) int {
	if e.Status != 0 {
		return e.Status
	}
	if m != nil {
		if st, fault, ok := m.ErrorStatus(e.Code); ok {
			if st != 0 {
				return st
			}
			if fault {
				return http.StatusInternalServerError
			}
			return http.StatusBadRequest
		}
	}
	if st, ok := commonStatus[e.Code]; ok {
		return st
	}
	if e.Server {
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

func errSerialization(err error) *sealbox.Error {
	return &sealbox.Error{Code: "SerializationException", Message: "Could not parse the request body: " + jsonProblem(err)}
}

// jsonProblem describes a JSON decoding failure without echoing the input.
func jsonProblem(err error) string {
	switch err.(type) {
	case nil:
		return ""
	default:
		msg := err.Error()
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return msg
	}
}

// authError maps a sigv4 failure to the JSON protocols' code for it.
func authError(ae *sigv4.AuthError) *sealbox.Error {
	code := map[sigv4.Kind]string{
		sigv4.KindMissing:      "MissingAuthenticationTokenException",
		sigv4.KindIncomplete:   "IncompleteSignatureException",
		sigv4.KindUnknownKey:   "UnrecognizedClientException",
		sigv4.KindBadSignature: "InvalidSignatureException",
		sigv4.KindExpired:      "InvalidSignatureException",
		sigv4.KindInvalidToken: "UnrecognizedClientException",
		sigv4.KindExpiredToken: "ExpiredTokenException",
	}[ae.Kind]
	if code == "" {
		code = "IncompleteSignatureException"
	}
	return &sealbox.Error{Code: code, Message: ae.Message}
}

// queryNames are the Query protocol's names for the errors every protocol
// shares (IAM and STS answer ValidationError, AccessDenied …).
var queryNames = map[string]struct {
	code   string
	status int
}{
	"ValidationException":                 {"ValidationError", 400},
	"SerializationException":              {"InvalidParameterValue", 400},
	"AccessDeniedException":               {"AccessDenied", 403},
	"MissingAuthenticationTokenException": {"MissingAuthenticationToken", 403},
	"IncompleteSignatureException":        {"IncompleteSignature", 400},
	"UnrecognizedClientException":         {"InvalidClientTokenId", 403},
	"InvalidSignatureException":           {"SignatureDoesNotMatch", 403},
	"ExpiredTokenException":               {"ExpiredToken", 403},
	"RequestEntityTooLargeException":      {"RequestEntityTooLarge", 413},
	"UnknownOperationException":           {"InvalidAction", 400},
}

// queryCode is e's code as the Query protocol names it; its status travels
// in e.Status when the name changes.
func queryCode(e *sealbox.Error) string {
	if q, ok := queryNames[e.Code]; ok {
		if e.Status == 0 {
			e.Status = q.status
		}
		return q.code
	}
	return e.Code
}
