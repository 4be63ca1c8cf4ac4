package server_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// callTimeout bounds each call of a load: a call still unanswered then
// has hung (the SDKs' own defaults are longer; the servers must answer
// well within them).
const callTimeout = 15 * time.Second

// putLoad writes distinct parameters through servers, clients goroutines
// each, until stop is closed, and keeps what was acknowledged and how the
// rest failed.
type putLoad struct {
	t       *testing.T
	servers []*sealtest.Server
	stop    chan struct{}
	wg      sync.WaitGroup

	mu      sync.Mutex
	acked   map[string]string // name → value, of the calls answered 200
	failed  map[string]int    // "<code> <status>" → calls
	slowest time.Duration
	// lastOK is, by server, when a call through it last succeeded.
	lastOK []time.Time
	ok     atomic.Int64
	errs   atomic.Int64
}

func startPutLoad(t *testing.T, servers []*sealtest.Server, clients int) *putLoad {
	l := &putLoad{t: t, servers: servers, stop: make(chan struct{}), acked: map[string]string{}, failed: map[string]int{},
		lastOK: make([]time.Time, len(servers))}
	for si, s := range servers {
		for g := range clients {
			l.wg.Add(1)
			go func() {
				defer l.wg.Done()
				client := s.SSM()
				for i := 0; ; i++ {
					select {
					case <-l.stop:
						return
					default:
					}
					name := fmt.Sprintf("/load/%d/%d/%d", si, g, i)
					value := "value-of-" + name
					ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
					began := time.Now()
					_, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeString})
					took := time.Since(began)
					cancel()
					l.mu.Lock()
					l.slowest = max(l.slowest, took)
					if err == nil {
						l.acked[name] = value
						l.lastOK[si] = time.Now()
						l.ok.Add(1)
					} else {
						l.failed[describeFailure(err)]++
						l.errs.Add(1)
					}
					l.mu.Unlock()
				}
			}()
		}
	}
	return l
}

// describeFailure is "<code> <HTTP status>" of an API error, or the error.
func describeFailure(err error) string {
	var api smithy.APIError
	var re *awshttp.ResponseError
	if errors.As(err, &api) && errors.As(err, &re) {
		return fmt.Sprintf("%s %d", api.ErrorCode(), re.HTTPStatusCode())
	}
	return err.Error()
}

// waitFor waits until cond holds of the load's counters, failing the test
// after timeout.
func (l *putLoad) waitFor(what string, timeout time.Duration, cond func() bool) {
	l.t.Helper()
	if !sealtest.Eventually(l.t, timeout, cond) {
		l.t.Fatalf("%s: not within %v (%d acknowledged, %d failed: %v)", what, timeout, l.ok.Load(), l.errs.Load(), l.failures())
	}
}

// recovered waits until every server has answered a call that began after
// since, and answers how long after since the last of them did.
func (l *putLoad) recovered(since time.Time, timeout time.Duration) time.Duration {
	l.t.Helper()
	var last time.Time
	l.waitFor("every server answering again", timeout, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		last = since
		for _, at := range l.lastOK {
			if !at.After(since) {
				return false
			}
			last = latest(last, at)
		}
		return true
	})
	return last.Sub(since)
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (l *putLoad) failures() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := map[string]int{}
	for k, v := range l.failed {
		m[k] = v
	}
	return m
}

// finish stops the load and checks that every failure was the modelled
// retryable error and no call hung.
func (l *putLoad) finish() {
	l.t.Helper()
	close(l.stop)
	l.wg.Wait()
	for what, n := range l.failed {
		if what != "InternalServerError 500" {
			l.t.Errorf("%d calls failed with %s; want only SSM's retryable InternalServerError (500)", n, what)
		}
	}
	if l.slowest >= callTimeout {
		l.t.Errorf("a call took %v: it hung", l.slowest)
	}
	l.t.Logf("%d calls acknowledged, %d failed %v; slowest call %v", len(l.acked), l.errs.Load(), l.failed, l.slowest.Round(time.Millisecond))
}

// checkAcked reads every acknowledged parameter back through s (a server
// started after the writes, whose caches saw none of them).
func (l *putLoad) checkAcked(s *sealtest.Server) {
	l.t.Helper()
	ctx := context.Background()
	client := s.SSM()
	lost := 0
	for name, value := range l.acked {
		p, err := client.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil || aws.ToString(p.Parameter.Value) != value {
			lost++
			if lost <= 5 {
				l.t.Errorf("the acknowledged write of %s: GetParameter = %v", name, err)
			}
		}
	}
	if lost > 0 {
		l.t.Errorf("%d of %d acknowledged writes lost", lost, len(l.acked))
	}
}

// readyz answers the status of the server's GET /readyz.
func readyz(t *testing.T, s *sealtest.Server) int {
	t.Helper()
	resp, err := s.HTTPClient().Get(s.URL + "/readyz")
	if err != nil {
		t.Fatalf("GET /readyz: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// PostgreSQL stopped under a load of writes across three servers, then
// crashed: meanwhile every call answers at once with SSM's retryable
// InternalServerError (never a hang, never a 4xx) and /readyz answers
// 503; when it is back every server answers again on its own; no acknowledged write is lost (read
// back through a server started afterwards).
//
// PostgreSQL runs durable here (fsync, synchronous_commit): a test
// cluster's default acknowledges commits before they are on disk, and its
// crash loses them whatever sealbox does.
func TestClusterPostgresRestartUnderLoad(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartClusterOn(t, pgtest.Start(t, pgtest.Options{MaxConnections: 100, Durable: true}), 3)
	l := startPutLoad(t, c.Servers, 3)
	for _, how := range []struct {
		name string
		stop func()
	}{{"stopped", c.PG.Stop}, {"crashed", c.PG.Kill}} {
		ok := l.ok.Load()
		l.waitFor("writes before PostgreSQL is "+how.name, 30*time.Second, func() bool { return l.ok.Load() >= ok+100 })
		how.stop()
		errs := l.errs.Load()
		l.waitFor("calls failing while PostgreSQL is "+how.name, 30*time.Second, func() bool { return l.errs.Load() >= errs+30 })
		for i, s := range c.Servers {
			if code := readyz(t, s); code != http.StatusServiceUnavailable {
				t.Errorf("GET /readyz on server %d while PostgreSQL is %s = %d, want 503", i, how.name, code)
			}
		}
		c.PG.Start()
		back := time.Now()
		t.Logf("PostgreSQL %s and started again: every server answered writes again %v after it accepted connections",
			how.name, l.recovered(back, 60*time.Second).Round(time.Millisecond))
		for i, s := range c.Servers {
			if !sealtest.Eventually(t, 10*time.Second, func() bool { return readyz(t, s) == http.StatusOK }) {
				t.Errorf("GET /readyz on server %d is not 200 10 s after PostgreSQL is back", i)
			}
		}
		c.Leader(t) // and one of them leads the background work again
		t.Logf("a server leads again %v after PostgreSQL accepted connections", time.Since(back).Round(time.Millisecond))
	}
	l.finish()
	if t.Failed() {
		t.FailNow()
	}
	l.checkAcked(c.Add(t))
}
