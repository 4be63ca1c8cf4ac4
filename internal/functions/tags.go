package functions

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// mergeTags adds add to tags (a value replaces the value of the same key)
// and checks Lambda's tag rules: no "aws:" keys, at most 50 tags.
func mergeTags(tags, add map[string]string) (map[string]string, error) {
	out := cloneMap(tags)
	for _, k := range sortedKeys(add) {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalid("Tag keys that begin with aws: are reserved for AWS use: %s", k)
		}
		if k == "" || len(k) > 128 || len(add[k]) > 256 {
			return nil, errInvalid("The tag %s is invalid: keys have 1 to 128 characters, values at most 256.", k)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = add[k]
	}
	if len(out) > maxTags {
		return nil, errInvalid("Number of tags exceeds resource tag limit.")
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// requestTagConditions are aws:RequestTag/<key> and aws:TagKeys for tags a
// request sets.
func requestTagConditions(tags map[string]string) map[string][]string {
	cond := map[string][]string{}
	if len(tags) == 0 {
		return cond
	}
	keys := sortedKeys(tags)
	for _, k := range keys {
		cond["aws:requesttag/"+strings.ToLower(k)] = []string{tags[k]}
	}
	cond["aws:tagkeys"] = keys
	return cond
}

// taggable reads a tag operation's Resource: a function's unqualified ARN
// (Lambda tags functions, not versions or aliases).
func taggable(ctx context.Context, arn string) (fnRef, error) {
	p := strings.Split(arn, ":")
	if len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
		return fnRef{}, sealbox.Errorf("ResourceNotFoundException", "The resource you requested does not exist. (Service: Lambda, Resource: %s)", arn)
	}
	ref, err := parseFunction(sealbox.MustRequest(ctx), arn, "")
	if err != nil {
		return ref, err
	}
	if ref.qualifier != "" {
		return ref, errInvalid("Tags on function aliases and versions are not supported. Please specify a function ARN.")
	}
	return ref, nil
}

// TagResource adds tags to a function, replacing the values of keys it
// has.
func (s *Service) TagResource(ctx context.Context, in *TagResourceRequest) (*Empty, error) {
	if _, err := mergeTags(nil, in.Tags); err != nil {
		return nil, err
	}
	ref, err := taggable(ctx, in.Resource)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:TagResource", ref, requestTagConditions(in.Tags))
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		tags, err := mergeTags(f.Tags, in.Tags)
		f.Tags = tags
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UntagResource removes tags from a function; keys it does not have are
// no error.
func (s *Service) UntagResource(ctx context.Context, in *UntagResourceRequest) (*Empty, error) {
	ref, err := taggable(ctx, in.Resource)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:UntagResource", ref, map[string][]string{"aws:tagkeys": in.TagKeys})
	if err != nil {
		return nil, err
	}
	_, err = s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		for _, k := range in.TagKeys {
			delete(f.Tags, k)
		}
		if len(f.Tags) == 0 {
			f.Tags = nil
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListTags answers a function's tags.
func (s *Service) ListTags(ctx context.Context, in *ListTagsRequest) (*ListTagsResponse, error) {
	ref, err := taggable(ctx, in.Resource)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:ListTags", ref, nil)
	if err != nil {
		return nil, err
	}
	tags := cloneMap(t.fn.Tags)
	if tags == nil {
		tags = map[string]string{}
	}
	return &ListTagsResponse{Tags: tags}, nil
}
