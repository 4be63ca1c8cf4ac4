package functions

import (
	"context"
	"strconv"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// publishTx publishes fn's $LATEST in tx as its next version: a frozen
// copy of the configuration and of the sealed environment (so publishing
// decrypts nothing), with its own RevisionId, and description if given.
// $LATEST gets a new RevisionId, as in Lambda. If $LATEST has not changed
// since the last version was published, that version is answered instead
// (created false). The caller saves fn.
func (s *Service) publishTx(tx store.Tx, fn *functionRecord, description *string) (c *configRecord, created bool, err error) {
	if fn.Published > 0 && fn.PublishedChange == fn.Latest.Change {
		c, err := loadVersion(tx, fn, strconv.FormatInt(fn.Published, 10))
		if err == nil {
			return c, false, nil
		}
		if !isNotFound(err) {
			return nil, false, err
		}
	}
	n := max(fn.NextVersion, 1)
	c = fn.Latest.clone()
	c.Version = strconv.FormatInt(n, 10)
	c.RevisionID = ids.UUID()
	c.Modified = s.clock.Now().UTC()
	if description != nil {
		c.Description = *description
	}
	if err := store.PutJSON(tx, versionKey(fn.Region, fn.Name, n), c); err != nil {
		return nil, false, err
	}
	fn.NextVersion, fn.Published, fn.PublishedChange = n+1, n, fn.Latest.Change
	fn.Latest.RevisionID = ids.UUID()
	return c, true, nil
}

// PublishVersion publishes $LATEST as a new version, which freezes its
// configuration and environment. CodeSha256 and RevisionId, when given,
// must be $LATEST's. An unchanged $LATEST answers the last version.
func (s *Service) PublishVersion(ctx context.Context, in *PublishVersionRequest) (*FunctionConfiguration, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:PublishVersion", ref, nil)
	if err != nil {
		return nil, err
	}
	var c *configRecord
	out, err := s.update(ctx, t.fn, "", func(tx store.Tx, f *functionRecord) error {
		if in.CodeSha256 != "" && in.CodeSha256 != f.Latest.Code.Sha256 {
			return errInvalid("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", in.CodeSha256, f.Latest.Code.Sha256)
		}
		if in.RevisionId != "" && in.RevisionId != f.Latest.RevisionID {
			return errRevision()
		}
		var err error
		c, _, err = s.publishTx(tx, f, in.Description)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.configuration(ctx, out, c, qualified(out.ARN, c.Version))
}

// ListVersionsByFunction lists $LATEST and the published versions in
// order, each under its qualified ARN, at most 50 (or MaxItems) a page.
func (s *Service) ListVersionsByFunction(ctx context.Context, in *ListVersionsByFunctionRequest) (*ListVersionsByFunctionResponse, error) {
	ref, err := unqualified(sealbox.MustRequest(ctx), in.FunctionName)
	if err != nil {
		return nil, err
	}
	t, err := s.access(ctx, "lambda:ListVersionsByFunction", ref, nil)
	if err != nil {
		return nil, err
	}
	after, err := decodeMarker(in.Marker)
	if err != nil {
		return nil, err
	}
	fn := t.fn
	all := []*configRecord{&fn.Latest}
	err = s.view(ctx, func(tx store.Tx) error {
		vs, err := versions(tx, fn)
		all = append(all, vs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxItems)
	out := &ListVersionsByFunctionResponse{Versions: []FunctionConfiguration{}}
	for _, c := range all {
		key := itemKey(fn.Name, c.Version)
		if key <= after {
			continue
		}
		if len(out.Versions) == limit {
			out.NextMarker = encodeMarker(itemKey(fn.Name, out.Versions[limit-1].Version))
			break
		}
		cfg, err := s.configuration(ctx, fn, c, qualified(fn.ARN, c.Version))
		if err != nil {
			return nil, err
		}
		out.Versions = append(out.Versions, *cfg)
	}
	return out, nil
}
