package awsapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/jsonvalue"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

// codec is one wire protocol at the two edges of the shared path: where the
// request names its operation and carries its input, and how answers and
// errors are written. Everything between (body, signature, validation,
// audit, the call) is the Router's, once for all protocols.
type codec interface {
	// find sets c.route, the operation r names (and c.svc, for the error
	// shape, as soon as the service is known). A codec whose operation is
	// named in the body (Query) reads it with Router.readBody.
	find(r *http.Request, c *call) *sealbox.Error
	// decode reads the input, once, into the generic value (see
	// jsonvalue) that is validated, audited and bound.
	decode(r *http.Request, c *call) (map[string]any, error)
	// encode writes a success; c.payload is the output as JSON.
	encode(w http.ResponseWriter, c *call, out any) error
	// encodeError writes e in the protocol's error shape, with the status
	// e carries or the one the protocol gives its code.
	encodeError(w http.ResponseWriter, c *call, e *sealbox.Error)
}

// codecFor picks the protocol of r: REST-JSON by its path, AWS Query by
// its form (or Action parameter), AWS JSON otherwise (X-Amz-Target).
func (rt *Router) codecFor(r *http.Request) codec {
	switch {
	case headerValue(r.Header, "X-Amz-Target") != "":
		return jsonCodec{rt} // neither of the others has one
	case r.URL.Path != "/" && len(rt.rest) > 0:
		return restCodec{rt}
	case query.IsQuery(r):
		return queryCodec{rt}
	}
	return jsonCodec{rt}
}

// headerValue is h.Get(key) for a key already in canonical form, without
// canonicalizing it again on every call.
func headerValue(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// model is the model of the call's service, nil before it is known.
func (c *call) model() *model.Service {
	if c.svc == nil {
		return nil
	}
	return c.svc.model
}

// jsonCodec is AWS JSON 1.1 (KMS, SSM, Secrets Manager, CloudTrail): the
// operation in X-Amz-Target, the input a JSON object.
type jsonCodec struct{ rt *Router }

func (p jsonCodec) find(r *http.Request, c *call) *sealbox.Error {
	rte := p.rt.byTarget[headerValue(r.Header, "X-Amz-Target")]
	if r.Method != http.MethodPost || rte == nil {
		return &sealbox.Error{Code: "UnknownOperationException"}
	}
	c.svc, c.route = rte.svc, rte
	return nil
}

func (jsonCodec) decode(_ *http.Request, c *call) (map[string]any, error) {
	v, err := jsonvalue.DecodeObjectNames(c.body, c.svc.model.Names())
	if err != nil {
		return nil, errSerialization(err)
	}
	return v, nil
}

func (jsonCodec) encode(w http.ResponseWriter, c *call, _ any) error {
	h := w.Header()
	setHeader(h, "Content-Type", &c.typeValue, "application/x-amz-json-1.1")
	if len(c.payload) > chunkingSize {
		// net/http would send an answer this long chunked, in three
		// writes (its buffer, the rest, the last chunk); with its length
		// it goes out in two, as one body.
		setHeader(h, "Content-Length", &c.lengthValue, strconv.Itoa(len(c.payload)))
	}
	w.Write(c.payload)
	return nil
}

// chunkingSize is how much of an answer net/http buffers
// (bufferBeforeChunkingSize) before it must send it chunked, its length
// unknown: an answer that fits is sent with a Content-Length net/http
// computes, and its header is left as net/http writes it.
const chunkingSize = 2048

func (jsonCodec) encodeError(w http.ResponseWriter, c *call, e *sealbox.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(status(c.model(), e))
	b, _ := json.Marshal(struct {
		Type    string `json:"__type"`
		Message string `json:"message,omitempty"`
	}{e.Code, e.Message})
	w.Write(b)
}

// queryCodec is AWS Query (IAM, STS): the operation in the form's Action,
// the input its other parameters, answers in XML.
type queryCodec struct{ rt *Router }

func (p queryCodec) find(r *http.Request, c *call) *sealbox.Error {
	if e := p.rt.readBody(r, c); e != nil {
		return e
	}
	action, _, form, err := query.ParseRequest(r, c.body)
	if err != nil {
		e, _ := sealbox.AsError(err)
		return e
	}
	rte := p.rt.byAction[action]
	if rte == nil {
		return &sealbox.Error{Code: "InvalidAction", Status: http.StatusBadRequest,
			Message: "Could not find operation " + action + " for version NO_VERSION_SPECIFIED"}
	}
	c.svc, c.route, c.form = rte.svc, rte, form
	return nil
}

func (queryCodec) decode(_ *http.Request, c *call) (map[string]any, error) {
	return query.Decode(c.form, c.svc.model, c.route.in)
}

func (queryCodec) encode(w http.ResponseWriter, c *call, out any) error {
	var buf bytes.Buffer
	if err := query.Encode(&buf, c.svc.model, c.route.op.Name, c.route.out, out, c.reqID); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", query.ContentType)
	if buf.Len() > chunkingSize {
		// Sent with its length, as AWS sends it, not chunked (jsonCodec).
		h.Set("Content-Length", strconv.Itoa(buf.Len()))
	}
	w.Write(buf.Bytes())
	return nil
}

// encodeError writes the Query error shape, with the Query names of the
// errors every protocol shares (ValidationError, AccessDenied …).
//
// An unsigned operation's own errors keep the names its model gives them:
// no signature was checked, so an ExpiredTokenException there is
// AssumeRoleWithWebIdentity's expired web identity token (400), not the
// expired signing credentials every Query service calls ExpiredToken (403).
func (queryCodec) encodeError(w http.ResponseWriter, c *call, e *sealbox.Error) {
	code := e.Code
	if c.route == nil || !c.route.op.Unsigned || !declares(c.svc.model, c.route.op.Name, e.Code) {
		code = queryCode(e)
	}
	query.EncodeError(w, c.model(), e.Status, code, e.Message, c.reqID, !e.Server)
}

// restCodec is REST-JSON (Lambda): the operation is the one whose method
// and URI template match; its input is gathered from the labels, query,
// headers and body.
type restCodec struct{ rt *Router }

func (p restCodec) find(r *http.Request, c *call) *sealbox.Error {
	for _, s := range p.rt.rest {
		// RequestURI, not URL.Path: a label may hold an escaped slash.
		if op, labels, ok := s.table.Match(r.Method, r.URL.RequestURI()); ok {
			c.svc, c.route, c.labels = s.svc, s.byName[op], labels
			break
		}
	}
	if c.route == nil {
		return &sealbox.Error{Code: "UnknownOperationException", Status: http.StatusNotFound}
	}
	return nil
}

func (p restCodec) decode(r *http.Request, c *call) (map[string]any, error) {
	body := c.body
	if c.spooled != nil {
		var err error
		if body, err = p.rt.restBody(c); err != nil {
			return nil, err
		}
	}
	raw, err := restjson.Decode(r, body, c.svc.model, c.route.in, c.labels)
	if err != nil {
		return nil, err
	}
	placeBlobs(raw, c.blobs)
	return raw, nil
}

func (restCodec) encode(w http.ResponseWriter, c *call, out any) error {
	return restjson.Encode(w, c.svc.model, c.route.op.Name, c.route.out, out, c.reqID)
}

// encodeError writes the REST-JSON error shape, with the status the error
// carries or the one REST-JSON gives its code (a refused signature is 403
// there).
func (restCodec) encodeError(w http.ResponseWriter, c *call, e *sealbox.Error) {
	restjson.EncodeErrorReason(w, c.model(), e.Status, e.Code, e.Message, e.Reason, c.reqID)
}

// declares reports whether the model lists code among op's errors.
func declares(m *model.Service, op, code string) bool {
	o := m.Operations[op]
	if o == nil {
		return false
	}
	for _, ref := range o.Errors {
		if sh := m.Shapes[ref.Shape]; sh != nil && sh.Error != nil && sh.Error.Code == code {
			return true
		}
	}
	return false
}
