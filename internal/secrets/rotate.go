package secrets

import (
	"context"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/secrets/rotation"
	"github.com/sealbox/sealbox/internal/store"
)

// RotateSecret and CancelRotateSecret configure a secret's rotation; the
// engine (package rotation, s.rotation) runs it.

// RotationWake is signalled when a rotation should start now, so the
// server's scheduler need not wait for its next tick.
func (s *Service) RotationWake() <-chan struct{} { return s.rotation.Wake() }

// WakeRotationsOnDue signals RotationWake whenever a commit seen on feed
// makes a rotation due now, until cancel is called (rotation.Engine's
// WakeOnDue): the elected server watches the feed while it leads, so
// that RotateSecret answered by any server starts the rotation on it.
func (s *Service) WakeRotationsOnDue(feed store.Feed) (cancel func()) {
	return s.rotation.WakeOnDue(feed)
}

// WaitRotations returns once the rotation engine is idle (rotation.Engine's
// WaitIdle): every rotation RotateSecret started so far has had its
// attempt, and none is running; or with ctx's error. Only the server that
// leads runs rotations: on another, call it on the leader's service.
func (s *Service) WaitRotations(ctx context.Context) error { return s.rotation.WaitIdle(ctx) }

func errRotationInProgress() error {
	return errInvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
}

// inProgress reports whether AWSPENDING is on a version AWSCURRENT is not
// on: RotateSecret's test for a rotation still in progress.
func (s *secretRecord) inProgress() bool {
	p, c := s.staged(StagePending), s.staged(StageCurrent)
	return p != nil && (c == nil || p.ID != c.ID) || s.Rotation != nil && s.Rotation.Token != ""
}

// RotateSecret configures a secret's rotation (RotationLambdaARN,
// RotationRules) and, unless RotateImmediately is false, starts a rotation
// whose new version is ClientRequestToken. The rotation runs
// asynchronously, as in AWS: the answer's VersionId is the version it
// will create.
func (s *Service) RotateSecret(ctx context.Context, in *RotateSecretRequest) (*RotateSecretResponse, error) {
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	sec, err := s.access(ctx, in.SecretId, "RotateSecret", nil, false)
	if err != nil {
		return nil, err
	}
	lambdaARN := in.RotationLambdaARN
	rules := rulesIn(in.RotationRules)
	if sec.Rotation != nil {
		if lambdaARN == "" {
			lambdaARN = sec.Rotation.LambdaARN
		}
		if rules == nil {
			rules = sec.Rotation.Rules
		}
	}
	if lambdaARN == "" {
		return nil, errInvalidRequest("No Lambda rotation function ARN is associated with this secret.")
	}
	sc, err := rotation.ParseRules(rules)
	if err != nil {
		return nil, err
	}
	if s.rotation.Rotator(sec.view(), lambdaARN) == nil {
		return nil, sealbox.Errorf("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com. (sealbox: no rotation target is registered for %s; see --rotation-targets)", lambdaARN)
	}
	if sec.inProgress() {
		return nil, errRotationInProgress()
	}
	master, err := s.rotation.MasterARN(ctx, sec.view(), lambdaARN)
	if err != nil {
		return nil, err
	}
	if master != "" {
		if master, err = s.checkMaster(ctx, master); err != nil {
			return nil, err
		}
	}
	immediate := in.RotateImmediately == nil || *in.RotateImmediately
	token := in.ClientRequestToken
	if token == "" {
		token = ids.UUID()
	}
	if immediate && sec.version(token) != nil {
		return nil, errVersionExists(token, sec.ARN)
	}
	now := s.clock.Now().UTC()
	out, err := s.update(ctx, sec, false, func(tx store.Tx, cur *secretRecord) error {
		if cur.inProgress() {
			return errRotationInProgress()
		}
		if cur.Rotation == nil {
			cur.Rotation = &rotation.State{}
		}
		r := cur.Rotation
		r.Enabled, r.LambdaARN, r.Rules, r.Master = true, lambdaARN, rules, master
		r.Next, r.Trial = time.Time{}, false
		if sc != nil {
			base := r.LastRotated
			if base.IsZero() {
				base = now
			}
			if r.Next = sc.Next(base); r.Next.Before(now) {
				r.Next = sc.Next(now)
			}
		}
		due := r.Next
		r.Lease, r.Step = "", "" // of a rotation cancelled: this one starts afresh
		if immediate {
			r.Token, r.Attempts, due = token, 0, now
		} else if cur.staged(StageCurrent) != nil {
			r.Trial, due = true, now
		}
		return r.SetDue(tx, cur.Region, cur.Name, due)
	})
	if err != nil {
		return nil, err
	}
	res := &RotateSecretResponse{ARN: out.ARN, Name: out.Name}
	if immediate {
		res.VersionId = token
	}
	s.rotation.Kick()
	return res, nil
}

// CancelRotateSecret turns automatic rotation off and cancels a rotation in
// progress. As in AWS, the version a failed or cancelled rotation left
// labelled AWSPENDING is kept, and its id answered: the caller decides
// whether to remove the label.
func (s *Service) CancelRotateSecret(ctx context.Context, in *CancelRotateSecretRequest) (*CancelRotateSecretResponse, error) {
	sec, err := s.access(ctx, in.SecretId, "CancelRotateSecret", nil, false)
	if err != nil {
		return nil, err
	}
	var pending string
	out, err := s.update(ctx, sec, false, func(tx store.Tx, cur *secretRecord) error {
		pending = "" // fn runs again after a conflict on a shared store
		if p, c := cur.staged(StagePending), cur.staged(StageCurrent); p != nil && (c == nil || p.ID != c.ID) {
			pending = p.ID
		}
		if cur.Rotation == nil {
			return nil
		}
		if cur.Rotation.Token != "" && pending == "" && cur.version(cur.Rotation.Token) != nil {
			pending = cur.Rotation.Token
		}
		// Clearing Token and Lease stops an attempt running now at its
		// next step or lease renewal (rotation.Engine).
		cur.Rotation.Enabled, cur.Rotation.Next, cur.Rotation.Token, cur.Rotation.Attempts, cur.Rotation.Trial = false, time.Time{}, "", 0, false
		cur.Rotation.Lease, cur.Rotation.Step = "", ""
		return cur.Rotation.SetDue(tx, cur.Region, cur.Name, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return &CancelRotateSecretResponse{ARN: out.ARN, Name: out.Name, VersionId: pending}, nil
}

// checkMaster is RotateSecret's check of the master secret arn the
// alternating-users rotator will act with: it exists and the caller may
// read it, so that configuring a rotation never lends the master's power
// to someone who could not use it. It answers the master's ARN, the only
// master the rotation will then use.
func (s *Service) checkMaster(ctx context.Context, arn string) (string, error) {
	var master *secretRecord
	err := s.store.View(ctx, func(tx store.Tx) (err error) {
		master, err = s.find(tx, sealbox.MustRequest(ctx), arn)
		return err
	})
	if isNotFound(err) || err == nil && master.deleted() {
		return "", errInvalidRequest("The master secret %s does not exist in the secret's account and Region.", arn)
	}
	if err != nil {
		return "", err
	}
	if err := s.authorize(ctx, "GetSecretValue", master.ARN, master, versionConditions("", StageCurrent)); err != nil {
		return "", err
	}
	return master.ARN, nil
}

// rotationFields are the rotation members of DescribeSecret and
// ListSecrets: RotationEnabled, RotationLambdaARN, RotationRules,
// LastRotatedDate and NextRotationDate (while rotation is on).
func (s *secretRecord) rotationFields() (*bool, string, *RotationRulesType, *sealbox.Timestamp, *sealbox.Timestamp) {
	r := s.Rotation
	if r == nil {
		return nil, "", nil, nil, nil
	}
	enabled := r.Enabled
	var next *sealbox.Timestamp
	if r.Enabled {
		next = sealbox.At(r.Next)
	}
	return &enabled, r.LambdaARN, rulesOut(r.Rules), sealbox.At(r.LastRotated), next
}

// rulesIn and rulesOut carry RotationRulesType between the wire and the
// rotation state.
func rulesIn(r *RotationRulesType) *rotation.Rules {
	if r == nil {
		return nil
	}
	return &rotation.Rules{AutomaticallyAfterDays: r.AutomaticallyAfterDays, Duration: r.Duration, ScheduleExpression: r.ScheduleExpression}
}

func rulesOut(r *rotation.Rules) *RotationRulesType {
	if r == nil {
		return nil
	}
	return &RotationRulesType{AutomaticallyAfterDays: r.AutomaticallyAfterDays, Duration: r.Duration, ScheduleExpression: r.ScheduleExpression}
}
