package kms

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

// TestImportRecordsBeforePerVersionExpiry: a record stored when an EXTERNAL
// key had one expiry reads as that expiry for each version, and its first
// change keeps it so.
func TestImportRecordsBeforePerVersionExpiry(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	old := []byte(`{"id":"k","state":"Enabled","materials":[{"id":"a","created":"2026-01-01T00:00:00Z"},{"id":"b","created":"2026-02-01T00:00:00Z"}],` +
		`"import":{"expirationModel":"KEY_MATERIAL_EXPIRES","validTo":"2026-03-01T00:00:00Z","pending":"p"}}`)
	var k keyRecord
	if err := json.Unmarshal(old, &k); err != nil {
		t.Fatal(err)
	}
	if k.Import == nil || k.Import.Versions != nil || len(k.Materials) != 2 {
		t.Fatalf("the old record decodes as %+v", k.Import)
	}
	for _, id := range []string{"a", "b", "p"} {
		if v := k.importVersion(id); v == nil || v.Missing || !v.ValidTo.Equal(at) || v.ExpirationModel != expiresModel {
			t.Fatalf("version %s of the old record = %+v", id, v)
		}
	}
	if k.importVersion("z") != nil {
		t.Fatal("an unknown version has an import")
	}
	if got := expiredVersions(&k, at.Add(-time.Second)); len(got) != 0 {
		t.Fatalf("expired before ValidTo: %v", got)
	}
	if got := expiredVersions(&k, at); !slices.Equal(got, []string{"a", "b", "p"}) {
		t.Fatalf("expired at ValidTo: %v", got)
	}
	k.setVersion("b", &importVersion{ExpirationModel: doesNotExpire})
	k.syncImport()
	if k.Import.Versions["a"] == nil || !k.Import.Versions["a"].ValidTo.Equal(at) || !k.Import.ValidTo.Equal(at) || k.State != stateEnabled || k.Import.Missing {
		t.Fatalf("after reimporting b: %+v, a %+v, state %s", k.Import, k.Import.Versions["a"], k.State)
	}
	if got := expiredVersions(&k, at); !slices.Equal(got, []string{"a", "p"}) {
		t.Fatalf("expired at ValidTo after reimporting b: %v", got)
	}
}
