package barrier

import (
	"path/filepath"
	"testing"

	"github.com/sealbox/sealbox/internal/barrier/rootkey"
	"github.com/sealbox/sealbox/internal/store"
)

// BenchmarkGet is the hot path: one View, one raw Get, one AES-GCM open.
// Compare with boltstore's BenchmarkGet for the barrier's own cost.
func BenchmarkGet(b *testing.B) {
	br := mustOpen(b, openBolt(b, b.TempDir()), rootkey.NewFile(filepath.Join(b.TempDir(), "root.key")))
	putValue(b, br, "bench/key", string(make([]byte, 256)))
	b.ReportAllocs()
	for b.Loop() {
		err := br.View(ctx, func(tx store.Tx) error {
			_, err := tx.Get("bench/key")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
