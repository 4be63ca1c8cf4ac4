// Package query is the AWS Query protocol (IAM, STS) at the edges of the
// shared request path: it turns a form-encoded request into the same generic
// value a JSON request of that shape decodes to, so that validation, audit
// redaction and binding into the operation's Go types are shared with the
// JSON protocols, and it writes the typed output, or an error, as the Query
// protocol's XML.
//
// The wire forms follow botocore's QuerySerializer and QueryParser and
// aws-sdk-go-v2's query encoder and awsquery deserializers:
//
//	structure member   Parent.Member
//	list               List.member.1, List.member.2 (List.1 when flattened;
//	                   "List=" is an empty list)
//	map                Map.entry.1.key, Map.entry.1.value (Map.1.key when
//	                   flattened)
//	boolean            true, false
//	timestamp          ISO 8601 (2026-11-23T10:00:00Z)
//	blob               base64
package query

import (
	"bytes"
	"mime"
	"net/http"
	"net/url"

	"github.com/sealbox/sealbox"
)

// ContentType is the Content-Type of Query answers, success and error alike
// (what IAM and STS send).
const ContentType = "text/xml"

// IsQuery reports whether r looks like a Query request: it names no
// X-Amz-Target, and it is a POST of a form body or carries an Action query
// parameter (a presigned STS GetCallerIdentity, for one, is a GET).
func IsQuery(r *http.Request) bool {
	if r.Header.Get("X-Amz-Target") != "" {
		return false
	}
	if r.Method == http.MethodPost && isForm(r.Header.Get("Content-Type")) {
		return true
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	return err == nil && q.Get("Action") != ""
}

func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// ParseRequest reads a Query request: a POST with an
// application/x-www-form-urlencoded body (what every SDK sends), whose URL
// query parameters are added after the body's, or a GET with the parameters
// in the URL query. It returns the Action and Version and the other
// parameters. A failure is a *sealbox.Error the router can answer as it is:
// MalformedQueryString for bad encoding, MissingAction when there is no
// Action, InvalidAction for another method or a POST body that is not a form.
func ParseRequest(r *http.Request, body []byte) (action, version string, form url.Values, err error) {
	switch r.Method {
	case http.MethodGet:
		form, err = url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return "", "", nil, malformedQuery()
		}
	case http.MethodPost:
		ct := r.Header.Get("Content-Type")
		switch {
		case isForm(ct):
			form, err = url.ParseQuery(string(body))
			if err != nil {
				return "", "", nil, malformedQuery()
			}
		case len(bytes.TrimSpace(body)) == 0:
			form = url.Values{}
		default:
			return "", "", nil, &sealbox.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
				Message: "The request body must be application/x-www-form-urlencoded."}
		}
		q, qerr := url.ParseQuery(r.URL.RawQuery)
		if qerr != nil {
			return "", "", nil, malformedQuery()
		}
		for k, vs := range q {
			form[k] = append(form[k], vs...)
		}
	default:
		return "", "", nil, &sealbox.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "The HTTP method " + r.Method + " is not supported: send a POST of a form or a GET."}
	}
	action, version = form.Get("Action"), form.Get("Version")
	delete(form, "Action")
	delete(form, "Version")
	if action == "" {
		return "", version, form, &sealbox.Error{Code: "MissingAction", Status: http.StatusBadRequest,
			Message: "The request must contain the parameter Action."}
	}
	return action, version, form, nil
}

func malformedQuery() *sealbox.Error {
	return &sealbox.Error{Code: "MalformedQueryString", Status: http.StatusNotFound,
		Message: "The query string contains a syntax error."}
}
