package functions

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/lambdarun"
	"github.com/sealbox/sealbox/internal/store"
)

// Lambda's handling of an asynchronous (Event) invocation that fails, as
// its documentation gives it: a function error (the code's, a timeout, a
// crash, a failed INIT) is tried twice more, a minute after the first
// attempt and two minutes after the second; a throttle or a system error
// is tried again, waiting from a second doubling to five minutes, until
// the event is six hours old. PutFunctionEventInvokeConfig changes the
// number of retries (0-2) and the age (eventinvoke.go), and names where
// the outcome's record goes (destination.go).
const (
	asyncRetryAttempts  = 2
	asyncRetryDelay     = time.Minute
	asyncMaxEventAge    = 6 * time.Hour
	asyncThrottleFirst  = time.Second
	asyncThrottleMaxGap = 5 * time.Minute
	// asyncMaxQueued bounds the Event invocations held at once (each with
	// its payload, up to 1 MB): beyond it Invoke answers
	// TooManyRequestsException.
	asyncMaxQueued = 1000
)

// asyncQueue runs Event invocations apart from their calls, retrying
// them as Lambda does, until the service closes.
type asyncQueue struct {
	// delay is the wait before a function error's first retry (the
	// second waits twice it); the throttle waits are scaled alike.
	delay time.Duration
	// ctx ends with the queue: the retries waiting are dropped, the
	// attempts running cut off.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	closed  bool
	pending int // invocations held, running or waiting
	wg      sync.WaitGroup
}

func newAsyncQueue(delay time.Duration) *asyncQueue {
	if delay <= 0 {
		delay = asyncRetryDelay
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &asyncQueue{delay: delay, ctx: ctx, cancel: cancel}
}

// add counts a new invocation in: an error once the queue is closed or
// full.
func (q *asyncQueue) add() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return lambdarun.ErrClosed
	}
	if q.pending >= asyncMaxQueued {
		return &lambdarun.ThrottledError{Reason: lambdarun.ReasonConcurrent}
	}
	q.pending++
	q.wg.Add(1)
	return nil
}

// done counts an invocation out.
func (q *asyncQueue) done() {
	q.mu.Lock()
	q.pending--
	q.mu.Unlock()
	q.wg.Done()
}

// close drops the retries waiting, cuts off the attempts running, and
// waits for their goroutines to end.
func (q *asyncQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cancel()
	q.wg.Wait()
}

// scaled is d of Lambda's defaults in the queue's scale.
func (q *asyncQueue) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * float64(q.delay) / float64(asyncRetryDelay))
}

// wait waits d, false if the queue closed meanwhile.
func (q *asyncQueue) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-q.ctx.Done():
		return false
	}
}

// invokeAsync runs inv detached from the call that queued it, retrying
// as Lambda does; every retry is an InvokeRetry event of the audit trail,
// and the outcome is logged.
func (s *Service) invokeAsync(call context.Context, ref fnRef, t *target, spec *lambdarun.Spec, inv *lambdarun.Invocation) error {
	q := s.async
	if err := q.add(); err != nil {
		return err
	}
	// The call's values (its request, for the audit trail), the
	// queue's end.
	ctx, cancel := context.WithCancel(context.WithoutCancel(call))
	stop := context.AfterFunc(q.ctx, cancel)
	go func() {
		defer q.done()
		defer stop()
		defer cancel()
		started := time.Now()
		// The settings of the function, version or alias as the call
		// named it, as they were when it was queued; and the function
		// it was queued for.
		settings := t.fn.EventInvoke[eventInvokeKey(ref.qualifier)]
		id := t.fn.ID
		maxAge := q.scaled(settings.maxAge())
		functionErrors, gap := 0, q.scaled(asyncThrottleFirst)
		for attempt := 1; ; attempt++ {
			res, err := s.runner.Invoke(ctx, spec, inv)
			var failed *initFailure
			var wait time.Duration
			var why string
			switch {
			case err == nil && res.FunctionError == "":
				if attempt > 1 {
					s.log.Info("an Event invocation succeeded on a retry", "function", t.arn, "request", inv.RequestID, "attempt", attempt)
				}
				s.deliver(ctx, settings.destination(true), outcome{t: t, inv: inv, condition: "Success", attempts: attempt, res: res})
				return
			case errors.Is(err, lambdarun.ErrClosed) || q.ctx.Err() != nil:
				if q.ctx.Err() != nil {
					s.log.Warn("an Event invocation was cut off: the server is stopping", "function", t.arn, "request", inv.RequestID, "attempt", attempt)
				}
				return
			case err == nil || errors.As(err, &failed):
				if failed != nil {
					s.logInitFailure(t.arn, inv.RequestID, failed)
					res = &lambdarun.Result{FunctionError: "Unhandled", Payload: initErrorPayload(inv.RequestID)}
				}
				why = "Unhandled"
				functionErrors++
				wait = time.Duration(functionErrors) * q.delay
				if functionErrors > settings.retries() {
					s.log.Warn("an Event invocation's function failed every attempt: the event is dropped", "function", t.arn, "request", inv.RequestID, "attempts", attempt)
					s.deliver(ctx, settings.destination(false), outcome{t: t, inv: inv, condition: "RetriesExhausted", attempts: attempt, res: res})
					return
				}
				if time.Since(started)+wait > maxAge {
					s.log.Warn("an Event invocation's retry would come after its maximum age: the event is dropped", "function", t.arn, "request", inv.RequestID, "attempts", attempt)
					s.deliver(ctx, settings.destination(false), outcome{t: t, inv: inv, condition: "EventAgeExceeded", attempts: attempt, res: res})
					return
				}
			default:
				why = errorCode(s.runError(err))
				wait, gap = gap, min(2*gap, q.scaled(asyncThrottleMaxGap))
				if time.Since(started)+wait > maxAge {
					s.log.Warn("an Event invocation was not run before its maximum age: the event is dropped", "function", t.arn, "request", inv.RequestID, "attempts", attempt, "error", err)
					s.deliver(ctx, settings.destination(false), outcome{t: t, inv: inv, condition: "EventAgeExceeded", attempts: attempt})
					return
				}
			}
			s.log.Info("an Event invocation failed: it is tried again", "function", t.arn, "request", inv.RequestID, "attempt", attempt, "why", why, "after", wait)
			if !q.wait(wait) {
				s.log.Warn("an Event invocation's retry was dropped: the server is stopping", "function", t.arn, "request", inv.RequestID, "attempts", attempt)
				return
			}
			// The retry runs what the function (or its qualifier) is now:
			// none, once deleted.
			own := *sealbox.MustRequest(ctx)
			own.Time = s.clock.Now().UTC()
			ctx = sealbox.NewContext(ctx, &own)
			now, err := s.loadTarget(ctx, ref)
			if err != nil {
				s.log.Warn("an Event invocation's retry was dropped: its function is gone", "function", t.arn, "request", inv.RequestID, "error", err)
				return
			}
			if now.fn.ID != id {
				// Deleted and made again under its name: another
				// function, which the event was not sent to.
				s.log.Warn("an Event invocation's retry was dropped: its function was deleted and another made under its name", "function", t.arn, "request", inv.RequestID)
				return
			}
			t, spec = now, s.spec(ctx, now)
			// The retry's event, at its own time; unrecorded, it is not
			// run (the audit trail fails closed).
			if err := s.recordRetry(ctx, t, inv, attempt+1, why); err != nil {
				s.log.Warn("an Event invocation's retry was not recorded, nor run: the event is dropped", "function", t.arn, "request", inv.RequestID, "error", err)
				return
			}
		}
	}()
	return nil
}

// loadTarget reads what ref names now: the function, the configuration
// its qualifier selects and the alias, if any. It authorizes nothing: the
// caller has (a retry was authorized when it was queued, as Lambda's are).
func (s *Service) loadTarget(ctx context.Context, ref fnRef) (*target, error) {
	r := sealbox.MustRequest(ctx)
	var t *target
	err := s.view(ctx, func(tx store.Tx) error {
		fn, err := s.loadFunction(tx, r, ref)
		if err != nil {
			return err
		}
		cfg, alias, err := resolveQualifier(tx, fn, ref.qualifier)
		if err != nil {
			return err
		}
		t = &target{fn: fn, cfg: cfg, alias: alias, arn: ref.resource()}
		return nil
	})
	return t, err
}

func errorCode(err error) string {
	if e, ok := sealbox.AsError(err); ok {
		return e.Code
	}
	return "ServiceException"
}

// recordRetry records a retry of an Event invocation as an event of its
// own, InvokeRetry, made by Lambda for the caller that queued it: the
// function as the call named it, the attempt, and why the last failed.
func (s *Service) recordRetry(ctx context.Context, t *target, inv *lambdarun.Invocation, attempt int, why string) error {
	if s.recorder == nil {
		return nil
	}
	rec := &sealbox.Record{
		EventSource:       lambdaService,
		EventName:         "InvokeRetry",
		RequestParameters: map[string]any{"functionName": t.arn, "invocationType": "Event"},
		Resources:         []sealbox.Resource{{AccountID: t.fn.Account, Type: resourceType, ARN: t.fn.ARN}},
		AdditionalData: map[string]any{"functionVersion": t.cfg.Version, "invocationRequestId": inv.RequestID,
			"attempt": attempt, "previousAttemptError": why},
	}
	return s.recorder.Record(ctx, rec)
}

// Close stops the Event invocations' retries (those waiting are
// dropped, and logged) and waits for the attempts under way.
func (s *Service) Close() {
	if s.async != nil {
		s.async.close()
	}
}
