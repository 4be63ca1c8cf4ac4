package iamapi

import (
	"context"
	"net/url"
	"slices"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/identity"
	"github.com/sealbox/sealbox/internal/store"
)

// AWS's default quotas and limits for OpenID Connect providers.
const (
	maxOIDCProviders   = 100
	maxOIDCClientIDs   = 100
	maxOIDCThumbprints = 5
	maxOIDCTags        = 50
)

const oidcResourceType = "AWS::IAM::OIDCProvider"

func errNoSuchOIDCProvider(arn string) error {
	return sealbox.Errorf("NoSuchEntity", "OpenIDConnect Provider not found for arn %s", arn)
}

// oidcProviderName is the name a provider's URL registers it under: the
// URL without https://, its host in lower case (host names compare so), its
// path kept as given (the iss claim must equal the URL exactly, so
// "https://host" and "https://host/" are two providers). As IAM refuses
// them: a URL without a scheme or host (ValidationError), another scheme,
// user information, a query or a fragment (InvalidInput). Unlike IAM,
// sealbox accepts an explicit port: private issuers (and tests) run on one.
func oidcProviderName(raw string) (string, error) {
	invalid := identity.InvalidInput("Invalid Open ID Connect Provider URL.")
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || !strings.Contains(raw, "://") {
		return "", identity.ValidationError("Invalid Open ID Connect Provider URL")
	}
	if !strings.EqualFold(u.Scheme, "https") {
		return "", identity.InvalidInput("Invalid Open ID Connect Provider URL. The URL must begin with https://.")
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", identity.ValidationError("Invalid Open ID Connect Provider URL")
	}
	if u.User != nil || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") || u.Opaque != "" {
		return "", invalid
	}
	if !validHost(u.Hostname()) {
		return "", invalid
	}
	if u.RawPath != "" || strings.ContainsAny(u.Path, " \t\r\n*?") {
		return "", invalid
	}
	return strings.ToLower(u.Host) + u.Path, nil
}

// validHost: letters, digits, dots and dashes (a DNS name or an IPv4
// address); IPv6 literals are refused.
func validHost(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// oidcProviderFromARN is the name of the provider arn names. A malformed
// ARN is InvalidInput; one of another account or partition names no
// provider of this account (NoSuchEntity).
func (s *Service) oidcProviderFromARN(ctx context.Context, arn string) (string, error) {
	a, err := sealbox.ParseARN(arn)
	if err != nil || a.Service != "iam" || a.Region != "" {
		return "", identity.InvalidInput("ARN %s is not valid.", arn)
	}
	name, ok := strings.CutPrefix(a.Resource, "oidc-provider/")
	if !ok || name == "" {
		return "", identity.InvalidInput("ARN %s is not valid.", arn)
	}
	if a.AccountID != s.account || a.Partition != partition(request(ctx)) {
		return "", errNoSuchOIDCProvider(arn)
	}
	return name, nil
}

func lowerThumbprints(in []string) []string {
	if len(in) > maxOIDCThumbprints {
		return nil
	}
	out := make([]string, len(in))
	for i, t := range in {
		out[i] = strings.ToLower(t)
	}
	return out
}

func checkThumbprints(in []string) error {
	if len(in) > maxOIDCThumbprints {
		return identity.InvalidInput("Thumbprint list must contain fewer than %d entries.", maxOIDCThumbprints)
	}
	return nil
}

// CreateOpenIDConnectProvider registers an OpenID Connect issuer: tokens
// it signs, for one of ClientIDList's audiences, may assume the roles
// whose trust policies name the provider (AssumeRoleWithWebIdentity).
// ThumbprintList is optional, as in IAM today, and kept for the answer
// only: sealbox verifies the issuer's TLS certificate against the
// system's roots and the operator's --oidc-ca-file, never by thumbprint.
func (s *Service) CreateOpenIDConnectProvider(ctx context.Context, in *CreateOpenIDConnectProviderRequest) (*CreateOpenIDConnectProviderResponse, error) {
	name, err := oidcProviderName(in.Url)
	if err != nil {
		return nil, err
	}
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	if len(in.ClientIDList) > maxOIDCClientIDs {
		return nil, errQuota("ClientIdsPerOpenIdConnectProvider", maxOIDCClientIDs)
	}
	if len(in.Tags) > maxOIDCTags {
		return nil, errQuota("TagsPerOpenIdConnectProvider", maxOIDCTags)
	}
	if err := identity.UniqueTags(tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	p := &identity.OIDCProvider{
		Name:        name,
		Partition:   partition(request(ctx)),
		Thumbprints: lowerThumbprints(in.ThumbprintList),
		Created:     s.ids.Now(),
		Tags:        tagsIn(in.Tags),
	}
	for _, id := range in.ClientIDList {
		if !slices.Contains(p.ClientIDs, id) {
			p.ClientIDs = append(p.ClientIDs, id)
		}
	}
	arn := p.ARN(s.account)
	if s.authz != nil {
		if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:CreateOpenIDConnectProvider", Resource: arn, Context: tagConditions(in.Tags)}); err != nil {
			return nil, err
		}
		if len(in.Tags) > 0 {
			if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: "iam:TagOpenIDConnectProvider", Resource: arn, Context: tagConditions(in.Tags)}); err != nil {
				return nil, err
			}
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := identity.LoadOIDCProvider(tx, name); err == nil {
			return sealbox.Errorf("EntityAlreadyExists", "Provider with url %s already exists.", in.Url)
		} else if !identity.IsNotFound(err) {
			return err
		}
		n := 0
		err := tx.Scan(identity.OIDCProviderPrefix, "", func(string, []byte) error { n++; return nil })
		if err != nil {
			return err
		}
		if n >= maxOIDCProviders {
			return errQuota("OpenIdConnectProvidersPerAccount", maxOIDCProviders)
		}
		return identity.SaveOIDCProvider(tx, p)
	})
	if err != nil {
		return nil, err
	}
	request(ctx).AddResource(oidcResourceType, arn)
	return &CreateOpenIDConnectProviderResponse{OpenIDConnectProviderArn: arn, Tags: tagsOut(p.Tags)}, nil
}

// oidcProvider authorizes action on the provider arn names and loads it.
func (s *Service) oidcProvider(ctx context.Context, action, arn string, cond map[string][]string) (string, error) {
	name, err := s.oidcProviderFromARN(ctx, arn)
	if err != nil {
		return "", err
	}
	if s.authz != nil {
		if cond == nil {
			cond = map[string][]string{}
		}
		err := s.store.View(ctx, func(tx store.Tx) error {
			p, err := identity.LoadOIDCProvider(tx, name)
			if identity.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			for _, t := range p.Tags {
				sealbox.SetResourceTag(cond, "iam", t.Key, t.Value)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		if err := s.authz.Authorize(ctx, &sealbox.AccessQuery{Action: action, Resource: arn, Context: cond}); err != nil {
			return "", err
		}
	}
	return name, nil
}

// updateOIDCProvider authorizes action on the provider arn names and
// changes it with fn in one transaction.
func (s *Service) updateOIDCProvider(ctx context.Context, action, arn string, cond map[string][]string, fn func(*identity.OIDCProvider) error) error {
	name, err := s.oidcProvider(ctx, action, arn, cond)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		p, err := identity.LoadOIDCProvider(tx, name)
		if identity.IsNotFound(err) {
			return errNoSuchOIDCProvider(arn)
		}
		if err != nil {
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
		return identity.SaveOIDCProvider(tx, p)
	})
	if err != nil {
		return err
	}
	request(ctx).AddResource(oidcResourceType, arn)
	return nil
}

// GetOpenIDConnectProvider returns a provider: its URL without the scheme,
// as IAM answers it, its client ids, thumbprints and tags.
func (s *Service) GetOpenIDConnectProvider(ctx context.Context, in *GetOpenIDConnectProviderRequest) (*GetOpenIDConnectProviderResponse, error) {
	name, err := s.oidcProvider(ctx, "iam:GetOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
	if err != nil {
		return nil, err
	}
	var out *GetOpenIDConnectProviderResponse
	err = s.store.View(ctx, func(tx store.Tx) error {
		p, err := identity.LoadOIDCProvider(tx, name)
		if identity.IsNotFound(err) {
			return errNoSuchOIDCProvider(in.OpenIDConnectProviderArn)
		}
		if err != nil {
			return err
		}
		out = &GetOpenIDConnectProviderResponse{Url: p.Name, ClientIDList: p.ClientIDs, ThumbprintList: p.Thumbprints,
			CreateDate: sealbox.At(p.Created), Tags: tagsOut(p.Tags)}
		return nil
	})
	return out, err
}

// ListOpenIDConnectProviders lists the account's providers by name.
func (s *Service) ListOpenIDConnectProviders(ctx context.Context, _ *ListOpenIDConnectProvidersRequest) (*ListOpenIDConnectProvidersResponse, error) {
	if err := s.authorize(ctx, "iam:ListOpenIDConnectProviders", "*"); err != nil {
		return nil, err
	}
	out := &ListOpenIDConnectProvidersResponse{OpenIDConnectProviderList: []OpenIDConnectProviderListEntry{}}
	err := s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(identity.OIDCProviderPrefix, "", func(key string, _ []byte) error {
			name := strings.TrimPrefix(key, identity.OIDCProviderPrefix)
			p, err := identity.LoadOIDCProvider(tx, name)
			if err != nil {
				return err
			}
			out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList, OpenIDConnectProviderListEntry{Arn: p.ARN(s.account)})
			return nil
		})
	})
	return out, err
}

// DeleteOpenIDConnectProvider deletes a provider: its tokens assume no
// role from then on, whatever the roles' trust policies say. Sessions it
// made before keep their credentials until they expire, as in AWS.
func (s *Service) DeleteOpenIDConnectProvider(ctx context.Context, in *DeleteOpenIDConnectProviderRequest) (*Empty, error) {
	name, err := s.oidcProvider(ctx, "iam:DeleteOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := identity.LoadOIDCProvider(tx, name); identity.IsNotFound(err) {
			return errNoSuchOIDCProvider(in.OpenIDConnectProviderArn)
		} else if err != nil {
			return err
		}
		return identity.DeleteOIDCProvider(tx, name)
	})
	if err != nil {
		return nil, err
	}
	request(ctx).AddResource(oidcResourceType, in.OpenIDConnectProviderArn)
	return &Empty{}, nil
}

// AddClientIDToOpenIDConnectProvider adds an audience; one already there
// is not added again.
func (s *Service) AddClientIDToOpenIDConnectProvider(ctx context.Context, in *AddClientIDToOpenIDConnectProviderRequest) (*Empty, error) {
	err := s.updateOIDCProvider(ctx, "iam:AddClientIDToOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil, func(p *identity.OIDCProvider) error {
		if slices.Contains(p.ClientIDs, in.ClientID) {
			return nil
		}
		if len(p.ClientIDs) >= maxOIDCClientIDs {
			return errQuota("ClientIdsPerOpenIdConnectProvider", maxOIDCClientIDs)
		}
		p.ClientIDs = append(p.ClientIDs, in.ClientID)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience: tokens for
// it assume no role from then on. One not there is not an error, as in IAM.
func (s *Service) RemoveClientIDFromOpenIDConnectProvider(ctx context.Context, in *RemoveClientIDFromOpenIDConnectProviderRequest) (*Empty, error) {
	err := s.updateOIDCProvider(ctx, "iam:RemoveClientIDFromOpenIDConnectProvider", in.OpenIDConnectProviderArn, nil, func(p *identity.OIDCProvider) error {
		p.ClientIDs = slices.DeleteFunc(p.ClientIDs, func(id string) bool { return id == in.ClientID })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UpdateOpenIDConnectProviderThumbprint replaces the provider's
// thumbprints.
func (s *Service) UpdateOpenIDConnectProviderThumbprint(ctx context.Context, in *UpdateOpenIDConnectProviderThumbprintRequest) (*Empty, error) {
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	err := s.updateOIDCProvider(ctx, "iam:UpdateOpenIDConnectProviderThumbprint", in.OpenIDConnectProviderArn, nil, func(p *identity.OIDCProvider) error {
		p.Thumbprints = lowerThumbprints(in.ThumbprintList)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// TagOpenIDConnectProvider adds tags, or changes the values of those with
// the same keys (regardless of case); a provider has at most 50.
func (s *Service) TagOpenIDConnectProvider(ctx context.Context, in *TagOpenIDConnectProviderRequest) (*Empty, error) {
	if err := someTags(in.Tags); err != nil {
		return nil, err
	}
	if err := identity.UniqueTags(tagsIn(in.Tags)); err != nil {
		return nil, err
	}
	err := s.updateOIDCProvider(ctx, "iam:TagOpenIDConnectProvider", in.OpenIDConnectProviderArn, tagConditions(in.Tags), func(p *identity.OIDCProvider) error {
		merged := mergeTags(p.Tags, tagsIn(in.Tags))
		if len(merged) > maxOIDCTags {
			return errQuota("TagsPerOpenIdConnectProvider", maxOIDCTags)
		}
		p.Tags = merged
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// UntagOpenIDConnectProvider removes the tags with the keys given
// (regardless of case).
func (s *Service) UntagOpenIDConnectProvider(ctx context.Context, in *UntagOpenIDConnectProviderRequest) (*Empty, error) {
	var cond map[string][]string
	if len(in.TagKeys) > 0 {
		cond = map[string][]string{"aws:tagkeys": in.TagKeys}
	}
	err := s.updateOIDCProvider(ctx, "iam:UntagOpenIDConnectProvider", in.OpenIDConnectProviderArn, cond, func(p *identity.OIDCProvider) error {
		p.Tags = slices.DeleteFunc(slices.Clone(p.Tags), func(t identity.Tag) bool {
			return slices.ContainsFunc(in.TagKeys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}

// ListOpenIDConnectProviderTags lists a provider's tags by key.
func (s *Service) ListOpenIDConnectProviderTags(ctx context.Context, in *ListOpenIDConnectProviderTagsRequest) (*ListOpenIDConnectProviderTagsResponse, error) {
	name, err := s.oidcProvider(ctx, "iam:ListOpenIDConnectProviderTags", in.OpenIDConnectProviderArn, nil)
	if err != nil {
		return nil, err
	}
	out := &ListOpenIDConnectProviderTagsResponse{Tags: []Tag{}}
	err = s.store.View(ctx, func(tx store.Tx) error {
		p, err := identity.LoadOIDCProvider(tx, name)
		if identity.IsNotFound(err) {
			return errNoSuchOIDCProvider(in.OpenIDConnectProviderArn)
		}
		if err != nil {
			return err
		}
		tags := tagsOut(p.Tags)
		slices.SortFunc(tags, func(a, b Tag) int { return strings.Compare(a.Key, b.Key) })
		list, next, more := page(tags, func(t Tag) string { return t.Key }, in.Marker, int(in.MaxItems))
		out.Tags = append(out.Tags, list...)
		out.Marker, out.IsTruncated = next, more
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
