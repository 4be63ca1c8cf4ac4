package secrets

import (
	"slices"
	"sort"
	"time"
)

// Staging labels, moved as AWS moves them. Each label is on at most one
// version; a version without labels is "deprecated" and may be removed.
// These are the primitives PutSecretValue, UpdateSecret,
// UpdateSecretVersionStage and rotation share.

// version returns the version with id, or nil.
func (s *secretRecord) version(id string) *versionMeta {
	for i := range s.Versions {
		if s.Versions[i].ID == id {
			return &s.Versions[i]
		}
	}
	return nil
}

// staged returns the version that carries label, or nil.
func (s *secretRecord) staged(label string) *versionMeta {
	for i := range s.Versions {
		if slices.Contains(s.Versions[i].Stages, label) {
			return &s.Versions[i]
		}
	}
	return nil
}

// removeStage takes label off version v (a no-op when v lacks it).
func removeStage(v *versionMeta, label string) {
	v.Stages = slices.DeleteFunc(v.Stages, func(l string) bool { return l == label })
	if len(v.Stages) == 0 {
		v.Stages = nil
	}
}

// attach puts label on version id, taking it off the version that had it.
// Moving AWSCURRENT moves AWSPREVIOUS to the version AWSCURRENT left, as
// AWS does; a version that receives AWSCURRENT loses AWSPREVIOUS.
func (s *secretRecord) attach(label, id string) {
	target := s.version(id)
	if target == nil {
		return
	}
	from := s.staged(label)
	if from != nil && from.ID == id {
		return
	}
	if from != nil {
		removeStage(from, label)
	}
	target.Stages = append(target.Stages, label)
	if label == StageCurrent {
		removeStage(target, StagePrevious)
		if from != nil {
			if prev := s.staged(StagePrevious); prev != nil {
				removeStage(prev, StagePrevious)
			}
			from.Stages = append(from.Stages, StagePrevious)
		}
	}
	sort.Strings(target.Stages)
}

// addVersion appends v with the staging labels stages (each moved from the
// version that had it). The first version of a secret always gets
// AWSCURRENT.
func (s *secretRecord) addVersion(v versionMeta, stages []string) {
	v.Stages = nil
	s.Versions = append(s.Versions, v)
	if s.staged(StageCurrent) == nil && !slices.Contains(stages, StageCurrent) {
		stages = append([]string{StageCurrent}, stages...)
	}
	for _, l := range stages {
		s.attach(l, v.ID)
	}
}

// prune removes the versions AWS no longer keeps: once a secret has more
// than 100 versions, the oldest versions without a staging label go, except
// those created in the last 24 hours. It returns the ids removed, whose
// value records the caller deletes.
func (s *secretRecord) prune(now time.Time) []string {
	excess := len(s.Versions) - keepVersions
	if excess <= 0 {
		return nil
	}
	var removed []string
	kept := s.Versions[:0]
	for _, v := range s.Versions { // oldest first
		if excess > 0 && len(v.Stages) == 0 && now.Sub(v.Created) >= keepYoung {
			removed = append(removed, v.ID)
			excess--
			continue
		}
		kept = append(kept, v)
	}
	s.Versions = kept
	return removed
}

// stagesMap is VersionIdsToStages: the versions that carry a label.
func (s *secretRecord) stagesMap() map[string][]string {
	m := map[string][]string{}
	for _, v := range s.Versions {
		if len(v.Stages) > 0 {
			m[v.ID] = append([]string(nil), v.Stages...)
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}
