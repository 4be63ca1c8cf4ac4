package audit_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/audit"
	"github.com/sealbox/sealbox/internal/barrier"
	"github.com/sealbox/sealbox/internal/barrier/rootkey"
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
