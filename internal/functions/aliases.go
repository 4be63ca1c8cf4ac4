package functions

import (
	"context"
	"sort"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

func aliasOutput(fn *functionRecord, a *aliasRecord) *AliasConfiguration {
	out := &AliasConfiguration{AliasArn: qualified(fn.ARN, a.Name), Name: a.Name, FunctionVersion: a.Version,
		Description: a.Description, RevisionId: a.RevisionID}
	if len(a.Weights) > 0 {
		out.RoutingConfig = &AliasRoutingConfiguration{AdditionalVersionWeights: cloneMap(a.Weights)}
	}
	return out
}

// checkAliasName applies the alias name rule the model's pattern states
// with a lookahead RE2 cannot run: not all digits.
func checkAliasName(name string) error {
	if !validAlias.MatchString(name) || versionNumber.MatchString(name) {
		return errValidation("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", name)
	}
	return nil
}

// checkVersionExists refuses an alias to a version fn does not have.
func checkVersionExists(tx store.Tx, fn *functionRecord, v string) error {
	if v == latest {
		return nil
	}
	if !versionNumber.MatchString(v) {
		return errValidation("1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)", v)
	}
	_, err := loadVersion(tx, fn, v)
	if isNotFound(err) {
		return errFunctionNotFound(qualified(fn.ARN, v))
	}
	return err
}

// checkRouting applies Lambda's rules for an alias's weighted routing: at
// most one additional version, an existing one, other than the alias's
// own, and never beside $LATEST.
func checkRouting(tx store.Tx, fn *functionRecord, version string, rc *AliasRoutingConfiguration) (map[string]float64, error) {
	if rc == nil || len(rc.AdditionalVersionWeights) == 0 {
		return nil, nil
	}
	w := rc.AdditionalVersionWeights
	if len(w) > 1 {
		return nil, errInvalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
	}
	if version == latest {
		return nil, errInvalid("$LATEST is not supported for an alias pointing to more than 1 version")
	}
	for v, weight := range w {
		if v == version {
			return nil, errInvalid("Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		if weight < 0 || weight >= 1 {
			return nil, errValidation("1 validation error detected: Value '{%s=%v}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]", v, weight)
		}
		if err := checkVersionExists(tx, fn, v); err != nil {
			return nil, err
		}
	}
	return cloneMap(w), nil
}

// CreateAlias names a version ($LATEST or a published one) of a function,
// with at most one more version to route a share of calls to.
func (s *Service) CreateAlias(ctx context.Context, in *CreateAliasRequest) (*AliasConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	if err := checkAliasName(in.Name); err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:CreateAlias", ref, nil)
	if err != nil {
		return nil, err
	}
	var a *aliasRecord
	_, err = s.update(ctx, t.fn, "", func(tx store.Tx, f *functionRecord) error {
		if _, ok := f.Aliases[in.Name]; ok {
			return sealbox.Errorf("ResourceConflictException", "Alias already exists: %s", qualified(f.ARN, in.Name))
		}
		if err := checkVersionExists(tx, f, in.FunctionVersion); err != nil {
			return err
		}
		weights, err := checkRouting(tx, f, in.FunctionVersion, in.RoutingConfig)
		if err != nil {
			return err
		}
		a = &aliasRecord{Name: in.Name, Version: in.FunctionVersion, Description: in.Description, Weights: weights, RevisionID: ids.UUID()}
		if f.Aliases == nil {
			f.Aliases = map[string]*aliasRecord{}
		}
		f.Aliases[in.Name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	return aliasOutput(t.fn, a), nil
}

// GetAlias answers an alias.
func (s *Service) GetAlias(ctx context.Context, in *GetAliasRequest) (*AliasConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:GetAlias", ref, nil)
	if err != nil {
		return nil, err
	}
	a, ok := t.fn.Aliases[in.Name]
	if !ok {
		return nil, errAliasNotFound(qualified(t.fn.ARN, in.Name))
	}
	return aliasOutput(t.fn, a), nil
}

// UpdateAlias points an alias to another version, or changes its
// description or routing. A RevisionId that is not the alias's is refused
// with PreconditionFailedException.
func (s *Service) UpdateAlias(ctx context.Context, in *UpdateAliasRequest) (*AliasConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:UpdateAlias", ref, nil)
	if err != nil {
		return nil, err
	}
	var a *aliasRecord
	out, err := s.update(ctx, t.fn, "", func(tx store.Tx, f *functionRecord) error {
		cur, ok := f.Aliases[in.Name]
		if !ok {
			return errAliasNotFound(qualified(f.ARN, in.Name))
		}
		if in.RevisionId != "" && in.RevisionId != cur.RevisionID {
			return errRevision()
		}
		if in.FunctionVersion != "" {
			if err := checkVersionExists(tx, f, in.FunctionVersion); err != nil {
				return err
			}
			cur.Version = in.FunctionVersion
		}
		if in.Description != nil {
			cur.Description = *in.Description
		}
		rc := in.RoutingConfig
		if rc == nil && len(cur.Weights) > 0 {
			rc = &AliasRoutingConfiguration{AdditionalVersionWeights: cur.Weights}
		}
		weights, err := checkRouting(tx, f, cur.Version, rc)
		if err != nil {
			return err
		}
		cur.Weights, cur.RevisionID = weights, ids.UUID()
		a = cur
		return nil
	})
	if err != nil {
		return nil, err
	}
	return aliasOutput(out, a), nil
}

// ListAliases lists a function's aliases by name, those of one version
// with FunctionVersion, at most 50 (or MaxItems) a page.
func (s *Service) ListAliases(ctx context.Context, in *ListAliasesRequest) (*ListAliasesResponse, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:ListAliases", ref, nil)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(t.fn.Aliases))
	for n, a := range t.fn.Aliases {
		if in.FunctionVersion == "" || a.Version == in.FunctionVersion {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	limit := pageSize(in.MaxItems)
	out := &ListAliasesResponse{Aliases: []AliasConfiguration{}}
	for _, n := range names {
		if n <= after {
			continue
		}
		if len(out.Aliases) == limit {
			out.NextMarker = encodeMarker(out.Aliases[limit-1].Name)
			break
		}
		out.Aliases = append(out.Aliases, *aliasOutput(t.fn, t.fn.Aliases[n]))
	}
	return out, nil
}

// DeleteAlias deletes an alias; deleting one that does not exist does
// nothing, as in Lambda.
func (s *Service) DeleteAlias(ctx context.Context, in *DeleteAliasRequest) (*Empty, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:DeleteAlias", ref, nil)
	if err != nil {
		return nil, err
	}
	if _, ok := t.fn.Aliases[in.Name]; !ok {
		return &Empty{}, nil
	}
	_, err = s.update(ctx, t.fn, "", func(_ store.Tx, f *functionRecord) error {
		delete(f.Aliases, in.Name)
		// The alias's policy and settings go with it: an alias made
		// again under the name starts without them.
		delete(f.Policies, in.Name)
		delete(f.EventInvoke, in.Name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &Empty{}, nil
}
