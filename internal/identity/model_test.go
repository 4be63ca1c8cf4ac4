package identity_test

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/awsapi"
	"github.com/sealbox/sealbox/internal/identity"
)

// botocore is the part of a botocore model the shape check reads.
type botocore struct {
	Operations map[string]struct {
		Input, Output *struct{ Shape string }
	}
	Shapes map[string]*struct {
		Type    string
		Members map[string]struct{ Shape string }
		Member  *struct{ Shape string }
		Value   *struct{ Shape string }
	}
}

func loadModel(t *testing.T, name string) *botocore {
	t.Helper()
	raw, err := os.ReadFile("../../../shared/spec/aws/" + name + ".json")
	if err != nil {
		t.Skipf("no %s model: %v", name, err)
	}
	var m botocore
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

// shapeProblems is awsapi's start-up check (checkShape), repeated here
// because services may not import awsapi: every exported field of t must
// be a member of the shape, of a matching kind.
func shapeProblems(m *botocore, t reflect.Type, shape, path string) []string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if shape == "" {
		if t.Kind() == reflect.Struct && t.NumField() == 0 {
			return nil
		}
		return []string{path + ": the model has no shape here"}
	}
	sh := m.Shapes[shape]
	bad := func(want string) []string {
		return []string{path + ": " + t.String() + " for " + sh.Type + ", want " + want}
	}
	switch sh.Type {
	case "structure":
		if t.Kind() != reflect.Struct {
			return bad("a struct")
		}
		var out []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Name
			if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == "-" {
				continue
			} else if tag != "" {
				name = tag
			}
			ref, ok := sh.Members[name]
			if !ok {
				out = append(out, path+"."+name+": no such member in the model")
				continue
			}
			out = append(out, shapeProblems(m, f.Type, ref.Shape, path+"."+name)...)
		}
		return out
	case "list":
		if t.Kind() != reflect.Slice {
			return bad("a slice")
		}
		return shapeProblems(m, t.Elem(), sh.Member.Shape, path+"[]")
	case "map":
		if t.Kind() != reflect.Map || t.Key().Kind() != reflect.String {
			return bad("a map")
		}
		return shapeProblems(m, t.Elem(), sh.Value.Shape, path+"{}")
	case "string":
		if t.Kind() != reflect.String {
			return bad("a string")
		}
	case "integer", "long":
		if t.Kind() != reflect.Int && t.Kind() != reflect.Int32 && t.Kind() != reflect.Int64 {
			return bad("an integer")
		}
	case "boolean":
		if t.Kind() != reflect.Bool {
			return bad("a bool")
		}
	case "timestamp":
		if t != reflect.TypeFor[sealbox.Timestamp]() && t != reflect.TypeFor[time.Time]() {
			return bad("a sealbox.Timestamp")
		}
	}
	return nil
}

func checkService(t *testing.T, m *botocore, svc any, ops []string) {
	t.Helper()
	v := reflect.ValueOf(svc)
	for _, op := range ops {
		meth := v.MethodByName(op)
		if !meth.IsValid() {
			t.Errorf("%T has no method %s", svc, op)
			continue
		}
		mt := meth.Type()
		if mt.NumIn() != 2 || mt.NumOut() != 2 {
			t.Errorf("%s has the wrong signature %v", op, mt)
			continue
		}
		o, ok := m.Operations[op]
		if !ok {
			t.Errorf("the model has no operation %s", op)
			continue
		}
		in, out := "", ""
		if o.Input != nil {
			in = o.Input.Shape
		}
		if o.Output != nil {
			out = o.Output.Shape
		}
		for _, p := range shapeProblems(m, mt.In(1), in, op+" input") {
			t.Error(p)
		}
		for _, p := range shapeProblems(m, mt.Out(0), out, op+" output") {
			t.Error(p)
		}
	}
}

func TestTypesMatchTheModels(t *testing.T) {
	e := newEnv(t)
	for _, svc := range []*awsapi.Service{iamService(e.iam), stsService(e.sts)} {
		var names []string
		for _, op := range svc.Operations {
			names = append(names, op.Name)
			// CloudTrail's readOnly: IAM's Get*, List* and Simulate*; every
			// STS operation served (AssumeRole events are readOnly: true).
			want := svc.Name == "sts" || strings.HasPrefix(op.Name, "Get") || strings.HasPrefix(op.Name, "List") || strings.HasPrefix(op.Name, "Simulate")
			if op.ReadOnly != want {
				t.Errorf("%s %s ReadOnly = %v, want %v", svc.Name, op.Name, op.ReadOnly, want)
			}
		}
		if svc.Name == "iam" {
			checkService(t, loadModel(t, "iam"), e.iam, names)
		} else {
			checkService(t, loadModel(t, "sts"), e.sts, names)
		}
	}

	// The check itself finds a typo.
	type typo struct{ UserNme string }
	if p := shapeProblems(loadModel(t, "iam"), reflect.TypeFor[typo](), "GetUserRequest", "GetUser"); len(p) != 1 {
		t.Errorf("shapeProblems(typo) = %v, want one problem", p)
	}

	// The simulation shapes are declared for the policy engine to serve.
	m := loadModel(t, "iam")
	for _, c := range []struct {
		typ   reflect.Type
		shape string
	}{
		{reflect.TypeFor[identity.SimulatePrincipalPolicyInput](), "SimulatePrincipalPolicyRequest"},
		{reflect.TypeFor[identity.SimulateCustomPolicyInput](), "SimulateCustomPolicyRequest"},
		{reflect.TypeFor[identity.SimulatePolicyOutput](), "SimulatePolicyResponse"},
	} {
		for _, p := range shapeProblems(m, c.typ, c.shape, c.shape) {
			t.Error(p)
		}
	}
}
