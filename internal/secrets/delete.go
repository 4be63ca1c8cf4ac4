package secrets

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/dueindex"
)

// DeleteSecret schedules a secret's deletion after a recovery window of 7
// to 30 days (30 by default), during which RestoreSecret brings it back and
// every other operation but DescribeSecret refuses it; or, with
// ForceDeleteWithoutRecovery, deletes it at once (a secret that does not
// exist is then no error, as in AWS).
func (s *Service) DeleteSecret(ctx context.Context, in *DeleteSecretRequest) (*DeleteSecretResponse, error) {
	r := sealbox.MustRequest(ctx)
	force := in.ForceDeleteWithoutRecovery != nil && *in.ForceDeleteWithoutRecovery
	days := int64(defaultRecoveryDays)
	if in.RecoveryWindowInDays != nil {
		if force {
			return nil, errInvalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
		}
		days = *in.RecoveryWindowInDays
		if days < 7 || days > 30 {
			return nil, errInvalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	cond := map[string][]string{"secretsmanager:forcedeletewithoutrecovery": {strconv.FormatBool(force)}}
	if !force {
		cond["secretsmanager:recoverywindowindays"] = []string{strconv.FormatInt(days, 10)}
	}
	sec, err := s.load(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	resource := resourceFor(r, in.SecretId)
	if sec != nil {
		resource = sec.ARN
	}
	r.AddResource(resourceType, resource)
	if err := s.authorize(ctx, "DeleteSecret", resource, sec, cond); err != nil {
		return nil, err
	}
	if sec != nil && sec.isReplica() {
		return nil, errOnReplica()
	}
	if sec != nil && len(sec.Replicas) > 0 {
		regions := make([]string, 0, len(sec.Replicas))
		for _, st := range sec.Replicas {
			regions = append(regions, st.Region)
		}
		return nil, errInvalidParameter("You can't delete secret %s that still has replica regions [%s].", in.SecretId, strings.Join(regions, ", "))
	}
	now := s.clock.Now().UTC()
	if sec == nil {
		if force {
			name := in.SecretId
			if strings.HasPrefix(name, "arn:") {
				name = name[strings.LastIndex(name, ":")+1:]
			}
			return &DeleteSecretResponse{ARN: resource, Name: name, DeletionDate: sealbox.At(now)}, nil
		}
		return nil, errNotFound()
	}
	if sec.deleted() && !force {
		return nil, errInvalidRequest("You tried to perform the operation on a secret that's currently marked deleted.")
	}
	if force {
		err := s.store.Update(ctx, func(tx store.Tx) error {
			var cur secretRecord
			err := store.GetJSON(tx, secretKey(sec.Region, sec.Name), &cur)
			if isNotFound(err) || err == nil && cur.ARN != sec.ARN {
				return nil // gone meanwhile
			}
			if err != nil {
				return err
			}
			return removeSecret(tx, &cur)
		})
		if err != nil {
			return nil, err
		}
		return &DeleteSecretResponse{ARN: sec.ARN, Name: sec.Name, DeletionDate: sealbox.At(now)}, nil
	}
	when := now.Add(time.Duration(days) * 24 * time.Hour)
	out, err := s.update(ctx, sec, false, func(tx store.Tx, cur *secretRecord) error {
		cur.Deletion = when
		return tx.Put(dueKey(when, cur.Region, cur.Name), nil)
	})
	if err != nil {
		return nil, err
	}
	return &DeleteSecretResponse{ARN: out.ARN, Name: out.Name, DeletionDate: sealbox.At(when)}, nil
}

// RestoreSecret cancels a secret's scheduled deletion.
func (s *Service) RestoreSecret(ctx context.Context, in *RestoreSecretRequest) (*RestoreSecretResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "RestoreSecret", nil, true)
	if err != nil {
		return nil, err
	}
	out, err := s.update(ctx, sec, true, func(tx store.Tx, cur *secretRecord) error {
		if !cur.deleted() {
			return nil
		}
		if err := tx.Delete(dueKey(cur.Deletion, cur.Region, cur.Name)); err != nil {
			return err
		}
		cur.Deletion = time.Time{}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &RestoreSecretResponse{ARN: out.ARN, Name: out.Name}, nil
}

// removeSecret deletes sec, its values and its due entry in tx.
func removeSecret(tx store.Tx, sec *secretRecord) error {
	var keys []string
	err := tx.Scan(valuePrefix(sec.Region, sec.Name), "", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return err
	}
	if sec.deleted() {
		keys = append(keys, dueKey(sec.Deletion, sec.Region, sec.Name))
	}
	if sec.Rotation != nil && !sec.Rotation.Due.IsZero() {
		keys = append(keys, rotation.DueKey(sec.Rotation.Due, sec.Region, sec.Name))
	}
	keys = append(keys, secretKey(sec.Region, sec.Name))
	for _, k := range keys {
		if err := tx.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// RunDue deletes the secrets whose recovery window ended by now, then runs
// the rotations due by now (package rotation). The server's sweeper calls
// it; it returns how many secrets it deleted and how many rotations
// completed.
func (s *Service) RunDue(ctx context.Context, now time.Time) (deleted, rotated int, err error) {
	if deleted, err = s.runDeletions(ctx, now); err != nil {
		return deleted, 0, err
	}
	rotated, err = s.rotation.RunDue(ctx, now)
	return deleted, rotated, err
}

// runDeletions deletes the secrets whose recovery window ended by now.
func (s *Service) runDeletions(ctx context.Context, now time.Time) (deleted int, err error) {
	var list []dueindex.Entry
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		list, err = deletions.Due(tx, now)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, d := range list {
		if err := ctx.Err(); err != nil {
			return deleted, err
		}
		done := false
		err := s.store.Update(ctx, func(tx store.Tx) error {
			done = false
			var sec secretRecord
			err := store.GetJSON(tx, secretKey(d.Region, d.Name), &sec)
			if isNotFound(err) || err == nil && (!sec.deleted() || sec.Deletion.After(now) || dueKey(sec.Deletion, d.Region, d.Name) != d.Key) {
				return tx.Delete(d.Key) // a stale entry
			}
			if err != nil {
				return err
			}
			done = true
			return removeSecret(tx, &sec)
		})
		if err != nil {
			return deleted, err
		}
		if done {
			deleted++
		}
	}
	return deleted, nil
}
