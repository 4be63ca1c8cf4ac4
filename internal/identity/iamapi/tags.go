package iamapi

import (
	"context"
	"slices"
	"strings"

	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// maxEntityTags is how many tags a user or role may have, as in AWS.
const maxEntityTags = 50

// tagConditions are the condition keys of a request that sets tags:
// aws:RequestTag/<key> for each tag and aws:TagKeys.
func tagConditions(tags []Tag) map[string][]string {
	if len(tags) == 0 {
		return nil
	}
	cond := make(map[string][]string, len(tags)+1)
	keys := make([]string, 0, len(tags))
	for _, t := range tags {
		cond["aws:requesttag/"+strings.ToLower(t.Key)] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	cond["aws:tagkeys"] = keys
	return cond
}

// tagsIn are wire tags as the records keep them; tagsOut the reverse.
func tagsIn(tags []Tag) []identity.Tag  { return identity.TagsFrom(tags) }
func tagsOut(tags []identity.Tag) []Tag { return identity.TagsTo[Tag](tags) }

// mergeTags sets tags on have: a key already there (regardless of case)
// takes the new key and value, as IAM's tag keys are case-insensitive.
func mergeTags(have, tags []identity.Tag) []identity.Tag {
	out := slices.Clone(have)
	for _, t := range tags {
		i := slices.IndexFunc(out, func(h identity.Tag) bool { return strings.EqualFold(h.Key, t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

func (s *Service) tagEntity(ctx context.Context, kind identity.EntityKind, name string, tags []Tag) error {
	if err := someTags(tags); err != nil {
		return err
	}
	if err := identity.UniqueTags(tagsIn(tags)); err != nil {
		return err
	}
	if err := s.authorizeOnWith(ctx, "iam:Tag"+kind.Title(), kind, name, tagConditions(tags)); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		merged := mergeTags(e.Tags, tagsIn(tags))
		if len(merged) > maxEntityTags {
			return errQuota("TagsPer"+kind.Title(), maxEntityTags)
		}
		e.Tags = merged
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

func (s *Service) untagEntity(ctx context.Context, kind identity.EntityKind, name string, keys []string) error {
	var cond map[string][]string
	if len(keys) > 0 {
		cond = map[string][]string{"aws:tagkeys": keys}
	}
	if err := s.authorizeOnWith(ctx, "iam:Untag"+kind.Title(), kind, name, cond); err != nil {
		return err
	}
	return s.store.Update(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		e.Tags = slices.DeleteFunc(slices.Clone(e.Tags), func(t identity.Tag) bool {
			return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		request(ctx).AddResource(kind.ResourceType(), e.ARN(s.account))
		return identity.SaveEntity(tx, e)
	})
}

func (s *Service) listEntityTags(ctx context.Context, kind identity.EntityKind, name, marker string, maxItems int) (*ListUserTagsResponse, error) {
	if err := s.authorizeOn(ctx, "iam:List"+kind.Title()+"Tags", kind, name); err != nil {
		return nil, err
	}
	out := &ListUserTagsResponse{Tags: []Tag{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		e, err := mustEntity(tx, kind, name)
		if err != nil {
			return err
		}
		tags := tagsOut(e.Tags)
		slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
		list, next, more := page(tags, func(t Tag) string { return t.Key }, marker, maxItems)
		out.Tags = append(out.Tags, list...)
		out.Marker, out.IsTruncated = next, more
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// TagUser adds tags to a user, or changes the values of its tags with the
// same keys (compared regardless of case). A user has at most 50 tags.
func (s *Service) TagUser(ctx context.Context, in *TagUserRequest) (*Empty, error) {
	if err := s.tagEntity(ctx, identity.KindUser, in.UserName, in.Tags); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UntagUser removes the tags with the keys given (regardless of case);
// keys the user has no tag for are ignored.
func (s *Service) UntagUser(ctx context.Context, in *UntagUserRequest) (*Empty, error) {
	if err := s.untagEntity(ctx, identity.KindUser, in.UserName, in.TagKeys); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListUserTags lists a user's tags by key.
func (s *Service) ListUserTags(ctx context.Context, in *ListUserTagsRequest) (*ListUserTagsResponse, error) {
	return s.listEntityTags(ctx, identity.KindUser, in.UserName, in.Marker, int(in.MaxItems))
}

// TagRole adds tags to a role, or changes the values of its tags with the
// same keys (compared regardless of case). A role has at most 50 tags. The
// role's sessions see the change on their next call (aws:PrincipalTag).
func (s *Service) TagRole(ctx context.Context, in *TagRoleRequest) (*Empty, error) {
	if err := s.tagEntity(ctx, identity.KindRole, in.RoleName, in.Tags); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UntagRole removes the tags with the keys given (regardless of case).
func (s *Service) UntagRole(ctx context.Context, in *UntagRoleRequest) (*Empty, error) {
	if err := s.untagEntity(ctx, identity.KindRole, in.RoleName, in.TagKeys); err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListRoleTags lists a role's tags by key.
func (s *Service) ListRoleTags(ctx context.Context, in *ListRoleTagsRequest) (*ListRoleTagsResponse, error) {
	out, err := s.listEntityTags(ctx, identity.KindRole, in.RoleName, in.Marker, int(in.MaxItems))
	return (*ListRoleTagsResponse)(out), err
}
