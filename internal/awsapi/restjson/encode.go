// Package restjson is the AWS REST-JSON protocol (Lambda's API) at the
// edges of the shared request path, as package query is for AWS Query: a
// Table finds the operation from the method and path, Decode turns the
// request's labels, query parameters, headers and JSON body into the same
// generic value an AWS JSON request of that shape decodes to, so that
// validation, audit redaction and binding into the operation's Go types are
// shared, and Encode and EncodeError write the typed output, or an error,
// back as REST-JSON.
//
// The wire forms follow botocore's RestJSONSerializer and RestJSONParser
// and aws-sdk-go-v2's restjson1 protocol:
//
//	uri label       percent-encoded segment ({Name+}: segments, slashes kept)
//	querystring     ?Name=value, a list as repeated keys
//	header          text; a list comma-separated; a jsonvalue base64
//	headers         a map as Prefix-Key headers
//	statusCode      the HTTP status of an answer
//	payload         the whole body (blob: bytes, structure: JSON)
//	body members    a JSON object keyed by locationName, else member name
//	boolean         true, false
//	timestamp       epoch seconds in JSON, ISO 8601 in labels and queries,
//	                HTTP dates in headers, unless the model's
//	                timestampFormat says otherwise
//	blob            base64 (except as a payload)
package restjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sealbox/sealbox/internal/awsapi/model"
)

// ContentType is the Content-Type of JSON answers and errors (what Lambda
// sends).
const ContentType = "application/json"

// Encode writes the answer of operation op. out, the operation's typed
// output, is marshalled with encoding/json, read generically, and written
// where output's members are bound:
//
//   - the status is the output's statusCode member when it is set (Lambda's
//     DeleteFunction answers StatusCode 204), else the operation's
//     http.responseCode, else 200;
//   - header members are headers (timestamps as HTTP dates unless the model
//     says otherwise; lists comma-separated), a headers map is one header per
//     key after its prefix;
//   - a payload member is the whole body: a blob's bytes
//     (application/octet-stream), a string's text (text/plain), else its
//     JSON;
//   - otherwise the body members are the body's JSON object, keyed by
//     locationName or member name, with nulls and members the model does not
//     know left out and timestamps in the model's format (epoch seconds by
//     default). An output with no body members, or none at all (output nil),
//     has an empty body, as has any 204 or 304 answer (which has no
//     Content-Length either).
//
// It sets x-amzn-RequestId and Content-Type (application/json unless a
// payload or a header member says otherwise). Nothing is written unless the
// whole answer could be built: an error means out does not fit the model, a
// bug for the router to answer as an internal error.
func Encode(w http.ResponseWriter, m *model.Service, op string, output *model.Shape, out any, requestID string) error {
	status := http.StatusOK
	if o := m.Operations[op]; o != nil && o.HTTP.ResponseCode != 0 {
		status = o.HTTP.ResponseCode
	}
	headers := http.Header{}
	contentType := ContentType
	var body []byte
	if output != nil && output.Type == "structure" {
		raw, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("restjson: %s output: %w", op, err)
		}
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("restjson: %s output: %w", op, err)
		}
		fields, ok := v.(map[string]any)
		if v != nil && !ok {
			return fmt.Errorf("restjson: %s output: %T for a structure", op, v)
		}
		e := encoder{m: m, op: op}
		bodyFields := map[string]any{}
		bodyMembers := false
		for _, mem := range output.SortedMembers() {
			sh := m.Shapes[mem.Ref.Shape]
			if sh == nil {
				continue
			}
			val := fields[mem.Name]
			name := locationName(mem.Name, mem.Ref)
			switch mem.Ref.Location {
			case "statusCode":
				if n, ok := val.(json.Number); ok {
					if i, err := strconv.Atoi(string(n)); err == nil && i >= 100 && i <= 599 {
						status = i
					} else if err != nil || i != 0 {
						return fmt.Errorf("restjson: %s output: status code %s", op, n)
					}
				}
			case "header":
				if val == nil {
					continue
				}
				s, err := e.header(sh, mem.Ref, val, mem.Name)
				if err != nil {
					return err
				}
				if s != "" || sh.Type != "list" {
					headers.Set(name, s)
				}
			case "headers":
				entries, ok := val.(map[string]any)
				if val != nil && !ok {
					return fmt.Errorf("restjson: %s output: %s: %T for a map", op, mem.Name, val)
				}
				for k, ev := range entries {
					if ev == nil || sh.Value == nil {
						continue
					}
					s, err := e.header(m.Shapes[sh.Value.Shape], sh.Value, ev, mem.Name)
					if err != nil {
						return err
					}
					if !validHeaderName(name + k) {
						return fmt.Errorf("restjson: %s output: %s: %q cannot be a header name", op, mem.Name, name+k)
					}
					// The key as it is, not in canonical case: a
					// client's map gets back the keys it sent.
					headers[name+k] = []string{s}
				}
			case "uri", "querystring":
				// Not in answers.
			default:
				if output.Payload != "" {
					continue
				}
				bodyMembers = true
				if val == nil {
					continue
				}
				wv, err := e.body(sh, mem.Ref, val, mem.Name)
				if err != nil {
					return err
				}
				bodyFields[name] = wv
			}
		}
		switch {
		case output.Payload != "":
			ref := output.Members[output.Payload]
			if ref == nil {
				break
			}
			val := fields[output.Payload]
			if val == nil {
				break
			}
			switch sh := m.Shapes[ref.Shape]; {
			case sh == nil:
			case sh.Type == "blob":
				s, ok := val.(string)
				b, err := base64.StdEncoding.DecodeString(s)
				if !ok || err != nil {
					return fmt.Errorf("restjson: %s output: %s is not base64", op, output.Payload)
				}
				body, contentType = b, "application/octet-stream"
			case sh.Type == "string":
				s, ok := val.(string)
				if !ok {
					return fmt.Errorf("restjson: %s output: %T for the string %s", op, val, output.Payload)
				}
				body, contentType = []byte(s), "text/plain"
			default:
				wv, err := e.body(sh, ref, val, output.Payload)
				if err != nil {
					return err
				}
				body = marshal(wv)
			}
		case bodyMembers:
			body = marshal(bodyFields)
		}
	}
	noBody := status == http.StatusNoContent || status == http.StatusNotModified || status < 200
	if noBody {
		body = nil
	}
	h := w.Header()
	for k, vs := range headers {
		h[k] = vs
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", contentType)
	}
	if !noBody {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if requestID != "" {
		h.Set("x-amzn-RequestId", requestID)
	}
	w.WriteHeader(status)
	if len(body) > 0 {
		_, err := w.Write(body)
		return err
	}
	return nil
}

type encoder struct {
	m  *model.Service
	op string
}

func (e *encoder) errorf(path, format string, args ...any) error {
	return fmt.Errorf("restjson: %s output: %s: %s", e.op, path, fmt.Sprintf(format, args...))
}

// body turns a generic value of sh into its JSON form in a body: structure
// members renamed to their JSON names, unknown members and nulls dropped,
// timestamps in the model's format (epoch seconds unless it says
// otherwise).
func (e *encoder) body(sh *model.Shape, ref *model.Ref, v any, path string) (any, error) {
	if sh == nil || v == nil {
		return nil, nil
	}
	switch sh.Type {
	case "structure", "union":
		fields, ok := v.(map[string]any)
		if !ok {
			return nil, e.errorf(path, "%T for a structure", v)
		}
		out := map[string]any{}
		for _, mem := range sh.SortedMembers() {
			fv := fields[mem.Name]
			if fv == nil {
				continue
			}
			wv, err := e.body(e.m.Shapes[mem.Ref.Shape], mem.Ref, fv, path+"."+mem.Name)
			if err != nil {
				return nil, err
			}
			out[locationName(mem.Name, mem.Ref)] = wv
		}
		return out, nil
	case "list":
		l, ok := v.([]any)
		if !ok {
			return nil, e.errorf(path, "%T for a list", v)
		}
		out := make([]any, len(l))
		if sh.Member == nil {
			return out, nil
		}
		for i, item := range l {
			wv, err := e.body(e.m.Shapes[sh.Member.Shape], sh.Member, item, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = wv
		}
		return out, nil
	case "map":
		entries, ok := v.(map[string]any)
		if !ok {
			return nil, e.errorf(path, "%T for a map", v)
		}
		out := make(map[string]any, len(entries))
		for k, item := range entries {
			if sh.Value == nil {
				out[k] = item
				continue
			}
			wv, err := e.body(e.m.Shapes[sh.Value.Shape], sh.Value, item, path+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = wv
		}
		return out, nil
	case "timestamp":
		t, ok := genericTime(v)
		if !ok {
			return nil, e.errorf(path, "%v is not a timestamp", v)
		}
		return formatTime(t, timestampFormat(sh, ref, "unixTimestamp")), nil
	}
	return v, nil
}

// header turns a generic value of sh into a header's text.
func (e *encoder) header(sh *model.Shape, ref *model.Ref, v any, path string) (string, error) {
	if sh == nil {
		return "", e.errorf(path, "no shape")
	}
	switch sh.Type {
	case "list":
		l, ok := v.([]any)
		if !ok {
			return "", e.errorf(path, "%T for a list", v)
		}
		if sh.Member == nil {
			return "", nil
		}
		esh := e.m.Shapes[sh.Member.Shape]
		items := make([]string, 0, len(l))
		for _, item := range l {
			if item == nil {
				continue
			}
			s, err := e.header(esh, sh.Member, item, path)
			if err != nil {
				return "", err
			}
			if esh != nil && esh.Type == "string" && strings.ContainsAny(s, `,"`) {
				s = `"` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `"`, `\"`) + `"`
			}
			items = append(items, s)
		}
		return strings.Join(items, ", "), nil
	case "timestamp":
		t, ok := genericTime(v)
		if !ok {
			return "", e.errorf(path, "%v is not a timestamp", v)
		}
		return fmt.Sprint(formatTime(t, timestampFormat(sh, ref, "rfc822"))), nil
	case "string", "character":
		s, ok := v.(string)
		if !ok {
			return "", e.errorf(path, "%T for a string", v)
		}
		if ref != nil && ref.JSONValue {
			return base64.StdEncoding.EncodeToString([]byte(s)), nil
		}
		return s, nil
	case "boolean":
		b, ok := v.(bool)
		if !ok {
			return "", e.errorf(path, "%T for a boolean", v)
		}
		return strconv.FormatBool(b), nil
	case "structure", "map", "union":
		return "", e.errorf(path, "a %s cannot be a header", sh.Type)
	}
	switch v := v.(type) {
	case json.Number:
		return string(v), nil
	case string:
		return v, nil
	}
	return "", e.errorf(path, "%T for a %s", v, sh.Type)
}

// validHeaderName reports whether s is an HTTP field name (an RFC 9110
// token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
