package restjson_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi/model"
	"github.com/sealbox/sealbox/internal/awsapi/restjson"
)

type botocoreRequest struct {
	Name    string            `json:"name"`
	Model   string            `json:"model"`
	Op      string            `json:"op"`
	Method  string            `json:"method"`
	Target  string            `json:"target"`
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	JSON    string            `json:"json"`
}

// TestDecodeBotocore routes and decodes the requests botocore's
// RestJSONSerializer sends for real Lambda operations (with botocore's own
// Lambda model) and for the test model, and checks that each is the value
// botocore's JSONSerializer sends for the same parameters: what the shared
// path of the JSON protocols validates, redacts and binds. The decoded
// values are golden files in testdata/decode.
func TestDecodeBotocore(t *testing.T) {
	var cases []botocoreRequest
	if err := json.Unmarshal(python(t, nil, "botocore_requests.py", testModelPath), &cases); err != nil {
		t.Fatal(err)
	}
	models := map[string]*model.Service{"lambda": model.Load("lambda"), "test": testModel(t)}
	tables := map[string]*restjson.Table{}
	for name, m := range models {
		tables[name] = restjson.NewTable(m)
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases from botocore", len(cases))
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			m := models[c.Model]
			body, err := base64.StdEncoding.DecodeString(c.Body)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest(c.Method, "http://sealbox.test"+c.Target, bytes.NewReader(body))
			for k, v := range c.Headers {
				r.Header.Set(k, v)
			}
			if r.URL.RequestURI() != c.Target {
				t.Fatalf("the server sees %q for %q", r.URL.RequestURI(), c.Target)
			}
			op, labels, ok := tables[c.Model].Match(r.Method, r.URL.RequestURI())
			if !ok || op != c.Op {
				t.Fatalf("Match(%s %s) = %q %v, want %s", c.Method, c.Target, op, ok, c.Op)
			}
			in := m.InputShape(op)
			got, err := restjson.Decode(r, body, m, in, labels)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeJSON(t, []byte(c.JSON))
			if !sameValue(got, want) {
				t.Errorf("decoded\n%s\nbotocore's JSON for the same call\n%s", pretty(got), pretty(want))
			}
			// The shared path sees no difference.
			if g, w := fmt.Sprint(m.Validate(in, got)), fmt.Sprint(m.Validate(in, want)); g != w {
				t.Errorf("Validate: %s, for the JSON request %s", g, w)
			}
			if !sameValue(m.Redact(in, got), m.Redact(in, want)) {
				t.Errorf("Redact differs:\n%s\n%s", pretty(m.Redact(in, got)), pretty(m.Redact(in, want)))
			}
			golden(t, "decode/"+c.Name+".json", indentJSON(got))
		})
	}
}

func TestMatch(t *testing.T) {
	lambda, test := restjson.NewTable(model.Load("lambda")), restjson.NewTable(testModel(t))
	const arn = "arn:aws:lambda:us-east-1:123456789012:function:payments"
	const escapedARN = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Apayments"
	for _, tc := range []struct {
		table        *restjson.Table
		method, path string
		op           string // "" for no match
		labels       map[string]string
	}{
		{lambda, "GET", "/2015-03-31/functions", "ListFunctions", nil},
		{lambda, "GET", "/2015-03-31/functions/", "ListFunctions", nil},
		{lambda, "GET", "/2015-03-31/functions?MaxItems=5&Marker=x", "ListFunctions", nil},
		{lambda, "POST", "/2015-03-31/functions", "CreateFunction", nil},
		{lambda, "GET", "/2015-03-31/functions/payments", "GetFunction", map[string]string{"FunctionName": "payments"}},
		{lambda, "DELETE", "/2015-03-31/functions/payments?Qualifier=3", "DeleteFunction", map[string]string{"FunctionName": "payments"}},
		// A full ARN, as the SDKs escape it, with raw colons, and with
		// lower-case escapes; a partial ARN; a name with a qualifier.
		{lambda, "GET", "/2015-03-31/functions/" + escapedARN + "/configuration", "GetFunctionConfiguration", map[string]string{"FunctionName": arn}},
		{lambda, "GET", "/2015-03-31/functions/" + arn + ":live/configuration", "GetFunctionConfiguration", map[string]string{"FunctionName": arn + ":live"}},
		{lambda, "GET", "/2015-03-31/functions/" + strings.ToLower(escapedARN) + "/configuration", "GetFunctionConfiguration", map[string]string{"FunctionName": strings.ToLower(arn)}},
		{lambda, "GET", "/2015-03-31/functions/123456789012%3Afunction%3Apayments", "GetFunction", map[string]string{"FunctionName": "123456789012:function:payments"}},
		{lambda, "GET", "/2015-03-31/functions/payments%3A7", "GetFunction", map[string]string{"FunctionName": "payments:7"}},
		// An escaped slash stays in its segment.
		{lambda, "GET", "/2015-03-31/functions/a%2Fb/configuration", "GetFunctionConfiguration", map[string]string{"FunctionName": "a/b"}},
		{lambda, "PUT", "/2015-03-31/functions/payments/configuration", "UpdateFunctionConfiguration", map[string]string{"FunctionName": "payments"}},
		{lambda, "PUT", "/2015-03-31/functions/payments/code", "UpdateFunctionCode", map[string]string{"FunctionName": "payments"}},
		{lambda, "POST", "/2015-03-31/functions/payments/versions", "PublishVersion", map[string]string{"FunctionName": "payments"}},
		{lambda, "GET", "/2015-03-31/functions/payments/versions?MaxItems=2", "ListVersionsByFunction", map[string]string{"FunctionName": "payments"}},
		{lambda, "POST", "/2015-03-31/functions/payments/aliases", "CreateAlias", map[string]string{"FunctionName": "payments"}},
		{lambda, "GET", "/2015-03-31/functions/payments/aliases", "ListAliases", map[string]string{"FunctionName": "payments"}},
		{lambda, "GET", "/2015-03-31/functions/payments/aliases/live", "GetAlias", map[string]string{"FunctionName": "payments", "Name": "live"}},
		{lambda, "PUT", "/2015-03-31/functions/payments/aliases/live", "UpdateAlias", map[string]string{"FunctionName": "payments", "Name": "live"}},
		{lambda, "DELETE", "/2015-03-31/functions/payments/aliases/live", "DeleteAlias", map[string]string{"FunctionName": "payments", "Name": "live"}},
		{lambda, "POST", "/2017-03-31/tags/" + escapedARN, "TagResource", map[string]string{"Resource": arn}},
		{lambda, "GET", "/2017-03-31/tags/" + escapedARN, "ListTags", map[string]string{"Resource": arn}},
		{lambda, "DELETE", "/2017-03-31/tags/" + escapedARN + "?tagKeys=a&tagKeys=b", "UntagResource", map[string]string{"Resource": arn}},
		{lambda, "POST", "/2015-03-31/functions/payments/invocations", "Invoke", map[string]string{"FunctionName": "payments"}},
		{lambda, "DELETE", "/2015-03-31/functions/payments/policy/s1", "RemovePermission", map[string]string{"FunctionName": "payments", "StatementId": "s1"}},
		{lambda, "GET", "/2018-10-31/layers/deps/versions/3", "GetLayerVersion", map[string]string{"LayerName": "deps", "VersionNumber": "3"}},
		// Literal query parameters of the requestUri select the operation.
		{lambda, "GET", "/2018-10-31/layers", "ListLayers", nil},
		{lambda, "GET", "/2018-10-31/layers?MaxItems=3", "ListLayers", nil},
		{lambda, "GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", "GetLayerVersionByArn", nil},
		{lambda, "GET", "/2018-10-31/layers?Arn=x&find=LayerVersion", "GetLayerVersionByArn", nil},
		{lambda, "GET", "/2018-10-31/layers?find=Other", "ListLayers", nil},
		{lambda, "GET", "/2019-09-30/functions/payments/provisioned-concurrency?List=ALL&MaxItems=1", "ListProvisionedConcurrencyConfigs", map[string]string{"FunctionName": "payments"}},
		{lambda, "GET", "/2019-09-30/functions/payments/provisioned-concurrency?Qualifier=live", "GetProvisionedConcurrencyConfig", map[string]string{"FunctionName": "payments"}},
		// No match.
		{lambda, "PATCH", "/2015-03-31/functions", "", nil},
		{lambda, "GET", "/2015-03-31/functions/payments/unknown", "", nil},
		{lambda, "GET", "/2015-03-31/functions//configuration", "", nil},
		{lambda, "GET", "/2015-03-31/functions/%zz", "", nil},
		{lambda, "GET", "2015-03-31/functions", "", nil},
		{lambda, "GET", "/", "", nil},
		{lambda, "GET", "", "", nil},
		{lambda, "POST", "/", "", nil},
		{lambda, "get", "/2015-03-31/functions", "", nil},
		// Literal segments beat labels, labels beat greedy labels.
		{test, "GET", "/v1/things/special", "GetSpecialThing", nil},
		{test, "GET", "/v1/things/specials", "GetThing", map[string]string{"ThingId": "specials"}},
		{test, "GET", "/v1/things/%73pecial", "GetSpecialThing", nil},
		{test, "GET", "/v1/things/t1?versions", "ListThingVersions", map[string]string{"ThingId": "t1"}},
		{test, "GET", "/v1/things/t1?versions=", "ListThingVersions", map[string]string{"ThingId": "t1"}},
		{test, "GET", "/v1/things/t1?version=2", "GetThing", map[string]string{"ThingId": "t1"}},
		// A client of GetSpecialThing would not send ?versions.
		{test, "GET", "/v1/things/special?versions", "ListThingVersions", map[string]string{"ThingId": "special"}},
		{test, "PUT", "/v1/things/t1/parts/a", "PutThing", map[string]string{"ThingId": "t1", "PartPath": "a"}},
		{test, "PUT", "/v1/things/t1/parts/a/b%20c/d%2Fe", "PutThing", map[string]string{"ThingId": "t1", "PartPath": "a/b c/d/e"}},
		{test, "PUT", "/v1/things/t1/parts/a//b", "PutThing", map[string]string{"ThingId": "t1", "PartPath": "a//b"}},
		{test, "PUT", "/v1/things/t1/parts", "", nil},
		{test, "PUT", "/v1/things/t1/parts/", "", nil},
		{test, "GET", "/v1/files/a/meta", "GetFileMeta", map[string]string{"Path": "a"}},
		{test, "GET", "/v1/files/a/meta/b/meta", "GetFileMeta", map[string]string{"Path": "a/meta/b"}},
		{test, "GET", "/v1/files/meta", "", nil},
		{test, "GET", "/v1/files/a/b", "", nil},
		{test, "POST", "/v1/docs/d1?action=send", "SendDoc", map[string]string{"DocId": "d1"}},
		{test, "POST", "/v1/docs/d1?x=1&action=send", "SendDoc", map[string]string{"DocId": "d1"}},
		{test, "POST", "/v1/docs/d1?action=other", "", nil},
		{test, "POST", "/v1/docs/d1", "", nil},
		{test, "POST", "/v1/nothing", "Nothing", nil},
	} {
		op, labels, ok := tc.table.Match(tc.method, tc.path)
		if ok != (tc.op != "") || op != tc.op {
			t.Errorf("Match(%s %q) = %q %v, want %q", tc.method, tc.path, op, ok, tc.op)
			continue
		}
		if ok && fmt.Sprint(labels) != fmt.Sprint(tc.labels) && !(len(labels) == 0 && len(tc.labels) == 0) {
			t.Errorf("Match(%s %q) labels %v, want %v", tc.method, tc.path, labels, tc.labels)
		}
	}
}

// TestMatchEveryOperation routes each Lambda operation's own requestUri,
// its labels filled in, back to the operation.
func TestMatchEveryOperation(t *testing.T) {
	m := model.Load("lambda")
	table := restjson.NewTable(m)
	for name, op := range m.Operations {
		path := op.HTTP.RequestURI
		for strings.Contains(path, "{") {
			i, j := strings.Index(path, "{"), strings.Index(path, "}")
			path = path[:i] + "x%3Ay" + path[j+1:]
		}
		got, labels, ok := table.Match(op.HTTP.Method, path)
		if !ok || got != name {
			t.Errorf("%s %s: %q %v", op.HTTP.Method, path, got, ok)
			continue
		}
		for k, v := range labels {
			if v != "x:y" {
				t.Errorf("%s: label %s = %q", name, k, v)
			}
		}
	}
}

func request(method, target string, headers map[string]string, body string) *http.Request {
	r := httptest.NewRequest(method, "http://sealbox.test"+target, strings.NewReader(body))
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

// decode routes and decodes a request as the router will.
func decode(t *testing.T, m *model.Service, method, target string, headers map[string]string, body string) (string, map[string]any, error) {
	t.Helper()
	r := request(method, target, headers, body)
	op, labels, ok := restjson.NewTable(m).Match(r.Method, r.URL.RequestURI())
	if !ok {
		t.Fatalf("no operation for %s %s", method, target)
	}
	v, err := restjson.Decode(r, []byte(body), m, m.InputShape(op), labels)
	return op, v, err
}

func TestDecodeLenient(t *testing.T) {
	lambda, test := model.Load("lambda"), testModel(t)
	for _, tc := range []struct {
		m                    *model.Service
		method, target, body string
		headers              map[string]string
		want                 string
	}{
		// Unknown query parameters and headers are not members, even
		// repeated ones.
		{lambda, "GET", "/2015-03-31/functions?Bogus=1&Bogus=2&MaxItems=5", "", map[string]string{"X-Bogus": "1"}, `{"MaxItems":5}`},
		// Member names in a body are matched exactly: another case is an
		// unknown member.
		{lambda, "POST", "/2015-03-31/functions", `{"FunctionName":"f","functionname":"g","FUNCTIONNAME":"h"}`, nil, `{"FunctionName":"f"}`},
		// An empty body, white space, null: nothing.
		{lambda, "POST", "/2015-03-31/functions/f/versions", "", nil, `{"FunctionName":"f"}`},
		{lambda, "POST", "/2015-03-31/functions/f/versions", " \n", nil, `{"FunctionName":"f"}`},
		{lambda, "POST", "/2015-03-31/functions/f/versions", "null", nil, `{"FunctionName":"f"}`},
		// Nulls and unknown keys are dropped; a label wins over the body.
		{lambda, "POST", "/2015-03-31/functions/f/aliases", `{"Name":"live","Description":null,"Bogus":[1],"FunctionName":"other","FunctionVersion":"1"}`, nil,
			`{"FunctionName":"f","Name":"live","FunctionVersion":"1"}`},
		// An empty map and an empty list are kept.
		{lambda, "PUT", "/2015-03-31/functions/f/configuration", `{"Environment":{"Variables":{}},"Layers":[]}`, nil,
			`{"FunctionName":"f","Environment":{"Variables":{}},"Layers":[]}`},
		// A body member is read under its JSON name only.
		{test, "GET", "/v1/things/t", "", nil, `{"ThingId":"t"}`},
		{test, "PUT", "/v1/things/t/parts/p", `{"Renamed":"no","renamed_field":"yes","Nested":{"renamed_name":"n","Renamed":"no"}}`, nil,
			`{"ThingId":"t","PartPath":"p","Renamed":"yes","Nested":{"Renamed":"n"}}`},
		// Booleans in any case; integers with spaces around; timestamps in
		// any form.
		{test, "PUT", "/v1/things/t/parts/p?flag=TRUE&count=%207&when=1795428000.5&whenEpoch=2026-11-23T10:00:00Z", "",
			map[string]string{"X-When": "2026-11-23T10:00:00.125Z", "X-When-Iso": "Mon, 23 Nov 2026 10:00:00 GMT", "X-Flag": "False"},
			`{"ThingId":"t","PartPath":"p","QFlag":true,"QCount":7,"QWhen":1795428000.5,"QWhenEpoch":1795428000,
			  "HWhen":1795428000.125,"HWhenIso":1795428000,"HFlag":false}`},
		// Header lists: quoted elements, white space, a list of HTTP dates.
		{test, "PUT", "/v1/things/t/parts/p", "",
			map[string]string{"X-List": ` a , "b,\"c\"" ,d`, "X-Dates": "Mon, 23 Nov 2026 10:00:00 GMT, Tue, 24 Nov 2026 10:00:00 GMT"},
			`{"ThingId":"t","PartPath":"p","HList":["a","b,\"c\"","d"],"HDates":[1795428000,1795514400]}`},
		// Epoch seconds up to 9999-12-31T23:59:59Z, the last botocore
		// sends, in the body and the query.
		{test, "PUT", "/v1/things/t/parts/p?when=253402300799", `{"Created":253402300799}`, nil,
			`{"ThingId":"t","PartPath":"p","QWhen":253402300799,"Created":253402300799}`},
		// Body timestamps: epoch seconds as sent, strings in any form.
		{test, "PUT", "/v1/things/t/parts/p", `{"Created":1795428000.123,"CreatedIso":"2026-11-23T10:00:00.5Z","Nested":{"When":"Mon, 23 Nov 2026 10:00:00 GMT"}}`, nil,
			`{"ThingId":"t","PartPath":"p","Created":1795428000.123,"CreatedIso":1795428000.5,"Nested":{"When":1795428000}}`},
		// The query map takes what no other member, and no literal of the
		// requestUri, claims.
		{test, "PUT", "/v1/things/t/parts/p?str=s&a=1&b=&c", "", nil,
			`{"ThingId":"t","PartPath":"p","QStr":"s","Extra":{"a":"1","b":"","c":""}}`},
		// A structure payload, and literal query parameters that are not
		// data.
		{test, "POST", "/v1/docs/d?action=send", `{"Id":"x","renamed_name":"r","Bogus":1}`, nil,
			`{"DocId":"d","Doc":{"Id":"x","Renamed":"r"}}`},
		{test, "POST", "/v1/docs/d?action=send", `{}`, nil, `{"DocId":"d"}`},
		{test, "POST", "/v1/docs/d?action=send", `{"Child":{}}`, nil, `{"DocId":"d","Doc":{"Child":{}}}`},
		// Prefix headers in lower case.
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"x-meta-Color": "blue", "X-META-SIZE": "L", "X-Meta-": "none"},
			`{"ThingId":"t","PartPath":"p","Meta":{"color":"blue","size":"L"}}`},
	} {
		_, got, err := decode(t, tc.m, tc.method, tc.target, tc.headers, tc.body)
		if err != nil {
			t.Errorf("%s %s %s: %v", tc.method, tc.target, tc.body, err)
			continue
		}
		if !sameValue(got, decodeJSON(t, []byte(tc.want))) {
			t.Errorf("%s %s %s: got %s, want %s", tc.method, tc.target, tc.body, pretty(got), tc.want)
		}
	}
	r := request("GET", "/", nil, "")
	got, err := restjson.Decode(r, []byte(`{"a":1}`), test, nil, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("nil input: %v %v", got, err)
	}
}

func TestDecodeMalformed(t *testing.T) {
	lambda, test := model.Load("lambda"), testModel(t)
	const ipv, irc, ser = "InvalidParameterValueException", "InvalidRequestContentException", "SerializationException"
	for _, tc := range []struct {
		m                    *model.Service
		method, target, body string
		headers              map[string]string
		code, message        string
	}{
		{lambda, "GET", "/2015-03-31/functions?MaxItems=abc", "", nil, ipv, "Value (abc) for query parameter MaxItems is invalid. Expected a 32-bit integer."},
		{lambda, "GET", "/2015-03-31/functions?MaxItems=", "", nil, ipv, "Value () for query parameter MaxItems is invalid."},
		{lambda, "GET", "/2015-03-31/functions?MaxItems=2147483648", "", nil, ipv, "Value (2147483648) for query parameter MaxItems"},
		{lambda, "GET", "/2015-03-31/functions?MaxItems=" + strings.Repeat("9", 100), "", nil, ipv, "Value (" + strings.Repeat("9", 64) + "...) for"},
		{lambda, "GET", "/2015-03-31/functions?Marker=%FF", "", nil, ipv, "Value (\uFFFD) for query parameter Marker is invalid. Expected UTF-8 text."},
		{lambda, "GET", "/2015-03-31/functions?Marker=%zz", "", nil, ipv, "The query string is not valid percent-encoded text."},
		{lambda, "GET", "/2018-10-31/layers/deps/versions/three", "", nil, ipv, "Value (three) for path parameter VersionNumber is invalid. Expected a 64-bit integer."},
		{lambda, "GET", "/2015-03-31/functions/%FF", "", nil, ipv, "for path parameter FunctionName is invalid. Expected UTF-8 text."},
		{lambda, "GET", "/2025-12-01/functions/f/durable-executions?StartedAfter=yesterday", "", nil, ipv, "Value (yesterday) for query parameter StartedAfter is invalid. Expected an ISO 8601 timestamp"},
		{lambda, "GET", "/2025-12-01/functions/f/durable-executions?ReverseOrder=yes", "", nil, ipv, "Value (yes) for query parameter ReverseOrder is invalid. Expected true or false."},
		{lambda, "POST", "/2015-03-31/functions", `{`, nil, irc, "Could not parse request body into json: unexpected end of the JSON input (at byte 1)."},
		{lambda, "POST", "/2015-03-31/functions", `{"FunctionName":x}`, nil, irc, "Could not parse request body into json: invalid character 'x'"},
		{lambda, "POST", "/2015-03-31/functions", `{} {}`, nil, irc, "unexpected data after the JSON value (at byte 3)."},
		{lambda, "POST", "/2015-03-31/functions", `[]`, nil, irc, "the body must be a JSON object."},
		// A member named twice, at any depth, is refused: Decode does not
		// guess which one the client meant.
		{lambda, "POST", "/2015-03-31/functions", `{"FunctionName":"a","FunctionName":"b"}`, nil, irc, `Could not parse request body into json: duplicate member name "FunctionName" (at byte 20).`},
		{lambda, "POST", "/2015-03-31/functions", `{"Environment":{"Variables":{"AB":"1","AB":"2"}}}`, nil, irc, `duplicate member name "AB"`},
		{lambda, "POST", "/2015-03-31/functions", `{"Layers":[],"Bogus":{"x":1,"x":2}}`, nil, irc, `duplicate member name "x"`},
		// So is a query parameter given twice for one value, a scalar
		// member's or a query map's.
		{lambda, "GET", "/2015-03-31/functions?MaxItems=5&MaxItems=6", "", nil, ipv, "The query parameter MaxItems is repeated: it takes one value."},
		{test, "PUT", "/v1/things/t/parts/p?str=s&a=1&a=2", "", nil, ser, "The query parameter a is repeated: it takes one value."},
		{lambda, "POST", "/2015-03-31/functions", `{"MemorySize":"big"}`, nil, irc, "Unexpected value type at 'memorySize': expected a number."},
		{lambda, "POST", "/2015-03-31/functions", `{"Timeout":1.5}`, nil, irc, "Unexpected value type at 'timeout': expected a 32-bit integer."},
		{lambda, "POST", "/2015-03-31/functions", `{"Timeout":2147483648}`, nil, irc, "expected a 32-bit integer"},
		{lambda, "POST", "/2015-03-31/functions", `{"Publish":"true"}`, nil, irc, "Unexpected value type at 'publish': expected a boolean."},
		{lambda, "POST", "/2015-03-31/functions", `{"Code":{"ZipFile":"not base64!"}}`, nil, irc, "Unexpected value type at 'code.zipFile': expected base64-encoded bytes."},
		{lambda, "POST", "/2015-03-31/functions", `{"Code":"zip"}`, nil, irc, "Unexpected value type at 'code': expected an object."},
		{lambda, "POST", "/2015-03-31/functions", `{"Environment":{"Variables":{"A":1}}}`, nil, irc, "Unexpected value type at 'environment.variables.value': expected a string."},
		{lambda, "POST", "/2015-03-31/functions", `{"Layers":"x"}`, nil, irc, "Unexpected value type at 'layers': expected a list."},
		{lambda, "POST", "/2015-03-31/functions", `{"Layers":[1]}`, nil, irc, "Unexpected value type at 'layers.1.member': expected a string."},
		{lambda, "POST", "/2015-03-31/functions", `{"Description":5}`, nil, irc, "'description': expected a string."},
		// A model without Lambda's errors answers Smithy's
		// SerializationException.
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-Count": "many"}, ser, "Value (many) for header X-Count is invalid. Expected a 32-bit integer."},
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-Flag": "yes"}, ser, "Value (yes) for header X-Flag is invalid. Expected true or false."},
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-When": "yesterday"}, ser, "Expected an HTTP date such as Mon, 23 Nov 2026 10:00:00 GMT."},
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-Json": "e30"}, ser, "Expected base64-encoded JSON."},
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-Json": base64.StdEncoding.EncodeToString([]byte("{"))}, ser, "Expected base64-encoded JSON."},
		{test, "PUT", "/v1/things/t/parts/p", "", map[string]string{"X-Dates": "Mon, 23 Nov 2026 10:00:00 GMT, soon"}, ser, "header X-Dates is invalid"},
		{test, "PUT", "/v1/things/t/parts/p?ratio=NaN", "", nil, ser, "Value (NaN) for query parameter ratio is invalid. Expected a number."},
		{test, "PUT", "/v1/things/t/parts/p?big=9223372036854775808", "", nil, ser, "for query parameter big is invalid. Expected a 64-bit integer."},
		{test, "PUT", "/v1/things/t/parts/p?num=1&num=x", "", nil, ser, "Value (x) for query parameter num is invalid."},
		{test, "PUT", "/v1/things/t/parts/p", `{"Created":"yesterday"}`, nil, ser, "Could not parse request body into json: Unexpected value type at 'created': expected a timestamp."},
		{test, "PUT", "/v1/things/t/parts/p", `{"Created":1e300}`, nil, ser, "'created': expected a timestamp."},
		// Epoch seconds past 9999-12-31T23:59:59Z, the last botocore
		// sends (and ISO 8601 names), in the body and in the query.
		{test, "PUT", "/v1/things/t/parts/p", `{"Created":253402300800}`, nil, ser, "'created': expected a timestamp."},
		{test, "PUT", "/v1/things/t/parts/p?when=253402300800", "", nil, ser, "Value (253402300800) for query parameter when is invalid."},
		{test, "PUT", "/v1/things/t/parts/p", `{"Items":[{"Child":{"Size":"x"}}]}`, nil, ser, "'items.1.member.child.size': expected a number."},
		{test, "PUT", "/v1/texts/k", "\xff", nil, ser, "the body is not UTF-8 text."},
		{test, "POST", "/v1/docs/d?action=send", `{"Id":1}`, nil, ser, "Unexpected value type at 'doc.id': expected a string."},
		{test, "POST", "/v1/docs/d?action=send", `"doc"`, nil, ser, "Unexpected value type at 'doc': expected an object."},
	} {
		_, _, err := decode(t, tc.m, tc.method, tc.target, tc.headers, tc.body)
		e, ok := sealbox.AsError(err)
		if !ok {
			t.Errorf("%s %s %q: %v, want a *sealbox.Error", tc.method, tc.target, tc.body, err)
			continue
		}
		if e.Code != tc.code || e.Status != http.StatusBadRequest || e.Server || !strings.Contains(e.Message, tc.message) {
			t.Errorf("%s %s %q: %+v, want %s 400 with %q", tc.method, tc.target, tc.body, e, tc.code, tc.message)
		}
	}
}

// putThingInput is how a service would type the test model's PutThing
// input: the decoded value binds with encoding/json, timestamps as
// sealbox.Timestamp.
type putThingInput struct {
	ThingId, PartPath string
	QFlag             *bool
	QCount            *int32
	QBig              int64
	QRatio            float64
	QWhen             *sealbox.Timestamp
	QNames            []string
	Extra             map[string]string
	HWhen             sealbox.Timestamp
	HList             []string
	HJson             string
	Meta              map[string]string
	Data              []byte
	Created           *sealbox.Timestamp
	CreatedIso        *sealbox.Timestamp
	Nested            *struct {
		Id      string
		Renamed string
		When    *sealbox.Timestamp
	}
}

func TestDecodeBinds(t *testing.T) {
	m := testModel(t)
	hjson := base64.StdEncoding.EncodeToString([]byte(`{"a":[1,2]}`))
	_, v, err := decode(t, m, "PUT", "/v1/things/t%2F1/parts/a/b?flag=true&count=-7&big=9223372036854775807&ratio=1e-3"+
		"&when=2026-11-23T10:00:00.250Z&name=x&name=y&other=o",
		map[string]string{"X-When": "Mon, 23 Nov 2026 10:00:00 GMT", "X-List": "p, q", "X-Json": hjson, "X-Meta-Team": "payments"},
		`{"Data":"AAFi","Created":1795428000.5,"CreatedIso":"2026-11-23T10:00:00Z","Nested":{"Id":"n","renamed_name":"r","When":1795428000}}`)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var in putThingInput
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatalf("binding %s: %v", b, err)
	}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	switch {
	case in.ThingId != "t/1", in.PartPath != "a/b", in.QFlag == nil || !*in.QFlag, in.QCount == nil || *in.QCount != -7,
		in.QBig != 9223372036854775807, in.QRatio != 0.001, in.QWhen == nil || !in.QWhen.Equal(at.Add(250*time.Millisecond)),
		fmt.Sprint(in.QNames) != "[x y]", fmt.Sprint(in.Extra) != "map[other:o]", !in.HWhen.Equal(at), fmt.Sprint(in.HList) != "[p q]",
		in.HJson != `{"a":[1,2]}`, fmt.Sprint(in.Meta) != "map[team:payments]", string(in.Data) != "\x00\x01b",
		in.Created == nil || !in.Created.Equal(at.Add(500*time.Millisecond)), in.CreatedIso == nil || !in.CreatedIso.Equal(at),
		in.Nested == nil || in.Nested.Renamed != "r" || in.Nested.When == nil || !in.Nested.When.Equal(at):
		t.Errorf("bound %+v from %s", in, b)
	}
}
