package cli_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/sealbox/sealbox/internal/sealtest/pgtest"
)

// Three `sealbox server` processes on one PostgreSQL, started the way a
// user starts them (--store, one --root-key-file). Each writes the same
// administrator's pair to its own credentials file, and none prints the
// database password. Under a load of writes that go to any server and
// retry elsewhere on failure, one server is killed with SIGKILL: the
// others keep answering (every call after the kill is eventually
// acknowledged by one of them), and every acknowledged write is read back
// through a server started afterwards. The server killed is the leader:
// another leads within 10 s.
func TestClusterServerKilledUnderLoad(t *testing.T) {
	t.Parallel() // mostly waits (PostgreSQL, three servers starting, leases ending): beside the CPU-bound smoke tests
	pg := pgtest.Start(t, pgtest.Options{MaxConnections: 150, Durable: true})
	const dbPassword = "kill-test-db-pass-4e1f"
	url := pg.CreateDatabase("sealbox", dbPassword)
	keyFile := filepath.Join(t.TempDir(), "root.key")
	const metricsToken = "kill-test-metrics-token-0123456789"
	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte(metricsToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() *sealboxProc {
		return startSealbox(t, "--store", url, "--root-key-file", keyFile, "--metrics-token-file", tokenFile)
	}
	procs := []*sealboxProc{start(), start(), start()}

	var creds aws.Credentials
	for i, p := range procs {
		c := readCredentials(t, p.credFile)
		if i == 0 {
			creds = c
		} else if c != creds {
			t.Errorf("server %d's credentials file holds %s, server 0's %s", i, c.AccessKeyID, creds.AccessKeyID)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	clients := make([]*ssm.Client, len(procs))
	for i, p := range procs {
		clients[i] = ssmClient(p.endpoint, creds)
	}

	// Each writer sends its next write to the next server, and a write
	// that fails (a connection refused, a 5xx) to the one after, until one
	// acknowledges it. Writes overwrite: a retry of a write whose first
	// answer was lost must not be refused.
	var (
		mu        sync.Mutex
		acked     = map[string]string{}
		wrong     []string     // failures other than a dead server or a 5xx
		afterKill atomic.Int64 // writes acknowledged after the kill
		ackedBy   = make([]int, len(procs))
		killed    atomic.Int32 // 1 + the index of the killed server
		stop      = make(chan struct{})
		wg        sync.WaitGroup
		total     atomic.Int64
		slowest   time.Duration
	)
	killed.Store(0)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name, value := fmt.Sprintf("/kill/%d/%d", g, i), fmt.Sprintf("value-%d-%d", g, i)
				for try := 0; ; try++ {
					si := (g + i + try) % len(procs)
					ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
					began := time.Now()
					_, err := clients[si].PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(name), Value: aws.String(value),
						Type: ssmtypes.ParameterTypeString, Overwrite: aws.Bool(true)})
					cancel()
					mu.Lock()
					slowest = max(slowest, time.Since(began))
					if err == nil {
						acked[name] = value
						ackedBy[si]++
						mu.Unlock()
						total.Add(1)
						if killed.Load() != 0 {
							afterKill.Add(1)
						}
						break
					}
					if !retryable(err) && int(killed.Load()) != si+1 {
						wrong = append(wrong, fmt.Sprintf("server %d: %v", si, err))
					}
					mu.Unlock()
					if try > 3*len(procs) {
						t.Errorf("%s: no server acknowledged it after %d tries: %v", name, try, err)
						return
					}
				}
			}
		}()
	}
	waitCount := func(what string, c *atomic.Int64, n int64) {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for c.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d of %d within 60 s", what, c.Load(), n)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitCount("writes before the kill", &total, 200)
	victim := leaderOf(t, procs, metricsToken, -1)
	killed.Store(int32(victim + 1))
	if err := procs[victim].cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	<-procs[victim].done
	procs[victim].stopped = true
	mu.Lock()
	before := append([]int(nil), ackedBy...)
	mu.Unlock()
	killedAt := time.Now()
	next := leaderOf(t, procs, metricsToken, victim)
	t.Logf("server %d leads %v after server %d, the leader, was killed", next, time.Since(killedAt).Round(time.Millisecond), victim)
	waitCount("writes after the kill", &afterKill, 300)
	close(stop)
	wg.Wait()
	for i := range procs {
		if i != victim && ackedBy[i] == before[i] {
			t.Errorf("server %d acknowledged nothing after server %d was killed", i, victim)
		}
	}
	for _, w := range wrong {
		t.Errorf("a write failed with what is neither a dead server nor a retryable 5xx: %s", w)
	}
	t.Logf("%d writes acknowledged (%v by server), %d after server %d was killed; slowest call %v",
		len(acked), ackedBy, afterKill.Load(), victim, slowest.Round(time.Millisecond))
	if t.Failed() {
		t.FailNow()
	}

	fresh := ssmClient(start().endpoint, creds)
	ctx := context.Background()
	lost := 0
	for name, value := range acked {
		p, err := fresh.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
		if err != nil || aws.ToString(p.Parameter.Value) != value {
			if lost++; lost <= 5 {
				t.Errorf("the acknowledged write of %s: GetParameter = %v", name, err)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d acknowledged writes lost", lost, len(acked))
	}
	for i, p := range procs {
		if strings.Contains(p.stdout.String()+p.stderr.String(), dbPassword) {
			t.Errorf("server %d printed the database password", i)
		}
	}
}

// leaderOf answers which of procs (but the one at index dead) says on
// /metrics that it leads, waiting up to 10 s for one.
func leaderOf(t *testing.T, procs []*sealboxProc, token string, dead int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for i, p := range procs {
			if i == dead {
				continue
			}
			req, err := http.NewRequest(http.MethodGet, p.endpoint+"/metrics", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if regexp.MustCompile(`(?m)^sealbox_leader 1$`).Match(body) {
				return i
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no server leads within 10 s")
	return -1
}

// retryable reports a 5xx answer: the server's say that the call may be
// retried.
func retryable(err error) bool {
	var re *awshttp.ResponseError
	var api smithy.APIError
	return errors.As(err, &re) && errors.As(err, &api) && re.HTTPStatusCode() >= 500
}

var credLine = regexp.MustCompile(`(?m)^(aws_access_key_id|aws_secret_access_key) = (\S+)$`)

// readCredentials reads the pair a server wrote to its credentials file.
func readCredentials(t *testing.T, path string) aws.Credentials {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c aws.Credentials
	for _, m := range credLine.FindAllStringSubmatch(string(b), -1) {
		if m[1] == "aws_access_key_id" {
			c.AccessKeyID = m[2]
		} else {
			c.SecretAccessKey = m[2]
		}
	}
	return c
}

// ssmClient is an SSM client for endpoint that retries nothing: the test
// retries elsewhere itself.
func ssmClient(endpoint string, creds aws.Credentials) *ssm.Client {
	return ssm.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()},
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	})
}
