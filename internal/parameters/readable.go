package parameters

import (
	"context"
	"strings"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// Readable answers, for the change feed, whether the caller in ctx may read
// the parameter stored under keyName (its name without a leading slash) in
// the caller's region (ssm:GetParameter), with its name, ARN, and whether
// it is gone. The name of a parameter no longer there is keyName with the
// leading slash a hierarchy requires; a name without one is given as
// stored, so compare names without their leading slash.
func (s *Service) Readable(ctx context.Context, keyName string) (name, arn string, deleted, ok bool) {
	r := sealbox.MustRequest(ctx)
	var p *paramRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		p, err = s.load(tx, r.Region, keyName)
		return err
	})
	if err != nil && !isNotFound(err) {
		return "", "", false, false
	}
	if p == nil {
		name = keyName
		if strings.Contains(keyName, "/") {
			name = "/" + keyName
		}
		arn = requestARN(r, name)
		return name, arn, true, s.authorize(ctx, "ssm:GetParameter", arn, nil, nil) == nil
	}
	arn = requestARN(r, p.Name)
	return p.Name, arn, false, s.authorize(ctx, "ssm:GetParameter", arn, p, nil) == nil
}
