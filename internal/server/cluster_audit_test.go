package server_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/sealtest"
	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// Each server's file trail is its own chain, in its own data folder, and
// the heads it keeps in the shared store to check its files at start are
// its own: two servers whose trails differ restart without either taking
// the other's heads for its own (which read as digests removed and files
// rewritten: tampering).
func TestClusterFileTrailsApart(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 2)
	for range 3 {
		generateRandom(t, c.Servers[0])
	}
	generateRandom(t, c.Servers[1])
	c.Servers[0].Stop() // signs its last lines, keeps its heads
	c.Servers[1].Stop()
	for i, s := range c.Servers {
		s.Restart()
		generateRandom(t, s)
		s.Stop()
		if logs := s.Logs.String(); strings.Contains(logs, "audit trail tampering detected") {
			t.Errorf("server %d found tampering in its own untouched trail:\n%s", i, grepLines(logs, "tampering"))
		}
	}
}

// Two servers take audited calls concurrently (2×8 clients); LookupEvents
// on either sees both servers' events; the store trail they share stays
// one chain: after both stop (signing the events
// waiting), VerifyStore over the database finds it intact, every event
// signed, and each acknowledged call's event in it exactly once. The test
// logs how many transactions PostgreSQL rolled back for a serialization
// conflict (each retried by the store) against the calls made.
func TestClusterStoreTrail(t *testing.T) {
	t.Parallel() // its own PostgreSQL and servers; mostly waits on them
	c := sealtest.StartCluster(t, 2)
	const clients, calls = 8, 25
	ctx := context.Background()
	before := c.SerializationFailures(t)
	var mu sync.Mutex
	acked := map[string]int{}
	var wg sync.WaitGroup
	start := time.Now()
	for si, s := range c.Servers {
		for g := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := s.SSM()
				for i := range calls {
					out, err := client.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(fmt.Sprintf("/trail/%d/%d/%d", si, g, i)),
						Value: aws.String("v"), Type: ssmtypes.ParameterTypeString})
					if err != nil {
						t.Errorf("PutParameter on server %d = %v", si, err)
						return
					}
					id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
					mu.Lock()
					acked[id]++
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	took := time.Since(start)
	conflicts := c.SerializationFailures(t) - before
	n := len(c.Servers) * clients * calls
	t.Logf("%d audited PutParameter calls on 2 servers × %d clients in %v (%.0f/s): %d serialization conflicts retried (%.2f per call)",
		n, clients, took.Round(time.Millisecond), float64(n)/took.Seconds(), conflicts, float64(conflicts)/float64(n))
	if t.Failed() {
		t.FailNow()
	}
	// LookupEvents on either server sees both servers' events, once each
	// has written what it queued for the store (LookupEvents flushes only
	// its own server's queue).
	for _, s := range c.Servers {
		s.Srv.FlushAudit()
	}
	for si, s := range c.Servers {
		p := cloudtrail.NewLookupEventsPaginator(cloudtrail.NewFromConfig(s.AWSConfig("us-east-1")), &cloudtrail.LookupEventsInput{
			LookupAttributes: []cttypes.LookupAttribute{{AttributeKey: cttypes.LookupAttributeKeyEventName, AttributeValue: aws.String("PutParameter")}}})
		found := 0
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("LookupEvents on server %d = %v", si, err)
			}
			found += len(page.Events)
		}
		if found != n {
			t.Errorf("LookupEvents on server %d finds %d PutParameter events, want the %d of both servers", si, found, n)
		}
	}
	for _, s := range c.Servers {
		s.Stop() // signs the events waiting
	}

	st := openClusterStore(t, c)
	pub, err := audit.StoredPublicKey(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyStore(ctx, st, []ed25519.PublicKey{pub}, audit.VerifyOptions{})
	if err != nil {
		t.Fatalf("VerifyStore = %v", err)
	}
	if !rep.OK() || rep.Unsigned != 0 {
		t.Errorf("VerifyStore: %d problems %v, %d unsigned", len(rep.Problems), rep.Problems, rep.Unsigned)
	}
	sink := audit.NewStoreSink(st, audit.StoreOptions{ElectedDigests: true})
	defer sink.Close()
	seen := map[string]int{}
	err = sink.Lookup(ctx, time.Time{}, time.Time{}, "", func(_ string, record []byte) (bool, error) {
		var e struct {
			RequestID string `json:"requestID"`
			EventName string `json:"eventName"`
		}
		if err := json.Unmarshal(record, &e); err != nil {
			return false, err
		}
		if e.EventName == "PutParameter" {
			seen[e.RequestID]++
		}
		return true, nil
	})
	if err != nil {
		t.Fatalf("Lookup = %v", err)
	}
	if rep.Events < n {
		t.Errorf("VerifyStore checked %d events; %d calls were acknowledged", rep.Events, n)
	}
	for id := range acked {
		if seen[id] != 1 {
			t.Errorf("the acknowledged call %s is in the store trail %d times", id, seen[id])
		}
	}
	if len(seen) != len(acked) {
		t.Errorf("the store trail holds %d PutParameter events, %d calls were acknowledged", len(seen), len(acked))
	}
}

// openClusterStore opens the cluster's database through the barrier, as a
// server would (and as 'sealbox audit verify --store' does), to read what
// the servers committed without any server's cache.
func openClusterStore(t *testing.T, c *sealtest.Cluster) store.Store {
	t.Helper()
	ctx := context.Background()
	raw, err := pgstore.Open(ctx, c.Store, pgstore.Options{})
	if err != nil {
		t.Fatalf("open the cluster's store: %v", err)
	}
	b, err := barrier.Open(ctx, raw, rootkey.NewFile(c.RootKeyFile))
	if err != nil {
		raw.Close()
		t.Fatalf("unseal the cluster's store: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
