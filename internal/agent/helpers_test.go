//go:build !fuzzbinary

package agent_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/sealtest"
)

var ctx = context.Background()

const token = "agent-test-token"

// harness is an agent on a free port of 127.0.0.1 in front of a real
// sealbox server, with the upstream calls counted (and, when a test asks,
// held) on their way.
type harness struct {
	srv      *sealtest.Server
	a        *agent.Agent
	url      string
	clock    *clock.Fake
	upstream *countingClient
	logs     *sealtest.Buffer
	client   *http.Client
	ctx      context.Context // the agent's lifetime: Start's
	cancel   context.CancelFunc
	done     chan error
}

type setup struct {
	cfg  agent.Config
	opts agent.Options
	// noStart leaves Start to the test.
	noStart bool
}

// startAgent starts an agent in front of srv (a new sealtest server if nil).
func startAgent(t *testing.T, srv *sealtest.Server, change ...func(*setup)) *harness {
	t.Helper()
	if srv == nil {
		srv = sealtest.Start(t)
	}
	h := &harness{srv: srv, clock: clock.NewFake(time.Now()), logs: &sealtest.Buffer{}}
	awsCfg := srv.AWSConfig("us-east-1")
	h.upstream = &countingClient{next: awsCfg.HTTPClient}
	awsCfg.HTTPClient = h.upstream
	// The agent follows the server's change feed, as `sealbox agent` does
	// against sealbox; tests of the TTL alone turn it off (cfg.Feed).
	s := &setup{cfg: agent.Default(), opts: agent.Options{AWS: awsCfg, Clock: h.clock, Logger: agent.NewLogger(h.logs, "debug"),
		Feed: agent.NewSealboxFeed(awsCfg, srv.URL)}}
	s.cfg.Port = 0
	s.cfg.Token = token
	s.cfg.RetryBase, s.cfg.RetryCap = time.Millisecond, 20*time.Millisecond
	for _, c := range change {
		c(s)
	}
	a, err := agent.New(s.cfg, s.opts)
	if err != nil {
		t.Fatalf("agent.New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.a, h.url = a, "http://"+ln.Addr().String()
	h.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.done = make(chan error, 1)
	go func() { h.done <- a.Serve(h.ctx, ln) }()
	t.Cleanup(func() {
		h.cancel()
		if err := <-h.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("agent log:\n%s", h.logs.String())
		}
	})
	if !s.noStart {
		a.Start(h.ctx)
	}
	return h
}

// get sends GET path with the token and returns the status and body.
func (h *harness) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return h.do(t, http.MethodGet, path, map[string]string{"X-Aws-Parameters-Secrets-Token": token})
}

func (h *harness) do(t *testing.T, method, path string, headers map[string]string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// warm reads paths until each is served from the cache. The first read
// of a secret version in a day records its LastAccessedDate, a write the
// change feed reports; the entry that read cached is evicted by it (or not
// cached at all, if the change arrives first), and the next read caches
// it for good.
func (h *harness) warm(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		for i := 0; ; i++ {
			before := h.metric(t, "sealbox_agent_cache_hits_total{service=\"secretsmanager\"}") + h.metric(t, "sealbox_agent_cache_hits_total{service=\"ssm\"}")
			if code, body := h.get(t, p); code != 200 {
				t.Fatalf("GET %s = %d %s", p, code, body)
			}
			after := h.metric(t, "sealbox_agent_cache_hits_total{service=\"secretsmanager\"}") + h.metric(t, "sealbox_agent_cache_hits_total{service=\"ssm\"}")
			if after > before {
				break
			}
			if i == 50 {
				t.Fatalf("GET %s is still not served from the cache after %d reads", p, i)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// metric reads one sample of GET /metrics, by its full name with labels
// ("sealbox_agent_cache_hits_total{service=\"ssm\"}").
func (h *harness) metric(t *testing.T, name string) float64 {
	t.Helper()
	code, body := h.get(t, "/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d %s", code, body)
	}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s = %q", name, v)
			}
			return f
		}
	}
	t.Fatalf("no metric %s in:\n%s", name, body)
	return 0
}

// countingClient counts the upstream calls by X-Amz-Target and can hold
// them until released, so that a test sees requests pile up on one call.
type countingClient struct {
	next aws.HTTPClient
	mu   sync.Mutex
	n    map[string]int
	gate chan struct{} // if set, calls wait for it to close
	held atomic.Int64
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	c.mu.Lock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[op]++
	gate := c.gate
	c.mu.Unlock()
	if gate != nil && op != "Sealbox.GetChanges" {
		c.held.Add(1)
		select {
		case <-gate:
		case <-r.Context().Done():
			c.held.Add(-1)
			return nil, r.Context().Err()
		}
		c.held.Add(-1)
	}
	return c.next.Do(r)
}

func (c *countingClient) count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[op]
}

func (c *countingClient) hold() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gate = make(chan struct{})
	return c.gate
}

func (c *countingClient) release(gate chan struct{}) {
	c.mu.Lock()
	c.gate = nil
	c.mu.Unlock()
	close(gate)
}

// createUser makes an IAM user with an inline policy and returns its
// access key.
func createUser(t *testing.T, srv *sealtest.Server, name, policy string) aws.Credentials {
	t.Helper()
	c := srv.IAM()
	must[*iam.CreateUserOutput](t, "CreateUser")(c.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}))
	must[*iam.PutUserPolicyOutput](t, "PutUserPolicy")(c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}))
	k := must[*iam.CreateAccessKeyOutput](t, "CreateAccessKey")(c.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)}))
	return aws.Credentials{AccessKeyID: aws.ToString(k.AccessKey.AccessKeyId), SecretAccessKey: aws.ToString(k.AccessKey.SecretAccessKey)}
}

func must[T any](t *testing.T, call string) func(T, error) T { return sealtest.Must[T](t, call) }
