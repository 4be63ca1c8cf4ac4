package parameters

import (
	"context"
	"strconv"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/recordcache"
)

// DescribeParameters lists parameter metadata (never values), in name
// order, narrowed by Filters or ParameterFilters (not both). A single Path
// filter reads only that path's prefix. NextToken holds the last name
// returned.
func (s *Service) DescribeParameters(ctx context.Context, in *DescribeParametersRequest) (*DescribeParametersResult, error) {
	r := sealbox.MustRequest(ctx)
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, errValidation("You can use either Filters or ParameterFilters in a single request.")
	}
	raw := in.ParameterFilters
	if len(in.Filters) > 0 {
		raw = legacyFilters(in.Filters)
	}
	filters, err := parseFilters(raw, describeFilters)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, "ssm:DescribeParameters", "*", nil, nil); err != nil {
		return nil, err
	}
	limit := int(in.MaxResults)
	if limit <= 0 {
		limit = 10
	}
	// One Path filter with one value narrows the scan to that path.
	scanPrefix, recursive := "", true
	for _, f := range filters {
		if f.key == "Path" && len(f.values) == 1 {
			scanPrefix, recursive = f.values[0], f.option == "Recursive"
		}
	}
	scope := strconv.Itoa(len(raw)) + ":" + scanPrefix
	base := paramPrefix(r.Region)
	after, err := resumeAfter(in.NextToken, "describe", r.Region, scope, scanPrefix)
	if err != nil {
		return nil, err
	}
	out := &DescribeParametersResult{Parameters: []ParameterMetadata{}}
	var lastName string
	err = s.view(ctx, func(tx store.Tx) error {
		return scanLevel(tx, base+scanPrefix, after, recursive, func(key string, raw []byte) (bool, error) {
			p, err := recordcache.Decode[paramRecord](tx, key, raw)
			if err != nil {
				return false, err
			}
			res, err := filters.resolve(tx, p)
			if err != nil || res == nil {
				return false, err
			}
			if len(out.Parameters) == limit {
				out.NextToken = encodeToken("describe", r.Region, scope, lastName)
				return true, nil
			}
			out.Parameters = append(out.Parameters, metadata(p))
			lastName = trimSlash(p.Name)
			return false, nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func metadata(p *paramRecord) ParameterMetadata {
	m := ParameterMetadata{Name: p.Name, ARN: p.arn(), Type: p.Type, LastModifiedDate: sealbox.At(p.Modified), LastModifiedUser: p.ModifiedUser,
		Description: p.Description, AllowedPattern: p.AllowedPattern, Version: p.Version, Tier: p.Tier,
		Policies: inlinePolicies(p.Policies), DataType: p.DataType}
	if p.Type == typeSecureString {
		m.KeyId = p.KeyID
	}
	return m
}
