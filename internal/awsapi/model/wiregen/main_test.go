package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesAreCurrent fails when a committed types_gen.go is not
// what the models and config.go make: a model or an override changed
// without `go generate ./internal/awsapi/model`, or a generated file was
// edited by hand. The same for the list of the generated types in awsapi's
// tests.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	for _, p := range packages {
		want, err := generate(p)
		if err != nil {
			t.Fatalf("generate(%s): %v", p.Dir, err)
		}
		path := filepath.Join("../../../..", p.Dir, File)
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is not what wiregen makes of the models: run go generate ./internal/awsapi/model", path)
		}
	}
	want, err := typesList()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("../../../..", TypesList)
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is not what wiregen makes of the models (%v): run go generate ./internal/awsapi/model", path, err)
	}
}
