package audit_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/ids"
	"github.com/sealbox/sealbox/internal/store/boltstore"
)

// BenchmarkStoreSinkParallel is events from many writers into the store
// sink over the server's store: the barrier over bbolt.
func BenchmarkStoreSinkParallel(b *testing.B) {
	dir := b.TempDir()
	raw, err := boltstore.Open(filepath.Join(dir, "sealbox.db"), boltstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	st, err := barrier.Open(context.Background(), raw, rootkey.NewFile(filepath.Join(dir, "root.key")))
	if err != nil {
		b.Fatal(err)
	}
	sink := audit.NewStoreSink(st, audit.StoreOptions{})
	l := audit.NewLogger(nil, sink)
	b.SetParallelism(16)
	b.ReportAllocs()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Log(context.Background(), decryptEvent()); err != nil {
				b.Error(err)
			}
		}
	})
	reportCPU(b, start)
	l.Close()
}

// BenchmarkPackBlock is packing a full block of an assumed role's Decrypt
// events as the store sink does, each with its own request and event ids
// and time; it reports how many times smaller the block is packed.
func BenchmarkPackBlock(b *testing.B) {
	var block []byte
	for i := range 1000 {
		e := roleDecryptEvent()
		e.RequestID, e.EventID = ids.UUID(), ids.UUID()
		e.EventTime = e.EventTime.Add(time.Duration(i) * 137 * time.Microsecond)
		line, err := json.Marshal(e)
		if err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			block = append(block, '\n')
		}
		block = append(block, line...)
	}
	var packed []byte
	b.SetBytes(int64(len(block)))
	for b.Loop() {
		packed = audit.PackBlock(packed[:0], block)
	}
	b.ReportMetric(float64(len(block))/float64(len(packed)), "x-smaller")
}
