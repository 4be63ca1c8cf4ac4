package kms

import (
	"context"
	"sort"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

const maxTags = 50

// mergeTags adds add to tags (a value replaces the value of the same key)
// and checks AWS's tag rules.
func mergeTags(tags, add []Tag) ([]Tag, error) {
	seen := map[string]bool{}
	for _, t := range add {
		if seen[t.TagKey] {
			return nil, sealbox.Errorf("TagException", "Duplicate tag keys")
		}
		seen[t.TagKey] = true
		if strings.HasPrefix(strings.ToLower(t.TagKey), "aws:") {
			return nil, sealbox.Errorf("TagException", "Tags beginning with aws: are reserved")
		}
	}
	out := append([]Tag{}, tags...)
	for _, t := range add {
		replaced := false
		for i := range out {
			if out[i].TagKey == t.TagKey {
				out[i].TagValue = t.TagValue
				replaced = true
			}
		}
		if !replaced {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, sealbox.Errorf("LimitExceededException", "A key can have at most %d tags.", maxTags)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TagKey < out[j].TagKey })
	return out, nil
}

// TagResource adds or replaces tags on a key.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:TagResource", requestTagConditions(in.Tags), func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:TagResource"); err != nil {
			return err
		}
		tags, err := mergeTags(k.Tags, in.Tags)
		if err != nil {
			return err
		}
		k.Tags = tags
		return nil
	})
	return &Empty{}, err
}

// UntagResource removes tags from a key; absent keys are ignored.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) (*Empty, error) {
	_, err := s.update(ctx, in.KeyId, "kms:UntagResource", map[string][]string{"aws:tagkeys": in.TagKeys}, func(_ store.Tx, k *keyRecord) error {
		if err := mutable(ctx, k, "kms:UntagResource"); err != nil {
			return err
		}
		drop := map[string]bool{}
		for _, t := range in.TagKeys {
			drop[t] = true
		}
		kept := k.Tags[:0]
		for _, t := range k.Tags {
			if !drop[t.TagKey] {
				kept = append(kept, t)
			}
		}
		k.Tags = kept
		return nil
	})
	return &Empty{}, err
}

// ListResourceTags lists a key's tags by tag key.
func (s *Service) ListResourceTags(ctx context.Context, in *ListResourceTagsRequest) (*ListResourceTagsResponse, error) {
	k, err := s.read(ctx, in.KeyId, "kms:ListResourceTags", false)
	if err != nil {
		return nil, err
	}
	tags := k.Tags
	if tags == nil {
		tags = []Tag{}
	}
	page, next, err := paginate(tags, in.Marker, pageLimit(in.Limit, 50), func(t Tag) string { return t.TagKey })
	if err != nil {
		return nil, err
	}
	return &ListResourceTagsResponse{Tags: page, NextMarker: next, Truncated: next != ""}, nil
}

// requestTagConditions are aws:RequestTag/<key> and aws:TagKeys for tags a
// request sets.
func requestTagConditions(tags []Tag) map[string][]string {
	return sealbox.RequestTagConditions(tags, func(t Tag) (string, string) { return t.TagKey, t.TagValue })
}
