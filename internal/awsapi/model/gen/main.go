// Command gen trims the botocore service models in shared/spec/aws down to
// what the server needs at run time (operations, shapes and their
// constraints; no documentation) and writes them beside the model package,
// which embeds them. Run by `go generate ./internal/awsapi/model`.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

var keepShape = []string{"type", "members", "member", "key", "value", "required", "min", "max",
	"enum", "pattern", "sensitive", "exception", "error", "fault", "timestampFormat", "jsonvalue", "flattened", "box", "payload"}

var keepMember = []string{"shape", "location", "locationName", "jsonvalue", "idempotencyToken", "flattened", "xmlNamespace", "queryName", "timestampFormat"}

// memberOrder returns the names of a shape's members in the order the
// source model lists them (a map loses it), or nil if it has none.
func memberOrder(shape json.RawMessage) ([]string, error) {
	var s struct {
		Members json.RawMessage `json:"members"`
	}
	if err := json.Unmarshal(shape, &s); err != nil || len(s.Members) == 0 {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(s.Members))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var names []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		names = append(names, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return names, nil
}

func pick(in map[string]any, keys []string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		if v, ok := in[k]; ok {
			out[k] = v
		}
	}
	return out
}

func main() {
	in := flag.String("in", "../../../../shared/spec/aws", "folder of botocore models")
	out := flag.String("out", ".", "output folder")
	flag.Parse()
	for _, svc := range flag.Args() {
		raw, err := os.ReadFile(filepath.Join(*in, svc+".json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			fmt.Fprintln(os.Stderr, svc, err)
			os.Exit(1)
		}
		var rawShapes struct {
			Shapes map[string]json.RawMessage `json:"shapes"`
		}
		if err := json.Unmarshal(raw, &rawShapes); err != nil {
			fmt.Fprintln(os.Stderr, svc, err)
			os.Exit(1)
		}
		t := map[string]any{"metadata": m["metadata"]}
		ops := map[string]any{}
		for name, o := range m["operations"].(map[string]any) {
			op := pick(o.(map[string]any), []string{"name", "http", "input", "output", "errors", "authtype"})
			// An output's resultWrapper names the element that wraps a
			// Query answer.
			for _, k := range []string{"input", "output"} {
				if ref, ok := op[k].(map[string]any); ok {
					op[k] = pick(ref, []string{"shape", "resultWrapper"})
				}
			}
			ops[name] = op
		}
		t["operations"] = ops
		srcShapes := m["shapes"].(map[string]any)
		// ref keeps a reference's wire facts. A shape-level "flattened" is
		// copied onto every reference to the shape, as botocore merges a
		// shape's serialization into its references, so that the run-time
		// model finds it on the reference.
		ref := func(v map[string]any) map[string]any {
			r := pick(v, keepMember)
			if target, ok := srcShapes[fmt.Sprint(v["shape"])].(map[string]any); ok && target["flattened"] == true {
				r["flattened"] = true
			}
			return r
		}
		shapes := map[string]any{}
		for name, s := range srcShapes {
			sm := pick(s.(map[string]any), keepShape)
			if mem, ok := sm["members"].(map[string]any); ok {
				order, err := memberOrder(rawShapes.Shapes[name])
				if err != nil {
					fmt.Fprintln(os.Stderr, svc, name, err)
					os.Exit(1)
				}
				nm := map[string]any{}
				for k, v := range mem {
					nm[k] = ref(v.(map[string]any))
				}
				// order records the member's position in the source model
				// (1-based), which a map loses: XML answers list members in
				// model order.
				for i, k := range order {
					nm[k].(map[string]any)["order"] = i + 1
				}
				sm["members"] = nm
			}
			for _, k := range []string{"member", "key", "value"} {
				if v, ok := sm[k].(map[string]any); ok {
					sm[k] = ref(v)
				}
			}
			shapes[name] = sm
		}
		t["shapes"] = shapes
		b, err := json.Marshal(t)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(*out, svc+".json"), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
