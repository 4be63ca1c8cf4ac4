package secrets

import (
	"context"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// Readable answers, for the change feed, whether the caller in ctx may read
// the secret name of the caller's region (secretsmanager:GetSecretValue,
// with its resource policy and tags), its ARN, and whether it is gone or
// scheduled for deletion. A secret no longer there is checked against its
// name's ARN pattern (<partial ARN>-??????): a policy naming the secret's
// exact ARN does not match it, and such a caller learns of the deletion
// when its cached value expires instead.
func (s *Service) Readable(ctx context.Context, name string) (arn string, deleted, ok bool) {
	r := sealbox.MustRequest(ctx)
	var sec *secretRecord
	err := s.view(ctx, func(tx store.Tx) (err error) {
		sec, err = s.find(tx, r, name)
		return err
	})
	if err != nil && !isNotFound(err) {
		return "", false, false
	}
	if sec == nil {
		arn = partialARN(r, name) + "-??????"
		return arn, true, s.authorize(ctx, "GetSecretValue", arn, nil, nil) == nil
	}
	return sec.ARN, sec.deleted(), s.authorize(ctx, "GetSecretValue", sec.ARN, sec, nil) == nil
}
