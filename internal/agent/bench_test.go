//go:build !fuzzbinary

package agent_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/sealbox/sealbox/internal/agent"
	"github.com/sealbox/sealbox/internal/loadgen"
	"github.com/sealbox/sealbox/internal/sealtest"
)

// BenchmarkAgent measures the README's figures: cache hits through GET
// /secretsmanager/get against the agent's own bare-HTTP ceiling (GET
// /ping, the same server, listener and client with nothing behind it) at
// concurrency 1, 8 and 32 (keep-alive connections, one request in flight
// each), and the time from PutSecretValue's return to the agent serving
// the new value, read every 200 µs as a busy function would read it (at
// most 500 rounds). Client, agent and server share the machine.
//
//	go test -run '^$' -bench Agent -benchtime 20000x ./internal/agent
func BenchmarkAgent(b *testing.B) {
	srv := sealtest.Start(b)
	sm := srv.SecretsManager()
	const value = `{"username":"app","password":"0123456789abcdef0123456789abcdef","host":"db.internal","port":5432}`
	if _, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("bench/db"), SecretString: aws.String(value)}); err != nil {
		b.Fatal(err)
	}
	h := startAgentB(b, srv)
	path := "/secretsmanager/get?secretId=bench/db"

	ceiling := map[int]float64{}
	for _, c := range []int{1, 8, 32} {
		for _, route := range []string{"ping", "hit"} {
			b.Run(fmt.Sprintf("%s/c=%d", route, c), func(b *testing.B) {
				p := path
				if route == "ping" {
					p = "/ping"
				}
				ops, hist := h.load(b, p, c, b.N)
				b.ReportMetric(ops, "ops/s")
				b.ReportMetric(float64(hist.Quantile(0.5).Microseconds()), "p50-µs")
				b.ReportMetric(float64(hist.Quantile(0.99).Microseconds()), "p99-µs")
				b.ReportMetric(0, "ns/op")
				if route == "ping" {
					ceiling[c] = ops
				} else if ceiling[c] > 0 {
					b.ReportMetric(ops/ceiling[c], "of-ceiling")
				}
			})
		}
	}

	// At most 500 rounds whatever -benchtime says: each is a new version.
	b.Run("put-to-served", func(b *testing.B) {
		var hist loadgen.Histogram
		for i := range min(b.N, 500) {
			v := fmt.Sprintf(`{"password":"rotated-%d"}`, i)
			if _, err := sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("bench/db"), SecretString: aws.String(v)}); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			for {
				body, err := h.body(path)
				if err != nil {
					b.Fatal(err)
				}
				var out struct{ SecretString string }
				if json.Unmarshal(body, &out) == nil && out.SecretString == v {
					break
				}
				if time.Since(start) > 10*time.Second {
					b.Fatalf("the agent did not serve the new value within 10 s")
				}
				time.Sleep(200 * time.Microsecond)
			}
			hist.Record(time.Since(start))
		}
		b.ReportMetric(float64(hist.Quantile(0.5).Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(hist.Quantile(0.99).Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(hist.Max().Microseconds())/1000, "max-ms")
		b.ReportMetric(0, "ns/op")
	})
}

// benchAgent is an agent for the benchmark: info logs, a plain client.
type benchAgent struct {
	url    string
	client *http.Client
}

func startAgentB(b *testing.B, srv *sealtest.Server) *benchAgent {
	b.Helper()
	cfg := agent.Default()
	cfg.Port, cfg.Token = 0, token
	awsCfg := srv.AWSConfig("us-east-1")
	a, err := agent.New(cfg, agent.Options{AWS: awsCfg, Feed: agent.NewSealboxFeed(awsCfg, srv.URL), Logger: agent.NewLogger(io.Discard, "info")})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	c, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Serve(c, ln); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	a.Start(c)
	return &benchAgent{url: "http://" + ln.Addr().String(), client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxIdleConns: 64}}}
}

func (h *benchAgent) body(path string) ([]byte, error) {
	req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
	req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%d %s", resp.StatusCode, body)
	}
	return body, err
}

// load sends n GETs of path over c connections, one in flight each, and
// returns the operations per second and the latencies.
func (h *benchAgent) load(b *testing.B, path string, c, n int) (float64, *loadgen.Histogram) {
	b.Helper()
	for range c { // warm the connections and the cache
		if _, err := h.body(path); err != nil {
			b.Fatal(err)
		}
	}
	hists := make([]loadgen.Histogram, c)
	var wg sync.WaitGroup
	errs := make(chan error, c)
	b.ResetTimer()
	start := time.Now()
	for w := range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodGet, h.url+path, nil)
			req.Header.Set("X-Aws-Parameters-Secrets-Token", token)
			for i := w; i < n; i += c {
				t0 := time.Now()
				resp, err := h.client.Do(req)
				if err != nil {
					errs <- err
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					errs <- fmt.Errorf("status %d", resp.StatusCode)
					return
				}
				hists[w].Record(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	var all loadgen.Histogram
	for i := range hists {
		all.Merge(&hists[i])
	}
	return float64(n) / elapsed.Seconds(), &all
}
