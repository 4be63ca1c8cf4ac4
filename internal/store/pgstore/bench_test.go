package pgstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/sealbox/sealbox/internal/store"
	"github.com/sealbox/sealbox/internal/store/pgstore"
)

// The write paths, each writer on its own key (no conflicts): one Update
// per write, and Batch sharing commits. The test cluster runs without
// fsync, so these measure round trips and locking, not the disk.
func BenchmarkWrite(b *testing.B) {
	for _, how := range []struct {
		name  string
		write func(s *pgstore.Store, fn func(store.Tx) error) error
	}{
		{"Update", func(s *pgstore.Store, fn func(store.Tx) error) error { return s.Update(ctx, fn) }},
		{"Batch", func(s *pgstore.Store, fn func(store.Tx) error) error { return s.Batch(ctx, fn) }},
	} {
		b.Run(how.name, func(b *testing.B) {
			s := openFreshB(b)
			var n atomic.Int64
			value := make([]byte, 512)
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				key := fmt.Sprintf("k/%d", n.Add(1))
				for pb.Next() {
					if err := how.write(s, func(tx store.Tx) error { return tx.Put(key, value) }); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkGet reads one record per View.
func BenchmarkGet(b *testing.B) {
	s := openFreshB(b)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("k", make([]byte, 512)) }); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.View(ctx, func(tx store.Tx) error { _, err := tx.Get("k"); return err }); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
