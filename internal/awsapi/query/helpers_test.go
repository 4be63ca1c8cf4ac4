package query_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/sealbox/sealbox/internal/awsapi/internal/codectest"
	"github.com/sealbox/sealbox/internal/awsapi/model"
)

const testModelPath = "testdata/testmodel.json"

// testModel is a small Query model (testdata/testmodel.json) with what IAM
// and STS lack: input maps, flattened lists and maps, locationNames,
// timestamps, blobs, longs and doubles, a recursive structure.
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

// ec2Model is the test model served with the EC2 protocol's input forms.
func ec2Model(t testing.TB) *model.Service {
	m := *testModel(t)
	m.Metadata.Protocol = "ec2"
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
