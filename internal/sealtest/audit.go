package sealtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// AuditEvents returns every audit event written to the data folder so far,
// oldest first.
func AuditEvents(t testing.TB, dataDir string) []map[string]any {
	t.Helper()
	var events []map[string]any
	files, _ := filepath.Glob(filepath.Join(dataDir, "audit", "*.jsonl"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e map[string]any
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("audit line is not JSON: %v", err)
			}
			events = append(events, e)
		}
	}
	return events
}
