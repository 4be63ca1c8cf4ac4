// Command gen trims the botocore service models in shared/spec/aws down to
// what the server needs at run time (operations, shapes and their
// constraints; no documentation) and writes them beside the model package,
// which embeds them. Run by `go generate ./internal/awsapi/model`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

var keepShape = []string{"type", "members", "member", "key", "value", "required", "min", "max",
	"enum", "pattern", "sensitive", "exception", "error", "fault", "timestampFormat", "jsonvalue", "flattened", "box"}

var keepMember = []string{"shape", "location", "locationName", "jsonvalue", "idempotencyToken", "flattened", "xmlNamespace", "queryName", "timestampFormat"}

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
		t := map[string]any{"metadata": m["metadata"]}
		ops := map[string]any{}
		for name, o := range m["operations"].(map[string]any) {
			ops[name] = pick(o.(map[string]any), []string{"name", "http", "input", "output", "errors"})
		}
		t["operations"] = ops
		shapes := map[string]any{}
		for name, s := range m["shapes"].(map[string]any) {
			sm := pick(s.(map[string]any), keepShape)
			if mem, ok := sm["members"].(map[string]any); ok {
				nm := map[string]any{}
				for k, v := range mem {
					nm[k] = pick(v.(map[string]any), keepMember)
				}
				sm["members"] = nm
			}
			for _, k := range []string{"member", "key", "value"} {
				if v, ok := sm[k].(map[string]any); ok {
					sm[k] = pick(v, keepMember)
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
