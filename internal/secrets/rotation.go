package secrets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store"
)

// Rotation, as AWS runs it: RotateSecret records the rotation function (the
// RotationLambdaARN) and the schedule, and the scheduler (RunDue) runs each
// rotation as AWS's four steps, createSecret, setSecret, testSecret and
// finishSecret, each an event {"Step", "SecretId", "ClientRequestToken",
// "RotationToken"} given to the rotator the RotationLambdaARN names. The
// ClientRequestToken is the id of the new version.
//
// A rotator is either built in (RotationLambdaARN
// arn:aws:lambda:<region>:<account>:function:<name>, where <name> is
// sealbox-generate-password, sealbox-postgresql-single-user or
// sealbox-postgresql-multi-user), or
// registered by the operator (RotationTargets: an HTTPS webhook in
// sealbox's server). A webhook rotator calls back into sealbox with its own
// credentials, as a Lambda rotation function calls Secrets Manager: it puts
// the new value as AWSPENDING with the ClientRequestToken in createSecret,
// and moves AWSCURRENT to it in finishSecret. The engine only sends the
// events and checks the outcomes: after createSecret a version with the
// token's id carries AWSPENDING (and satisfies the secret's validation
// schema); after finishSecret AWSCURRENT is on it.
//
// A failed step ends the attempt: AWSCURRENT stays where it was, the
// pending version is kept, and the same rotation (same token) is tried
// again after an exponential backoff with jitter, up to maxAttempts; then
// it waits for the next scheduled window, where it is reattempted. Every
// step and its outcome is given to the Notifier (the audit trail), without
// any value.

// The four steps.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// RotationEvent is the event a rotation function receives, in the shape
// AWS gives a Lambda rotation function.
type RotationEvent struct {
	Step               string `json:"Step"`
	SecretId           string `json:"SecretId"` // the secret's ARN
	ClientRequestToken string `json:"ClientRequestToken"`
	RotationToken      string `json:"RotationToken"`
}

// Rotator runs the four steps of a rotation. Each step is retried on a
// later attempt with the same event, so each must be idempotent (as AWS's
// rotation function templates are). The webhook rotator and the built-in
// rotators (password, PostgreSQL) implement it.
type Rotator interface {
	CreateSecret(ctx context.Context, ev *RotationEvent) error
	SetSecret(ctx context.Context, ev *RotationEvent) error
	TestSecret(ctx context.Context, ev *RotationEvent) error
	FinishSecret(ctx context.Context, ev *RotationEvent) error
}

// RotationTargets resolves a RotationLambdaARN to the rotator the operator
// registered for it.
type RotationTargets interface {
	Rotator(lambdaARN string) (Rotator, bool)
}

// RotationNotice is one rotation event for the audit trail: the start, a
// step and its outcome, or the attempt's outcome. It never holds a value.
type RotationNotice struct {
	// EventName is "RotationStarted", "RotationStep", "RotationSucceeded"
	// or "RotationFailed"; for RotateSecret's trial, "TestRotationStarted",
	// "RotationStep", "TestRotationSucceeded" or "TestRotationFailed".
	EventName string
	Step      string // for RotationStep
	Failed    bool
	Message   string // why it failed
	Attempt   int
	Region    string
	AccountID string
	Name      string
	ARN       string
	VersionID string // the rotation's ClientRequestToken
	LambdaARN string
	Time      time.Time
}

// Notifier records rotation notices. An error fails the attempt (the audit
// trail fails closed).
type Notifier interface {
	Notify(ctx context.Context, n *RotationNotice) error
}

// rotationState is a secret's rotation configuration and the rotation in
// progress.
type rotationState struct {
	Enabled     bool           `json:"enabled"`
	LambdaARN   string         `json:"lambdaArn,omitempty"`
	Rules       *RotationRules `json:"rules,omitempty"`
	LastRotated time.Time      `json:"lastRotated,omitzero"`
	Next        time.Time      `json:"next,omitzero"` // the next scheduled window
	// Token is the rotation in progress: the id of its pending version.
	Token    string `json:"token,omitempty"`
	Attempts int    `json:"attempts,omitempty"` // failed attempts of Token
	// Due is when the scheduler looks at the secret next, indexed under
	// rotationPrefix.
	Due time.Time `json:"due,omitzero"`
	// Trial asks the scheduler for RotateSecret's test of the
	// configuration (RotateImmediately false): testSecret alone.
	Trial bool `json:"trial,omitempty"`
	// Master is the master secret the alternating-users rotator may use:
	// the one the secret named when RotateSecret's caller, who may read
	// it, configured the rotation.
	Master string `json:"master,omitempty"`
}

const (
	rotationPrefix = "sm/_rot/" // "_" is in no region name

	// BuiltInPasswordRotator is the function name of the built-in rotator:
	// it sets the "password" field of the JSON SecretString to a new
	// random password. sealbox- is a prefix no AWS-managed function uses.
	BuiltInPasswordRotator = "sealbox-generate-password"

	maxAttempts   = 5
	backoffBase   = time.Minute
	backoffMax    = time.Hour
	stepTimeout   = 2 * time.Minute
	rotationLease = 4*stepTimeout + time.Minute
)

func rotationKey(at time.Time, region, name string) string {
	return rotationPrefix + fmt.Sprintf("%020d", at.UnixNano()) + "/" + region + "/" + name
}

// setDue moves the secret's entry in the rotation index to at (zero: none).
func setDue(tx store.Tx, sec *secretRecord, at time.Time) error {
	r := sec.Rotation
	if !r.Due.IsZero() {
		if err := tx.Delete(rotationKey(r.Due, sec.Region, sec.Name)); err != nil && !isNotFound(err) {
			return err
		}
	}
	r.Due = at
	if at.IsZero() {
		return nil
	}
	return tx.Put(rotationKey(at, sec.Region, sec.Name), nil)
}

// backoff is the wait after the nth failed attempt: exponential from
// backoffBase, capped at backoffMax, the upper half jittered.
func backoff(n int) time.Duration {
	d := backoffBase << min(n-1, 10)
	if d > backoffMax {
		d = backoffMax
	}
	return d/2 + time.Duration(rand.N(int(d/2/time.Second)+1))*time.Second
}

func errRotationInProgress() error {
	return errInvalidRequest("A previous rotation isn't complete. That rotation will be reattempted.")
}

// inProgress reports whether AWSPENDING is on a version AWSCURRENT is not
// on: RotateSecret's test for a rotation still in progress.
func (s *secretRecord) inProgress() bool {
	p, c := s.staged(StagePending), s.staged(StageCurrent)
	return p != nil && (c == nil || p.ID != c.ID) || s.Rotation != nil && s.Rotation.Token != ""
}

// builtIn answers the function name lambdaARN gives if it names one of
// the built-in rotators in the secret's account, else "".
func builtIn(sec *secretRecord, lambdaARN string) string {
	p := strings.Split(lambdaARN, ":")
	if len(p) != 7 || p[0] != "arn" || p[2] != "lambda" || p[4] != sec.Account || p[5] != "function" {
		return ""
	}
	switch p[6] {
	case BuiltInPasswordRotator, BuiltInPostgresSingleUser, BuiltInPostgresMultiUser:
		return p[6]
	}
	return ""
}

// rotatorFor resolves the rotator of sec's lambdaARN, or nil.
func (s *Service) rotatorFor(sec *secretRecord, lambdaARN string) Rotator {
	switch builtIn(sec, lambdaARN) {
	case BuiltInPasswordRotator:
		return &passwordRotator{s: s}
	case BuiltInPostgresSingleUser:
		return &postgresRotator{p: passwordRotator{s: s}}
	case BuiltInPostgresMultiUser:
		return &postgresRotator{p: passwordRotator{s: s}, multiUser: true}
	}
	if s.targets != nil {
		if r, ok := s.targets.Rotator(lambdaARN); ok {
			return r
		}
	}
	return nil
}

// RotationWake is signalled when a rotation should start now, so the
// server's scheduler need not wait for its next tick.
func (s *Service) RotationWake() <-chan struct{} { return s.wake }

func (s *Service) kick() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// RotateSecret configures a secret's rotation (RotationLambdaARN,
// RotationRules) and, unless RotateImmediately is false, starts a rotation
// whose new version is ClientRequestToken. The rotation runs
// asynchronously, as in AWS: the answer's VersionId is the version it
// will create.
func (s *Service) RotateSecret(ctx context.Context, in *RotateSecretInput) (*RotationOutput, error) {
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	sec, err := s.access(ctx, in.SecretId, "RotateSecret", nil, false)
	if err != nil {
		return nil, err
	}
	lambdaARN := in.RotationLambdaARN
	rules := in.RotationRules
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
	sc, err := parseRules(rules)
	if err != nil {
		return nil, err
	}
	if s.rotatorFor(sec, lambdaARN) == nil {
		return nil, sealbox.Errorf("AccessDeniedException", "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com. (sealbox: no rotation target is registered for %s; see --rotation-targets)", lambdaARN)
	}
	if sec.inProgress() {
		return nil, errRotationInProgress()
	}
	var master string
	if builtIn(sec, lambdaARN) == BuiltInPostgresMultiUser {
		if master, err = s.checkMaster(ctx, sec); err != nil {
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
			cur.Rotation = &rotationState{}
		}
		r := cur.Rotation
		r.Enabled, r.LambdaARN, r.Rules, r.Master = true, lambdaARN, rules, master
		r.Next, r.Trial = time.Time{}, false
		if sc != nil {
			base := r.LastRotated
			if base.IsZero() {
				base = now
			}
			if r.Next = sc.next(base); r.Next.Before(now) {
				r.Next = sc.next(now)
			}
		}
		due := r.Next
		if immediate {
			r.Token, r.Attempts, due = token, 0, now
		} else if cur.staged(StageCurrent) != nil {
			r.Trial, due = true, now
		}
		return setDue(tx, cur, due)
	})
	if err != nil {
		return nil, err
	}
	res := &RotationOutput{ARN: out.ARN, Name: out.Name}
	if immediate {
		res.VersionId = token
	}
	s.kick()
	return res, nil
}

// CancelRotateSecret turns automatic rotation off and cancels a rotation in
// progress. As in AWS, the version a failed or cancelled rotation left
// labelled AWSPENDING is kept, and its id answered: the caller decides
// whether to remove the label.
func (s *Service) CancelRotateSecret(ctx context.Context, in *SecretIDInput) (*RotationOutput, error) {
	sec, err := s.access(ctx, in.SecretId, "CancelRotateSecret", nil, false)
	if err != nil {
		return nil, err
	}
	var pending string
	out, err := s.update(ctx, sec, false, func(tx store.Tx, cur *secretRecord) error {
		if p, c := cur.staged(StagePending), cur.staged(StageCurrent); p != nil && (c == nil || p.ID != c.ID) {
			pending = p.ID
		}
		if cur.Rotation == nil {
			return nil
		}
		if cur.Rotation.Token != "" && pending == "" && cur.version(cur.Rotation.Token) != nil {
			pending = cur.Rotation.Token
		}
		cur.Rotation.Enabled, cur.Rotation.Next, cur.Rotation.Token, cur.Rotation.Attempts, cur.Rotation.Trial = false, time.Time{}, "", 0, false
		return setDue(tx, cur, time.Time{})
	})
	if err != nil {
		return nil, err
	}
	return &RotationOutput{ARN: out.ARN, Name: out.Name, VersionId: pending}, nil
}

// runRotations runs the rotations due by now, one after the other, and
// returns how many completed.
func (s *Service) runRotations(ctx context.Context, now time.Time) (rotated int, err error) {
	type due struct{ key, region, name string }
	var list []due
	nowKey := fmt.Sprintf("%020d", now.UnixNano())
	err = s.store.View(ctx, func(tx store.Tx) error {
		return tx.Scan(rotationPrefix, "", func(k string, _ []byte) error {
			parts := strings.SplitN(strings.TrimPrefix(k, rotationPrefix), "/", 3)
			if len(parts) != 3 {
				return nil
			}
			if parts[0] > nowKey {
				return store.ErrStop
			}
			list = append(list, due{k, parts[1], parts[2]})
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	for _, d := range list {
		if err := ctx.Err(); err != nil {
			return rotated, err
		}
		ok, err := s.rotateOnce(ctx, d.key, d.region, d.name, now)
		if err != nil {
			return rotated, err
		}
		if ok {
			rotated++
		}
	}
	return rotated, nil
}

// attempt is a claimed rotation attempt, or a trial.
type attempt struct {
	sec       *secretRecord // as claimed
	token     string
	lambdaARN string
	number    int
	// trial is RotateSecret's test of the configuration: testSecret
	// alone, on the AWSCURRENT version (token).
	trial bool
}

// claim takes the rotation indexed under key for one attempt, in one
// transaction, so that two schedulers never run the same rotation: it
// starts a scheduled rotation (a new token, or the pending version of one
// not complete), and moves the index entry to the end of a lease.
func (s *Service) claim(ctx context.Context, key, region, name string, now time.Time) (*attempt, error) {
	var a *attempt
	err := s.store.Update(ctx, func(tx store.Tx) error {
		a = nil
		var sec secretRecord
		err := store.GetJSON(tx, secretKey(region, name), &sec)
		if isNotFound(err) {
			return tx.Delete(key)
		}
		if err != nil {
			return err
		}
		r := sec.Rotation
		if r == nil || r.Due.IsZero() || rotationKey(r.Due, region, name) != key || r.Due.After(now) {
			return tx.Delete(key) // a stale entry
		}
		if sec.deleted() {
			// Look again when the deletion is due: a secret restored
			// before then resumes its rotation.
			return setDue(tx, &sec, sec.Deletion.Add(time.Second))
		}
		if r.Token == "" && r.Trial {
			r.Trial = false
			if err := setDue(tx, &sec, r.Next); err != nil {
				return err
			}
			if c := sec.staged(StageCurrent); c != nil && r.Enabled {
				a = &attempt{sec: &sec, token: c.ID, lambdaARN: r.LambdaARN, number: 1, trial: true}
			}
			return save(tx, &sec)
		}
		if r.Token == "" {
			if !r.Enabled {
				return setDue(tx, &sec, time.Time{})
			}
			r.Token, r.Attempts = ids.UUID(), 0
			if p, c := sec.staged(StagePending), sec.staged(StageCurrent); p != nil && (c == nil || p.ID != c.ID) {
				r.Token = p.ID // that rotation is reattempted
			}
		}
		if r.Attempts >= maxAttempts {
			r.Attempts = 0 // the next window: a fresh series of attempts
		}
		if err := setDue(tx, &sec, now.Add(rotationLease)); err != nil {
			return err
		}
		a = &attempt{sec: &sec, token: r.Token, lambdaARN: r.LambdaARN, number: r.Attempts + 1}
		return save(tx, &sec)
	})
	return a, err
}

// serviceContext is the context the engine acts in: a request of the
// secret's account, made by Secrets Manager itself. The built-in rotators
// act as the account (its root), as AWS's managed rotation acts with the
// service's own access; KMS sees kms:ViaService = secretsmanager.
func serviceContext(ctx context.Context, sec *secretRecord, now time.Time) context.Context {
	return sealbox.NewContext(ctx, &sealbox.Request{ID: ids.UUID(), Time: now, Region: sec.Region, Partition: sec.Partition,
		AccountID: sec.Account, SourceIP: "secretsmanager.amazonaws.com", UserAgent: "secretsmanager.amazonaws.com",
		Principal: sealbox.Principal{Type: "Root", ARN: "arn:" + sec.Partition + ":iam::" + sec.Account + ":root",
			AccountID: sec.Account, PrincipalID: sec.Account}})
}

// rotateOnce claims and runs one attempt of the rotation indexed under
// key; it reports whether the rotation completed.
func (s *Service) rotateOnce(ctx context.Context, key, region, name string, now time.Time) (bool, error) {
	a, err := s.claim(ctx, key, region, name, now)
	if err != nil || a == nil {
		return false, err
	}
	sctx := serviceContext(ctx, a.sec, now)
	notice := func(event, step string, failure error) error {
		if s.notifier == nil {
			return nil
		}
		n := &RotationNotice{EventName: event, Step: step, Attempt: a.number, Region: a.sec.Region, AccountID: a.sec.Account,
			Name: a.sec.Name, ARN: a.sec.ARN, VersionID: a.token, LambdaARN: a.lambdaARN, Time: s.clock.Now().UTC()}
		if failure != nil {
			n.Failed, n.Message = true, failureMessage(failure)
		}
		return s.notifier.Notify(ctx, n)
	}
	if a.trial {
		return false, s.runTrial(sctx, a, notice)
	}
	failure := notice("RotationStarted", "", nil)
	if failure == nil {
		failure = s.runSteps(sctx, a, notice)
	}
	ok := failure == nil
	now = s.clock.Now().UTC()
	_, err = s.update(ctx, a.sec, true, func(tx store.Tx, cur *secretRecord) error {
		r := cur.Rotation
		if r == nil || r.Token != a.token {
			return nil // cancelled or reconfigured meanwhile
		}
		var next time.Time
		if sc, _ := parseRules(r.Rules); sc != nil && r.Enabled {
			next = sc.next(now)
		}
		if ok {
			r.LastRotated, r.Token, r.Attempts, r.Next = now, "", 0, next
			return setDue(tx, cur, next)
		}
		r.Attempts = a.number
		if r.Attempts < maxAttempts {
			return setDue(tx, cur, now.Add(backoff(r.Attempts)))
		}
		r.Next = next
		return setDue(tx, cur, next) // zero: no schedule, the rotation waits for the operator
	})
	if err != nil {
		return false, err
	}
	if ok {
		return true, notice("RotationSucceeded", "", nil)
	}
	return false, notice("RotationFailed", "", failure)
}

// runTrial runs RotateSecret's test of a rotation configured without
// RotateImmediately: as AWS does, the rotation function's testSecret step
// alone, here on the AWSCURRENT version, so that nothing changes and a
// rotator checks what it can (the built-in database rotators log in with
// the current credentials and, for alternating users, the master's). Its
// outcome is recorded as TestRotationStarted, the step, and
// TestRotationSucceeded or TestRotationFailed.
func (s *Service) runTrial(ctx context.Context, a *attempt, notice func(event, step string, failure error) error) error {
	if err := notice("TestRotationStarted", "", nil); err != nil {
		return err
	}
	var failure error
	if rot := s.rotatorFor(a.sec, a.lambdaARN); rot == nil {
		failure = fmt.Errorf("no rotation target is registered for %s", a.lambdaARN)
	} else {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		failure = rot.TestSecret(sctx, &RotationEvent{Step: StepTest, SecretId: a.sec.ARN, ClientRequestToken: a.token, RotationToken: a.token})
		cancel()
	}
	if err := notice("RotationStep", StepTest, failure); err != nil {
		return err
	}
	if failure != nil {
		return notice("TestRotationFailed", "", failure)
	}
	return notice("TestRotationSucceeded", "", nil)
}

// checkMaster is RotateSecret's check for the alternating-users rotator:
// the master secret the secret's AWSCURRENT names (masterarn) exists and
// the caller may read it, so that configuring a rotation never lends the
// master's power to someone who could not use it. It answers the master's
// ARN, the only master the rotation will then use.
func (s *Service) checkMaster(ctx context.Context, sec *secretRecord) (string, error) {
	r := &postgresRotator{p: passwordRotator{s: s}, multiUser: true}
	c := sec.staged(StageCurrent)
	if c == nil {
		return "", errInvalidRequest("The secret has no AWSCURRENT version for the alternating-users rotator to start from.")
	}
	creds, err := r.versionCreds(serviceContext(ctx, sec, s.clock.Now().UTC()), sec, c, false)
	if err != nil {
		if _, ok := sealbox.AsError(err); ok {
			return "", err
		}
		return "", errInvalidRequest("The secret's AWSCURRENT value is not a database secret the alternating-users rotator can use: %v.", err)
	}
	if creds.masterARN == "" {
		return "", errInvalidRequest("The secret's AWSCURRENT value lacks the \"masterarn\" field the alternating-users rotator needs.")
	}
	var master *secretRecord
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		master, err = s.find(tx, sealbox.MustRequest(ctx), creds.masterARN)
		return err
	})
	if isNotFound(err) || err == nil && master.deleted() {
		return "", errInvalidRequest("The master secret %s does not exist in the secret's account and Region.", creds.masterARN)
	}
	if err != nil {
		return "", err
	}
	if err := s.authorize(ctx, "GetSecretValue", master.ARN, master, versionConditions("", StageCurrent)); err != nil {
		return "", err
	}
	return master.ARN, nil
}

// failureMessage words a step's failure for the audit trail: the
// service's own error message, or the rotator's error.
func failureMessage(err error) string {
	if e, ok := sealbox.AsError(err); ok {
		return e.Code + ": " + e.Message
	}
	return err.Error()
}

// runSteps runs the four steps of attempt a and checks their outcomes.
func (s *Service) runSteps(ctx context.Context, a *attempt, notice func(event, step string, failure error) error) error {
	rot := s.rotatorFor(a.sec, a.lambdaARN)
	ev := &RotationEvent{SecretId: a.sec.ARN, ClientRequestToken: a.token, RotationToken: a.token}
	steps := []struct {
		name  string
		run   func(context.Context, *RotationEvent) error
		check func(context.Context) error
	}{
		{StepCreate, nil, func(ctx context.Context) error { return s.checkPending(ctx, a) }},
		{StepSet, nil, nil},
		{StepTest, nil, nil},
		{StepFinish, nil, func(ctx context.Context) error { return s.checkFinished(ctx, a) }},
	}
	if rot != nil {
		steps[0].run, steps[1].run, steps[2].run, steps[3].run = rot.CreateSecret, rot.SetSecret, rot.TestSecret, rot.FinishSecret
	}
	for _, st := range steps {
		e := *ev
		e.Step = st.name
		var err error
		if st.run == nil {
			err = fmt.Errorf("no rotation target is registered for %s", a.lambdaARN)
		} else {
			sctx, cancel := context.WithTimeout(ctx, stepTimeout)
			err = st.run(sctx, &e)
			if err == nil && st.check != nil {
				err = st.check(sctx)
			}
			cancel()
		}
		if nerr := notice("RotationStep", st.name, err); nerr != nil && err == nil {
			err = nerr
		}
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
	}
	return nil
}

// reload reads a's secret afresh.
func (s *Service) reload(ctx context.Context, a *attempt) (*secretRecord, error) {
	var sec secretRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		return store.GetJSON(tx, secretKey(a.sec.Region, a.sec.Name), &sec)
	})
	if isNotFound(err) || err == nil && sec.ARN != a.sec.ARN {
		return nil, errors.New("the secret is gone")
	}
	return &sec, err
}

// checkPending checks createSecret's outcome: the version of the token
// carries AWSPENDING and satisfies the secret's validation schema.
func (s *Service) checkPending(ctx context.Context, a *attempt) error {
	sec, err := s.reload(ctx, a)
	if err != nil {
		return err
	}
	v := sec.version(a.token)
	if v == nil || !hasStage(v, StagePending) && !hasStage(v, StageCurrent) {
		return fmt.Errorf("createSecret did not leave a version %s labelled AWSPENDING", a.token)
	}
	return s.checkVersion(ctx, sec, v)
}

// checkFinished checks finishSecret's outcome: AWSCURRENT is on the
// token's version.
func (s *Service) checkFinished(ctx context.Context, a *attempt) error {
	sec, err := s.reload(ctx, a)
	if err != nil {
		return err
	}
	if c := sec.staged(StageCurrent); c == nil || c.ID != a.token {
		return fmt.Errorf("finishSecret did not move AWSCURRENT to version %s", a.token)
	}
	return nil
}

func hasStage(v *versionMeta, label string) bool {
	for _, l := range v.Stages {
		if l == label {
			return true
		}
	}
	return false
}

// checkVersion opens version v of sec and checks it against the secret's
// validation schema, if it has one.
func (s *Service) checkVersion(ctx context.Context, sec *secretRecord, v *versionMeta) error {
	if sc, err := sec.schemaOf(); err != nil || sc == nil {
		return err
	}
	var rec valueRecord
	err := s.store.View(ctx, func(tx store.Tx) error {
		return store.GetJSON(tx, valueKey(sec.Region, sec.Name, v.ID), &rec)
	})
	if err != nil {
		return err
	}
	pt, err := s.open(ctx, sec.ARN, v.ID, &rec)
	if err != nil {
		return err
	}
	defer clear(pt)
	return checkValue(sec, pt, v.Binary)
}

// rotationFields are the rotation members of DescribeSecret and
// ListSecrets: RotationEnabled, RotationLambdaARN, RotationRules,
// LastRotatedDate and NextRotationDate (while rotation is on).
func (s *secretRecord) rotationFields() (*bool, string, *RotationRules, *sealbox.Timestamp, *sealbox.Timestamp) {
	r := s.Rotation
	if r == nil {
		return nil, "", nil, nil, nil
	}
	enabled := r.Enabled
	var next *sealbox.Timestamp
	if r.Enabled {
		next = sealbox.At(r.Next)
	}
	return &enabled, r.LambdaARN, r.Rules, sealbox.At(r.LastRotated), next
}
