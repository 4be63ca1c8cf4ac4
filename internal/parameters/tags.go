package parameters

import (
	"context"
	"sort"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// mergeTags adds add to tags (a value replaces the value of the same key)
// and checks the tag rules: no duplicate keys, no "aws:" keys, at most 50.
func mergeTags(tags, add []Tag) ([]Tag, error) {
	seen := map[string]bool{}
	for _, t := range add {
		if seen[t.Key] {
			return nil, errValidation("Duplicate tag keys were found in the request: %s.", t.Key)
		}
		seen[t.Key] = true
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, errValidation("Tag keys that begin with aws: are reserved for AWS use.")
		}
	}
	out := append([]Tag{}, tags...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].Key == t.Key {
				out[i].Value = t.Value
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, sealbox.Errorf("TooManyTagsError", "A resource can have at most %d tags.", maxTags)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// requestTagConditions are aws:RequestTag/<key> and aws:TagKeys for tags a
// request sets.
func requestTagConditions(tags []Tag) map[string][]string {
	return sealbox.RequestTagConditions(tags, func(t Tag) (string, string) { return t.Key, t.Value })
}

// taggedParameter resolves the parameter a tagging call names: only
// ResourceType Parameter is served, named by its name.
func taggedParameter(r *sealbox.Request, typ, id string) (string, error) {
	if typ != "Parameter" {
		return "", sealbox.Errorf("InvalidResourceType", "The resource type isn't valid. Parameter Store serves tags for ResourceType Parameter only.")
	}
	ref, ok := parseRef(r, id)
	if !ok || ref.selector != "" {
		return "", sealbox.Errorf("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.")
	}
	return ref.name, nil
}

// updateTags runs change on the tags of the parameter a tagging call names,
// after authorizing action with cond.
func (s *Service) updateTags(ctx context.Context, typ, id, action string, cond map[string][]string, change func([]Tag) ([]Tag, error)) error {
	r := sealbox.MustRequest(ctx)
	name, err := taggedParameter(r, typ, id)
	if err != nil {
		return err
	}
	arn := requestARN(r, name)
	return s.store.Update(ctx, func(tx store.Tx) error {
		p, err := loadForUpdate(tx, r.Region, name)
		if isNotFound(err) {
			if err := s.authorize(ctx, action, arn, nil, cond); err != nil {
				return err
			}
			return sealbox.Errorf("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.")
		}
		if err != nil {
			return err
		}
		r.AddResource(resourceType, p.arn())
		if err := s.authorize(ctx, action, p.arn(), p, cond); err != nil {
			return err
		}
		if p.Tags, err = change(p.Tags); err != nil {
			return err
		}
		return save(tx, p)
	})
}

// AddTagsToResource adds or replaces tags on a parameter.
func (s *Service) AddTagsToResource(ctx context.Context, in *AddTagsToResourceRequest) (*AddTagsToResourceResult, error) {
	err := s.updateTags(ctx, in.ResourceType, in.ResourceId, "ssm:AddTagsToResource", requestTagConditions(in.Tags), func(tags []Tag) ([]Tag, error) {
		return mergeTags(tags, in.Tags)
	})
	if err != nil {
		return nil, err
	}
	return &AddTagsToResourceResult{}, nil
}

// RemoveTagsFromResource removes tags from a parameter; absent keys are
// ignored.
func (s *Service) RemoveTagsFromResource(ctx context.Context, in *RemoveTagsFromResourceRequest) (*RemoveTagsFromResourceResult, error) {
	err := s.updateTags(ctx, in.ResourceType, in.ResourceId, "ssm:RemoveTagsFromResource", map[string][]string{"aws:tagkeys": in.TagKeys}, func(tags []Tag) ([]Tag, error) {
		drop := map[string]bool{}
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		var kept []Tag
		for _, t := range tags {
			if !drop[t.Key] {
				kept = append(kept, t)
			}
		}
		return kept, nil
	})
	if err != nil {
		return nil, err
	}
	return &RemoveTagsFromResourceResult{}, nil
}

// ListTagsForResource lists a parameter's tags by key.
func (s *Service) ListTagsForResource(ctx context.Context, in *ListTagsForResourceRequest) (*ListTagsForResourceResult, error) {
	r := sealbox.MustRequest(ctx)
	name, err := taggedParameter(r, in.ResourceType, in.ResourceId)
	if err != nil {
		return nil, err
	}
	var p *paramRecord
	err = s.view(ctx, func(tx store.Tx) (err error) {
		p, err = s.load(tx, r.Region, name)
		return err
	})
	arn := requestARN(r, name)
	if isNotFound(err) {
		if err := s.authorize(ctx, "ssm:ListTagsForResource", arn, nil, nil); err != nil {
			return nil, err
		}
		return nil, sealbox.Errorf("InvalidResourceId", "The resource ID isn't valid. Verify that you entered the correct ID and try again.")
	}
	if err != nil {
		return nil, err
	}
	r.AddResource(resourceType, arn)
	if err := s.authorize(ctx, "ssm:ListTagsForResource", arn, p, nil); err != nil {
		return nil, err
	}
	out := &ListTagsForResourceResult{TagList: append([]Tag{}, p.Tags...)}
	return out, nil
}
