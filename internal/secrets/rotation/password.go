package rotation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sealbox/sealbox/internal/secrets/password"
	"github.com/sealbox/sealbox/internal/store"
)

// Password is the built-in password rotator (BuiltInPasswordRotator): for
// secrets with no external system to change, or to try rotation out. Its
// createSecret copies the AWSCURRENT JSON object with its "password" field
// set to a new random password (GetRandomPassword's defaults, less the
// characters /@"'\ that connection strings trip on) as the AWSPENDING
// version; setSecret and testSecret have nothing to do beyond the engine's
// checks; finishSecret moves AWSCURRENT to the new version, after the
// validation schema's check. It works through Secrets, as the service, in
// the engine's context (serviceContext). Its Secret, ReadJSON and
// CreatePending are the building blocks of the other built-in rotators.
type Password struct{ Secrets Secrets }

var _ Rotator = Password{}

// Secret reads the secret an event names (its ARN).
func (p Password) Secret(ctx context.Context, ev *Event) (*Secret, error) {
	sec, err := p.Secrets.Find(ctx, ev.SecretId)
	if errors.Is(err, store.ErrNotFound) || err == nil && sec.ARN != ev.SecretId {
		return nil, errGone
	}
	if err != nil {
		return nil, err
	}
	return sec, nil
}

func (p Password) CreateSecret(ctx context.Context, ev *Event) error {
	return p.CreatePending(ctx, ev, func(obj map[string]any) error {
		pw, err := password.Generate(password.Options{Length: password.DefaultLength, ExcludeCharacters: `/@"'\`, RequireEachIncludedType: true})
		if err != nil {
			return err
		}
		obj["password"] = pw
		return nil
	})
}

var errNotObject = errors.New("not a JSON object")

// ReadJSON opens version v of sec and decodes it as a JSON object.
func (p Password) ReadJSON(ctx context.Context, sec *Secret, v *Version) (map[string]any, error) {
	if v.Binary {
		return nil, fmt.Errorf("version %s is a SecretBinary, not a JSON SecretString", v.ID)
	}
	pt, err := p.Secrets.Open(ctx, sec, v.ID)
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

// CreatePending is createSecret of the built-in rotators: unless an
// earlier attempt did it, it copies the AWSCURRENT JSON object, lets edit
// change it (a new password, another username) and stores the result as
// the version ev.ClientRequestToken labelled AWSPENDING.
func (p Password) CreatePending(ctx context.Context, ev *Event, edit func(obj map[string]any) error) error {
	sec, err := p.Secret(ctx, ev)
	if err != nil {
		return err
	}
	if v := sec.Version(ev.ClientRequestToken); v != nil {
		if v.Has(StagePending) || v.Has(StageCurrent) {
			return nil // done by an earlier attempt
		}
		return fmt.Errorf("version %s exists without the AWSPENDING label", v.ID)
	}
	cur := sec.Staged(StageCurrent)
	if cur == nil || cur.Binary {
		return errors.New("the secret has no AWSCURRENT SecretString to rotate")
	}
	obj, err := p.ReadJSON(ctx, sec, cur)
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
	return p.Secrets.AddPending(ctx, sec, ev.ClientRequestToken, value)
}

func (p Password) SetSecret(context.Context, *Event) error { return nil }

func (p Password) TestSecret(ctx context.Context, ev *Event) error {
	_, err := p.tested(ctx, ev)
	return err
}

func (p Password) FinishSecret(ctx context.Context, ev *Event) error {
	sec, err := p.tested(ctx, ev)
	if err != nil {
		return err
	}
	return p.Secrets.Promote(ctx, sec, ev.ClientRequestToken)
}

// tested is ev's secret once its new version (ev's token) exists and
// passes the secret's checks.
func (p Password) tested(ctx context.Context, ev *Event) (*Secret, error) {
	sec, err := p.Secret(ctx, ev)
	if err != nil {
		return nil, err
	}
	v := sec.Version(ev.ClientRequestToken)
	if v == nil {
		return nil, fmt.Errorf("version %s does not exist", ev.ClientRequestToken)
	}
	if err := p.Secrets.Check(ctx, sec, v.ID); err != nil {
		return nil, err
	}
	return sec, nil
}
