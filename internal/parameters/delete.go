package parameters

import (
	"context"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// DeleteParameter deletes a parameter with all its versions.
func (s *Service) DeleteParameter(ctx context.Context, in *DeleteParameterRequest) (*DeleteParameterResult, error) {
	r := sealbox.MustRequest(ctx)
	ref, ok := parseRef(r, in.Name)
	if !ok || ref.selector != "" {
		return nil, errNotFound
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		p, err := s.loadAuthorized(ctx, tx, r, ref.name, "ssm:DeleteParameter")
		if isNotFound(err) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		return deleteParameter(tx, p)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteParameterResult{}, nil
}

// DeleteParameters deletes up to 10 parameters; names that find nothing are
// listed in InvalidParameters. The caller must be allowed
// ssm:DeleteParameters on every parameter named.
func (s *Service) DeleteParameters(ctx context.Context, in *DeleteParametersRequest) (*DeleteParametersResult, error) {
	r := sealbox.MustRequest(ctx)
	out := &DeleteParametersResult{DeletedParameters: []string{}, InvalidParameters: []string{}}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		out.DeletedParameters, out.InvalidParameters = out.DeletedParameters[:0], out.InvalidParameters[:0]
		var found []*paramRecord
		var names []string
		for _, n := range dedupe(in.Names) {
			ref, ok := parseRef(r, n)
			if !ok || ref.selector != "" {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			p, err := s.loadAuthorized(ctx, tx, r, ref.name, "ssm:DeleteParameters")
			if isNotFound(err) {
				out.InvalidParameters = append(out.InvalidParameters, n)
				continue
			}
			if err != nil {
				return err
			}
			found, names = append(found, p), append(names, n)
		}
		for i, p := range found {
			if err := deleteParameter(tx, p); err != nil {
				return err
			}
			out.DeletedParameters = append(out.DeletedParameters, names[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
