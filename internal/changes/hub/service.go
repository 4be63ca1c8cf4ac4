package hub

import (
	"context"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/changes"
)

// Secrets is what the feed asks Secrets Manager of each changed secret:
// may the caller read it, and what is its ARN.
type Secrets interface {
	Readable(ctx context.Context, name string) (arn string, deleted, ok bool)
}

// Parameters is the same question to Parameter Store.
type Parameters interface {
	Readable(ctx context.Context, keyName string) (name, arn string, deleted, ok bool)
}

// Service answers Sealbox.GetChanges.
type Service struct {
	hub     *Hub
	secrets Secrets
	params  Parameters
}

// NewService serves hub's changes, filtered for each caller by what
// secrets and params say it may read.
func NewService(hub *Hub, secrets Secrets, params Parameters) *Service {
	return &Service{hub: hub, secrets: secrets, params: params}
}

// GetChanges answers the changes after Cursor to the parameters and secrets
// of the caller's region that the caller may read (ssm:GetParameter,
// secretsmanager:GetSecretValue), at most one per parameter or secret, in
// commit order of their last change. With none yet, it waits up to
// WaitTimeSeconds (at most 20) for one. An empty, foreign or too old
// Cursor answers Reset and the cursor of now at once: the caller may have
// missed changes and must drop what it cached.
func (s *Service) GetChanges(ctx context.Context, in *changes.GetChangesInput) (*changes.GetChangesOutput, error) {
	var region string
	if r := sealbox.RequestFromContext(ctx); r != nil {
		region = r.Region
	}
	var wait time.Duration
	if in.WaitTimeSeconds != nil {
		wait = min(time.Duration(*in.WaitTimeSeconds)*time.Second, changes.MaxWait)
	}
	// Wall time, not the server's clock: the wait is the HTTP request's
	// own deadline, which the client (WaitTimeSeconds, its HTTP timeout)
	// and the server (WriteTimeout) measure in real time. On a test's fake
	// clock a poll would wait until the test moved the clock, and no
	// server logic is driven by it: only the answer's timing.
	timer := time.NewTimer(wait)
	defer timer.Stop()
	cursor := in.Cursor
	for {
		list, next, reset, wake := s.hub.after(cursor)
		if reset {
			return &changes.GetChangesOutput{Changes: []changes.Change{}, Cursor: next, Reset: true}, nil
		}
		cursor = next
		if out := s.visible(ctx, region, list); len(out) > 0 {
			return &changes.GetChangesOutput{Changes: out, Cursor: cursor}, nil
		}
		if !s.wait(ctx, wake, timer.C) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			return &changes.GetChangesOutput{Changes: []changes.Change{}, Cursor: cursor}, nil
		}
	}
}

// wait waits for wake, and reports true when it is closed, false when the
// poll's time is up or ctx is done. The poll counts as waiting meanwhile
// (Hub.WaitPolls).
func (s *Service) wait(ctx context.Context, wake <-chan struct{}, timeUp <-chan time.Time) bool {
	defer s.hub.waiting()()
	select {
	case <-wake:
		return true
	case <-timeUp:
		return false
	case <-ctx.Done():
		return false
	}
}

// visible keeps the last change of each parameter and secret of region in
// list that the caller may read.
func (s *Service) visible(ctx context.Context, region string, list []entry) []changes.Change {
	type id struct{ service, key string }
	last := map[id]int{}
	for i, e := range list {
		if e.region == region {
			last[id{e.service, e.key}] = i
		}
	}
	var out []changes.Change
	for i, e := range list {
		if e.region != region || last[id{e.service, e.key}] != i {
			continue
		}
		c := changes.Change{Service: e.service, Region: e.region, Time: sealbox.At(e.time)}
		ok := false
		switch e.service {
		case changes.ServiceSecrets:
			if s.secrets != nil {
				c.Name = e.key
				c.ARN, c.Deleted, ok = s.secrets.Readable(ctx, e.key)
			}
		case changes.ServiceSSM:
			if s.params != nil {
				c.Name, c.ARN, c.Deleted, ok = s.params.Readable(ctx, e.key)
			}
		}
		if ok {
			c.Deleted = c.Deleted || e.deleted
			out = append(out, c)
		}
	}
	return out
}
