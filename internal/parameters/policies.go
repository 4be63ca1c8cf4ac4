package parameters

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/dueindex"
)

// Parameter policy types and statuses, as AWS names them.
const (
	policyExpiration         = "Expiration"
	policyExpirationNotify   = "ExpirationNotification"
	policyNoChangeNotify     = "NoChangeNotification"
	statusPending            = "Pending"
	statusFinished           = "Finished"
	maxPolicies              = 10
	msgInvalidPolicyAttr     = "A policy attribute or its value is invalid."
	msgIncompatiblePolicies  = "There is a conflict in the policies specified for this parameter. You can't, for example, specify two Expiration policies for a parameter. Review your policies, and try again."
	msgPoliciesNeedAdvanced  = "Parameter policies are supported only for advanced-tier parameters."
	msgInvalidPolicyType     = "The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification."
	msgPoliciesLimitExceeded = "You specified more than the maximum number of allowed policies for the parameter. The maximum is 10."
)

// policy is one parameter policy with its state.
type policy struct {
	Text   string        `json:"text"` // the policy's JSON, as given
	Type   string        `json:"type"`
	At     time.Time     `json:"at,omitzero"`     // Expiration: when the parameter is deleted
	Offset time.Duration `json:"offset,omitzero"` // ExpirationNotification: Before; NoChangeNotification: After
	Status string        `json:"status"`
}

type policyJSON struct {
	Type       string            `json:"Type"`
	Version    string            `json:"Version"`
	Attributes map[string]string `json:"Attributes"`
}

// parsePolicies reads PutParameter's Policies: a JSON array of Expiration,
// ExpirationNotification and NoChangeNotification policies ("[]" removes
// every policy). now is the time of the request: an expiration must lie
// ahead of it.
func parsePolicies(text string, now time.Time) ([]policy, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, sealbox.Errorf("InvalidPolicyTypeException", "%s", msgInvalidPolicyType)
	}
	if len(raw) > maxPolicies {
		return nil, sealbox.Errorf("PoliciesLimitExceededException", "%s", msgPoliciesLimitExceeded)
	}
	out := make([]policy, 0, len(raw))
	seen := map[string]bool{}
	var expires time.Time
	for _, m := range raw {
		var p policyJSON
		dec := json.NewDecoder(bytes.NewReader(m))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return nil, sealbox.Errorf("InvalidPolicyAttributeException", "%s", msgInvalidPolicyAttr)
		}
		var buf bytes.Buffer
		json.Compact(&buf, m)
		pol := policy{Text: buf.String(), Type: p.Type, Status: statusPending}
		if p.Version != "" && p.Version != "1.0" {
			return nil, sealbox.Errorf("InvalidPolicyAttributeException", "%s", msgInvalidPolicyAttr)
		}
		switch p.Type {
		case policyExpiration:
			t, err := time.Parse(time.RFC3339Nano, p.Attributes["Timestamp"])
			if err != nil || len(p.Attributes) != 1 || !t.After(now) {
				return nil, sealbox.Errorf("InvalidPolicyAttributeException", "%s", msgInvalidPolicyAttr)
			}
			pol.At, expires = t.UTC(), t.UTC()
		case policyExpirationNotify:
			d, err := policyDuration(p.Attributes, "Before")
			if err != nil {
				return nil, err
			}
			pol.Offset = d
		case policyNoChangeNotify:
			d, err := policyDuration(p.Attributes, "After")
			if err != nil {
				return nil, err
			}
			pol.Offset = d
		default:
			return nil, sealbox.Errorf("InvalidPolicyTypeException", "%s", msgInvalidPolicyType)
		}
		if seen[p.Type] {
			return nil, sealbox.Errorf("IncompatiblePolicyException", "%s", msgIncompatiblePolicies)
		}
		seen[p.Type] = true
		out = append(out, pol)
	}
	if seen[policyExpirationNotify] && expires.IsZero() {
		return nil, sealbox.Errorf("IncompatiblePolicyException", "%s", msgIncompatiblePolicies)
	}
	// An ExpirationNotification is due Before ahead of the expiration.
	for i := range out {
		if out[i].Type == policyExpirationNotify {
			out[i].At = expires.Add(-out[i].Offset)
		}
	}
	return out, nil
}

// policyDuration reads {key: "<n>", "Unit": "Days"|"Hours"}.
func policyDuration(attrs map[string]string, key string) (time.Duration, error) {
	n, err := strconv.Atoi(attrs[key])
	bad := sealbox.Errorf("InvalidPolicyAttributeException", "%s", msgInvalidPolicyAttr)
	if err != nil || n < 1 || len(attrs) != 2 {
		return 0, bad
	}
	switch attrs["Unit"] {
	case "Days":
		return time.Duration(n) * 24 * time.Hour, nil
	case "Hours":
		return time.Duration(n) * time.Hour, nil
	}
	return 0, bad
}

// dueAt is when p next falls due for a version last modified at modified;
// zero when it is done.
func (p *policy) dueAt(modified time.Time) time.Time {
	if p.Status != statusPending {
		return time.Time{}
	}
	if p.Type == policyNoChangeNotify {
		return modified.Add(p.Offset)
	}
	return p.At
}

// nextDue is the earliest time one of v's policies falls due (zero: none).
func (v *version) nextDue() time.Time {
	var due time.Time
	for i := range v.Policies {
		if t := v.Policies[i].dueAt(v.Modified); !t.IsZero() && (due.IsZero() || t.Before(due)) {
			due = t
		}
	}
	return due
}

// carryPolicies copies policies to a new version of the parameter: the
// expiration is unchanged by an update, and the no-change clock starts
// again.
func carryPolicies(old []policy) []policy {
	if len(old) == 0 {
		return nil
	}
	out := make([]policy, len(old))
	copy(out, old)
	for i := range out {
		if out[i].Type == policyNoChangeNotify {
			out[i].Status = statusPending
		}
	}
	return out
}

func inlinePolicies(ps []policy) []ParameterInlinePolicy {
	out := make([]ParameterInlinePolicy, 0, len(ps))
	for _, p := range ps {
		out = append(out, ParameterInlinePolicy{PolicyText: p.Text, PolicyType: p.Type, PolicyStatus: p.Status})
	}
	return out
}

// setDue reindexes p under its next due time.
func setDue(tx store.Tx, p *paramRecord, oldDue time.Time) error {
	p.Due = p.nextDue()
	if oldDue.Equal(p.Due) {
		return nil
	}
	if !oldDue.IsZero() {
		if err := tx.Delete(dueKey(oldDue, p.Region, p.Name)); err != nil {
			return err
		}
	}
	if p.Due.IsZero() {
		return nil
	}
	return tx.Put(dueKey(p.Due, p.Region, p.Name), []byte{})
}

// RunDue carries out the parameter policies whose time has come as of now:
// it deletes parameters whose Expiration is reached, and sends
// ExpirationNotification and NoChangeNotification notifications through the
// Notifier. The server's sweeper calls it periodically; it is safe to call
// at any time and from several servers (each change is its own transaction
// and rechecks). Notifications are sent before the change that records them
// commits: at least once, never lost. It returns how many parameters
// expired and how many notifications were sent.
func (s *Service) RunDue(ctx context.Context, now time.Time) (expired, notified int, err error) {
	var work []dueindex.Entry
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		work, err = dues.Due(tx, now)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	for _, w := range work {
		e, n, err := s.runOne(ctx, w.Key, w.Region, w.Name, now)
		expired += e
		notified += n
		if err != nil {
			return expired, notified, err
		}
	}
	return expired, notified, nil
}

// runOne carries out what is due for one parameter.
func (s *Service) runOne(ctx context.Context, key, region, name string, now time.Time) (expired, notified int, err error) {
	var p *paramRecord
	err = s.store.View(ctx, func(tx store.Tx) (err error) {
		p, err = loadForUpdate(tx, region, name)
		return err
	})
	if isNotFound(err) || (err == nil && (p.Due.IsZero() || dueKey(p.Due, region, p.Name) != key)) {
		// A stale index entry: the parameter is gone or was reindexed.
		return 0, 0, s.store.Update(ctx, func(tx store.Tx) error { return tx.Delete(key) })
	}
	if err != nil {
		return 0, 0, err
	}
	if p.Due.After(now) {
		return 0, 0, nil
	}
	var notes []*Notification
	expire := false
	for i := range p.Policies {
		pol := &p.Policies[i]
		at := pol.dueAt(p.Modified)
		if at.IsZero() || at.After(now) {
			continue
		}
		if pol.Type == policyExpiration {
			expire = true
		}
		notes = append(notes, &Notification{PolicyType: pol.Type, Region: p.Region, AccountID: p.Account,
			Name: p.Name, ARN: p.arn(), Version: p.Version, Time: now, PolicyText: pol.Text})
	}
	// Notifications first, then the change that records them.
	if s.notify != nil {
		for _, n := range notes {
			if err := s.notify.Notify(ctx, n); err != nil {
				return 0, notified, err
			}
			notified++
		}
	}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		expired = 0 // fn runs again after a conflict on a shared store
		cur, err := loadForUpdate(tx, region, name)
		if isNotFound(err) {
			return tx.Delete(key)
		}
		if err != nil {
			return err
		}
		if cur.Version != p.Version || !cur.Due.Equal(p.Due) {
			return nil // changed meanwhile; its new index entry decides
		}
		if expire {
			expired = 1
			return deleteParameter(tx, cur)
		}
		for i := range cur.Policies {
			if at := cur.Policies[i].dueAt(cur.Modified); !at.IsZero() && !at.After(now) {
				cur.Policies[i].Status = statusFinished
			}
		}
		if err := setDue(tx, cur, cur.Due); err != nil {
			return err
		}
		return save(tx, cur)
	})
	return expired, notified, err
}
