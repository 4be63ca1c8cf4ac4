package audit_test

import (
	"context"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/clock"
	"github.com/sealbox/sealbox/internal/store/memstore"
)

// BenchmarkLogDefaultSinks is one Decrypt event through the server's
// default sinks (file, chained and signed, then the store from the queue)
// from 8 goroutines at once: the audit part of a Decrypt at concurrency 8.
func BenchmarkLogDefaultSinks(b *testing.B) {
	signer := testSigner()
	file, err := audit.OpenFileSink(b.TempDir(), audit.FileOptions{Signer: signer, DigestInterval: time.Minute, Clock: clock.Real{}})
	if err != nil {
		b.Fatal(err)
	}
	l := audit.NewLogger(nil, file, audit.NewStoreSink(memstore.New(), audit.StoreOptions{Signer: signer, DigestInterval: time.Minute}))
	b.ReportAllocs()
	b.SetParallelism(4) // 8 goroutines on 2 cores
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := decryptEvent() // an event is not reused: the store may still hold it
			if err := l.Log(context.Background(), e); err != nil {
				b.Error(err)
				return
			}
		}
	})
	l.Flush()
	reportCPU(b, start)
	b.StopTimer()
	l.Close()
}

// BenchmarkBatchOf10Events is the audit part of a BatchGetSecretValue of 10
// (21 events: its own, and a GetSecretValue and a KMS Decrypt per secret)
// through the default sinks, one call at a time: "one-by-one" logs each
// event as it happens, "pending" gathers them in the call's context and
// writes them with its own event (LogPending), as the router does.
func BenchmarkBatchOf10Events(b *testing.B) {
	for _, mode := range []string{"one-by-one", "pending"} {
		b.Run(mode, func(b *testing.B) {
			signer := testSigner()
			file, err := audit.OpenFileSink(b.TempDir(), audit.FileOptions{Signer: signer, DigestInterval: time.Minute, Clock: clock.Real{}})
			if err != nil {
				b.Fatal(err)
			}
			l := audit.NewLogger(nil, file, audit.NewStoreSink(memstore.New(), audit.StoreOptions{Signer: signer, DigestInterval: time.Minute}))
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				ctx, p := context.Background(), (*audit.Pending)(nil)
				if mode == "pending" {
					ctx, p = audit.WithPending(ctx)
				}
				for range 20 {
					if err := l.Log(ctx, decryptEvent()); err != nil {
						b.Fatal(err)
					}
				}
				if p != nil {
					err = l.LogPending(ctx, p, decryptEvent())
				} else {
					err = l.Log(ctx, decryptEvent())
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			l.Flush()
			reportCPU(b, start)
			b.StopTimer()
			l.Close()
		})
	}
}
