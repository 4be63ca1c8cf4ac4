package query

import (
	"net/http"
	"strconv"
	"sync"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// commonStatus is the status of the errors every Query service can answer
// although its model does not list them: the common errors of the IAM and
// STS API references, with the codes IAM and STS really send for refused
// calls (AccessDenied, not AccessDeniedException; ValidationError, not
// ValidationException; Throttling).
var commonStatus = map[string]int{
	"AccessDenied":                403,
	"AccessDeniedException":       403,
	"ExpiredToken":                403,
	"IncompleteSignature":         400,
	"InternalFailure":             500,
	"InvalidAction":               400,
	"InvalidClientTokenId":        403,
	"InvalidParameterCombination": 400,
	"InvalidParameterValue":       400,
	"InvalidQueryParameter":       400,
	"MalformedQueryString":        404,
	"MissingAction":               400,
	"MissingAuthenticationToken":  403,
	"MissingParameter":            400,
	"NotAuthorized":               400,
	"OptInRequired":               403,
	"RequestExpired":              400,
	"ServiceUnavailable":          503,
	"SignatureDoesNotMatch":       403,
	"Throttling":                  400,
	"ThrottlingException":         400,
	"ValidationError":             400,
}

// errorStatus maps each model's wire error codes to their HTTP status.
var errorStatus sync.Map // *model.Service → map[string]int

func modelStatus(m *model.Service) map[string]int {
	if v, ok := errorStatus.Load(m); ok {
		return v.(map[string]int)
	}
	codes := map[string]int{}
	for name, sh := range m.Shapes {
		if !sh.Exception {
			continue
		}
		code, st := name, 0
		if sh.Error != nil {
			if sh.Error.Code != "" {
				code = sh.Error.Code
			}
			st = sh.Error.HTTPStatusCode
		}
		if st == 0 {
			st = http.StatusBadRequest
			if sh.Fault {
				st = http.StatusInternalServerError
			}
		}
		codes[code] = st
	}
	v, _ := errorStatus.LoadOrStore(m, codes)
	return v.(map[string]int)
}

// Status returns the HTTP status of the error code as m's Query answers
// carry it: the model's error.httpStatusCode for the code its error trait
// names (IAM's NoSuchEntityException is sent as NoSuchEntity, 404), 400 or
// 500 for a modelled error without one, else the status of the Query
// protocol's common errors. ok is false for a code neither knows.
func Status(m *model.Service, code string) (status int, ok bool) {
	if m != nil {
		if st, ok := modelStatus(m)[code]; ok {
			return st, true
		}
	}
	st, ok := commonStatus[code]
	return st, ok
}

// EncodeError answers the Query error shape, with Content-Type text/xml:
//
//	<ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error><RequestId>…</RequestId></ErrorResponse>
//
// The namespace is m's (none for a nil m). Type is Sender for the caller's
// fault, Receiver for the server's. A status of 0 is Status(m, code), else
// 400 for a sender's fault and 500 for a receiver's. It also sets
// x-amzn-RequestId, as IAM and STS do.
func EncodeError(w http.ResponseWriter, m *model.Service, status int, code, message, requestID string, sender bool) {
	if status == 0 {
		var ok bool
		if status, ok = Status(m, code); !ok {
			status = http.StatusInternalServerError
			if sender {
				status = http.StatusBadRequest
			}
		}
	}
	typ := "Receiver"
	if sender {
		typ = "Sender"
	}
	e := encoder{m: m}
	e.open("ErrorResponse", Namespace(m))
	e.open("Error", "")
	e.open("Type", "")
	e.text(typ)
	e.close("Type")
	e.open("Code", "")
	e.text(code)
	e.close("Code")
	e.open("Message", "")
	e.text(message)
	e.close("Message")
	e.close("Error")
	e.open("RequestId", "")
	e.text(requestID)
	e.close("RequestId")
	e.close("ErrorResponse")
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Content-Length", strconv.Itoa(e.buf.Len()))
	if requestID != "" {
		h.Set("x-amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	w.Write(e.buf.Bytes())
}
