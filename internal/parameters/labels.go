package parameters

import (
	"context"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// LabelParameterVersion attaches labels to a version (the latest when none
// is named). A label already on another version moves to this one. Labels
// that break AWS's rules are returned in InvalidLabels and not attached; a
// version holds at most 10 labels.
func (s *Service) LabelParameterVersion(ctx context.Context, in *LabelParameterVersionRequest) (*LabelParameterVersionResult, error) {
	r := sealbox.MustRequest(ctx)
	ref, ok := parseRef(r, in.Name)
	if !ok || ref.selector != "" {
		return nil, errValidation("%s", msgNameRules)
	}
	out := &LabelParameterVersionResult{InvalidLabels: []string{}}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		*out = LabelParameterVersionResult{InvalidLabels: []string{}} // fn runs again after a conflict on a shared store
		p, err := s.loadAuthorized(ctx, tx, r, ref.name, "ssm:LabelParameterVersion")
		if isNotFound(err) {
			return errNotFoundNamed(ref.name)
		}
		if err != nil {
			return err
		}
		v := p.Version
		if in.ParameterVersion != nil {
			v = *in.ParameterVersion
		}
		if v < p.Oldest || v > p.Version {
			return errVersionNotFound(formatVersion(v), p.Name)
		}
		var add []string
		for _, l := range in.Labels {
			if !labelValid(l) {
				out.InvalidLabels = append(out.InvalidLabels, l)
				continue
			}
			if p.Labels[l] != v {
				add = append(add, l)
			}
		}
		if len(p.labelsOf(v))+len(dedupe(add)) > maxLabels {
			return sealbox.Errorf("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum %d labels. Move one or more labels to another version and try again.", maxLabels)
		}
		if len(add) > 0 {
			if p.Labels == nil {
				p.Labels = map[string]int64{}
			}
			for _, l := range add {
				p.Labels[l] = v
			}
			if err := save(tx, p); err != nil {
				return err
			}
		}
		out.ParameterVersion = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UnlabelParameterVersion removes labels from a version; labels not on
// that version are returned in InvalidLabels.
func (s *Service) UnlabelParameterVersion(ctx context.Context, in *UnlabelParameterVersionRequest) (*UnlabelParameterVersionResult, error) {
	r := sealbox.MustRequest(ctx)
	ref, ok := parseRef(r, in.Name)
	if !ok || ref.selector != "" {
		return nil, errValidation("%s", msgNameRules)
	}
	out := &UnlabelParameterVersionResult{RemovedLabels: []string{}, InvalidLabels: []string{}}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		*out = UnlabelParameterVersionResult{RemovedLabels: []string{}, InvalidLabels: []string{}} // fn runs again after a conflict on a shared store
		p, err := s.loadAuthorized(ctx, tx, r, ref.name, "ssm:UnlabelParameterVersion")
		if isNotFound(err) {
			return errNotFoundNamed(ref.name)
		}
		if err != nil {
			return err
		}
		if in.ParameterVersion < p.Oldest || in.ParameterVersion > p.Version {
			return errVersionNotFound(formatVersion(in.ParameterVersion), p.Name)
		}
		for _, l := range dedupe(in.Labels) {
			if v, ok := p.Labels[l]; ok && v == in.ParameterVersion {
				delete(p.Labels, l)
				out.RemovedLabels = append(out.RemovedLabels, l)
			} else {
				out.InvalidLabels = append(out.InvalidLabels, l)
			}
		}
		if len(out.RemovedLabels) == 0 {
			return nil
		}
		return save(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range s {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
