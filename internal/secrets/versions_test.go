package secrets

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestStageMoves(t *testing.T) {
	sec := &secretRecord{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sec.addVersion(versionMeta{ID: "v1", Created: t0}, []string{StagePending})
	if got := sec.version("v1").Stages; !slices.Equal(got, []string{StageCurrent, StagePending}) {
		t.Fatalf("first version stages = %v, want AWSCURRENT and AWSPENDING", got)
	}
	sec.addVersion(versionMeta{ID: "v2", Created: t0}, []string{StageCurrent})
	sec.addVersion(versionMeta{ID: "v3", Created: t0}, []string{StageCurrent})
	for id, want := range map[string][]string{"v1": {StagePending}, "v2": {StagePrevious}, "v3": {StageCurrent}} {
		if got := sec.version(id).Stages; !slices.Equal(got, want) {
			t.Errorf("%s stages = %v, want %v", id, got, want)
		}
	}
	// AWSCURRENT back onto the AWSPREVIOUS version: they swap.
	sec.attach(StageCurrent, "v2")
	if !slices.Equal(sec.version("v2").Stages, []string{StageCurrent}) || !slices.Equal(sec.version("v3").Stages, []string{StagePrevious}) {
		t.Fatalf("after the swap: v2 %v, v3 %v", sec.version("v2").Stages, sec.version("v3").Stages)
	}
	if err := moveStage(sec, StageCurrent, "", "v1"); err == nil {
		t.Fatal("moving AWSCURRENT without naming its owner succeeded")
	}
	if err := moveStage(sec, StageCurrent, "v2", ""); err == nil {
		t.Fatal("removing AWSCURRENT succeeded")
	}
}

// TestPrune keeps 100 versions at least, every labelled one, and every one
// younger than 24 hours; the oldest unlabelled ones go first.
func TestPrune(t *testing.T) {
	sec := &secretRecord{}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 105 {
		sec.addVersion(versionMeta{ID: fmt.Sprintf("v%03d", i), Created: t0.Add(time.Duration(i) * time.Minute)}, []string{StageCurrent})
	}
	sec.attach("keep", "v000")
	if got := sec.prune(t0.Add(time.Hour)); got != nil {
		t.Fatalf("pruned %v within 24 hours", got)
	}
	got := sec.prune(t0.Add(48 * time.Hour))
	if !slices.Equal(got, []string{"v001", "v002", "v003", "v004", "v005"}) || len(sec.Versions) != 100 || sec.Versions[0].ID != "v000" {
		t.Fatalf("pruned %v, kept %d starting %s", got, len(sec.Versions), sec.Versions[0].ID)
	}
}
