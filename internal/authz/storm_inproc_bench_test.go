package authz

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sealbox/sealbox"
	"github.com/sealbox/sealbox/internal/store"
)

// stormRate is how many AssumeRole calls a second the storm makes: about
// three times what the real server answers on two cores
// (BenchmarkAssumeRoleStormHeap: 10,000 in about 35 s).
const stormRate = 1000

// BenchmarkDecryptDuringAssumeRoleStorm measures what a warm caller's
// kms:Decrypt authorization (Prepare and Authorize, as the router runs
// them) costs while other callers storm AssumeRole, against the same in a
// quiet server: in-process, over the real authorizer and change feed, with
// identity records served from memory, so that the figure is the
// authorizer's and not the SDK's or the disk's. Each storm step is what
// one AssumeRole does to the authorizer: the new session's record and the
// role's LastUsed (bookkeeping) are committed, and the session makes one
// call with its own inline session policy. Quiet and storm phases
// alternate in rounds so that the machine's drift hits both alike.
// Reported: quiet-ns/op, storm-ns/op and storm/quiet (want below 1.10).
func BenchmarkDecryptDuringAssumeRoleStorm(b *testing.B) {
	a, ids, feed := newTestAuthorizer()
	warm := sessionCtx("ASIAWARMEXAMPLE00001")
	q := decryptQuery()
	op := func() {
		ctx, err := a.Prepare(warm)
		if err == nil {
			err = a.Authorize(ctx, q)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	op()
	var sessions atomic.Int64
	storm := func(stop <-chan struct{}, done *sync.WaitGroup) {
		defer done.Done()
		tick := time.NewTicker(time.Second / stormRate)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			i := sessions.Add(1)
			id := fmt.Sprintf("ASIASTORM%011d", i)
			ids.setSession(id, fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:GetParameter","Resource":"arn:aws:ssm:us-east-1:123456789012:parameter/app/%d"}]}`, i))
			put(b, feed, "iam/session/"+id)
			feed.Update(store.Bookkeeping(context.Background()), func(tx store.Tx) error { return tx.Put("iam/role/app", []byte("{}")) })
			ctx, err := a.Prepare(sessionCtx(id))
			if err == nil {
				a.Authorize(ctx, &stormQuery)
			}
		}
	}
	const rounds = 10
	per := max(b.N/rounds, 1)
	var quiet, stormy time.Duration
	b.ResetTimer()
	for range rounds {
		start := time.Now()
		for range per {
			op()
		}
		quiet += time.Since(start)

		stop := make(chan struct{})
		var done sync.WaitGroup
		done.Add(1)
		go storm(stop, &done)
		start = time.Now()
		for range per {
			op()
		}
		stormy += time.Since(start)
		close(stop)
		done.Wait()
	}
	b.StopTimer()
	n := float64(rounds * per)
	b.ReportMetric(float64(quiet.Nanoseconds())/n, "quiet-ns/op")
	b.ReportMetric(float64(stormy.Nanoseconds())/n, "storm-ns/op")
	b.ReportMetric(float64(stormy)/float64(quiet), "storm/quiet")
	b.ReportMetric(float64(sessions.Load())/stormy.Seconds(), "assumerole/s")
}

var stormQuery = stormQueryValue()

func stormQueryValue() sealbox.AccessQuery {
	return sealbox.AccessQuery{Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:123456789012:parameter/app/1"}
}
