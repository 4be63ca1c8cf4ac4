package secrets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/secrets/password"
	"github.com/sealbox/sealbox/internal/store"
)

// passwordRotator is the built-in rotator (BuiltInPasswordRotator): for
// secrets with no external system to change, or to try rotation out. Its
// createSecret copies the AWSCURRENT JSON object with its "password" field
// set to a new random password (GetRandomPassword's defaults, less the
// characters /@"'\ that connection strings trip on) as the AWSPENDING
// version; setSecret and testSecret have nothing to do beyond the engine's
// checks; finishSecret moves AWSCURRENT to the new version, after the
// validation schema's check. It works on the store directly, as the
// service, in the engine's context (serviceContext).
type passwordRotator struct{ s *Service }

var _ Rotator = (*passwordRotator)(nil)

// secretFor reads the secret an event names (its ARN).
func (p *passwordRotator) secretFor(ctx context.Context, ev *RotationEvent) (*secretRecord, error) {
	var sec *secretRecord
	err := p.s.store.View(ctx, func(tx store.Tx) (err error) {
		sec, err = p.s.find(tx, sealbox.MustRequest(ctx), ev.SecretId)
		return err
	})
	if isNotFound(err) || err == nil && sec.ARN != ev.SecretId {
		return nil, errors.New("the secret is gone")
	}
	if err != nil {
		return nil, err
	}
	return sec.clone(), nil
}

func (p *passwordRotator) CreateSecret(ctx context.Context, ev *RotationEvent) error {
	return p.createPending(ctx, ev, func(obj map[string]any) error {
		pw, err := password.Generate(password.Options{Length: password.DefaultLength, ExcludeCharacters: `/@"'\`, RequireEachIncludedType: true})
		if err != nil {
			return err
		}
		obj["password"] = pw
		return nil
	})
}

var errNotObject = errors.New("not a JSON object")

// readJSON opens version v of sec and decodes it as a JSON object.
func (p *passwordRotator) readJSON(ctx context.Context, sec *secretRecord, v *versionMeta) (map[string]any, error) {
	if v.Binary {
		return nil, fmt.Errorf("version %s is a SecretBinary, not a JSON SecretString", v.ID)
	}
	var rec valueRecord
	if err := p.s.store.View(ctx, func(tx store.Tx) error {
		return store.GetJSON(tx, valueKey(sec.Region, sec.Name, v.ID), &rec)
	}); err != nil {
		return nil, err
	}
	pt, err := p.s.open(ctx, sec.ARN, v.ID, &rec)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	dec := json.NewDecoder(bytes.NewReader(pt))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, fmt.Errorf("version %s: %w", v.ID, errNotObject)
	}
	return obj, nil
}

// createPending is createSecret of the built-in rotators: unless an
// earlier attempt did it, it copies the AWSCURRENT JSON object, lets edit
// change it (a new password, another username) and stores the result as
// the version ev.ClientRequestToken labelled AWSPENDING.
func (p *passwordRotator) createPending(ctx context.Context, ev *RotationEvent, edit func(obj map[string]any) error) error {
	sec, err := p.secretFor(ctx, ev)
	if err != nil {
		return err
	}
	if v := sec.version(ev.ClientRequestToken); v != nil {
		if hasStage(v, StagePending) || hasStage(v, StageCurrent) {
			return nil // done by an earlier attempt
		}
		return fmt.Errorf("version %s exists without the AWSPENDING label", v.ID)
	}
	cur := sec.staged(StageCurrent)
	if cur == nil || cur.Binary {
		return errors.New("the secret has no AWSCURRENT SecretString to rotate")
	}
	obj, err := p.readJSON(ctx, sec, cur)
	if errors.Is(err, errNotObject) {
		return errors.New(`the AWSCURRENT value is not a JSON object: the built-in rotator sets its "password" field`)
	}
	if err != nil {
		return err
	}
	if err := edit(obj); err != nil {
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return err
	}
	value := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	defer clear(buf.Bytes())
	pending, err := p.s.prepare(ctx, sec.KmsKeyID, sec.ARN, ev.ClientRequestToken, value, false)
	if err != nil {
		return err
	}
	_, err = p.s.update(ctx, sec, false, func(tx store.Tx, cur *secretRecord) error {
		if cur.version(ev.ClientRequestToken) != nil {
			return nil
		}
		return p.s.commit(tx, cur, pending, []string{StagePending})
	})
	return err
}

func (p *passwordRotator) SetSecret(context.Context, *RotationEvent) error { return nil }

func (p *passwordRotator) TestSecret(ctx context.Context, ev *RotationEvent) error {
	sec, err := p.secretFor(ctx, ev)
	if err != nil {
		return err
	}
	v := sec.version(ev.ClientRequestToken)
	if v == nil {
		return fmt.Errorf("version %s does not exist", ev.ClientRequestToken)
	}
	return p.s.checkVersion(ctx, sec, v)
}

func (p *passwordRotator) FinishSecret(ctx context.Context, ev *RotationEvent) error {
	sec, err := p.secretFor(ctx, ev)
	if err != nil {
		return err
	}
	v := sec.version(ev.ClientRequestToken)
	if v == nil {
		return fmt.Errorf("version %s does not exist", ev.ClientRequestToken)
	}
	if err := p.s.checkVersion(ctx, sec, v); err != nil {
		return err
	}
	_, err = p.s.update(ctx, sec, false, func(_ store.Tx, cur *secretRecord) error {
		nv := cur.version(ev.ClientRequestToken)
		if nv == nil {
			return fmt.Errorf("version %s does not exist", ev.ClientRequestToken)
		}
		if old := cur.staged(StageCurrent); old == nil || old.ID != nv.ID {
			cur.attach(StageCurrent, nv.ID)
		}
		removeStage(cur.version(ev.ClientRequestToken), StagePending)
		cur.Changed = p.s.clock.Now().UTC()
		return nil
	})
	return err
}
