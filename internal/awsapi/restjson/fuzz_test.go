package restjson_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

// FuzzDecode feeds arbitrary request lines, headers and bodies to Match and
// Decode, for the operation the line matches and for fixed operations of
// Lambda and the test model: nothing may panic, a failure must be one of
// the codec's 400 errors, and a success must be a value the shared path
// (JSON, Validate, Redact) takes as it is.
func FuzzDecode(f *testing.F) {
	for _, seed := range []struct{ method, target, headers, body string }{
		{"POST", "/2015-03-31/functions", "Content-Type: application/json",
			`{"FunctionName":"f","Code":{"ZipFile":"UEsDBA=="},"Environment":{"Variables":{"A":"b"}},"Tags":{"t":"v"},"Timeout":3}`},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Af/configuration?Qualifier=%24LATEST", "", ""},
		{"GET", "/2015-03-31/functions?Marker=m&MaxItems=abc", "", ""},
		{"DELETE", "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af?tagKeys=a&tagKeys=b", "", ""},
		{"GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", "", ""},
		{"POST", "/2015-03-31/functions/f/invocations?Qualifier=1", "X-Amz-Invocation-Type: Event\nX-Amz-Log-Type: Tail", "\x00\xffpayload"},
		{"GET", "/2025-12-01/functions/f/durable-executions?StartedAfter=2026-11-23T10:00:00Z&Statuses=RUNNING&ReverseOrder=true", "", ""},
		{"PUT", "/v1/things/t%2F1/parts/a/b//c?str=s&flag=TRUE&count=1&big=-9&ratio=1e308&when=1795428000.5&name=a&name=&num=1&x=y",
			"X-Count: 7\nX-Flag: false\nX-When: Mon, 23 Nov 2026 10:00:00 GMT\nX-List: a, \"b,c\", \"d\\\"\nX-Dates: Mon, 23 Nov 2026 10:00:00 GMT, x\nX-Json: e30=\nX-Meta-A: 1",
			`{"Created":"2026-11-23T10:00:00Z","Items":[{"Child":{"Child":{"Size":1}}},null],"ItemsByName":{"k":{"renamed_name":"r"}},"Multi":{"k":["v"]},"Data":"AA=="}`},
		{"POST", "/v1/docs/d?action=send", "", `{"Id":"x","When":1e300}`},
		{"PUT", "/v1/texts/k", "", "\xff\xfe"},
		{"GET", "/v1/files/a/meta/b/meta", "", ""},
	} {
		f.Add(seed.method, seed.target, seed.headers, seed.body)
	}
	lambda, test := model.Load("lambda"), testModel(f)
	tables := map[*model.Service]*restjson.Table{lambda: restjson.NewTable(lambda), test: restjson.NewTable(test)}
	allowed := map[string]bool{"InvalidParameterValueException": true, "InvalidRequestContentException": true, "SerializationException": true}
	f.Fuzz(func(t *testing.T, method, target, headers, body string) {
		rawPath, rawQuery, _ := strings.Cut(target, "?")
		r := &http.Request{Method: method, URL: &url.URL{Path: rawPath, RawQuery: rawQuery}, Header: http.Header{}}
		for line := range strings.SplitSeq(headers, "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				r.Header.Add(k, strings.TrimSpace(v))
			}
		}
		type decodeTarget struct {
			m      *model.Service
			op     string
			labels map[string]string
		}
		fuzzLabels := map[string]string{"FunctionName": rawPath, "ThingId": rawQuery, "PartPath": body, "DocId": "d", "Key": "k",
			"VersionNumber": rawQuery, "Resource": rawPath}
		targets := []decodeTarget{
			{lambda, "CreateFunction", nil}, {lambda, "ListFunctions", nil}, {lambda, "Invoke", fuzzLabels},
			{lambda, "GetLayerVersion", fuzzLabels}, {lambda, "ListDurableExecutionsByFunction", fuzzLabels},
			{test, "PutThing", fuzzLabels}, {test, "SendDoc", fuzzLabels}, {test, "PutText", fuzzLabels},
		}
		for m, table := range tables {
			if op, labels, ok := table.Match(method, target); ok {
				if m.Operations[op] == nil {
					t.Fatalf("Match found %q, not in the model", op)
				}
				targets = append(targets, decodeTarget{m, op, labels})
			}
		}
		for _, tg := range targets {
			in := tg.m.InputShape(tg.op)
			v, err := restjson.Decode(r, []byte(body), tg.m, in, tg.labels)
			if err != nil {
				e, ok := sealbox.AsError(err)
				if !ok || !allowed[e.Code] || e.Status != http.StatusBadRequest || e.Server || e.Message == "" {
					t.Fatalf("%s: error %v", tg.op, err)
				}
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%s: %v does not marshal: %v", tg.op, v, err)
			}
			back := decodeJSON(t, b)
			if !sameValue(back, v) {
				t.Fatalf("%s: %v changes through JSON: %s", tg.op, v, b)
			}
			if err := tg.m.Validate(in, v); err != nil {
				// Decode has checked every type: only constraints are left.
				if _, ok := err.(*model.SerializationError); ok {
					t.Fatalf("%s: Validate found a type Decode let through: %v in %s", tg.op, err, b)
				}
			}
			tg.m.Redact(in, v)
		}
	})
}
