package awsapi

import (
	"net/http"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/query"
	"github.com/sealbox/sealbox/internal/ids"
)

// Refuse answers r with e in the error shape of r's protocol, without a
// Router and without reading the body or checking the signature: for a
// server that serves no call at all for now (sealed), so that every SDK
// reads the refusal as it would the service's own (AWS JSON 1.1 __type,
// Query's <ErrorResponse>, REST-JSON's x-amzn-ErrorType). The protocol
// is told as the Router tells it: X-Amz-Target for AWS JSON, a form or an
// Action for Query (IAM or STS by the signature's scope), any other path
// for REST-JSON (Lambda).
func Refuse(w http.ResponseWriter, r *http.Request, e *sealbox.Error) {
	c := &call{reqID: ids.UUID(), header: w.Header()}
	setHeader(c.header, "X-Amzn-Requestid", &c.idValue, c.reqID)
	var p codec = jsonCodec{}
	switch {
	case headerValue(r.Header, "X-Amz-Target") != "":
	case query.IsQuery(r):
		p, c.svc = queryCodec{}, &Service{model: model.Load(queryService(r))}
	case r.URL.Path != "/":
		p, c.svc = restCodec{}, &Service{model: model.Load("lambda")}
	}
	p.encodeError(w, c, e)
}

// queryService is the Query service a request is signed for: "sts" when
// its credential scope names STS, "iam" otherwise.
func queryService(r *http.Request) string {
	scope := r.Header.Get("Authorization")
	if scope == "" {
		scope = r.URL.Query().Get("X-Amz-Credential")
	}
	if strings.Contains(scope, "/sts/aws4_request") {
		return "sts"
	}
	return "iam"
}
