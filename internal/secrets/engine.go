package secrets

import (
	"context"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/store"
)

// forRotation is the service as the rotation engine and the built-in
// rotators see it (rotation.Secrets): records read and written as the
// service's own operations do.
type forRotation struct{ s *Service }

var _ rotation.Secrets = forRotation{}

// view is what rotation sees of sec: a copy.
func (s *secretRecord) view() *rotation.Secret {
	v := &rotation.Secret{ARN: s.ARN, Name: s.Name, Region: s.Region, Partition: s.Partition, Account: s.Account,
		Deletion: s.Deletion, Versions: make([]rotation.Version, len(s.Versions))}
	for i, m := range s.Versions {
		v.Versions[i] = rotation.Version{ID: m.ID, Stages: append([]string(nil), m.Stages...), Binary: m.Binary}
	}
	if s.Rotation != nil {
		r := *s.Rotation
		v.Rotation = &r
	}
	return v
}

func (f forRotation) Load(tx store.Tx, region, name string) (*rotation.Secret, error) {
	var rec secretRecord
	if err := store.GetJSON(tx, secretKey(region, name), &rec); err != nil {
		return nil, err
	}
	return rec.view(), nil
}

func (f forRotation) Save(tx store.Tx, sec *rotation.Secret) error {
	var rec secretRecord
	if err := store.GetJSON(tx, secretKey(sec.Region, sec.Name), &rec); err != nil {
		return err
	}
	rec.Rotation = sec.Rotation
	return save(tx, &rec)
}

func (f forRotation) Update(ctx context.Context, sec *rotation.Secret, fn func(tx store.Tx, cur *rotation.Secret) error) error {
	seen := &secretRecord{Region: sec.Region, Name: sec.Name, ARN: sec.ARN}
	// The rotation's own state is the primary's: replicas do not rotate.
	_, err := f.s.change(ctx, seen, true, false, nil, func(tx store.Tx, rec *secretRecord) error {
		cur := rec.view()
		if err := fn(tx, cur); err != nil {
			return err
		}
		rec.Rotation = cur.Rotation
		return nil
	})
	return err
}

// record reads the secret id names in the account and region of ctx's
// request.
func (f forRotation) record(ctx context.Context, id string) (*secretRecord, error) {
	var rec *secretRecord
	err := f.s.store.View(ctx, func(tx store.Tx) (err error) {
		rec, err = f.s.find(tx, sealbox.MustRequest(ctx), id)
		return err
	})
	return rec, err
}

func (f forRotation) Find(ctx context.Context, id string) (*rotation.Secret, error) {
	rec, err := f.record(ctx, id)
	if err != nil {
		return nil, err
	}
	return rec.view(), nil
}

func (f forRotation) Open(ctx context.Context, sec *rotation.Secret, id string) ([]byte, error) {
	var rec valueRecord
	if err := f.s.store.View(ctx, func(tx store.Tx) error {
		return store.GetJSON(tx, valueKey(sec.Region, sec.Name, id), &rec)
	}); err != nil {
		return nil, err
	}
	return f.s.open(ctx, sec.ARN, id, &rec)
}

func (f forRotation) Check(ctx context.Context, sec *rotation.Secret, id string) error {
	rec, err := f.record(ctx, sec.ARN)
	if isNotFound(err) || err == nil && rec.ARN != sec.ARN {
		return errors.New("the secret is gone")
	}
	if err != nil {
		return err
	}
	v := rec.version(id)
	if v == nil {
		return fmt.Errorf("version %s does not exist", id)
	}
	return f.s.checkVersion(ctx, rec, v)
}

func (f forRotation) AddPending(ctx context.Context, sec *rotation.Secret, id string, value []byte) error {
	rec, err := f.record(ctx, sec.ARN)
	if isNotFound(err) || err == nil && rec.ARN != sec.ARN {
		return errors.New("the secret is gone")
	}
	if err != nil {
		return err
	}
	pending, err := f.s.prepare(ctx, rec.KmsKeyID, rec.ARN, id, value, false)
	if err != nil {
		return err
	}
	_, err = f.s.updateAdding(ctx, rec, []*pendingVersion{pending}, func(tx store.Tx, cur *secretRecord) error {
		if cur.version(id) != nil {
			return nil
		}
		return f.s.commit(tx, cur, pending, []string{StagePending})
	})
	return err
}

func (f forRotation) Promote(ctx context.Context, sec *rotation.Secret, id string) error {
	seen := &secretRecord{Region: sec.Region, Name: sec.Name, ARN: sec.ARN}
	_, err := f.s.update(ctx, seen, false, func(_ store.Tx, cur *secretRecord) error {
		nv := cur.version(id)
		if nv == nil {
			return fmt.Errorf("version %s does not exist", id)
		}
		if old := cur.staged(StageCurrent); old == nil || old.ID != nv.ID {
			cur.attach(StageCurrent, nv.ID)
		}
		removeStage(cur.version(id), StagePending)
		cur.Changed = f.s.clock.Now().UTC()
		return nil
	})
	return err
}
