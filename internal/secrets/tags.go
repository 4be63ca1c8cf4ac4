package secrets

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// mergeTags adds add to tags (a value replaces the value of the same key)
// and checks the tag rules: no "aws:" keys, at most 50 tags.
func mergeTags(tags, add []Tag) ([]Tag, error) {
	out := append([]Tag{}, tags...)
	for _, t := range add {
		if strings.HasPrefix(strings.ToLower(t.Key), "aws:") {
			return nil, errInvalidParameter("Invalid tag key: tag keys that begin with aws: are reserved for AWS use.")
		}
		if t.Key == validationTag {
			if _, err := parseSchema(t.Value); err != nil {
				return nil, err
			}
		}
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
		return nil, errInvalidParameter("A secret can have at most %d tags.", maxTags)
	}
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

// TagResource adds tags to a secret, replacing the values of keys it has.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) (*Empty, error) {
	if _, err := mergeTags(nil, in.Tags); err != nil {
		return nil, err
	}
	sec, err := s.access(ctx, in.SecretId, "TagResource", requestTagConditions(in.Tags), false)
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		tags, err := mergeTags(cur.Tags, in.Tags)
		cur.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UntagResource removes tags from a secret; keys it does not have are no
// error.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) (*Empty, error) {
	sec, err := s.access(ctx, in.SecretId, "UntagResource", map[string][]string{"aws:tagkeys": in.TagKeys}, false)
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		var kept []Tag
		for _, t := range cur.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || t.Key == k
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		cur.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
