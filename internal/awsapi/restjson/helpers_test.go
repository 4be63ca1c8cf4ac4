package restjson_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi/internal/codectest"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

const testModelPath = "testdata/testmodel.json"

// testModel is a small REST-JSON model (testdata/testmodel.json, in
// botocore's form) with what Lambda lacks: greedy labels, typed query
// parameters, a query map, typed and list headers, prefix headers, blob,
// string and structure payloads, timestamp formats, locationNames in the
// body, a statusCode member.
func testModel(t testing.TB) *model.Service {
	t.Helper()
	raw, err := os.ReadFile(testModelPath)
	if err != nil {
		t.Fatal(err)
	}
	var m model.Service
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// The shared helpers, under the names these tests use.
var (
	python     = codectest.Python
	decodeJSON = codectest.DecodeJSON
	sameValue  = codectest.SameValue
	indentJSON = codectest.IndentJSON
	golden     = codectest.Golden
)

func pretty(v any) string { return string(indentJSON(v)) }
